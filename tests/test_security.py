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


# -- sessions end when they should ---------------------------------------------------------------------------------

def _cookie_of(client) -> str:
    return client.get_cookie("session").value


def _with_cookie(app, cookie: str):
    """Another browser holding a copy of the session cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def _admin_db(app) -> str:
    return app.extensions["factcheck_config"].admin_db


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
