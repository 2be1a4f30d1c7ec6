"""The admin state (accounts, API keys, webhooks, the delivery queue) on both backends: the admin SQLite file and
the Elasticsearch node. Uniqueness between concurrent writers, leases that one worker holds at a time, deliveries
that survive a stopped worker and are sent once by two, and the API key cache."""
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from factcheck import keys, users, webhooks
from factcheck.admin_state import SqliteAdminState, Taken


@pytest.fixture
def admin_app(make_app):
    return make_app(allow_private_urls=True, webhook_backoff=0.05, webhook_attempts=3, webhook_timeout=5)


@pytest.fixture
def state(admin_app):
    return admin_app.extensions["factcheck_admin"]


def other_state(app):
    """The same admin state opened as another process would: another object, another client or connection."""
    from factcheck.admin_state import open_admin

    return open_admin(app.extensions["factcheck_config"])


def test_the_backend_follows_the_store(admin_app, make_app):
    state = admin_app.extensions["factcheck_admin"]
    assert isinstance(state, SqliteAdminState) == (make_app.backend == "sqlite")


def test_one_name_one_account_when_created_at_once(admin_app):
    states = [other_state(admin_app) for _ in range(6)]

    def create(state):
        try:
            users.create_user(state, "ann", "ann-password-1", "editor")
            return "created"
        except users.UserError as exc:
            return str(exc)

    with ThreadPoolExecutor(len(states)) as pool:
        outcomes = list(pool.map(create, states))
    assert outcomes.count("created") == 1, outcomes
    assert all("taken" in outcome for outcome in outcomes if outcome != "created")
    assert [u.username for u in users.list_users(states[0])] == ["ann"]


def test_account_changes_are_seen_by_every_server(admin_app):
    here, there = admin_app.extensions["factcheck_admin"], other_state(admin_app)
    users.create_user(here, "ann", "ann-password-1", "editor")
    assert users.get_user(there, "ann").session_version == 1
    users.end_sessions(there, "ann")
    users.set_password(there, "ann", "a new password")
    assert users.get_user(here, "ann").session_version == 3
    assert users.authenticate(here, "ann", "ann-password-1") is None
    assert users.authenticate(here, "ann", "a new password").role == "editor"
    users.disable_user(there, "ann")
    users.disable_user(there, "ann")  # twice: keeps the first time
    disabled = users.get_user(here, "ann")
    assert disabled.disabled and disabled.session_version == 5
    users.enable_user(here, "ann")
    users.set_role(here, "ann", "client")
    assert users.get_user(there, "ann") == users.User("ann", "client", 5, None)
    users.delete_user(there, "ann")
    assert users.get_user(here, "ann") is None
    with pytest.raises(users.UserError, match="no account"):
        users.end_sessions(here, "ann")


def test_keys_list_revoke_and_authenticate(state):
    first, first_token = keys.create_key(state, "first", "admin")
    second, second_token = keys.create_key(state, "second", "client")
    assert sorted(k.id for k in keys.list_keys(state)) == sorted([first.id, second.id])
    assert keys.authenticate(state, second_token).role == "client"
    assert {k.id: k.last_used_at is not None for k in keys.list_keys(state)} == {first.id: False, second.id: True}
    assert keys.revoke_key(state, first.id).revoked_at is not None
    assert keys.authenticate(state, first_token) is None
    assert keys.any_keys(state)
    with pytest.raises(keys.ApiKeyError):
        keys.revoke_key(state, "key-missing")


# -- the API key cache ----------------------------------------------------------------------------------------------

def test_a_key_revoked_elsewhere_stops_working_within_the_cache_ttl(admin_app):
    state = admin_app.extensions["factcheck_admin"]
    cache = keys.KeyCache(state, ttl=0.5)
    key, token = keys.create_key(state, "ops", "client")
    assert cache.authenticate(token).id == key.id
    keys.revoke_key(other_state(admin_app), key.id)  # as `keys revoke` in another process does
    assert cache.authenticate(token) is not None  # still trusted: the documented window
    time.sleep(0.6)
    assert cache.authenticate(token) is None


def test_a_key_revoked_in_this_process_stops_at_once(make_app):
    app = make_app(key_cache_seconds=60)
    state = app.extensions["factcheck_admin"]
    key, token = keys.create_key(state, "ops", "client")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/sources", headers=headers).status_code == 200
    keys.revoke_key(state, key.id)
    assert client.get("/api/v1/sources", headers=headers).status_code == 401


