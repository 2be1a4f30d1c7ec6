"""Serve factcheck: `python app.py` (the embedded SQLite store; the demo corpus is loaded into an empty one)."""
import os

from factcheck import create_app, load_demo, serve_app
from factcheck.keys import serve_guard

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
    load_demo(app.extensions["factcheck_store"], app.extensions["factcheck_config"])
    print(f"factcheck is running at http://{host}:{port}/")
    serve_app(app, host, port)
