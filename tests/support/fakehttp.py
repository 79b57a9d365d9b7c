"""What the fakes of tests/support share: a threaded HTTP server on a free
port of 127.0.0.1 that prints PORT=NNNN once it listens (the tests read
it), and serves until it is killed."""

import threading
from http.server import ThreadingHTTPServer


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
