#!/usr/bin/env node
// Syntax-check Neo4j 5 Cypher queries with Neo4j's own parser and semantic
// analysis (@neo4j-cypher/language-support, lintCypherQuery).
//
// Usage (from the repo root, after `npm ci --prefix tools/cypher-lint`):
//   node tools/cypher-lint/lint.mjs < queries.json
//
// stdin : JSON array  [{"name": "...", "text": "..."}, ...]
// stdout: JSON array  [{"name": "...", "diagnostics": [
//           {"severity": "error"|"warning", "message": "...",
//            "line": <1-based>, "column": <1-based>}]}, ...]
//         (one entry per input query, same order)
// exit  : 0 whenever the input was valid (even if there are diagnostics),
//         2 (message on stderr) for bad input.
//
// All queries are linted in this one process: loading the package (a ~25 MB
// bundle containing the Neo4j parser and semantic analysis) dominates run time.

import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

// The package's ESM build uses extension-less relative imports, which Node's
// ESM loader cannot resolve; its CommonJS bundle works, so load that one.
const require = createRequire(import.meta.url);

function fail(message) {
  process.stderr.write(`cypher-lint: ${message}\n`);
  process.exit(2);
}

function readInput() {
  let raw;
  try {
    raw = readFileSync(0, 'utf8');
  } catch (e) {
    fail(`cannot read stdin: ${e.message}`);
  }
  let data;
  try {
    data = JSON.parse(raw);
  } catch (e) {
    fail(`stdin is not valid JSON: ${e.message}`);
  }
  if (!Array.isArray(data)) {
    fail('input must be a JSON array of {"name": string, "text": string} objects');
  }
  data.forEach((item, i) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      fail(`item ${i} is not an object`);
    }
    if (typeof item.name !== 'string') {
      fail(`item ${i}: "name" must be a string`);
    }
    if (typeof item.text !== 'string') {
      fail(`item ${i} (${JSON.stringify(item.name)}): "text" must be a string`);
    }
  });
  return data;
}

// LSP DiagnosticSeverity: 1 Error, 2 Warning, 3 Information, 4 Hint.
// Anything that is not explicitly a warning/info/hint counts as an error.
function severityName(severity) {
  return severity === 2 || severity === 3 || severity === 4 ? 'warning' : 'error';
}

const queries = readInput();

const { lintCypherQuery, _internalFeatureFlags } = require('@neo4j-cypher/language-support');
if (typeof lintCypherQuery !== 'function') {
  process.stderr.write('cypher-lint: @neo4j-cypher/language-support does not export lintCypherQuery\n');
  process.exit(3);
}

// Neo4j 5 dialect. Queries without a `CYPHER <version>` prefix are analysed as
// Cypher 5 (this is also the package default); keep Cypher 25 features off.
if (_internalFeatureFlags) {
  _internalFeatureFlags.cypher25 = false;
  _internalFeatureFlags.consoleCommands = false; // `:param` etc. are errors
}

// Empty schema: no labels/relationshipTypes/functions/procedures are given, so
// the package does not report unknown labels, functions or procedures.
// Parameters are the exception: lintCypherQuery reports every `$param` that is
// not a key of dbSchema.parameters ("Parameter $x is not defined."). The
// parameters are supplied by the caller at run time, so declare every name.
const anyParameter = new Proxy(
  {},
  {
    get: (_target, key) => (typeof key === 'string' ? null : undefined),
    has: () => true,
  },
);
const dbSchema = { defaultLanguage: 'CYPHER 5', parameters: anyParameter };

const results = queries.map(({ name, text }) => {
  let diagnostics;
  try {
    // Older releases return the diagnostics array, newer ones { diagnostics, symbolTables }.
    const out = lintCypherQuery(text, dbSchema, { consoleCommandsEnabled: false });
    diagnostics = Array.isArray(out) ? out : out.diagnostics;
  } catch (e) {
    diagnostics = [
      {
        severity: 1,
        message: `cypher-lint: linter crashed on this query: ${e && e.message ? e.message : String(e)}`,
        range: { start: { line: 0, character: 0 } },
      },
    ];
  }
  return {
    name,
    diagnostics: diagnostics.map((d) => ({
      severity: severityName(d.severity),
      message: d.message,
      // LSP positions are 0-based; report 1-based like Neo4j's own errors.
      line: (d.range?.start?.line ?? 0) + 1,
      column: (d.range?.start?.character ?? 0) + 1,
    })),
  };
});

process.stdout.write(JSON.stringify(results, null, 2) + '\n');
process.exitCode = 0;
