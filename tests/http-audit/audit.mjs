// Runs graphql-http's audit suite (GraphQL-over-HTTP spec conformance) against a live server and
// prints one JSON array: [{id, name, status, reason?, httpStatus?, contentType?, body?}].
// Usage: node audit.mjs http://127.0.0.1:PORT/graphql   (ZHIKU_AUDIT_TOKEN: bearer token to send)
import { auditServer } from 'graphql-http';

const url = process.argv[2];
const token = process.env.ZHIKU_AUDIT_TOKEN;

// Every audit request carries the token, so it runs as a signed-in caller (and passes the response cache).
async function fetchFn(input, init = {}) {
  const headers = new Headers(init.headers || {});
  if (token) headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
}

const results = await auditServer({ url, fetchFn });
const out = [];
for (const r of results) {
  const item = { id: r.id, name: r.name, status: r.status };
  if (r.status !== 'ok') {
    item.reason = r.reason;
    item.httpStatus = r.response.status;
    item.contentType = r.response.headers.get('content-type');
    try {
      item.body = (await r.response.text()).slice(0, 500);
    } catch {
      item.body = null; // already read by the audit
    }
  }
  out.push(item);
}
process.stdout.write(JSON.stringify(out));
