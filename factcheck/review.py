"""Editorial workflow: flag a check for review, move it through its statuses with an audit trail, publish it
as schema.org ClaimReview. Pure domain code over the Store protocol; the web and API layers call it."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Optional

from .models import REVIEW_STATUSES, VERDICTS, Review, Verdict
from .store.base import NotFound, Store, VersionConflict

# Which status may follow which. "published" is final: a published review is locked.
TRANSITIONS = {
    "pending": {"in_review", "dismissed"},
    "in_review": {"pending", "approved", "overridden", "dismissed"},
    "approved": {"in_review", "published"},
    "overridden": {"in_review", "published"},
    "dismissed": {"pending", "in_review"},
    "published": set(),
}
EDITABLE = ("status", "assignee", "rating", "explanation", "claimant", "claimant_type", "appearance", "claim_date")
CLAIMANT_TYPES = ("Person", "Organization")
# Changes to the evidence the published check shows (see apply_changes): leave a passage out (with a reason), put
# it back, and a source an editor added by URL (fetched by the edge; `added_source` is an added-evidence record).
EVIDENCE_CHANGES = ("exclude_evidence", "restore_evidence", "added_source")
ADDED_STANCES = ("supports", "conflicts", "related")
MAX_TEXT = 5000
MAX_ADDED = 50

# The rating scale of the published ClaimReview: 1 (worst, false) to 5 (best, true).
RATINGS = {
    "REFUTED": (1, "False"),
    "CONFLICTING": (3, "Mixed: sources disagree"),
    "NOT_ENOUGH_EVIDENCE": (2, "Unproven"),
    "SUPPORTED": (5, "True"),
}


class ReviewError(ValueError):
    """A change that the workflow does not allow; `field` names what is wrong (HTTP 422)."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class Locked(ReviewError):
    """The review is published and can no longer change (HTTP 409)."""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def flag(store: Store, check_id: str, by: str, note: Optional[str] = None) -> Review:
    """Put a stored check in the editors' queue; flagging an already-queued check returns its review."""
    verdict = store.get_check(check_id)
    if verdict is None:
        raise NotFound(f"no check {check_id}")
    existing = store.get_review(check_id)
    if existing is not None:
        return existing
    now = _now()
    review = Review(id=check_id, check_id=check_id, claim=verdict.claim, machine_verdict=verdict.verdict,
                    created_at=now, updated_at=now,
                    audit=[{"at": now, "by": by, "action": "flagged", "changes": {}}])
    if note:
        review.notes.append({"at": now, "by": by, "text": _text("note", note)})
    try:
        return store.create_review(review)
    except VersionConflict:  # flagged by someone else a moment ago
        return store.get_review(check_id)


# An absolute http(s) URL: a host name or IPv4 address, an optional port, then printable ASCII (no spaces). Not
# javascript:, data:, relative or protocol-relative addresses, which a ClaimReview consumer might follow or render.
# The same pattern documents PATCH /reviews' `appearance` in the OpenAPI document.
WEB_ADDRESS = r"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?([/?#][!-~]*)?$"
_WEB_ADDRESS = re.compile(WEB_ADDRESS)


def web_address(value: Optional[str]) -> bool:
    """True for an absolute http(s) URL (see WEB_ADDRESS)."""
    return isinstance(value, str) and _WEB_ADDRESS.match(value) is not None


def _iso_day(value: str) -> bool:
    try:
        return len(value) == 10 and date.fromisoformat(value) is not None
    except ValueError:
        return False


def _text(field: str, value) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ReviewError(field, "must be a string")
    value = value.strip()
    if len(value) > MAX_TEXT:
        raise ReviewError(field, f"{len(value)} characters; the limit is {MAX_TEXT}")
    return value or None


def _snippet(text: Optional[str], limit: int = 160) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def added_evidence(source, stance: str, by: str) -> dict:
    """The record of a source an editor adds by URL (`source` is the stored models.Source): what the review
    page and the published check show of it."""
    if stance not in ADDED_STANCES:
        raise ReviewError("stance", "must be one of " + ", ".join(ADDED_STANCES))
    body = source.text or ""
    if source.title and body.startswith(source.title):
        body = body[len(source.title):]
    return {"source_id": source.id, "url": source.url, "publisher": source.publisher,
            "published_at": source.published_at, "title": source.title, "sentence": _snippet(body, 300),
            "stance": stance, "by": by, "at": _now()}


