"""Serving on every core: rate limits shared through a real Redis (FACTCHECK_REDIS_URL) by several app instances
and several server processes, per process in memory without it; `serve --workers N` (gunicorn) answering, keeping
sessions across its processes, and refusing a public address while no API key exists."""
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from factcheck import create_app, keys
from tests.conftest import ACCOUNTS
from tests.services import free_port, redis_server
from tests.test_api import assert_problem

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    yield from redis_server(tmp_path_factory.mktemp("redis"))


@pytest.fixture
def shared_redis(redis_url):
    """The Redis URL, emptied before the test (the counters of earlier tests would count otherwise)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    client.close()
    return redis_url


def make_app(tmp_path, **settings):
    """An app on the files in tmp_path: two apps made with the same tmp_path share the admin db (the keys)."""
    return create_app({"store_url": f"sqlite:///{tmp_path}/fc.db", "elasticsearch_url": None, "load_demo": False,
                       "admin_db": f"{tmp_path}/admin.db", "TESTING": True, **settings})


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


# -- the API's per-key limit --------------------------------------------------------------------------------------

def test_two_apps_on_one_redis_share_the_api_limit(tmp_path, shared_redis):
    first, second = (make_app(tmp_path, rate_limit="3/minute", redis_url=shared_redis) for _ in range(2))
    token = keys.create_key(f"{tmp_path}/admin.db", "shared", "client")[1]
    clients = [first.test_client(), second.test_client()]
    statuses = [clients[n % 2].get("/api/v1/sources", headers=bearer(token)).status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]  # 3 over both apps, not 3 each
    refused = clients[0].get("/api/v1/sources", headers=bearer(token))
    assert_problem(refused, 429)
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    other = keys.create_key(f"{tmp_path}/admin.db", "other", "client")[1]
    assert clients[1].get("/api/v1/sources", headers=bearer(other)).status_code == 200  # still per key


def test_without_redis_each_app_limits_on_its_own(tmp_path):
    first, second = (make_app(tmp_path, rate_limit="3/minute") for _ in range(2))
    token = keys.create_key(f"{tmp_path}/admin.db", "shared", "client")[1]
    a, b = first.test_client(), second.test_client()
    assert [a.get("/api/v1/sources", headers=bearer(token)).status_code for _ in range(3)] == [200] * 3
    assert [b.get("/api/v1/sources", headers=bearer(token)).status_code for _ in range(3)] == [200] * 3
    refused = a.get("/api/v1/sources", headers=bearer(token))
    assert_problem(refused, 429)
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


def test_redis_down_is_503_with_retry_after_not_500(tmp_path):
    app = make_app(tmp_path, rate_limit="3/minute", redis_url=f"redis://127.0.0.1:{free_port()}/0")
    token = keys.create_key(f"{tmp_path}/admin.db", "k", "client")[1]
    response = app.test_client().get("/api/v1/sources", headers=bearer(token))
    body = assert_problem(response, 503)
    assert "rate-limit counters" in body["detail"] or "unavailable" in body["detail"]
    assert int(response.headers["Retry-After"]) >= 1


def test_a_redis_url_that_is_not_redis_is_refused_naming_the_setting(tmp_path):
    with pytest.raises(ValueError, match="FACTCHECK_REDIS_URL"):
        make_app(tmp_path, redis_url="http://127.0.0.1:6379/")


# -- the web log-in throttle --------------------------------------------------------------------------------------

def csrf_of(client):
    html = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def failed_login(client, username="fiona"):
    return client.post("/login", data={"username": username, "password": "wrong-password",
                                       "csrf_token": csrf_of(client)})


def create_accounts(admin_db):
    from factcheck import users

    for username, (role, password) in ACCOUNTS.items():
        users.create_user(admin_db, username, password, role)


def test_failed_log_ins_on_two_apps_count_together_through_redis(tmp_path, shared_redis):
    apps = [make_app(tmp_path, redis_url=shared_redis, login_limit_account="3/minute") for _ in range(2)]
    create_accounts(f"{tmp_path}/admin.db")
    clients = [app.test_client() for app in apps]
    statuses = [failed_login(clients[n % 2]).status_code for n in range(4)]
    assert statuses == [401, 401, 401, 429]
    right = clients[1].post("/login", data={"username": "fiona", "password": ACCOUNTS["fiona"][1],
                                            "csrf_token": csrf_of(clients[1])})
    assert right.status_code == 429 and "Retry-After" in right.headers  # refused on the other app too


def test_failed_log_ins_without_redis_count_per_app(tmp_path):
    apps = [make_app(tmp_path, login_limit_account="3/minute") for _ in range(2)]
    create_accounts(f"{tmp_path}/admin.db")
    a, b = (app.test_client() for app in apps)
    assert [failed_login(a).status_code for _ in range(3)] == [401] * 3
    assert failed_login(b).status_code == 401  # b has counted nothing yet
    assert failed_login(a).status_code == 429


# -- real server processes ----------------------------------------------------------------------------------------

def server_env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FACTCHECK_", "ELASTICSEARCH_URL"))}
    env.update({"FACTCHECK_STORE": f"sqlite:///{tmp_path}/fc.db", "FACTCHECK_ADMIN_DB": f"{tmp_path}/admin.db",
                "FACTCHECK_DEMO": "0", "FACTCHECK_CLAIM_VECTORS": "0", "PYTHONUNBUFFERED": "1", **extra})
    return env


class Server:
    """`python -m factcheck serve ARGS` in a process group of its own, on a free port, stopped at the end."""

    def __init__(self, tmp_path, *args, env=None, name="server"):
        self.port = free_port()
        self.log = open(tmp_path / f"{name}-{self.port}.log", "w+b")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "factcheck", "serve", "--port", str(self.port), *args], cwd=ROOT, env=env,
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.base = f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def wait_ready(self, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the server exited ({self.process.returncode}): {self.output()}")
            try:
                urllib.request.urlopen(self.base + "/login", timeout=5).read()
                return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        pytest.fail(f"the server did not answer within {timeout} s: {self.output()}")

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, 15)  # the server's own group: gunicorn's master and its workers
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()
        self.log.close()


def status_of(url, headers=None):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=30) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers)


def test_two_server_processes_on_one_redis_share_the_limit(tmp_path, shared_redis):
    token = keys.create_key(f"{tmp_path}/admin.db", "shared", "client")[1]
    env = server_env(tmp_path, FACTCHECK_REDIS_URL=shared_redis, FACTCHECK_RATE_LIMIT="4/minute")
    servers = [Server(tmp_path, env=env, name=f"s{n}") for n in range(2)]
    try:
        for server in servers:
            server.wait_ready()
        answers = [status_of(servers[n % 2].base + "/api/v1/sources", bearer(token)) for n in range(5)]
        assert [status for status, _ in answers] == [200, 200, 200, 200, 429]
        assert 1 <= int(answers[-1][1]["Retry-After"]) <= 60
    finally:
        for server in servers:
            server.stop()


def test_serve_with_two_workers_answers_and_keeps_a_session_across_processes(tmp_path):
    create_accounts(f"{tmp_path}/admin.db")
    keys.create_key(f"{tmp_path}/admin.db", "k", "client")
    server = Server(tmp_path, "--workers", "2", "--threads", "2", env=server_env(tmp_path), name="workers")
    try:
        server.wait_ready()
        assert "2 processes of 2 threads" in server.output()
        workers = subprocess.run(["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True)
        assert len(workers.stdout.split()) == 2, server.output()
        secrets = {re.search(rb"FACTCHECK_SECRET_KEY=([^\0]*)", Path(f"/proc/{pid}/environ").read_bytes()).group(1)
                   for pid in workers.stdout.split()}
        assert len(secrets) == 1 and len(next(iter(secrets))) >= 32  # one key made for the run, in every worker
        # One browser: log in, then many pages on fresh connections (either worker may answer each): a session
        # signed by one worker must be valid in the other, so every page shows the account.
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        form = opener.open(server.base + "/login", timeout=30).read().decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        body = urllib.parse.urlencode({"username": "fiona", "password": ACCOUNTS["fiona"][1],
                                       "csrf_token": token}).encode()
        opener.open(server.base + "/login", data=body, timeout=30).read()
        pages = [opener.open(server.base + "/sources", timeout=30).read().decode() for _ in range(12)]
        assert all("fiona" in page for page in pages)
        assert status_of(server.base + "/api/v1/sources")[0] == 401  # the API needs the key
    finally:
        server.stop()
    assert server.process.returncode is not None


def test_serve_with_workers_refuses_a_public_address_without_keys(tmp_path):
    result = subprocess.run([sys.executable, "-m", "factcheck", "serve", "--workers", "2", "--host", "0.0.0.0",
                             "--port", str(free_port())], cwd=ROOT, env=server_env(tmp_path),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "refusing to listen on 0.0.0.0" in result.stderr


def test_gunicorn_with_the_project_config_refuses_a_public_address_without_keys(tmp_path):
    from factcheck.serving import gunicorn_argv

    result = subprocess.run(gunicorn_argv("0.0.0.0", free_port(), 2, 2), cwd=tmp_path, env=server_env(tmp_path),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "refusing to listen on 0.0.0.0" in result.stderr
    assert "Booting worker" not in result.stderr


@pytest.mark.parametrize("args, named", [(["--workers", "0"], "--workers"), (["--threads", "-1"], "--threads")])
def test_serve_refuses_counts_below_one_naming_the_option(tmp_path, args, named):
    result = subprocess.run([sys.executable, "-m", "factcheck", "serve", *args, "--port", str(free_port())],
                            cwd=ROOT, env=server_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert named in result.stderr


@pytest.mark.parametrize("command, hint", [
    (["-m", "factcheck", "serve"], "--port"),
    (["-m", "factcheck", "serve", "--workers", "2"], "--port"),  # the gunicorn path
    (["app.py"], "PORT="),  # what scripts/serve runs; its port is the PORT setting
], ids=["waitress", "gunicorn", "app.py"])
def test_serve_on_a_port_in_use_says_so_in_one_line(tmp_path, command, hint):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = [*command, "--port", str(port)] if command[0] == "-m" else command
        result = subprocess.run([sys.executable, *args], cwd=ROOT, env=server_env(tmp_path, PORT=str(port)),
                                capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"127.0.0.1:{port} is already in use" in lines[0] and hint in lines[0], lines


def test_waitress_on_a_port_taken_after_the_check_says_so(tmp_path):
    """The check before the start cannot hold the port: one taken just after it is reported the same way."""
    from factcheck.serving import CannotListen, serve_waitress

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CannotListen, match=f"^127.0.0.1:{port} is already in use"):
            serve_waitress(lambda environ, start_response: [], "127.0.0.1", port, 1)


def test_log_in_with_redis_down_is_a_503_page_not_a_500(tmp_path):
    app = make_app(tmp_path, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    create_accounts(f"{tmp_path}/admin.db")
    response = failed_login(app.test_client())
    assert response.status_code == 503
    assert response.mimetype == "text/html" and int(response.headers["Retry-After"]) >= 1
    assert "Traceback" not in response.get_data(as_text=True)


def test_opening_the_admin_db_keeps_the_write_lock_of_another_connection(tmp_path):
    """Every API request opens the admin db; with several workers, opening it must not drop the SQLite lock another
    thread of the same process holds (closing any descriptor of the file would), or two processes write at once."""
    import sqlite3

    from factcheck import admin_db

    db = str(tmp_path / "admin.db")
    keys.create_key(db, "k", "client")
    os.chmod(db, 0o644)  # and a file others can read is still made private
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # this process holds the write lock (a request writing last_used_at)
    writer.execute("UPDATE api_keys SET name = 'changed'")
    admin_db.connect(db).close()  # another request thread of the same worker opens the file meanwhile
    probe = ("import sqlite3, sys\nc = sqlite3.connect(sys.argv[1], timeout=0, isolation_level=None)\n"
             "try:\n    c.execute('BEGIN IMMEDIATE')\n    print('acquired')\nexcept sqlite3.OperationalError as e:\n"
             "    print('blocked', e)\n")
    other_worker = subprocess.run([sys.executable, "-c", probe, db], capture_output=True, text=True, timeout=60)
    writer.execute("ROLLBACK")
    writer.close()
    assert other_worker.stdout.startswith("blocked"), other_worker.stdout + other_worker.stderr
    assert os.stat(db).st_mode & 0o077 == 0
