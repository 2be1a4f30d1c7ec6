"""Security fixes from the outside probe (issue 11): the admin database's file mode, revocable sessions, log-in
throttling, escaping in the TimelineJS export, http(s)-only appearance URLs, the loopback guard of an open API,
and URL fetching (addresses wrapped in IPv6 forms, one total deadline)."""
from __future__ import annotations

import os
import stat

import pytest

from factcheck import keys, users, webhooks
from factcheck.config import Config


# -- the admin database --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("create", [
    lambda db: users.create_user(db, "ann", "ann-password-1", "editor"),
    lambda db: keys.create_key(db, "me", "admin"),
    lambda db: webhooks.list_webhooks(db) or webhooks.delete_webhook(db, "whk-x") or users.list_users(db),
], ids=["account", "api key", "any first use"])
def test_admin_db_is_created_readable_by_its_owner_only(tmp_path, create):
    db = str(tmp_path / "instance" / "admin.db")
    old_umask = os.umask(0o022)  # the usual umask, which made the file 0644
    try:
        create(db)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600


def test_an_existing_world_readable_admin_db_is_tightened(tmp_path):
    db = str(tmp_path / "admin.db")
    users.create_user(db, "ann", "ann-password-1", "editor")
    os.chmod(db, 0o644)
    assert users.get_user(db, "ann") is not None
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600


@pytest.fixture
def app(make_app):
    """The app on each backend: SQLite files, or the Elasticsearch node (store and admin state)."""
    return make_app()


# -- sessions end when they should ---------------------------------------------------------------------------------

def _cookie_of(client) -> str:
    return client.get_cookie("session").value


