"""Runs moto's server app (the one `python3 -m moto.server` runs) for the integration tier.

Differences from `python3 -m moto.server -H 127.0.0.1 -p PORT`, and why:
- single-threaded: moto's in-memory backends take no lock around a DynamoDB transaction's check-then-write,
  so under a threaded server two transactions can interleave and over-commit *in the emulator*. DynamoDB
  itself serialises conflicting transactions; one request at a time is the faithful model of that.
  Client-side concurrency (200 callers interleaving their reads and writes) is unaffected.
- binds port 0 and prints the port it got ("moto listening on 127.0.0.1:PORT"), so parallel test files
  never race for a "free" port;
- exits when its stdin closes, so a test runner that dies never leaves a server behind.
"""

import os
import sys
import threading

from werkzeug.serving import make_server

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app


def main() -> None:
    host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(host, 0, app, threaded=False)
    port = server.server_port
    os.environ["MOTO_PORT"] = str(port)

    def watch_stdin() -> None:
        sys.stdin.read()
        os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    print(f"moto listening on {host}:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
