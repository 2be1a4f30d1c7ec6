"""API keys and roles: every endpoint × every role, 401 vs 403, revoked keys, the open mode, the rate limit."""
import pytest

from factcheck import create_app, keys
from factcheck.roles import ROLES, allowed

from .test_api import assert_problem

# (method, path, body, permission): every /api/v1 operation (test_matrix_covers_every_route checks that).
ENDPOINTS = [
    ("post", "/api/v1/checks", {"claim": "Ministers met in Geneva"}, "check"),
    ("get", "/api/v1/checks/chk-missing", None, "read"),
    ("post", "/api/v1/checks/batch", {"claims": [{"claim": "Ministers met in Geneva"}]}, "check"),
    ("get", "/api/v1/checks/chk-missing/claimreview", None, "read"),
    ("get", "/api/v1/checks?similar_to=Ministers+met+in+Geneva", None, "read"),
    ("post", "/api/v1/spot", {"sentences": [{"text": "Ministers met in Geneva."}]}, "check"),
    ("post", "/api/v1/sources", {"text": "A short text written for this test."}, "ingest"),
    ("get", "/api/v1/sources", None, "read"),
    ("get", "/api/v1/sources/src-missing", None, "read"),
    ("get", "/api/v1/sources/src-missing/versions", None, "read"),
    ("get", "/api/v1/sources/src-missing/versions/1", None, "read"),
    ("get", "/api/v1/timeline?q=Geneva", None, "read"),
    ("post", "/api/v1/reviews", {"check_id": "chk-missing"}, "ingest"),
    ("get", "/api/v1/reviews", None, "review"),
    ("get", "/api/v1/reviews/chk-missing", None, "review"),
    ("patch", "/api/v1/reviews/chk-missing", {"assignee": "ed"}, "review"),
    ("post", "/api/v1/webhooks", {"url": "ftp://example.org/", "events": ["check.completed"]}, "admin"),
    ("get", "/api/v1/webhooks", None, "admin"),
    ("delete", "/api/v1/webhooks/whk-missing", None, "admin"),
    ("get", "/api/v1/webhooks/whk-missing/deliveries", None, "admin"),
]


@pytest.fixture
def app(make_app):
    """The app on each backend: SQLite files, or the Elasticsearch node (store and admin state)."""
    return make_app()


@pytest.fixture
def tokens(app):
    """One live key per role: {role: token}."""
    db = app.extensions["factcheck_admin"]
    return {role: keys.create_key(db, f"test-{role}", role)[1] for role in ROLES}


def call(client, method, path, body=None, token=None, headers=None):
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if method == "patch":
        headers.setdefault("If-Match", '"1"')
    kwargs = {"json": body} if body is not None else {}
    return getattr(client, method)(path, headers=headers, **kwargs)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method, path, body, permission", ENDPOINTS,
                         ids=[f"{m.upper()} {p}" for m, p, _, _ in ENDPOINTS])
def test_role_matrix(client, tokens, role, method, path, body, permission):
    response = call(client, method, path, body, tokens[role])
    if allowed(role, permission):
        assert response.status_code not in (401, 403), (role, response.get_data(as_text=True))
        assert response.status_code < 500
    else:
        problem = assert_problem(response, 403)
        assert permission in problem["detail"]
        assert "WWW-Authenticate" not in response.headers


def test_expected_matrix_follows_the_roles():
    # the spot checks the issue names, so a change of PERMISSIONS is a visible decision
    assert allowed("client", "check") and allowed("client", "read") and not allowed("client", "ingest")
    assert allowed("factchecker", "ingest") and not allowed("factchecker", "review")
    assert allowed("editor", "review") and not allowed("editor", "admin")
    assert allowed("admin", "admin")


@pytest.mark.parametrize("method, path, body, permission", ENDPOINTS,
                         ids=[f"{m.upper()} {p}" for m, p, _, _ in ENDPOINTS])
