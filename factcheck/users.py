"""Web accounts for fact-checkers and editors, kept in the admin state (admin_state.py: the admin SQLite file, or
Elasticsearch when that is the store).

Passwords are stored only as werkzeug hashes; roles come from factcheck.roles. No Flask imports here.

Sessions are revocable: each account has a session version, written into the session cookie at log-in and
compared on every request. Logging out, a new password, and disabling the account raise it, which ends every
session of that account at once (a copied cookie included); deleting the account ends them too.
"""
from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional

from werkzeug.security import check_password_hash, generate_password_hash

from .admin_state import AdminLike, Taken, resolve
from .roles import ROLES, allowed

USERNAME = re.compile(r"[A-Za-z0-9._-]{2,64}")
MIN_PASSWORD = 8
# A hash to compare against when the user does not exist, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a real password")


class UserError(ValueError):
    """An account that cannot be created or changed; the message says why."""


@dataclass
class User:
    username: str
    role: str
    session_version: int = 1
    disabled_at: Optional[str] = None

    @property
    def disabled(self) -> bool:
        return self.disabled_at is not None

    def can(self, permission: str) -> bool:
        """True when the user's role carries `permission` and the account is not disabled."""
        return not self.disabled and allowed(self.role, permission)


def _user(row: dict) -> User:
    return User(row["username"], row["role"], int(row.get("session_version") or 1), row.get("disabled_at"))


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _change(db: AdminLike, username: str, **changes) -> None:
    """Change one account; UserError when there is no such account."""
    if not username or not resolve(db).update_user(username, **changes):
        raise UserError(f"username: no account {username!r}")


def create_user(db: AdminLike, username: str, password: str, role: str) -> User:
    """Add an account; UserError for a bad name, a short password, an unknown role or a taken name."""
    if not isinstance(username, str) or not USERNAME.fullmatch(username):
        raise UserError("username: use 2-64 letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise UserError(f"role: must be one of {', '.join(ROLES)}")
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise UserError(f"password: at least {MIN_PASSWORD} characters")
    try:
        resolve(db).insert_user({"username": username, "password_hash": generate_password_hash(password),
                                 "role": role, "created_at": _now()})
    except Taken:
        raise UserError(f"username: {username!r} is taken") from None
    return User(username, role)


def get_user(db: AdminLike, username: str) -> Optional[User]:
    """The account, or None."""
    if not username or not isinstance(username, str):
        return None
    row = resolve(db).get_user(username)
    return _user(row) if row else None


def authenticate(db: AdminLike, username: str, password: str) -> Optional[User]:
    """The account when the password is right (disabled accounts too: the caller refuses them), else None
    (the same work is done for unknown names)."""
    row = resolve(db).get_user(username) if username and isinstance(username, str) else None
    if row is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    return _user(row) if check_password_hash(row["password_hash"], password or "") else None


def list_users(db: AdminLike) -> list[User]:
    """All accounts, by name."""
    return [_user(row) for row in resolve(db).list_users()]


def set_password(db: AdminLike, username: str, password: str) -> None:
    """Replace an account's password; every session of the account ends."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise UserError(f"password: at least {MIN_PASSWORD} characters")
    _change(db, username, password_hash=generate_password_hash(password), end_sessions=True)


def end_sessions(db: AdminLike, username: str) -> None:
    """End every session of the account (log-out does this)."""
    _change(db, username, end_sessions=True)


def set_role(db: AdminLike, username: str, role: str) -> None:
    """Give the account another role (it applies from the account's next request)."""
    if role not in ROLES:
        raise UserError(f"role: must be one of {', '.join(ROLES)}")
    _change(db, username, role=role)


def disable_user(db: AdminLike, username: str) -> None:
    """Refuse the account's log-ins and end its sessions; `enable_user` undoes it."""
    _change(db, username, disable_at=_now(), end_sessions=True)


def enable_user(db: AdminLike, username: str) -> None:
    """Let a disabled account log in again."""
    _change(db, username, enable=True)


def delete_user(db: AdminLike, username: str) -> None:
    """Remove the account; its sessions end (audit trails keep its name)."""
    if not username or not resolve(db).delete_user(username):
        raise UserError(f"username: no account {username!r}")


# ---------------------------------------------------------------------------------------------------------------
# python -m factcheck users create|list|passwd|set-role|disable|enable|delete  (wired in __main__.py)


def add_cli_parser(commands):
    """The `users` subcommand's parser."""
    users = commands.add_parser("users", help="web accounts for fact-checkers and editors")
    actions = users.add_subparsers(dest="users_action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="add an account (password from --password-stdin or a prompt)")
    create.add_argument("--username", required=True)
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of standard input")
    actions.add_parser("list", help="list accounts, their roles and whether they are disabled")
    passwd = actions.add_parser("passwd", help="set an account's password (its sessions end)")
    passwd.add_argument("--username", required=True)
    passwd.add_argument("--password-stdin", action="store_true")
    set_role_parser = actions.add_parser("set-role", help="give an account another role")
    set_role_parser.add_argument("--username", required=True)
    set_role_parser.add_argument("--role", required=True, choices=ROLES)
    for name, text in (("disable", "refuse an account's log-ins and end its sessions"),
                       ("enable", "let a disabled account log in again"),
                       ("delete", "remove an account (its sessions end)")):
        actions.add_parser(name, help=text).add_argument("--username", required=True)
    return users


def _read_password(from_stdin: bool) -> str:
    import getpass
    import sys

    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UserError("password: no terminal to prompt on; pipe it in with --password-stdin")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat the password: ") != first:
        raise UserError("password: the two entries differ")
    return first


def run_cli(args, config) -> int:
    """Run `users ACTION`; exit status 0, or 2 with the reason on stderr."""
    import sys

    from .admin_state import open_admin
    from .store import StoreError

    state = open_admin(config)
    try:
        if args.users_action == "list":
            for user in list_users(state):
                print(f"{user.username}\t{user.role}" + (f"\tdisabled {user.disabled_at}" if user.disabled else ""))
            return 0
        simple = {"set-role": (lambda: set_role(state, args.username, args.role),
                               f"{args.username} is now {getattr(args, 'role', '')}"),
                  "disable": (lambda: disable_user(state, args.username),
                              f"disabled {args.username}; its sessions have ended"),
                  "enable": (lambda: enable_user(state, args.username), f"enabled {args.username}"),
                  "delete": (lambda: delete_user(state, args.username), f"deleted {args.username}")}
        if args.users_action in simple:
            action, message = simple[args.users_action]
            action()
            print(message)
            return 0
        password = _read_password(args.password_stdin)
        if args.users_action == "create":
            user = create_user(state, args.username, password, args.role)
            print(f"created {user.username} ({user.role}) in {state.where}")
        else:
            set_password(state, args.username, password)
            print(f"password changed for {args.username}; its sessions have ended")
        return 0
    except (UserError, StoreError, sqlite3.Error, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
