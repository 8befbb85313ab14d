// Runs every graphql-http server audit (GraphQL over HTTP spec conformance) against a URL
// and prints the results as JSON on stdout: [{id, name, status, reason?, response?}, ...].
// Exits 0 whatever the results; the caller decides what fails. Usage: node audit.mjs URL
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}

async function describe(response) {
  if (!response) return undefined;
  let body;
  try {
    body = await response.clone().text();
  } catch {
    body = undefined;
  }
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: body && body.length > 500 ? `${body.slice(0, 500)}…` : body,
  };
}

const results = [];
for (const audit of serverAudits({ url })) {
  let result;
  try {
    result = await audit.fn();
  } catch (err) {
    result = { id: audit.id, name: audit.name, status: 'error', reason: `the audit threw: ${err}` };
  }
  const entry = { id: result.id, name: result.name, status: result.status };
  if (result.status !== 'ok') {
    entry.reason = result.reason;
    entry.response = await describe(result.response);
  }
  results.push(entry);
}
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
