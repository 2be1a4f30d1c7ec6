"""Security fixes from the outside probe (issue 11): the admin database's file mode, revocable sessions, log-in
throttling, escaping in the TimelineJS export, http(s)-only appearance URLs, the loopback guard of an open API,
and URL fetching (addresses wrapped in IPv6 forms, one total deadline)."""
from __future__ import annotations

import os
import stat

import pytest

from factcheck import keys, users, webhooks
from factcheck.config import Config


# -- the admin database --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("create", [
    lambda db: users.create_user(db, "ann", "ann-password-1", "editor"),
    lambda db: keys.create_key(db, "me", "admin"),
    lambda db: webhooks.list_webhooks(db) or webhooks.delete_webhook(db, "whk-x") or users.list_users(db),
], ids=["account", "api key", "any first use"])
def test_admin_db_is_created_readable_by_its_owner_only(tmp_path, create):
    db = str(tmp_path / "instance" / "admin.db")
    old_umask = os.umask(0o022)  # the usual umask, which made the file 0644
    try:
        create(db)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600


def test_an_existing_world_readable_admin_db_is_tightened(tmp_path):
    db = str(tmp_path / "admin.db")
    users.create_user(db, "ann", "ann-password-1", "editor")
    os.chmod(db, 0o644)
    assert users.get_user(db, "ann") is not None
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600
