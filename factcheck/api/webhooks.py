"""API: webhooks (admin): register, list, delete, and read the delivery attempts. Delivery is in webhooks.py."""
from __future__ import annotations

from flask import current_app, url_for
from flask_smorest import Blueprint

from .. import schemas as s
from .. import webhooks
from .auth import requires
from .shared import API_PREFIX, admin, config, json_response, problem, validation_problem

bp = Blueprint("webhooks", __name__, url_prefix=API_PREFIX,
               description="Signed HTTP callbacks on check.completed and review.published (admin keys).")


@bp.route("/webhooks", methods=["POST"])
@requires("admin")
@bp.doc(responses={"201": {"links": {
    "ListDeliveries": {"operationRef": "#/paths/~1api~1v1~1webhooks~1{webhook_id}~1deliveries/get",
                       "parameters": {"webhook_id": "$response.body#/id"}},
    "DeleteWebhook": {"operationRef": "#/paths/~1api~1v1~1webhooks~1{webhook_id}/delete",
                      "parameters": {"webhook_id": "$response.body#/id"}}}}})
@bp.arguments(s.WebhookInSchema)
@bp.response(201, s.WebhookSchema)
def create_webhook(data):
    """Register a webhook; the response shows its secret, the only time it is shown.

    A URL pointing at a private address (loopback, private, link-local, and their IPv6 forms) is refused with
    403 unless FACTCHECK_ALLOW_PRIVATE_URLS is set; a host that does not resolve yet is accepted and checked again
    at each delivery.

    Each delivery is a POST of {"id", "event", "created_at", "data"} with
    `X-Factcheck-Signature: sha256=<hex HMAC-SHA256 of the body, keyed with the secret>`; anything but a 2xx
    answer is retried with exponential backoff.
    """
    try:
        hook = webhooks.register(admin(), config(), data["url"], data["events"], data.get("secret"))
    except webhooks.WebhookError as exc:
        if exc.refused:
            return problem(403, f"{exc.field}: {exc.reason}.", title="Forbidden", errors={exc.field: [exc.reason]})
        return validation_problem({exc.field: [exc.reason]})
    return json_response({**hook.public(), "secret": hook.secret}, 201,
                         {"Location": url_for("webhooks.list_deliveries", webhook_id=hook.id)})


@bp.route("/webhooks", methods=["GET"])
@requires("admin")
@bp.response(200, s.WebhookListSchema)
def list_webhooks():
    """The registered webhooks (without their secrets)."""
    return json_response({"items": [h.public() for h in webhooks.list_webhooks(admin())]})


@bp.route("/webhooks/<webhook_id>", methods=["DELETE"])
@requires("admin")
@bp.response(204)
def delete_webhook(webhook_id: str):
    """Remove a webhook; its pending retries are dropped."""
    if not webhooks.delete_webhook(admin(), webhook_id):
        return problem(404, f"No webhook with id {webhook_id!r}.")
    return current_app.response_class(status=204)


@bp.route("/webhooks/<webhook_id>/deliveries", methods=["GET"])
@requires("admin")
@bp.response(200, s.DeliveryListSchema)
def list_deliveries(webhook_id: str):
    """Every delivery attempt of a webhook, newest first: status code or error, duration, next retry."""
    if webhooks.get_webhook(admin(), webhook_id) is None:
        return problem(404, f"No webhook with id {webhook_id!r}.")
    return json_response({"items": webhooks.list_deliveries(admin(), webhook_id, limit=200)})