class CountingState:
    """The real state, counting the last_used_at writes that reach it."""

    def __init__(self, state):
        self.state, self.touches = state, []

    def __getattr__(self, name):
        return getattr(self.state, name)

    def touch_keys(self, used):
        self.touches.append(dict(used))
        self.state.touch_keys(used)


def test_last_used_is_written_at_most_once_a_minute_per_key(state):
    now = [1000.0]
    counting = CountingState(state)
    cache = keys.KeyCache(counting, ttl=5, touch_every=60, clock=lambda: now[0])
    key, token = keys.create_key(state, "busy", "client")
    for _ in range(20):  # 20 requests within ten seconds: one write
        assert cache.authenticate(token) is not None
        now[0] += 0.5
    assert len(counting.touches) == 1
    assert keys.list_keys(state)[0].last_used_at is not None
    now[0] += 60
    cache.authenticate(token)
    assert len(counting.touches) == 2
    cache.authenticate(token)
    cache.flush()  # what the app does when it goes away
    assert len(counting.touches) == 3 and counting.touches[-1] == {key.id: counting.touches[-1][key.id]}


# -- the delivery queue ---------------------------------------------------------------------------------------------

def _row(event_id, webhook_id="whk-1", due=0):
    return {"id": f"{event_id}:{webhook_id}", "webhook_id": webhook_id, "event_id": event_id, "event": "check.completed",
            "body": b'{"x": 1}', "attempt": 1, "next_attempt_at": due, "created_at": "2026-01-01T00:00:00+00:00"}


def test_a_lease_is_held_by_one_worker_until_it_expires(state):
    state.enqueue([_row("evt-1")])
    [mine] = state.claim("a", now_ms=1000, lease_ms=500, limit=10)
    assert mine["body"] == b'{"x": 1}' and mine["attempt"] == 1
    assert state.claim("b", now_ms=1200, lease_ms=500, limit=10) == []  # leased to a
    assert state.queue_state(1200) == (1, 1500)
    [theirs] = state.claim("b", now_ms=1600, lease_ms=500, limit=10)  # a's lease ran out
    assert state.settle(mine) is False  # a lost it: it may not finish b's delivery
    assert state.settle(theirs, next_attempt_at_ms=5000) is True
    [again] = state.claim("a", now_ms=5000, lease_ms=500, limit=10)
    assert again["attempt"] == 2
    assert state.settle(again) is True
    assert state.queue_state(6000) == (0, None)


def test_many_workers_claim_each_row_once(state, admin_app):
    state.enqueue([_row(f"evt-{n}") for n in range(30)])
    workers = [other_state(admin_app) for _ in range(4)]
    claimed = []
    lock = threading.Lock()

    def drain(worker_number):
        worker = workers[worker_number]
        while True:
            rows = worker.claim(f"w{worker_number}", now_ms=1000, lease_ms=60_000, limit=5)
            if not rows:
                return
            with lock:
                claimed.extend(row["id"] for row in rows)

    with ThreadPoolExecutor(len(workers)) as pool:
        list(pool.map(drain, range(len(workers))))
    assert sorted(claimed) == sorted(f"evt-{n}:whk-1" for n in range(30))


@pytest.fixture
def receiver():
    """A local HTTP server recording each POST body; answers after a short pause, `statuses` in turn (then 200)."""
    received, statuses = [], []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(0.02)
            with lock:  # requests come in on several threads
                received.append({"body": json.loads(body), "attempt": self.headers["X-Factcheck-Attempt"]})
                status = statuses.pop(0) if statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {"url": f"http://127.0.0.1:{server.server_port}/hook", "received": received, "statuses": statuses}
    server.shutdown()
    server.server_close()


def test_a_delivery_pending_when_the_worker_stops_is_sent_by_the_next_app(admin_app, make_app, receiver):
    config = admin_app.extensions["factcheck_config"]
    webhooks.register(admin_app.extensions["factcheck_admin"], config, receiver["url"], ["check.completed"])
    first = admin_app.extensions["factcheck_webhooks"]
    first.stop()  # the process is going away before its worker sent anything
    assert first.publish("check.completed", {"check_id": "chk-1"}) == 1
    time.sleep(0.3)
    assert receiver["received"] == []

    restarted = make_app(allow_private_urls=True, webhook_backoff=0.05, webhook_attempts=3, webhook_timeout=5)
    assert restarted.extensions["factcheck_webhooks"].wait_idle(20)
    assert [r["body"]["data"] for r in receiver["received"]] == [{"check_id": "chk-1"}]


