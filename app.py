"""Serve factcheck: `python app.py` (the embedded SQLite store; the demo corpus is loaded into an empty one).

FACTCHECK_WORKERS > 1 serves with gunicorn, that many processes of FACTCHECK_THREADS threads each."""
import os
import sys

from factcheck import create_app, load_demo, serve_app
from factcheck.keys import serve_guard
from factcheck.serving import CannotListen, check_counts, check_listen, exec_gunicorn

app = create_app()

if __name__ == "__main__":
    host = os.environ.get("FACTCHECK_HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", 5000))
    # With no API key the JSON API is open to every caller, so it may only listen on loopback.
    allowed_host, message = serve_guard(app.extensions["factcheck_admin"], host)
    if message:
        print(message)
    if not allowed_host:
        raise SystemExit(2)
    config = app.extensions["factcheck_config"]
    try:
        check_counts(config.workers, config.threads)
    except ValueError as exc:
        print(f"FACTCHECK_WORKERS, FACTCHECK_THREADS: {exc}")
        raise SystemExit(2)
    try:
        check_listen(host, port)  # before the demo corpus is loaded: a port in use is said at once
        load_demo(app.extensions["factcheck_store"], config)
        if config.workers > 1:  # gunicorn: a fresh master whose workers build their own apps
            app.extensions["factcheck_store"].close()
            print(f"factcheck is running at http://{host}:{port}/ ({config.workers} processes of "
                  f"{config.threads} threads)")
            exec_gunicorn(host, port, config.workers, config.threads)
        print(f"factcheck is running at http://{host}:{port}/")
        serve_app(app, host, port, config.threads)
    except CannotListen as exc:
        print(f"{exc}; choose another port with the PORT setting (e.g. PORT={port + 1} scripts/serve)",
              file=sys.stderr)
        raise SystemExit(2)
