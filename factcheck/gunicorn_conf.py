"""gunicorn settings for factcheck (`gunicorn --config factcheck/gunicorn_conf.py ... 'factcheck:create_app()'`,
which is what `python -m factcheck serve --workers N` runs). No Flask imports here.

The same guard as `serve`: with no API key the JSON API is open with every role, so gunicorn may then listen on
loopback addresses only; it refuses to start otherwise.
"""
from __future__ import annotations

worker_class = "gthread"  # threads in each process: a check waiting on the store does not hold a process
preload_app = False  # each worker builds its own app after the fork (store connections are not shared)
control_socket_disable = True  # no gunicornc control socket: one fixed path per user would be shared by every instance


def on_starting(server) -> None:
    """Refuse to start (exit 2) on a non-loopback address while no API key exists."""
    from factcheck.admin_state import open_admin
    from factcheck.config import Config
    from factcheck.keys import serve_guard

    admin_db = open_admin(Config.from_env())  # the admin SQLite file, or the Elasticsearch indexes
    for address in server.cfg.address:
        if not isinstance(address, tuple):  # a unix socket: only this machine reaches it
            continue
        allowed, message = serve_guard(admin_db, str(address[0]))
        if message:
            server.log.warning(message)
        if not allowed:
            raise SystemExit(2)
