"""Serve factcheck: `python app.py` (the embedded SQLite store; the demo corpus is loaded into an empty one)."""
import os

from factcheck import create_app, load_demo

app = create_app()

if __name__ == "__main__":
    load_demo(app.extensions["factcheck_store"], app.extensions["factcheck_config"])
    host = os.environ.get("FACTCHECK_HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", 5000))
    print(f"factcheck is running at http://{host}:{port}/")
    app.run(host=host, port=port)