def test_two_apps_on_one_state_send_each_delivery_once(admin_app, make_app, receiver):
    config = admin_app.extensions["factcheck_config"]
    webhooks.register(admin_app.extensions["factcheck_admin"], config, receiver["url"], ["check.completed"])
    other = make_app(allow_private_urls=True, webhook_backoff=0.05, webhook_attempts=3, webhook_timeout=5)
    dispatchers = [admin_app.extensions["factcheck_webhooks"], other.extensions["factcheck_webhooks"]]
    receiver["statuses"].extend([500, 200, 500])  # two failed attempts need a retry, which either worker may send
    for number in range(12):
        assert dispatchers[number % 2].publish("check.completed", {"n": number}) == 1
    assert all(d.wait_idle(60) for d in dispatchers)
    sent = {}
    for request in receiver["received"]:
        sent.setdefault(request["body"]["data"]["n"], []).append(request["attempt"])
    assert sorted(sent) == list(range(12))
    # Each attempt of each delivery sent once, in order, and one retry for each of the two failures. Which
    # delivery a 500 lands on depends on arrival order: a retry can itself be the one answered 500 (1, 2, 3).
    assert all(numbers == [str(n) for n in range(1, len(numbers) + 1)] for numbers in sent.values()), sent
    assert sum(len(numbers) for numbers in sent.values()) == 12 + 2, sent


def test_deleting_a_webhook_drops_its_pending_deliveries(state, admin_app, receiver):
    hook = webhooks.register(state, admin_app.extensions["factcheck_config"], receiver["url"], ["check.completed"])
    dispatcher = admin_app.extensions["factcheck_webhooks"]
    dispatcher.stop()
    dispatcher.publish("check.completed", {"n": 1})
    assert state.queue_state(int(time.time() * 1000))[0] == 1
    assert webhooks.delete_webhook(state, hook.id)
    assert state.queue_state(int(time.time() * 1000))[0] == 0


def test_taken_ids_are_refused_by_both_backends(state):
    state.insert_key({"id": "key-1", "name": "a", "role": "client", "key_hash": "h" * 64,
                      "created_at": "2026-01-01T00:00:00+00:00"})
    with pytest.raises(Taken):
        state.insert_key({"id": "key-2", "name": "b", "role": "client", "key_hash": "h" * 64,
                          "created_at": "2026-01-01T00:00:00+00:00"})


def test_the_command_line_writes_where_the_app_reads(admin_app, make_app, monkeypatch, capsys):
    """`keys create`, `users create` and `indexes status` use the admin state of the configured store."""
    import io

    from factcheck.__main__ import main

    config = admin_app.extensions["factcheck_config"]
    monkeypatch.setenv("FACTCHECK_ADMIN_DB", config.admin_db)
    if config.elasticsearch_url:
        monkeypatch.setenv("ELASTICSEARCH_URL", config.elasticsearch_url)
        monkeypatch.setenv("FACTCHECK_INDEX_PREFIX", config.index_prefix)
    else:
        monkeypatch.delenv("ELASTICSEARCH_URL", raising=False)
    assert main(["keys", "create", "--name", "ops", "--role", "admin"]) == 0
    token = capsys.readouterr().out.split("key: ")[1].split()[0]
    monkeypatch.setattr("sys.stdin", io.StringIO("ann-password-1\n"))
    assert main(["users", "create", "--username", "ann", "--role", "editor", "--password-stdin"]) == 0
    capsys.readouterr()

    state = admin_app.extensions["factcheck_admin"]
    assert keys.authenticate(state, token).name == "ops"
    assert users.authenticate(state, "ann", "ann-password-1").role == "editor"
    assert admin_app.test_client().get("/api/v1/webhooks",
                                       headers={"Authorization": f"Bearer {token}"}).status_code == 200
    if config.elasticsearch_url:
        assert main(["indexes", "status"]) == 0
        status = capsys.readouterr().out
        assert all(f"{config.index_prefix}-{kind}" in status
                   for kind in ("users", "api_keys", "webhooks", "webhook_queue", "webhook_deliveries"))
