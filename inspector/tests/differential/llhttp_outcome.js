// What Node's llhttp makes of each response: the peer in
// inspector/tests/differential.rs.
//
// Reads JSON lines {"id", "method", "hex"} on stdin and writes one JSON
// line per response: its class ("complete", "truncated" or "invalid"),
// and for a complete one the final status, the body (hex) and how many
// bytes the message took. The parser is the binding `http.request` uses,
// with Node's defaults: strict (no lenient flags), 16 KiB of head.
'use strict';

const { HTTPParser } = require('_http_common');
const readline = require('readline');

function outcome(method, data) {
  const parser = new HTTPParser();
  parser.initialize(HTTPParser.RESPONSE, {}, 16 * 1024, 0);
  let status = null;
  let done = false;
  const body = [];
  parser[HTTPParser.kOnHeaders] = () => {};
  parser[HTTPParser.kOnHeadersComplete] = (
    _major, _minor, _headers, _method, _url, statusCode,
  ) => {
    status = statusCode;
    // As Node's client does: a response to HEAD has no body.
    return method === 'HEAD' ? 1 : 0;
  };
  parser[HTTPParser.kOnBody] = (chunk) => body.push(Buffer.from(chunk));
  parser[HTTPParser.kOnMessageComplete] = () => {
    // A 1xx head is a message of its own; the final one follows.
    if (status >= 200) done = true;
  };
  parser[HTTPParser.kOnExecute] = () => {};
  const complete = (consumed) => ({
    class: 'complete',
    status,
    body: Buffer.concat(body).toString('hex'),
    consumed,
  });
  // A byte at a time, so that the byte that ends the message is known.
  for (let i = 0; i < data.length; i++) {
    const r = parser.execute(data.subarray(i, i + 1));
    if (r instanceof Error) return { class: 'invalid', why: `${r.code}: ${r.reason}` };
    if (done) return complete(i + 1);
  }
  const r = parser.finish();
  if (r instanceof Error) return { class: 'truncated', why: `${r.code}: ${r.reason}` };
  if (done) return complete(data.length);
  return { class: 'truncated', why: 'closed before the message ended' };
}

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const c = JSON.parse(line);
  const result = outcome(c.method, Buffer.from(c.hex, 'hex'));
  process.stdout.write(JSON.stringify({ id: c.id, ...result }) + '\n');
});
