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
                          score=0.9, reason="same", passage_id="s1:1"), Evidence(
                          source_id="s2", url="https://other.example/b", publisher="Other", published_at="2024-05-16",
                          sentence="Talks took place in Geneva on Tuesday.", start=0, end=38, dates=[],
                          stance="supports", score=0.7, reason="same", passage_id="s2:1")])
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


def test_excluding_evidence_needs_a_reason_keeps_it_in_the_audit_and_out_of_the_claimreview(store):
    review = workflow.flag(store, store.test_check_id, by="ann")
    with pytest.raises(workflow.ReviewError) as no_reason:
        workflow.update(store, review.id, {"exclude_evidence": {"passage_id": "s1:1", "reason": "  "}}, by="ed",
                        expected_version=1)
    assert no_reason.value.field == "exclude_evidence.reason"
    with pytest.raises(workflow.ReviewError) as unknown:
        workflow.update(store, review.id, {"exclude_evidence": {"passage_id": "s9:9", "reason": "x"}}, by="ed",
                        expected_version=1)
    assert unknown.value.field == "exclude_evidence.passage_id"
    review = workflow.update(store, review.id, {"exclude_evidence": {"passage_id": "s1:1",
                                                                     "reason": "A blog, not a news report"}},
                             by="ed", expected_version=1)
    assert [e["passage_id"] for e in review.excluded] == ["s1:1"] and review.version == 2
    entry = review.audit[-1]
    assert entry["action"] == "excluded evidence" and entry["by"] == "ed"
    assert entry["reason"] == "A blog, not a news report" and "News" in entry["changes"]["evidence"][0]
    with pytest.raises(workflow.ReviewError):  # twice is refused
        workflow.update(store, review.id, {"exclude_evidence": {"passage_id": "s1:1", "reason": "again"}}, by="ed",
                        expected_version=2)
    verdict = store.get_check(store.test_check_id)
    assert [e.passage_id for e in workflow.visible_evidence(verdict, review)] == ["s2:1"]
    for changes in ({"status": "in_review"}, {"status": "approved"}, {"explanation": "Both agree."},
                    {"status": "published"}):
        review = workflow.update(store, review.id, changes, by="ed", expected_version=review.version)
    data = workflow.claimreview(review, verdict, url="https://fc.example/c")
    assert "news.example" not in str(data)  # the excluded source is not what the published check points to
    assert data["itemReviewed"]["appearance"][0]["url"] == "https://other.example/b"
    with pytest.raises(workflow.Locked):
        workflow.update(store, review.id, {"restore_evidence": "s1:1"}, by="ed", expected_version=review.version)


def test_restoring_and_adding_a_source_are_audited(store):
    from factcheck.models import Source

    review = workflow.flag(store, store.test_check_id, by="ann")
    review = workflow.update(store, review.id, {"exclude_evidence": {"passage_id": "s2:1", "reason": "dup"}},
                             by="ed", expected_version=1)
    with pytest.raises(workflow.ReviewError) as not_excluded:
        workflow.update(store, review.id, {"restore_evidence": "s1:1"}, by="ed", expected_version=2)
    assert not_excluded.value.field == "restore_evidence"
    review = workflow.update(store, review.id, {"restore_evidence": "s2:1"}, by="ed", expected_version=2)
    assert review.excluded == [] and review.audit[-1]["action"] == "restored evidence"
    source = Source(id="src-x", text="Ministers met\nThe ministers met in Geneva.", content_hash="h",
                    url="https://wire.example/x", publisher="Wire", published_at="2024-05-15", title="Ministers met")
    with pytest.raises(workflow.ReviewError) as bad_stance:
        workflow.added_evidence(source, "agrees", "ed")
    assert bad_stance.value.field == "stance"
    added = workflow.added_evidence(source, "supports", "ed")
    assert added["sentence"] == "The ministers met in Geneva." and added["title"] == "Ministers met"
    review = workflow.update(store, review.id, {"added_source": added}, by="ed", expected_version=3)
    assert review.added[0]["url"] == "https://wire.example/x"
    assert review.audit[-1]["action"] == "added source" and "Wire" in review.audit[-1]["changes"]["added_source"][1]
    with pytest.raises(workflow.ReviewError) as twice:
        workflow.update(store, review.id, {"added_source": added}, by="ed", expected_version=4)
    assert twice.value.field == "add_source.url"
    assert store.get_review(review.id).added[0]["source_id"] == "src-x"  # stored and read back
