#!/usr/bin/env node
// Validates AsyncAPI documents with the AsyncAPI initiative's own parser (npm `@asyncapi/parser`,
// with `@asyncapi/openapi-schema-parser` for payloads in OpenAPI 3.0 schema format): the JSON
// Schema of the specification plus its semantic rules (references resolve, an operation's
// messages belong to its channel...).
// Usage: scripts/asyncapi-check.mjs DOCUMENT.json...   (the packages are looked up in NODE_PATH too)
// Exit status: 0 valid (warnings are printed), 1 errors found, 2 usage errors.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: asyncapi-check.mjs DOCUMENT.json...");
  process.exit(2);
}
const require = createRequire(import.meta.url);
let Parser;
let OpenAPISchemaParser;
try {
  ({ Parser } = require("@asyncapi/parser"));
  ({ OpenAPISchemaParser } = require("@asyncapi/openapi-schema-parser"));
} catch {
  console.error(
    "asyncapi-check.mjs: the npm packages `@asyncapi/parser` and `@asyncapi/openapi-schema-parser` are not installed",
  );
  process.exit(2);
}
const severities = ["error", "warning", "information", "hint"];
let errors = 0;
for (const file of files) {
  const parser = new Parser();
  parser.registerSchemaParser(OpenAPISchemaParser());
  const { document, diagnostics } = await parser.parse(readFileSync(file, "utf8"));
  for (const diagnostic of diagnostics) {
    const severity = severities[diagnostic.severity] ?? String(diagnostic.severity);
    console.log(`${file}: ${severity}: /${diagnostic.path.join("/")}: ${diagnostic.message} [${diagnostic.code}]`);
    if (diagnostic.severity === 0) {
      errors += 1;
    }
  }
  if (document === undefined && errors === 0) {
    console.log(`${file}: error: the parser returned no document`);
    errors += 1;
  }
}
process.exit(errors > 0 ? 1 : 0);