def _with_cookie(app, cookie: str):
    """Another browser holding a copy of the session cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def _admin_db(app):
    return app.extensions["factcheck_admin"]


@pytest.mark.parametrize("end", ["log out", "new password", "disable", "delete"])
def test_a_copied_session_cookie_stops_working_when_the_session_ends(app, client, login, end):
    from .conftest import post_form

    login("eddie")
    copied = _cookie_of(client)
    assert _with_cookie(app, copied).get("/reviews").status_code == 200
    if end == "log out":
        assert post_form(client, "/logout").status_code == 302
    elif end == "new password":
        users.set_password(_admin_db(app), "eddie", "a brand new password")
    elif end == "disable":
        users.disable_user(_admin_db(app), "eddie")
    else:
        users.delete_user(_admin_db(app), "eddie")
    response = _with_cookie(app, copied).get("/reviews")
    assert response.status_code == 403 and "log in first" in response.get_data(as_text=True)


def test_a_disabled_account_cannot_log_in_until_enabled(app, client, accounts):
    from .conftest import post_form

    users.disable_user(_admin_db(app), "eddie")
    response = post_form(client, "/login", {"username": "eddie", "password": accounts["eddie"][1]})
    assert response.status_code == 403 and "This account is disabled" in response.get_data(as_text=True)
    users.enable_user(_admin_db(app), "eddie")
    assert post_form(client, "/login", {"username": "eddie", "password": accounts["eddie"][1]}).status_code == 302


def test_set_role_applies_to_the_next_request(app, client, login):
    login("eddie")
    assert client.get("/reviews").status_code == 200
    users.set_role(_admin_db(app), "eddie", "client")
    assert client.get("/reviews").status_code == 403


def test_users_cli_disable_enable_delete_set_role(tmp_path, monkeypatch, capsys):
    from factcheck.__main__ import main

    db = str(tmp_path / "admin.db")
    monkeypatch.setenv("FACTCHECK_ADMIN_DB", db)
    users.create_user(db, "ann", "ann-password-1", "factchecker")
    assert main(["users", "set-role", "--username", "ann", "--role", "editor"]) == 0
    assert main(["users", "disable", "--username", "ann"]) == 0
    capsys.readouterr()
    assert main(["users", "list"]) == 0
    assert "ann\teditor\tdisabled " in capsys.readouterr().out
    assert main(["users", "enable", "--username", "ann"]) == 0
    assert users.get_user(db, "ann").disabled is False
    assert main(["users", "delete", "--username", "ann"]) == 0
    assert users.get_user(db, "ann") is None
    capsys.readouterr()
    assert main(["users", "disable", "--username", "nobody"]) == 2
    assert "no account 'nobody'" in capsys.readouterr().err


def test_an_admin_db_made_before_session_versions_is_upgraded(tmp_path):
    import sqlite3

    db = str(tmp_path / "admin.db")
    with sqlite3.connect(db) as conn:  # the table as the first release made it
        conn.execute("CREATE TABLE users (username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL,"
                     " created_at TEXT NOT NULL)")
        conn.execute("INSERT INTO users VALUES ('old', 'x', 'editor', '2024-01-01')")
    assert users.get_user(db, "old") == users.User("old", "editor", 1, None)


# -- log-in throttling ---------------------------------------------------------------------------------------------

def test_failed_log_ins_are_throttled_per_account(app, client, accounts):
    from .conftest import post_form

    statuses = [post_form(client, "/login", {"username": "fiona", "password": f"guess {n}"}).status_code
                for n in range(6)]
    assert statuses == [401] * 5 + [429]
    refused = post_form(client, "/login", {"username": "fiona", "password": accounts["fiona"][1]})
    assert refused.status_code == 429  # even the right password, while the account's window is full
    assert "Too many failed log-ins for this account" in refused.get_data(as_text=True)
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # another account from the same address is not locked out by fiona's failures
    assert post_form(client, "/login", {"username": "eddie", "password": accounts["eddie"][1]}).status_code == 302


def test_failed_log_ins_are_throttled_per_address(app, accounts):
    from .conftest import post_form

    client = app.test_client()
    statuses = [post_form(client, "/login", {"username": f"name-{n}", "password": "guess"}).status_code
                for n in range(21)]
    assert statuses == [401] * 20 + [429]
    refused = post_form(client, "/login", {"username": "eddie", "password": accounts["eddie"][1]})
    assert refused.status_code == 429 and "from your address" in refused.get_data(as_text=True)
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "127.0.0.2"
    assert post_form(elsewhere, "/login", {"username": "eddie", "password": accounts["eddie"][1]}).status_code == 302


# -- an API with no key is for this machine only, whatever serves it ----------------------------------------------

ENDPOINTS = [("get", "/api/v1/sources"), ("post", "/api/v1/sources"), ("get", "/api/v1/webhooks"),
             ("post", "/api/v1/checks"), ("get", "/api/v1/reviews")]


@pytest.mark.parametrize("method, path", ENDPOINTS)
@pytest.mark.parametrize("remote, headers", [
    ("203.0.113.5", {}),
    ("10.0.0.7", {}),
    ("127.0.0.1", {"X-Forwarded-For": "203.0.113.5"}),  # relayed by a proxy on this machine
    ("127.0.0.1", {"Forwarded": "for=203.0.113.5"}),
], ids=["public address", "private address", "via X-Forwarded-For", "via Forwarded"])
def test_an_api_without_keys_refuses_callers_that_are_not_local(app, method, path, remote, headers):
    from .test_api import assert_problem

    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = remote
    body = {"claim": "x", "text": "x"} if method == "post" else None
    problem = assert_problem(getattr(client, method)(path, json=body, headers=headers), 403)
    assert "no keys yet" in problem["detail"] and "keys create" in problem["detail"]


@pytest.mark.parametrize("remote", ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
def test_an_api_without_keys_stays_open_on_loopback(app, remote):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = remote
    assert client.get("/api/v1/sources").status_code == 200


def test_once_a_key_exists_remote_callers_authenticate_as_usual(app):
    _, token = keys.create_key(app.extensions["factcheck_admin"], "ops", "client")
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.5"
    assert client.get("/api/v1/sources").status_code == 401
    assert client.get("/api/v1/sources", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def _non_loopback_address():
    import socket

    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
        address = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if address.startswith("127.") else address


def test_waitress_listening_on_all_addresses_still_refuses_a_remote_caller(app):
    """The probe's case: `waitress-serve --listen 0.0.0.0:...` with no key. A real server, a real socket from
    this machine's own non-loopback address."""
    import threading
    import urllib.error
    import urllib.request

    from waitress.server import create_server

    from .services import unavailable

    address = _non_loopback_address()
    if address is None:
        unavailable("this machine has no non-loopback IPv4 address to call the server from")
    server = create_server(app, host="0.0.0.0", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        port = server.effective_port
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://{address}:{port}/api/v1/webhooks", timeout=10)
        assert refused.value.code == 403
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/webhooks", timeout=10) as local:
            assert local.status == 200
    finally:
        server.close()
        thread.join(5)


# -- URL fetching: private addresses in IPv6 clothing, and one deadline for the whole fetch -------------------------

WRAPPED_PRIVATE = [
    ("2002:7f00:1::", "6to4 form of 127.0.0.1, loopback"),
    ("2002:a00:1::", "6to4 form of 10.0.0.1, private"),
    ("2002:a9fe:a9fe::", "6to4 form of 169.254.169.254, link-local"),
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "Teredo form of 127.0.0.1, loopback"),
    ("64:ff9b::7f00:1", "NAT64 form of 127.0.0.1, loopback"),
    ("64:ff9b::a9fe:a9fe", "NAT64 form of 169.254.169.254, link-local"),
    ("64:ff9b:1::a00:1", "local-use NAT64"),
    ("::ffff:127.0.0.1", "IPv4-mapped form of 127.0.0.1, loopback"),
    ("::ffff:192.168.1.1", "IPv4-mapped form of 192.168.1.1, private"),
    ("::127.0.0.1", "reserved"),
]


