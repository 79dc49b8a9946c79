#!/usr/bin/env node
// Drives the HTML catalog of a running `cuemesh serve` in headless Chromium (playwright-core,
// with the system's Chromium): loads the home page, searches, opens a type, compares two
// versions, checking the visible content at each step and saving a screenshot of each.
// Usage: catalog.mjs BASE_URL SCREENSHOT_DIR CHROMIUM   (playwright-core is looked up in
// NODE_PATH too). Exit status: 0 passed, 1 a check failed, 2 usage or setup errors.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [base, shots, executablePath] = process.argv.slice(2);
if (!base || !shots || !executablePath) {
  console.error("usage: catalog.mjs BASE_URL SCREENSHOT_DIR CHROMIUM");
  process.exit(2);
}
const require = createRequire(import.meta.url);
let chromium;
try {
  ({ chromium } = require("playwright-core"));
} catch {
  console.error("catalog.mjs: the npm package `playwright-core` is not installed");
  process.exit(2);
}

function check(condition, message) {
  if (!condition) {
    throw new Error(`check failed: ${message}`);
  }
}

mkdirSync(shots, { recursive: true });
const profile = mkdtempSync(join(tmpdir(), "cuemesh-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  viewport: { width: 1200, height: 900 },
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
let failed = false;
try {
  const page = context.pages()[0] ?? (await context.newPage());
  const dialogs = [];
  page.on("dialog", async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.dismiss();
  });

  // 1. The home page lists the sources, their owners and event types.
  await page.goto(`${base}/`);
  check((await page.title()).includes("Event catalog"), "the home page's title");
  const home = await page.locator("main").innerText();
  check(home.includes("MySource") && home.includes("owned by @acme/identity"), `home lists MySource and its owner:\n${home}`);
  check(home.includes("MySource:newPerson"), "home lists the event type");
  await page.screenshot({ path: join(shots, "1-home.png"), fullPage: true });

  // 2. The search box finds a field by a word of its doc comment.
  await page.fill("header input[name=q]", "family");
  await Promise.all([page.waitForURL(/\/search\?q=family/), page.press("header input[name=q]", "Enter")]);
  const results = await page.locator("ul.hits").innerText();
  check(results.includes("MySource:newPerson · last"), `the search finds the field:\n${results}`);
  await page.screenshot({ path: join(shots, "2-search.png"), fullPage: true });

  // 3. Opening the type from the home page shows its versions.
  await page.goto(`${base}/`);
  await Promise.all([page.waitForURL(/\/types\//), page.click("text=MySource:newPerson")]);
  const versions = await page.locator("table").first().innerText();
  for (const needle of ["v1", "v2", "v3", "Ada"]) {
    check(versions.includes(needle), `the versions table shows ${needle}:\n${versions}`);
  }
  await page.screenshot({ path: join(shots, "3-type.png"), fullPage: true });

  // 4. Comparing v1 with v3 through the two selects.
  await page.selectOption("select[name=from]", "1");
  await page.selectOption("select[name=to]", "3");
  await Promise.all([page.waitForURL(/compare\?from=1&to=3/), page.click("form.compare button")]);
  const changes = await page.locator("table.field-diff").innerText();
  check(/added\s+last/.test(changes) && /added\s+age/.test(changes), `the field changes:\n${changes}`);
  const added = await page.locator("pre.diff .add").allInnerTexts();
  check(added.some((line) => line.includes("last: string")), `the line diff adds last:\n${added.join("\n")}`);
  await page.screenshot({ path: join(shots, "4-compare.png"), fullPage: true });

  // 5. The version page: its fields, with the doc comment's markup shown as text, not run.
  await page.goto(`${base}/sources/MySource/types/MySource%3AnewPerson/versions/3`);
  const fields = await page.locator("table.fields").innerText();
  check(fields.includes("first name of the person <script>alert(1)</script>"), `the doc comment is shown as text:\n${fields}`);
  check(dialogs.length === 0, `no script ran: ${dialogs.join(", ")}`);
  await page.screenshot({ path: join(shots, "5-version.png"), fullPage: true });
  console.log(`catalog.mjs: 5 pages checked; screenshots in ${shots}`);
} catch (error) {
  console.error(`catalog.mjs: ${error.message}`);
  failed = true;
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
