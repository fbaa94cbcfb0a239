"""What Python's h11 makes of each response: the peer in
inspector/tests/differential.rs.

Reads JSON lines {"id", "method", "hex"} on stdin and writes one JSON line
per response: its class ("complete", "truncated" or "invalid"), and for a
complete one the final status, the body (hex) and how many bytes the
message took. The bytes are given whole, then the connection's close.
"""

import json
import sys

import h11


def outcome(method, data):
    conn = h11.Connection(our_role=h11.CLIENT)
    conn.send(h11.Request(method=method, target="/", headers=[("Host", "peer")]))
    conn.send(h11.EndOfMessage())
    conn.receive_data(data)
    # h11 takes no bytes as the close: an empty response is one.
    closed = not data
    status = None
    body = bytearray()
    while True:
        try:
            event = conn.next_event()
        except h11.RemoteProtocolError as e:
            # An error only the close brings out is a message cut short.
            return {"class": "truncated" if closed else "invalid", "why": str(e)}
        if event is h11.NEED_DATA:
            if closed:
                return {"class": "truncated", "why": "needs more data after close"}
            conn.receive_data(b"")
            closed = True
        elif event is h11.ConnectionClosed or isinstance(event, h11.ConnectionClosed):
            return {"class": "truncated", "why": "closed before a response"}
        elif isinstance(event, h11.Response):
            status = event.status_code
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            rest, _ = conn.trailing_data
            return {
                "class": "complete",
                "status": status,
                "body": body.hex(),
                "consumed": len(data) - len(rest),
            }
        # InformationalResponse: a 1xx head; the final one follows.


def main():
    for line in sys.stdin:
        case = json.loads(line)
        result = outcome(case["method"], bytes.fromhex(case["hex"]))
        result["id"] = case["id"]
        print(json.dumps(result))


main()
