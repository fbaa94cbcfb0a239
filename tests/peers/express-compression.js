// Express with compression(), the way many Node apps serve pages, for
// tests/browser.rs: `node express-compression.js flush|noflush`.
//
// It writes seven pieces of a page, 300 ms apart. compression() codes
// them (br or gzip, as the client asks) into its coder's buffer, which
// sends nothing until it fills or the response ends, unless res.flush()
// asks it to (a sync flush): so `flush` streams and `noflush` arrives
// all at the end.
//
// It listens on a free port of 127.0.0.1 and says which on stdout:
// `listening on http://127.0.0.1:PORT/`.
const express = require("express");
const compression = require("compression");

const flush = process.argv[2] === "flush";
const PAUSE_MS = 300;

const pieces = ["<!doctype html>\n<meta charset=\"utf-8\">\n" +
  "<title>Express, compression()</title>\n<h1>Seven pieces</h1>\n"];
for (let i = 1; i < 7; i++) {
  pieces.push(`<p>Piece ${i} — after ${i} × ${PAUSE_MS} ms.</p>\n`);
}

const app = express();
app.use(compression());
app.get("/", async (req, res) => {
  res.type("html");
  for (const [i, piece] of pieces.entries()) {
    if (i > 0) await new Promise((done) => setTimeout(done, PAUSE_MS));
    res.write(piece);
    // Out now, all of it, not when the coder's buffer fills.
    if (flush) res.flush();
  }
  res.end();
});

const server = app.listen(0, "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}/`);
});
