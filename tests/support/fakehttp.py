"""What the fakes of tests/support share: a threaded HTTP server on a free
port of 127.0.0.1 that prints PORT=NNNN once it listens (the tests read
it), and serves until it is killed; a quiet HTTP/1.1 handler that replies
with a body of a given type."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class QuietHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def reply(self, status, content_type, body, request_id=None):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if request_id:
            self.send_header("x-amzn-RequestId", request_id)
        self.end_headers()
        self.wfile.write(data)


def serve(handler, **state):
    """Serves `handler`; each of `state` becomes an attribute of the server,
    beside `lock`, a threading.Lock for the handlers. Returns 0 on Ctrl-C."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.lock = threading.Lock()
    for name, value in state.items():
        setattr(server, name, value)
    print(f"PORT={server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0
