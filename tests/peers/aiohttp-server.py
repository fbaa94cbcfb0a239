"""aiohttp, Python's asyncio web server, for tests/browser.rs:
`python3 aiohttp-server.py compression|content-length`.

It writes seven pieces of a page on a StreamResponse, 300 ms apart:

- `compression`: with enable_compression(). aiohttp's compressor keeps
  what it compressed until the response ends (it never flushes between
  writes), so the content arrives all at the end.
- `content-length`: the length is set first, and each piece still goes
  out as it is written: a Content-Length body can stream too.

It listens on a free port of 127.0.0.1 and says which on stdout:
`listening on http://127.0.0.1:PORT/`.
"""

import asyncio
import socket
import sys

from aiohttp import web

PAUSE = 0.3
PIECES = [
    '<!doctype html>\n<meta charset="utf-8">\n'
    "<title>aiohttp</title>\n<h1>Seven pieces</h1>\n",
    *(f"<p>Piece {i} — after {i} × 300 ms.</p>\n" for i in range(1, 7)),
]
BODY = [piece.encode() for piece in PIECES]


async def page(request):
    response = web.StreamResponse(
        headers={"Content-Type": "text/html; charset=utf-8"}
    )
    if sys.argv[1] == "compression":
        response.enable_compression()
    else:
        response.content_length = sum(map(len, BODY))
    await response.prepare(request)
    for i, piece in enumerate(BODY):
        if i > 0:
            await asyncio.sleep(PAUSE)
        await response.write(piece)
    await response.write_eof()
    return response


app = web.Application()
app.router.add_get("/", page)
sock = socket.socket()
sock.bind(("127.0.0.1", 0))
print(f"listening on http://127.0.0.1:{sock.getsockname()[1]}/", flush=True)
web.run_app(app, sock=sock, print=None)
