"""Log-in, session cookies, CSRF tokens and role checks for the HTML pages."""
from __future__ import annotations

import hmac
import secrets
from functools import wraps
from typing import Optional
from urllib.parse import urlsplit

from flask import current_app, g, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface

from . import users
from .web import bp, error_page

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


@bp.record_once
def _setup(state) -> None:
    app = state.app
    app.session_interface = WebSessionInterface()
    app.config["SESSION_COOKIE_HTTPONLY"] = True


def _admin_db() -> str:
    return current_app.extensions["factcheck_config"].admin_db


def current_user() -> Optional[users.User]:
    """The logged-in account (looked up once per request, so a changed role takes effect at once), or None."""
    if "user" not in g:
        name = session.get("user")
        g.user = users.get_user(_admin_db(), name) if name else None
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


def _safe_next(target: Optional[str]) -> str:
    """Only local paths are followed after log-in (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("web.index")
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else url_for("web.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log-in form for fact-checkers and editors."""
    next_url = request.values.get("next", "")
    if request.method == "GET":
        return render_template("login.html", next_url=next_url, username="", error=None)
    username = request.form.get("username", "").strip()
    user = users.authenticate(_admin_db(), username, request.form.get("password", ""))
    if user is None:
        return render_template("login.html", next_url=next_url, username=username,
                               error="Wrong username or password."), 401
    session.clear()  # a new session (and CSRF token) at log-in: no fixation
    session["user"] = user.username
    csrf_token()
    return redirect(_safe_next(next_url))


@bp.post("/logout")
def logout():
    """End the session."""
    session.clear()
    return redirect(url_for("web.index"))
