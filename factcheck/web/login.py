"""The log-in and log-out pages."""
from __future__ import annotations

import math
from typing import Optional
from urllib.parse import urlsplit

from flask import current_app, redirect, render_template, request, session, url_for

from .. import users
from .auth import LoginThrottle, admin_db, csrf_token, current_user
from .shared import bp


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
    throttle: LoginThrottle = current_app.extensions["factcheck_login_throttle"]
    wait, which = throttle.wait(username, request.remote_addr)
    if wait:
        whose = "for this account" if which == "account" else "from your address"
        minutes = f"{math.ceil(wait / 60)} minute{'s' if wait > 60 else ''}" if wait >= 60 else f"{wait} seconds"
        response = current_app.make_response((render_template(
            "login.html", next_url=next_url, username=username,
            error=f"Too many failed log-ins {whose}. Try again in {minutes}."), 429))
        response.headers["Retry-After"] = str(wait)
        return response
    user = users.authenticate(admin_db(), username, request.form.get("password", ""))
    if user is None:
        throttle.failed(username, request.remote_addr)
        return render_template("login.html", next_url=next_url, username=username,
                               error="Wrong username or password."), 401
    if user.disabled:
        return render_template("login.html", next_url=next_url, username=username,
                               error="This account is disabled; ask an administrator."), 403
    session.clear()  # a new session (and CSRF token) at log-in: no fixation
    session["user"] = user.username
    session["sv"] = user.session_version
    csrf_token()
    return redirect(_safe_next(next_url))


@bp.post("/logout")
def logout():
    """End the session, and every other session of the account (a copied cookie included)."""
    user = current_user()
    if user is not None:
        try:
            users.end_sessions(admin_db(), user.username)
        except users.UserError:  # deleted meanwhile: nothing left to end
            pass
    session.clear()
    return redirect(url_for("web.index"))