def test_no_key_is_401_with_www_authenticate(client, tokens, method, path, body, permission):
    response = call(client, method, path, body)
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer fck_not-a-real-key", "Bearer ", "Basic dXNlcjpwYXNz", "fck_token"])
def test_bad_key_is_401(client, tokens, header):
    response = client.get("/api/v1/sources", headers={"Authorization": header})
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_key_is_401(app, client, tokens):
    db = app.extensions["factcheck_admin"]
    key, token = keys.create_key(db, "soon-revoked", "admin")
    assert client.get("/api/v1/sources", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    keys.revoke_key(db, key.id)
    response = client.get("/api/v1/sources", headers={"Authorization": f"Bearer {token}"})
    assert_problem(response, 401)
    assert "revoked" in response.get_json()["detail"]


def test_revoking_every_key_does_not_open_the_api(app, client):
    db = app.extensions["factcheck_admin"]
    key, _ = keys.create_key(db, "only", "admin")
    keys.revoke_key(db, key.id)
    assert_problem(client.get("/api/v1/sources"), 401)


def test_no_key_configured_means_open_api_with_every_role(client):
    assert client.get("/api/v1/webhooks").status_code == 200
    assert client.get("/api/v1/reviews").status_code == 200


def test_keys_are_stored_hashed(app, tokens):
    import json
    import sqlite3

    store = app.extensions["factcheck_store"]
    if hasattr(store, "es"):
        dump = json.dumps(store.es.search(index=store.alias("api_keys"), size=100).body)
        assert len(tokens) == dump.count('"key_hash"')
    else:
        dump = "\n".join(sqlite3.connect(app.extensions["factcheck_config"].admin_db).iterdump())
    for token in tokens.values():
        assert token not in dump


def test_matrix_covers_every_route(app):
    import re

    covered = {(m.upper(), re.sub(r"/((chk|src|whk)-missing|1$)", "/<>", p.split("?")[0])) for m, p, _, _ in ENDPOINTS}
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and not rule.rule.endswith("openapi.json"):
            path = re.sub(r"<[^>]+>", "<>", rule.rule)
            routes |= {(method, path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == covered


def test_rate_limit_is_429_with_retry_after(tmp_path):
    app = create_app({"store_url": f"sqlite:///{tmp_path}/fc.db", "elasticsearch_url": None, "load_demo": False,
                      "admin_db": f"{tmp_path}/admin.db", "rate_limit": "3/minute", "TESTING": True})
    db = app.extensions["factcheck_admin"]
    first = keys.create_key(db, "first", "client")[1]
    second = keys.create_key(db, "second", "client")[1]
    client = app.test_client()
    statuses = [client.get("/api/v1/sources", headers={"Authorization": f"Bearer {first}"}).status_code
                for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/sources", headers={"Authorization": f"Bearer {first}"})
    assert_problem(response, 429)
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    # the limit is per key
    assert client.get("/api/v1/sources", headers={"Authorization": f"Bearer {second}"}).status_code == 200
    app.extensions["factcheck_store"].close()


@pytest.mark.parametrize("text, expected", [("120/minute", (120, 60.0)), ("10/second", (10, 1.0)),
                                            ("5000/hour", (5000, 3600.0)), ("0", None), ("off", None)])
def test_parse_rate(text, expected):
    from factcheck.api.auth import parse_rate

    assert parse_rate(text) == expected


def test_bad_rate_setting_is_refused():
    from factcheck.api.auth import parse_rate

    with pytest.raises(ValueError, match="FACTCHECK_RATE_LIMIT"):
        parse_rate("lots")


def test_serve_guard(tmp_path):
    db = str(tmp_path / "admin.db")
    ok, message = keys.serve_guard(db, "127.0.0.1")
    assert ok and "warning" in message
    ok, message = keys.serve_guard(db, "0.0.0.0")
    assert not ok and "refusing" in message
    keys.create_key(db, "ops", "admin")
    assert keys.serve_guard(db, "0.0.0.0") == (True, None)


def test_keys_cli(tmp_path, monkeypatch, capsys):
    from factcheck.__main__ import main

    monkeypatch.setenv("FACTCHECK_ADMIN_DB", str(tmp_path / "admin.db"))
    assert main(["keys", "create", "--name", "me", "--role", "editor"]) == 0
    out = capsys.readouterr().out
    key_id = out.split()[1]
    token = next(line.split()[1] for line in out.splitlines() if line.startswith("key: "))
    assert keys.authenticate(str(tmp_path / "admin.db"), token).role == "editor"
    assert main(["keys", "list"]) == 0
    assert "me" in capsys.readouterr().out
    assert main(["keys", "revoke", key_id]) == 0
    assert keys.authenticate(str(tmp_path / "admin.db"), token) is None
    assert main(["keys", "revoke", "key-nope"]) == 2
