"""The editorial workflow on a real SQLite store: flag, transitions, audit trail, locking, ClaimReview."""
import pytest

from factcheck import review as workflow
from factcheck.models import Evidence, Verdict
from factcheck.store.base import NotFound, VersionConflict
from factcheck.store.sqlite import SqliteStore


@pytest.fixture
def store(tmp_path):
    store = SqliteStore(str(tmp_path / "review.db"))
    verdict = Verdict(claim="The talks were held in Geneva", verdict="SUPPORTED", confidence=0.8, as_of=None,
                      dates=[], claim_date="2024-05-15", evidence=[Evidence(
                          source_id="s1", url="https://news.example/a", publisher="News", published_at="2024-05-14",
                          sentence="The talks were held in Geneva.", start=0, end=30, dates=[], stance="supports",
                          score=0.9, reason="same")])
    store.save_check(verdict)
    store.test_check_id = verdict.id
    yield store
    store.close()


def test_flag_creates_one_pending_review(store):
    first = workflow.flag(store, store.test_check_id, by="ann", note="please look")
    again = workflow.flag(store, store.test_check_id, by="bob")
    assert first.id == again.id and again.status == "pending" and again.version == 1
    assert again.notes[0]["text"] == "please look" and again.audit[0]["action"] == "flagged"
    with pytest.raises(NotFound):
        workflow.flag(store, "chk-unknown", by="ann")


@pytest.mark.parametrize("path, error_field", [
    (["published"], "status"),                      # pending cannot jump to published
    (["in_review", "approved", "published"], "explanation"),  # publishing needs an explanation
    (["in_review", "overridden"], "rating"),        # overriding needs a different rating
    (["in_review", "bogus"], "status"),
])
def test_forbidden_transitions_name_the_field(store, path, error_field):
    review = workflow.flag(store, store.test_check_id, by="ann")
    with pytest.raises(workflow.ReviewError) as error:
        for status in path:
            review = workflow.update(store, review.id, {"status": status}, by="ed", expected_version=review.version)
    assert error.value.field == error_field


def test_publish_locks_and_records_the_audit_trail(store):
    review = workflow.flag(store, store.test_check_id, by="ann")
    review = workflow.update(store, review.id, {"status": "in_review", "assignee": "ed"}, "ed", review.version)
    review = workflow.update(store, review.id, {"status": "overridden", "rating": "CONFLICTING",
                                                "explanation": "Two sources disagree.", "note": "checked"},
                             "ed", review.version)
    review = workflow.update(store, review.id, {"status": "published", "claimant": "A. Minister"}, "ed",
                             review.version)
    assert review.status == "published" and review.published_at
    assert [a["action"] for a in review.audit] == ["flagged", "updated", "updated", "published"]
    assert review.audit[2]["changes"]["rating"] == [None, "CONFLICTING"]
    with pytest.raises(workflow.Locked):
        workflow.update(store, review.id, {"note": "too late"}, "ed", review.version)
    jsonld = workflow.claimreview(review, store.get_check(review.check_id), url="https://fc.example/r/1")
    assert jsonld["@type"] == "ClaimReview" and jsonld["claimReviewed"] == "The talks were held in Geneva"
    assert jsonld["reviewRating"]["alternateName"].startswith("Mixed")
    assert jsonld["itemReviewed"]["author"]["name"] == "A. Minister"
    assert jsonld["itemReviewed"]["appearance"][0]["url"] == "https://news.example/a"


def test_stale_version_is_refused_and_nothing_is_lost(store):
    review = workflow.flag(store, store.test_check_id, by="ann")
    workflow.update(store, review.id, {"assignee": "ann"}, "ann", 1)
    with pytest.raises(VersionConflict):
        workflow.update(store, review.id, {"assignee": "bob"}, "bob", 1)
    assert store.get_review(review.id).assignee == "ann"
