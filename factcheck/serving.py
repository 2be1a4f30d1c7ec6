"""Serving the app: one waitress process (a pool of threads), or gunicorn with several worker processes of
threads each (the `gthread` worker), so that requests use every core rather than one (the GIL). No Flask imports.

Several processes share nothing in memory: each worker builds its own app (its own store connection, models,
webhook thread) after the fork, the rate-limit counters are shared only through Redis (FACTCHECK_REDIS_URL), and
the Flask secret key must be the same in every worker, or a session cookie signed by one would be refused by
another: when FACTCHECK_SECRET_KEY is unset, one random key is made for the run and handed to every worker.
"""
from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

APP_FACTORY = "factcheck:create_app()"  # gunicorn calls it in each worker, after the fork


def check_counts(workers: int, threads: int) -> None:
    """ValueError naming the setting when a count is not a positive whole number."""
    for name, value in (("workers", workers), ("threads", threads)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be at least 1, got {value!r}")


def serve_waitress(app, host: str, port: int, threads: int) -> None:
    """Serve `app` in this process with waitress and `threads` request threads, until interrupted."""
    from waitress import serve

    serve(app, host=host, port=port, threads=threads, ident="factcheck")


def gunicorn_argv(host: str, port: int, workers: int, threads: int) -> list[str]:
    """The command that serves the app with gunicorn: `workers` processes of `threads` threads."""
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
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


__all__ = ["APP_FACTORY", "check_counts", "serve_waitress", "gunicorn_argv", "worker_environment", "exec_gunicorn"]
