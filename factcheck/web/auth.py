"""Session cookies, CSRF tokens, log-in throttling and role checks for the HTML pages (the log-in and log-out
pages themselves are in login.py).

A session names the account and the account's session version (see users.py); a session whose version is not
the account's current one (after a log-out, a new password, disabling) or whose account is gone or disabled is
no session. Failed log-ins are throttled per account name and per client address (LoginThrottle).
"""
from __future__ import annotations

import hmac
import secrets
from functools import wraps
from typing import Optional

from flask import current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface

from .. import ratelimit, users
from ..config import Config
from .shared import bp, error_page

CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class WebSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session with SameSite=Lax by default and a Secure flag that follows the request.

    FACTCHECK_COOKIE_SECURE (a Flask setting): "auto" (default) sets Secure when the request came over https
    (behind a proxy, wrap the app in werkzeug's ProxyFix so that is known); True always; False never.
    """

    def get_cookie_samesite(self, app):
        return app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"

    def get_cookie_secure(self, app):
        setting = app.config.get("FACTCHECK_COOKIE_SECURE", "auto")
        if app.config.get("SESSION_COOKIE_SECURE") or setting is True:
            return True
        if setting == "auto":
            return bool(request) and request.is_secure
        return False


class LoginThrottle:
    """Failed log-ins counted in moving windows (the `limits` library), per account name and per address.

    Counted in `storage`: in memory, so per process, unless FACTCHECK_REDIS_URL names a Redis that every process
    shares (like the API's rate limit). Only failures count; while either count is full, every log-in for that
    account or from that address is refused, the right password included, so that guessing cannot go on. The
    wait is as long as the fullest window needs.
    """

    def __init__(self, per_account: str, per_address: str, storage=None):
        from limits import parse_many

        def parsed(text: str, name: str):
            text = (text or "").strip().lower()
            if text in ("", "0", "off", "none"):
                return []
            try:
                return parse_many(text)
            except ValueError:
                raise ValueError(f"{name} must look like 5/minute;20/hour (or 0 to turn it off), got {text!r}") \
                    from None

        self.limits = {"account": parsed(per_account, "FACTCHECK_LOGIN_LIMIT_ACCOUNT"),
                       "address": parsed(per_address, "FACTCHECK_LOGIN_LIMIT_ADDRESS")}
        self.window = ratelimit.Window(storage if storage is not None else ratelimit.open_storage(Config()))

    def _keys(self, username: str, address: str):
        yield "account", username.strip().lower()[:200]
        yield "address", address or "unknown"

    def wait(self, username: str, address: str) -> tuple[int, Optional[str]]:
        """(seconds to wait, "account" or "address") when a log-in must be refused now; (0, None) otherwise."""
        longest, which = 0, None
        for kind, key in self._keys(username, address):
            for item in self.limits[kind]:
                if not self.window.test(item, f"factcheck-login-{kind}", key):
                    seconds = self.window.wait(item, f"factcheck-login-{kind}", key)
                    if seconds > longest:
                        longest, which = seconds, kind
        return longest, which

    def failed(self, username: str, address: str) -> None:
        for kind, key in self._keys(username, address):
            for item in self.limits[kind]:
                self.window.hit(item, f"factcheck-login-{kind}", key)


@bp.record_once
def _setup(state) -> None:
    app = state.app
    app.session_interface = WebSessionInterface()
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    config = app.extensions["factcheck_config"]
    app.extensions["factcheck_login_throttle"] = LoginThrottle(
        config.login_limit_account, config.login_limit_address, app.extensions["factcheck_counters"])


def admin_db():
    """The admin state that holds the accounts (admin_state.py)."""
    return current_app.extensions["factcheck_admin"]


def current_user() -> Optional[users.User]:
    """The logged-in account (looked up once per request, so a changed role takes effect at once), or None:
    also None when the session has been ended (its version is not the account's) or the account is disabled
    or gone, and then the cookie is cleared."""
    if "user" not in g:
        name = session.get("user")
        user = users.get_user(admin_db(), name) if name else None
        if user is not None and (user.disabled or session.get("sv") != user.session_version):
            user = None
        if name and user is None:
            session.clear()
        g.user = user
    return g.user


def csrf_token() -> str:
    """This session's CSRF token, created on first use."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


@bp.app_context_processor
def _template_globals() -> dict:
    return {"csrf_token": csrf_token, "current_user": current_user, "CSRF_FIELD": CSRF_FIELD}


@bp.before_request
def _check_csrf():
    """Refuse (400) any state-changing request to the HTML pages without this session's token."""
    if request.method not in UNSAFE_METHODS:
        return None
    sent = request.form.get(CSRF_FIELD, "")
    expected = session.get("csrf")
    if not expected or not sent or not hmac.compare_digest(str(sent), str(expected)):
        return error_page(400, "Bad Request",
                          "The form was missing its security token or it had expired. Go back, reload the page "
                          "and submit it again.")
    return None


def require(permission: str):
    """Decorator: the view needs a logged-in user whose role carries `permission` (else a 403 page with a
    log-in link)."""
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            user = current_user()
            if user is None:
                need = "an editor" if permission == "review" else "a fact-checker"
                return forbidden(f"This needs {need}'s account: log in first.")
            if not user.can(permission):
                return forbidden(f"Your role ({user.role}) cannot do this; it needs the {permission!r} "
                                 "permission.")
            return view(*args, **kwargs)
        return wrapper
    return decorate


def forbidden(detail: str):
    """The 403 page, with a log-in link."""
    return error_page(403, "Forbidden", detail, login_link=True)