def _evidence_change(review: Review, changes: dict, by: str, now: str, evidence: Optional[dict]) -> list[dict]:
    """Apply the evidence changes in `changes`; the audit entries they make ({"action", "changes", "reason"?})."""
    entries = []
    excluded = {e["passage_id"] for e in review.excluded}
    if changes.get("exclude_evidence") is not None:
        item = changes["exclude_evidence"]
        if not isinstance(item, dict):
            raise ReviewError("exclude_evidence", "must be an object with passage_id and reason")
        passage_id, reason = item.get("passage_id"), _text("exclude_evidence.reason", item.get("reason"))
        if not isinstance(passage_id, str) or evidence is None or passage_id not in evidence:
            raise ReviewError("exclude_evidence.passage_id", "is not a passage of this check's evidence")
        if passage_id in excluded:
            raise ReviewError("exclude_evidence.passage_id", "is excluded already")
        if not reason:
            raise ReviewError("exclude_evidence.reason", "say why this evidence is left out (kept in the audit trail)")
        shown = evidence[passage_id]
        label = f"{shown.publisher or 'Unknown publisher'}: “{_snippet(shown.sentence, 90)}”"
        review.excluded.append({"passage_id": passage_id, "reason": reason, "by": by, "at": now,
                                "publisher": shown.publisher, "sentence": shown.sentence})
        entries.append({"action": "excluded evidence", "changes": {"evidence": [label, None]}, "reason": reason})
    if changes.get("restore_evidence") is not None:
        passage_id = changes["restore_evidence"]
        if not isinstance(passage_id, str) or passage_id not in excluded:
            raise ReviewError("restore_evidence", "is not an excluded passage of this review")
        entry = next(e for e in review.excluded if e["passage_id"] == passage_id)
        review.excluded = [e for e in review.excluded if e["passage_id"] != passage_id]
        label = f"{entry.get('publisher') or 'Unknown publisher'}: “{_snippet(entry.get('sentence'), 90)}”"
        entries.append({"action": "restored evidence", "changes": {"evidence": [None, label]}})
    if changes.get("added_source") is not None:
        added = changes["added_source"]
        if any(a["source_id"] == added["source_id"] for a in review.added):
            raise ReviewError("add_source.url", "this source is on the review already")
        if len(review.added) >= MAX_ADDED:
            raise ReviewError("add_source.url", f"a review holds at most {MAX_ADDED} added sources")
        review.added.append(added)
        label = f"{added.get('publisher') or added.get('url')}: {added.get('title') or added.get('url')}"
        entries.append({"action": "added source", "changes": {"added_source": [None, label]}})
    return entries


def apply_changes(review: Review, changes: dict, by: str, evidence: Optional[dict] = None) -> Review:
    """Validate `changes` (status, assignee, rating, explanation, claimant, appearance, note, and the evidence
    changes: exclude_evidence {passage_id, reason}, restore_evidence, added_source) against the workflow and
    apply them to `review`, recording who changed what in its audit trail. `evidence` maps the check's passage
    ids to its Evidence (needed to exclude one)."""
    if review.status == "published":
        raise Locked("status", "the review is published and locked")
    unknown = set(changes) - set(EDITABLE) - {"note"} - set(EVIDENCE_CHANGES)
    if unknown:
        raise ReviewError(sorted(unknown)[0], "unknown field")
    now = _now()
    evidence_entries = _evidence_change(review, changes, by, now, evidence)
    new = {field: _text(field, changes[field]) if field != "status" else changes[field]
           for field in EDITABLE if field in changes}
    if "rating" in new and new["rating"] is not None and new["rating"] not in VERDICTS:
        raise ReviewError("rating", "must be one of " + ", ".join(VERDICTS))
    if new.get("claimant_type") is not None and new["claimant_type"] not in CLAIMANT_TYPES:
        raise ReviewError("claimant_type", "must be Person or Organization")
    if new.get("claim_date") is not None and not _iso_day(new["claim_date"]):
        raise ReviewError("claim_date", "must be a day such as 2024-05-14")
    if new.get("appearance") is not None and not web_address(new["appearance"]):
        raise ReviewError("appearance", "must be the http:// or https:// address where the claim appeared")
    status = new.get("status", review.status)
    if status not in REVIEW_STATUSES:
        raise ReviewError("status", "must be one of " + ", ".join(REVIEW_STATUSES))
    if status != review.status and status not in TRANSITIONS[review.status]:
        raise ReviewError("status", f"cannot go from {review.status} to {status}")
    rating = new.get("rating", review.rating)
    explanation = new.get("explanation", review.explanation)
    if status == "approved":
        if rating not in (None, review.machine_verdict):
            raise ReviewError("rating", "approving keeps the machine verdict; use status overridden to change it")
        new["rating"] = rating = review.machine_verdict
    if status == "overridden" and (rating is None or rating == review.machine_verdict):
        raise ReviewError("rating", "overriding needs a rating other than the machine verdict")
    if status == "published":
        if not rating:
            raise ReviewError("rating", "a published review needs a rating")
        if not explanation:
            raise ReviewError("explanation", "a published review needs an explanation for readers")
        review.published_at = now
    diff = {field: [getattr(review, field), value] for field, value in new.items() if getattr(review, field) != value}
    for field, (_old, value) in diff.items():
        setattr(review, field, value)
    note = _text("note", changes.get("note"))
    if note:
        review.notes.append({"at": now, "by": by, "text": note})
    for entry in evidence_entries:
        review.audit.append({"at": now, "by": by, **entry})
    if diff or note:
        action = "published" if diff.get("status", [None, None])[1] == "published" else "updated"
        review.audit.append({"at": now, "by": by, "action": action, "changes": diff,
                             **({"note": note} if note else {})})
    return review


