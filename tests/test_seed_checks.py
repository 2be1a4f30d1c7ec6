"""The core issue's acceptance checks, on the seed article alone (Global Times, 14 May 2024).

The article is not openly licensed, so it is not copied into the project: it is read from the shared data
folder beside the clone (FACTCHECK_SHARED_DATA, default ../shared/data). Under CI it must be there.
"""
import json
import os
from pathlib import Path

import pytest

from factcheck.check import check_claim
from factcheck.config import Config
from factcheck.ingest import ingest_records
from factcheck.store.sqlite import SqliteStore
from .services import unavailable

SHARED = Path(os.environ.get("FACTCHECK_SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")
SEED = SHARED / "seed" / "seed-document.json"


@pytest.fixture(scope="module")
def seed_store(tmp_path_factory):
    if not SEED.exists():
        unavailable(f"seed document not found at {SEED}")
    store = SqliteStore(str(tmp_path_factory.mktemp("seed") / "seed.db"))
    report = ingest_records(store, [json.loads(SEED.read_text(encoding="utf-8"))], Config(load_demo=False))
    assert report.added == 1
    yield store
    store.close()


def test_geneva_claim_supported_by_the_tuesday_sentence(seed_store):
    verdict = check_claim(seed_store, "The first US-China talks on AI were held in Geneva on 14 May 2024")
    assert verdict.verdict == "SUPPORTED"
    supporting = [e for e in verdict.evidence if e.stance == "supports"]
    geneva = [e for e in supporting if "on Tuesday in Geneva" in e.sentence]
    assert geneva, [e.sentence for e in supporting]
    assert any(d["value"] == "2024-05-14" for d in geneva[0].dates)


def test_vienna_refuted_naming_geneva(seed_store):
    verdict = check_claim(seed_store, "The first US-China talks on AI were held in Vienna on 14 May 2024")
    assert verdict.verdict == "REFUTED"
    conflicting = [e for e in verdict.evidence if e.stance == "conflicts"]
    assert any("Geneva" in e.reason for e in conflicting), [e.reason for e in conflicting]


def test_wrong_day_refuted_naming_both_dates(seed_store):
    verdict = check_claim(seed_store, "The first US-China talks on AI were held in Geneva on 21 May 2024")
    assert verdict.verdict == "REFUTED"
    reasons = [e.reason for e in verdict.evidence if e.stance == "conflicts"]
    assert any("14 May 2024" in r and "21 May 2024" in r for r in reasons), reasons


def test_delegation_leaders_supported(seed_store):
    verdict = check_claim(seed_store, "The US delegation was led by Seth Center and Tarun Chhabra")
    assert verdict.verdict == "SUPPORTED"
    assert any("Seth Center" in e.sentence for e in verdict.evidence if e.stance == "supports")


def test_unrelated_claim_has_not_enough_evidence(seed_store):
    verdict = check_claim(seed_store, "The EU fined Apple 1.8 billion euros")
    assert verdict.verdict == "NOT_ENOUGH_EVIDENCE"
    assert not [e for e in verdict.evidence if e.stance != "related"]


def test_as_of_before_publication_ignores_the_article(seed_store):
    verdict = check_claim(seed_store, "The first US-China talks on AI were held in Geneva on 14 May 2024",
                          as_of="2024-05-01")
    assert verdict.verdict == "NOT_ENOUGH_EVIDENCE"
    assert verdict.evidence == []
