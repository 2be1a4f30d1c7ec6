"""HTML pages, one Flask blueprint ("web") shared by the page modules.

Layout, imports running one way (pages -> auth -> shared -> domain): checks.py (the check form and verdict
page), reviews.py (flagging and the editors' queue), sources.py, timeline.py and login.py hold the pages; auth.py
the session cookie, CSRF tokens and role checks; shared.py the blueprint, the store handle, error pages, paging
and what the pages render alike. Importing this package registers every page on the blueprint.
"""
from __future__ import annotations

from . import checks, login, reviews, sources, spot, timeline  # noqa: F401  (each registers its pages on bp)
from .shared import bp, error_page

__all__ = ["bp", "error_page"]
