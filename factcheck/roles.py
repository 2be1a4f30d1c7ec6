"""Roles shared by API keys and web accounts; each role can do what the one before it can, and more."""
from __future__ import annotations

ROLES = ("client", "factchecker", "editor", "admin")

# What each permission lets a caller do:
#   read     read sources, checks, timelines, published ClaimReviews
#   check    request verdicts
#   ingest   add sources; flag a check for review
#   review   see the review queue and change reviews (assign, rate, publish)
#   admin    manage API keys, web accounts and webhooks
PERMISSIONS = {
    "client": {"read", "check"},
    "factchecker": {"read", "check", "ingest"},
    "editor": {"read", "check", "ingest", "review"},
    "admin": {"read", "check", "ingest", "review", "admin"},
}


def allowed(role: str, permission: str) -> bool:
    """True when `role` carries `permission`."""
    return permission in PERMISSIONS.get(role, ())