@pytest.mark.parametrize("address, reason", WRAPPED_PRIVATE, ids=[a for a, _ in WRAPPED_PRIVATE])
def test_ipv6_forms_of_private_addresses_are_refused_for_ingest_and_webhooks(tmp_path, address, reason):
    from factcheck.fetch import fetch_url
    from factcheck.ingest import IngestError

    config = Config(admin_db=str(tmp_path / "admin.db"))
    with pytest.raises(IngestError) as refused:
        fetch_url(f"http://[{address}]/", config)
    assert f"refused: private address {address} ({reason})" in refused.value.reason
    with pytest.raises(webhooks.WebhookError) as hook:
        webhooks.register(config.admin_db, config, f"http://[{address}]:8080/hook", ["check.completed"])
    assert hook.value.field == "url" and reason in hook.value.reason


@pytest.mark.parametrize("address", ["2002:5db8:d822::", "64:ff9b::5db8:d822", "2606:4700::1111"])
def test_ipv6_forms_of_public_addresses_are_not_refused(address):
    import ipaddress

    from factcheck.fetch import _forbidden_kind

    assert _forbidden_kind(ipaddress.ip_address(address)) is None


@pytest.fixture
def slow_server():
    """A server that answers with a status line, then one header line per second for 40 seconds."""
    import socket
    import threading
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()

    def drip(conn):
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
                for number in range(40):
                    if stop.wait(1):
                        return
                    conn.sendall(f"X-Drip-{number}: {number}\r\n".encode())
            except OSError:
                return  # the client gave up: what we want

    def serve():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=drip, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    listener.close()
    time.sleep(0)


def test_a_fetch_ends_at_its_deadline_however_slowly_the_headers_come(tmp_path, slow_server):
    import time

    from factcheck.fetch import fetch_url
    from factcheck.ingest import IngestError

    config = Config(url_timeout=2, allow_private_urls=True, admin_db=str(tmp_path / "admin.db"))
    started = time.monotonic()
    with pytest.raises(IngestError) as caught:
        fetch_url(slow_server + "/page", config)
    assert caught.value.reason == "timed out after 2 s"
    assert time.monotonic() - started < 10  # the server would have held it for 40 s


def test_a_webhook_delivery_ends_at_its_deadline(tmp_path, slow_server):
    import time

    config = Config(webhook_timeout=2, webhook_attempts=1, allow_private_urls=True,
                    admin_db=str(tmp_path / "admin.db"))
    hook = webhooks.register(config.admin_db, config, slow_server + "/hook", ["check.completed"])
    dispatcher = webhooks.Dispatcher(config)
    started = time.monotonic()
    assert dispatcher.publish("check.completed", {"check_id": "chk-1"}) == 1
    assert dispatcher.wait_idle(timeout=30)
    assert time.monotonic() - started < 10
    [attempt] = webhooks.list_deliveries(config.admin_db, hook.id)
    assert attempt["success"] is False and attempt["error"] == "timed out after 2 s"
    dispatcher.stop()


def test_cors_only_for_configured_origins_on_read_only_routes(tmp_path):
    """FACTCHECK_CORS_ORIGINS opens the read-only JSON routes to those origins; pages with sessions and every
    write route stay closed to other sites."""
    from factcheck import create_app

    app = create_app({"store_url": f"sqlite:///{tmp_path}/fc.db", "elasticsearch_url": None, "load_demo": False,
                      "admin_db": str(tmp_path / "admin.db"), "cors_origins": "https://news.example, https://b.example/"})
    client = app.test_client()

    def allowed(method, url, origin="https://news.example", **kwargs):
        response = client.open(url, method=method, headers={"Origin": origin,
                                                            "Access-Control-Request-Method": "GET"}, **kwargs)
        return response.headers.get("Access-Control-Allow-Origin")

    assert allowed("GET", "/timeline.json?q=library") == "https://news.example"
    assert allowed("GET", "/timeline.json?q=library", origin="https://b.example") == "https://b.example"
    assert client.get("/timeline.json?q=x", headers={"Origin": "https://news.example"}).headers["Vary"] == "Origin"
    assert allowed("GET", "/api/v1/sources") == "https://news.example"
    assert allowed("OPTIONS", "/api/v1/sources") == "https://news.example"
    preflight = client.options("/api/v1/sources", headers={"Origin": "https://news.example",
                                                           "Access-Control-Request-Method": "POST"})
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET, HEAD"  # the browser will not send the POST
    assert allowed("GET", "/timeline.json?q=library", origin="https://evil.example") is None
    assert allowed("GET", "/timeline.json?q=library", origin="null") is None
    for method, url in (("GET", "/"), ("GET", "/timeline?q=library"), ("GET", "/reviews"), ("GET", "/login"),
                        ("POST", "/check"), ("POST", "/api/v1/checks"), ("POST", "/api/v1/sources"),
                        ("GET", "/api/v1/reviews"), ("GET", "/api/v1/webhooks"), ("OPTIONS", "/api/v1/checks")):
        assert allowed(method, url) is None, (method, url)
    unset = create_app({"store_url": f"sqlite:///{tmp_path}/fc2.db", "elasticsearch_url": None,
                        "load_demo": False, "admin_db": str(tmp_path / "admin2.db")}).test_client()
    assert "Access-Control-Allow-Origin" not in unset.get("/timeline.json?q=x",
                                                          headers={"Origin": "https://news.example"}).headers
