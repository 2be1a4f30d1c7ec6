"""The fine-tuned check-worthiness transformer behind claim spotting (factcheck/extract/claim_transformer.py)."""
from __future__ import annotations

import shutil

import pytest

from factcheck.extract import claim_transformer, claims
from factcheck.spot import spot_sentences

CLAIMS = [
    "Unemployment fell to 3.5 percent in 2019, the lowest rate in fifty years.",
    "My opponent voted to cut Medicare by $700 billion.",
    "Half of the children in this city live in poverty.",
    "Crime went up 20 percent in the last two years in our major cities.",
]
NOT_CLAIMS = [
    "Thank you all for coming tonight.",
    "I think we need to do better.",
    "Good evening and welcome to the debate.",
    "Let me ask you a question.",
]


@pytest.fixture
def fresh(monkeypatch):
    """The module as if just imported (it caches the loaded session), restored after the test."""
    monkeypatch.setattr(claim_transformer._model, "value", None)
    monkeypatch.setattr(claim_transformer._model, "failed", None)
    return monkeypatch


def test_the_shipped_model_loads_and_separates_claims_from_talk():
    assert claim_transformer.available()
    worthy = claim_transformer.scores(CLAIMS)
    other = claim_transformer.scores(NOT_CLAIMS)
    assert all(0.0 <= s <= 1.0 for s in [*worthy, *other])
    assert min(worthy) >= claim_transformer.threshold() > max(other)
    # the order given is kept, and a sentence scores the same alone as among others
    alone = claim_transformer.scores([CLAIMS[2]])[0]
    assert alone == worthy[2]


def test_spotting_uses_it_and_its_threshold():
    spotted = spot_sentences([{"text": t} for t in CLAIMS + NOT_CLAIMS])
    expected = claim_transformer.scores(CLAIMS + NOT_CLAIMS)
    assert [s.score for s in spotted] == [round(float(e), 4) for e in expected]
    assert [s.check_worthy for s in spotted] == [True] * len(CLAIMS) + [False] * len(NOT_CLAIMS)


def test_a_tampered_model_file_is_refused_and_spotting_falls_back(fresh, tmp_path, caplog):
    model = tmp_path / "claim_transformer.onnx"
    shutil.copy(claim_transformer.MODEL_PATH, model)
    with open(model, "r+b") as handle:
        handle.seek(-64, 2)
        handle.write(b"\0" * 64)
    fresh.setattr(claim_transformer, "MODEL_PATH", str(model))
    assert not claim_transformer.available()
    assert "does not match the sha256" in caplog.text
    with pytest.raises(RuntimeError, match="unavailable"):
        claim_transformer.scores(["anything"])
    spotted = spot_sentences([{"text": t} for t in CLAIMS])
    assert all(s.check_worthy == claims.is_check_worthy(s.score) for s in spotted)


def test_turned_off_spotting_scores_with_the_ingest_detector(fresh):
    fresh.setenv("FACTCHECK_SPOT_TRANSFORMER", "false")
    assert not claim_transformer.available()
    from factcheck.extract import analyse_sentence, nlp

    lexical = [analyse_sentence(t, nlp.entities(t), None)[2] for t in CLAIMS]
    expected = [round(min(max(s, 0.0), 1.0), 4) for s in claims.refine(CLAIMS, lexical)]
    assert [s.score for s in spot_sentences([{"text": t} for t in CLAIMS])] == expected