def visible_evidence(verdict: Verdict, review: Optional[Review]) -> list:
    """The check's evidence without what the editors excluded."""
    excluded = {e.get("passage_id") for e in (review.excluded if review is not None else [])}
    return [e for e in verdict.evidence if not e.passage_id or e.passage_id not in excluded]


def update(store: Store, review_id: str, changes: dict, by: str, expected_version: int) -> Review:
    """Apply changes made by `by` to the review as it was at `expected_version` (VersionConflict if it moved)."""
    review = store.get_review(review_id)
    if review is None:
        raise NotFound(f"no review {review_id}")
    if review.version != expected_version:
        raise VersionConflict(f"review {review_id} is at version {review.version}, not {expected_version}")
    evidence = None
    if changes.get("exclude_evidence") is not None:
        verdict = store.get_check(review.check_id)
        evidence = {e.passage_id: e for e in (verdict.evidence if verdict is not None else []) if e.passage_id}
    return store.update_review(apply_changes(review, changes, by, evidence), expected_version)


def claimreview(review: Review, verdict: Verdict, *, url: str, publisher: Optional[dict] = None) -> dict:
    """schema.org ClaimReview JSON-LD for a published review.

    `publisher` is the organisation publishing it ({"name", "url"?, "logo"?}, from the configuration). The
    claim's own date (`itemReviewed.datePublished`) is the day the claim was made as the editor gave it (or the
    check's claim date), never the day of the check; an unknown date or claimant is left out, not invented.
    """
    if review.status != "published":
        raise ReviewError("status", "only a published review has a ClaimReview")
    value, name = RATINGS[review.rating]
    publisher = publisher or {"name": "factcheck"}
    author = {"@type": "Organization", "name": publisher.get("name") or "factcheck"}
    if web_address(publisher.get("url")):
        author["url"] = publisher["url"]
    if web_address(publisher.get("logo")):
        author["logo"] = {"@type": "ImageObject", "url": publisher["logo"]}
    item: dict = {"@type": "Claim"}
    if review.claimant:
        item["author"] = {"@type": review.claimant_type if review.claimant_type in CLAIMANT_TYPES else "Person",
                          "name": review.claimant}
    claim_day = review.claim_date or verdict.claim_date
    if claim_day:
        item["datePublished"] = claim_day
    # Only web addresses are published (a value stored before they were checked is left out).
    if web_address(review.appearance):
        item["firstAppearance"] = {"@type": "CreativeWork", "url": review.appearance}
        item["appearance"] = [{"@type": "CreativeWork", "url": review.appearance}]
    else:
        # Evidence the editors excluded is not part of what is published.
        item["appearance"] = [{"@type": "CreativeWork", "url": e.url} for e in visible_evidence(verdict, review)
                              if web_address(e.url)][:1]
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": url,
        "claimReviewed": review.claim,
        "datePublished": (review.published_at or "")[:10],
        "author": author,
        "reviewRating": {"@type": "Rating", "ratingValue": value, "bestRating": 5, "worstRating": 1,
                         "alternateName": name, **({"ratingExplanation": review.explanation}
                                                    if review.explanation else {})},
        "itemReviewed": item,
    }
