"""Serving the app: one waitress process (a pool of threads), or gunicorn with several worker processes of
threads each (the `gthread` worker), so that requests use every core rather than one (the GIL). No Flask imports.

Several processes share nothing in memory: each worker builds its own app (its own store connection, models,
webhook thread) after the fork, the rate-limit counters are shared only through Redis (FACTCHECK_REDIS_URL), and
the Flask secret key must be the same in every worker, or a session cookie signed by one would be refused by
another: when FACTCHECK_SECRET_KEY is unset, one random key is made for the run and handed to every worker.
"""
from __future__ import annotations

import errno
import os
import secrets
import socket
import sys
from pathlib import Path

APP_FACTORY = "factcheck:create_app()"  # gunicorn calls it in each worker, after the fork


def check_counts(workers: int, threads: int) -> None:
    """ValueError naming the setting when a count is not a positive whole number."""
    for name, value in (("workers", workers), ("threads", threads)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be at least 1, got {value!r}")


class CannotListen(Exception):
    """No server can listen on the address; the message names it and says why, in one line."""


def address(host: str, port: int) -> str:
    """host:port as one writes it ([::1]:5000 for an IPv6 address)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _cannot_listen(host: str, port: int, exc: OSError) -> CannotListen:
    if exc.errno == errno.EADDRINUSE:
        return CannotListen(f"{address(host, port)} is already in use (another program is listening there)")
    return CannotListen(f"cannot listen on {address(host, port)}: {exc.strerror or exc}")


def check_listen(host: str, port: int) -> None:
    """CannotListen if a server could not listen on host:port now (another program has the port, the address is
    not this machine's, ...). Checked before the slow start (models, the demo corpus, gunicorn's workers)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise CannotListen(f"cannot listen on {address(host, port)}: {exc.strerror}") from None
    for family, kind, proto, _, sockaddr in found:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as waitress and gunicorn bind
            try:
                probe.bind(sockaddr)
            except OSError as exc:
                raise _cannot_listen(host, port, exc) from None


def serve_waitress(app, host: str, port: int, threads: int) -> None:
    """Serve `app` in this process with waitress and `threads` request threads, until interrupted; CannotListen
    if the address cannot be had."""
    import logging

    from waitress import create_server

    logging.basicConfig()  # this and the rest as waitress.serve does, with the bind's error made one line
    try:
        server = create_server(app, host=host, port=port, threads=threads, ident="factcheck")
    except OSError as exc:
        raise _cannot_listen(host, port, exc) from None
    server.print_listen("Serving on http://{}:{}")
    server.run()


def gunicorn_argv(host: str, port: int, workers: int, threads: int) -> list[str]:
    """The command that serves the app with gunicorn: `workers` processes of `threads` threads."""
    bind = address(host, port)
    here = Path(__file__).resolve()  # the config by its path, and --pythonpath: this factcheck from any cwd
    return [sys.executable, "-m", "gunicorn", "--pythonpath", str(here.parents[1]),
            "--config", str(here.with_name("gunicorn_conf.py")), "--bind", bind,
            "--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread", APP_FACTORY]


def worker_environment(workers: int, environ=None) -> dict:
    """The environment for the workers: one secret key for all of them, and the sentence encoder's threads split
    between the processes unless set (each process would otherwise start one ONNX thread per core)."""
    env = dict(os.environ if environ is None else environ)
    if not env.get("FACTCHECK_SECRET_KEY"):
        env["FACTCHECK_SECRET_KEY"] = secrets.token_hex(32)
    if not env.get("FACTCHECK_ENCODER_THREADS"):
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        env["FACTCHECK_ENCODER_THREADS"] = str(max(1, cores // workers))
    return env


def exec_gunicorn(host: str, port: int, workers: int, threads: int) -> None:
    """Replace this process with gunicorn's master (same process id, so it stops as before on SIGTERM/SIGINT).

    Exec rather than fork: the master starts from a fresh interpreter, so no store connection, model session or
    thread of this process is inherited by the workers."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, gunicorn_argv(host, port, workers, threads), worker_environment(workers))


__all__ = ["APP_FACTORY", "CannotListen", "address", "check_counts", "check_listen", "serve_waitress", "gunicorn_argv",
           "worker_environment", "exec_gunicorn"]
