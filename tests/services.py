"""When a service a test needs (Elasticsearch, the browser, the shared data) is missing: skip on a developer's
machine, fail under CI (CI=true, as .ci/run sets it), so that CI never passes without running them."""
import os

import pytest


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def unavailable(message: str):
    """Skip the test, or fail it under CI."""
    if under_ci():
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    """A TCP port nobody listens on right now on 127.0.0.1."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_server(workdir):
    """Start a real Redis (Debian's redis-server; scripts/test installs it) on a free loopback port, with no
    persistence, in `workdir`; yields its redis:// URL and stops it afterwards. A generator for a fixture."""
    import shutil
    import socket
    import subprocess
    import time

    binary = shutil.which("redis-server") or ("/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server")
                                               else None)
    if binary is None:
        unavailable("redis-server is not installed (scripts/test installs Debian's redis-server package when run "
                    "as root): the shared rate-limit tests need a real Redis")
    for _ in range(5):  # the port may be taken between choosing and binding it: try another
        port = free_port()
        process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(workdir), "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                time.sleep(0.05)
        else:
            output = process.stdout.read().decode(errors="replace") if process.poll() is not None else ""
            if process.poll() is None:
                process.kill()
            process.wait()
            if "Address already in use" in output:
                continue
            unavailable(f"redis-server did not start on port {port}: {output.strip()[-500:]}")
        try:
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return
    unavailable("redis-server: no free port after 5 tries")
