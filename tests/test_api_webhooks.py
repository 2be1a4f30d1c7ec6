"""Webhooks: registration rules, signed deliveries to a local HTTP server, retries with backoff, the attempt log."""
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from factcheck import create_app

from .test_api import GENEVA_CLAIM, assert_problem

SECRET = "a-test-secret-of-enough-length"


@pytest.fixture
def receiver():
    """A local HTTP server recording each POST; `statuses` are answered in turn (then 200)."""
    received, statuses = [], []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"headers": dict(self.headers), "body": body, "path": self.path})
            self.send_response(statuses.pop(0) if statuses else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_port}/hook?x=1", "received": received, "statuses": statuses}
    server.shutdown()
    server.server_close()


@pytest.fixture
def hook_app(make_app):
    """The app on each backend, allowed to deliver to loopback, with fast retries."""
    return make_app(allow_private_urls=True, webhook_backoff=0.05, webhook_attempts=3, webhook_timeout=5)


@pytest.fixture
def app(make_app):
    """The app on each backend: SQLite files, or the Elasticsearch node (store and admin state)."""
    return make_app()


def _wait(app):
    assert app.extensions["factcheck_webhooks"].wait_idle(15), "deliveries did not finish"


def test_delivery_is_signed_and_retried_after_a_500(hook_app, receiver, seed_store):
    client = hook_app.test_client()
    receiver["statuses"].append(500)
    created = client.post("/api/v1/webhooks", json={"url": receiver["url"], "events": ["check.completed"],
                                                    "secret": SECRET})
    assert created.status_code == 201, created.get_data(as_text=True)
    hook = created.get_json()
    assert hook["secret"] == SECRET
    assert "secret" not in client.get("/api/v1/webhooks").get_json()["items"][0]

    check = client.post("/api/v1/checks", json={"claim": GENEVA_CLAIM}).get_json()
    _wait(hook_app)

    assert len(receiver["received"]) == 2
    for request in receiver["received"]:
        expected = "sha256=" + hmac.new(SECRET.encode(), request["body"], hashlib.sha256).hexdigest()
        assert request["headers"]["X-Factcheck-Signature"] == expected
        assert request["headers"]["X-Factcheck-Event"] == "check.completed"
        assert request["path"] == "/hook?x=1"
    payload = json.loads(receiver["received"][1]["body"])
    assert payload["event"] == "check.completed" and payload["data"]["check_id"] == check["id"]
    assert payload["id"] == json.loads(receiver["received"][0]["body"])["id"]  # same event, retried

    attempts = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries").get_json()["items"]
    assert [(a["attempt"], a["status_code"], a["success"]) for a in attempts] == [(2, 200, True), (1, 500, False)]
    assert attempts[1]["error"] == "HTTP 500" and attempts[1]["next_attempt_at"]


def test_attempts_are_bounded(hook_app, receiver):
    client = hook_app.test_client()
    receiver["statuses"].extend([503] * 10)
    hook = client.post("/api/v1/webhooks", json={"url": receiver["url"], "events": ["check.completed"]}).get_json()
    assert len(hook["secret"]) >= 32  # generated
    client.post("/api/v1/checks", json={"claim": "Ministers met"})
    _wait(hook_app)
    attempts = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries").get_json()["items"]
    assert [a["attempt"] for a in attempts] == [3, 2, 1]
    assert not any(a["success"] for a in attempts) and attempts[0]["next_attempt_at"] is None


def test_connection_error_is_recorded(hook_app):
    import socket

    with socket.socket() as probe:  # a port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = hook_app.test_client()
    hook = client.post("/api/v1/webhooks", json={"url": f"http://127.0.0.1:{port}/",
                                                 "events": ["check.completed"]}).get_json()
    client.post("/api/v1/checks", json={"claim": "Ministers met"})
    _wait(hook_app)
    attempts = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries").get_json()["items"]
    assert len(attempts) == 3 and all(a["status_code"] is None and a["error"] for a in attempts)


def test_review_published_event(hook_app, receiver, seed_store):
    client = hook_app.test_client()
    client.post("/api/v1/webhooks", json={"url": receiver["url"], "events": ["review.published"]})
    client.post("/api/v1/sources", json={"id": "s1", "text": "Ministers met in Geneva on 14 May 2024.",
                                         "published_at": "2024-05-15"})
    check = client.post("/api/v1/checks", json={"claim": GENEVA_CLAIM}).get_json()
    etag = client.post("/api/v1/reviews", json={"check_id": check["id"]}).headers["ETag"]
    for body in ({"status": "in_review"}, {"status": "overridden", "rating": "REFUTED"},
                 {"status": "published", "explanation": "Because."}):
        response = client.patch(f"/api/v1/reviews/{check['id']}", json=body, headers={"If-Match": etag})
        assert response.status_code == 200, response.get_data(as_text=True)
        etag = response.headers["ETag"]
    _wait(hook_app)
    events = [json.loads(r["body"]) for r in receiver["received"]]
    assert [e["event"] for e in events] == ["review.published"]  # check.completed was not subscribed
    assert events[0]["data"]["claimreview"]["@type"] == "ClaimReview"


def test_delete_webhook(hook_app, receiver):
    client = hook_app.test_client()
    hook = client.post("/api/v1/webhooks", json={"url": receiver["url"], "events": ["check.completed"]}).get_json()
    assert client.delete(f"/api/v1/webhooks/{hook['id']}").status_code == 204
    assert_problem(client.delete(f"/api/v1/webhooks/{hook['id']}"), 404)
    assert_problem(client.get(f"/api/v1/webhooks/{hook['id']}/deliveries"), 404)
    client.post("/api/v1/checks", json={"claim": "Ministers met"})
    _wait(hook_app)
    assert receiver["received"] == []


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/hook", "http://[::1]/hook", "http://10.1.2.3/hook",
                                 "http://localhost:8080/hook"])
def test_registration_to_a_private_address_is_refused_by_policy(client, url):
    problem = assert_problem(client.post("/api/v1/webhooks", json={"url": url, "events": ["check.completed"]}), 403)
    assert "refused: private address" in problem["errors"]["url"][0], problem


def test_registration_to_a_host_that_does_not_resolve_yet_is_accepted(client):
    response = client.post("/api/v1/webhooks", json={"url": "https://hooks.invalid/x", "events": ["check.completed"]})
    assert response.status_code == 201, response.get_data(as_text=True)


@pytest.mark.parametrize("body, field, reason", [
    ({"url": "ftp://example.org/hook", "events": ["check.completed"]}, "url", "http:// or https://"),
    ({"url": "https://user:pw@example.org/", "events": ["check.completed"]}, "url", "no user name or password"),
    ({"url": "https://example.org:99999/", "events": ["check.completed"]}, "url", "http:// or https://"),
    ({"url": "https://example.org/", "events": ["check.deleted"]}, "events", "Must be one of"),
    ({"url": "https://example.org/", "events": []}, "events", ""),
    ({"url": "https://example.org/", "events": ["check.completed"], "secret": "short"}, "secret", ""),
])
def test_registration_is_validated(client, body, field, reason):
    problem = assert_problem(client.post("/api/v1/webhooks", json=body), 422)
    named = [key for key in problem["errors"] if key == field or key.startswith(field + ".")]  # "events.0"
    assert named, problem
    assert any(reason in r for key in named for r in problem["errors"][key]), problem
