"""Web accounts for fact-checkers and editors, kept in the admin SQLite database (config.admin_db).

Passwords are stored only as werkzeug hashes; roles come from factcheck.roles. No Flask imports here.

Sessions are revocable: each account has a session version, written into the session cookie at log-in and
compared on every request. Logging out, a new password, and disabling the account raise it, which ends every
session of that account at once (a copied cookie included); deleting the account ends them too.
"""
from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional

from werkzeug.security import check_password_hash, generate_password_hash

from . import admin_db
from .roles import ROLES, allowed

USERNAME = re.compile(r"[A-Za-z0-9._-]{2,64}")
MIN_PASSWORD = 8
# A hash to compare against when the user does not exist, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a real password")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at TEXT NOT NULL,
    session_version INTEGER NOT NULL DEFAULT 1,
    disabled_at TEXT
)"""
# Columns added after the first release, for admin databases made before them.
_ADDED_COLUMNS = {"session_version": "INTEGER NOT NULL DEFAULT 1", "disabled_at": "TEXT"}
_COLUMNS = "username, role, session_version, disabled_at"


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


def _connect(db_path: str) -> sqlite3.Connection:
    conn = admin_db.connect(db_path, _SCHEMA)
    have = {row[1] for row in conn.execute("PRAGMA table_info(users)")}
    for name, declaration in _ADDED_COLUMNS.items():
        if name not in have:
            with conn:
                conn.execute(f"ALTER TABLE users ADD COLUMN {name} {declaration}")
    return conn


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _change(db_path: str, username: str, statement: str, params: tuple = ()) -> None:
    """Run an UPDATE/DELETE on one account; UserError when there is no such account."""
    with closing(_connect(db_path)) as conn, conn:
        changed = conn.execute(statement, (*params, username)).rowcount
    if not changed:
        raise UserError(f"username: no account {username!r}")


def create_user(db_path: str, username: str, password: str, role: str) -> User:
    """Add an account; UserError for a bad name, a short password, an unknown role or a taken name."""
    if not isinstance(username, str) or not USERNAME.fullmatch(username):
        raise UserError("username: use 2-64 letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise UserError(f"role: must be one of {', '.join(ROLES)}")
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise UserError(f"password: at least {MIN_PASSWORD} characters")
    with closing(_connect(db_path)) as conn, conn:
        try:
            conn.execute("INSERT INTO users (username, password_hash, role, created_at) VALUES (?,?,?,?)",
                         (username, generate_password_hash(password), role, _now()))
        except sqlite3.IntegrityError:
            raise UserError(f"username: {username!r} is taken") from None
    return User(username, role)


def get_user(db_path: str, username: str) -> Optional[User]:
    """The account, or None."""
    if not username:
        return None
    with closing(_connect(db_path)) as conn:
        row = conn.execute(f"SELECT {_COLUMNS} FROM users WHERE username = ?", (username,)).fetchone()
    return User(*row) if row else None


def authenticate(db_path: str, username: str, password: str) -> Optional[User]:
    """The account when the password is right (disabled accounts too: the caller refuses them), else None
    (the same work is done for unknown names)."""
    with closing(_connect(db_path)) as conn:
        row = conn.execute(f"SELECT {_COLUMNS}, password_hash FROM users WHERE username = ?",
                           (username or "",)).fetchone()
    if row is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    return User(*row[:4]) if check_password_hash(row[4], password or "") else None


def list_users(db_path: str) -> list[User]:
    """All accounts, by name."""
    with closing(_connect(db_path)) as conn:
        return [User(*row) for row in conn.execute(f"SELECT {_COLUMNS} FROM users ORDER BY username")]


def set_password(db_path: str, username: str, password: str) -> None:
    """Replace an account's password; every session of the account ends."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise UserError(f"password: at least {MIN_PASSWORD} characters")
    _change(db_path, username, "UPDATE users SET password_hash = ?, session_version = session_version + 1"
                               " WHERE username = ?", (generate_password_hash(password),))


def end_sessions(db_path: str, username: str) -> None:
    """End every session of the account (log-out does this)."""
    _change(db_path, username, "UPDATE users SET session_version = session_version + 1 WHERE username = ?")


def set_role(db_path: str, username: str, role: str) -> None:
    """Give the account another role (it applies from the account's next request)."""
    if role not in ROLES:
        raise UserError(f"role: must be one of {', '.join(ROLES)}")
    _change(db_path, username, "UPDATE users SET role = ? WHERE username = ?", (role,))


def disable_user(db_path: str, username: str) -> None:
    """Refuse the account's log-ins and end its sessions; `enable_user` undoes it."""
    _change(db_path, username, "UPDATE users SET disabled_at = COALESCE(disabled_at, ?),"
                               " session_version = session_version + 1 WHERE username = ?", (_now(),))


def enable_user(db_path: str, username: str) -> None:
    """Let a disabled account log in again."""
    _change(db_path, username, "UPDATE users SET disabled_at = NULL WHERE username = ?")


def delete_user(db_path: str, username: str) -> None:
    """Remove the account; its sessions end (audit trails keep its name)."""
    _change(db_path, username, "DELETE FROM users WHERE username = ?")


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

    try:
        if args.users_action == "list":
            for user in list_users(config.admin_db):
                print(f"{user.username}\t{user.role}" + (f"\tdisabled {user.disabled_at}" if user.disabled else ""))
            return 0
        simple = {"set-role": (lambda: set_role(config.admin_db, args.username, args.role),
                               f"{args.username} is now {getattr(args, 'role', '')}"),
                  "disable": (lambda: disable_user(config.admin_db, args.username),
                              f"disabled {args.username}; its sessions have ended"),
                  "enable": (lambda: enable_user(config.admin_db, args.username), f"enabled {args.username}"),
                  "delete": (lambda: delete_user(config.admin_db, args.username), f"deleted {args.username}")}
        if args.users_action in simple:
            action, message = simple[args.users_action]
            action()
            print(message)
            return 0
        password = _read_password(args.password_stdin)
        if args.users_action == "create":
            user = create_user(config.admin_db, args.username, password, args.role)
            print(f"created {user.username} ({user.role}) in {config.admin_db}")
        else:
            set_password(config.admin_db, args.username, password)
            print(f"password changed for {args.username}; its sessions have ended")
        return 0
    except (UserError, sqlite3.Error, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
