"""Check-worthiness and speaker attribution (entities and numbers are built by hand: no spaCy needed; the claim
model is the one shipped in the package, factcheck/extract/claim_model.json)."""
import json
import os

import pytest

from factcheck.extract import claims, encoder
from factcheck.extract.claims import (FEATURES, MODEL_PATH, THRESHOLD, claim_score, explain, features, find_speaker,
                                      is_check_worthy, ngrams)
from factcheck.models import Entity, Number


def ent(sentence, text, label):
    start = sentence.index(text)
    return Entity(text=text, start=start, end=start + len(text), label=label, key=text.lower())


def num(sentence, text, value, unit=None, kind="count"):
    start = sentence.index(text)
    return Number(text=text, start=start, end=start + len(text), value=value, unit=unit, kind=kind)


# ---------------------------------------------------------------------------------------------- claim_score

S1 = "The EU fined Apple €1.8bn in March 2024, its largest penalty ever."
S2 = "Unemployment rose to 7% last year, the highest level since 1990."
S3 = "Germany cut its emissions by 40 million tonnes in 2023, the first fall in five years."
S4 = "The Senate passed the bill by 523 votes to 46 on Tuesday."

SCORE_ROWS = [
    # sentence, entities, numbers, n_dates, check-worthy?
    (S1, [ent(S1, "EU", "ORG"), ent(S1, "Apple", "ORG")], [num(S1, "€1.8bn", 1.8e9, "EUR", "money")], 1, True),
    (S2, [], [num(S2, "7%", 7, "%", "percent")], 2, True),
    (S3, [ent(S3, "Germany", "PLACE")], [num(S3, "40 million", 40e6, "tonnes"),
                                        num(S3, "first", 1, "fall", "ordinal")], 2, True),
    (S4, [ent(S4, "Senate", "ORG")], [num(S4, "523", 523, "votes"), num(S4, "46", 46)], 1, True),
    ("Do you really think that?", [], [], 0, False),
    ("I think we should do better.", [], [], 0, False),
    ("Thank you very much, and good evening.", [], [], 0, False),
    ("China slams US", [], [], 0, False),
    ("I am so proud of our team.", [], [], 0, False),
    ("We will work together to build a better future.", [], [], 0, False),
    ("", [], [], 0, False),
]

# What a user would notice: plain factual statements with figures are claims; questions, greetings, thanks,
# opinions, promises and exhortations are not.
F1 = "The unemployment rate fell from 10% to 4.7% over the last eight years."
F2 = "Congress passed a $1.9 trillion stimulus bill in March 2021."
F3 = "The United States spends more than $700 billion a year on defense."
F4 = "Crime fell by 23% in New York City between 2010 and 2020."
F5 = "Our country lost 60,000 factories since China joined the WTO."
F6 = "He voted against the minimum wage increase 14 times."
G1 = "Good evening, and welcome to the first presidential debate."
USER_ROWS = [
    (F1, [], [num(F1, "10%", 10, "%", "percent"), num(F1, "4.7%", 4.7, "%", "percent"),
              num(F1, "eight", 8, "years")], 1, True),
    (F2, [ent(F2, "Congress", "ORG")], [num(F2, "$1.9 trillion", 1.9e12, "USD", "money")], 1, True),
    (F3, [ent(F3, "United States", "PLACE")], [num(F3, "$700 billion", 7e11, "USD", "money")], 1, True),
    (F4, [ent(F4, "New York City", "PLACE")], [num(F4, "23%", 23, "%", "percent")], 2, True),
    (F5, [ent(F5, "China", "PLACE"), ent(F5, "WTO", "ORG")], [num(F5, "60,000", 60000, "factories")], 0, True),
    (F6, [], [num(F6, "14", 14, "times")], 0, True),
    ("What would you do about the deficit?", [], [], 0, False),
    ("How will you pay for it?", [], [], 0, False),
    (G1, [], [num(G1, "first", 1, "presidential", "ordinal")], 0, False),
    ("Thank you, Jim.", [ent("Thank you, Jim.", "Jim", "PERSON")], [], 0, False),
    ("It is a pleasure to be here tonight.", [], [], 1, False),
    ("I believe this is the most important election of our lifetime.", [], [], 0, False),
    ("That's a great question.", [], [], 0, False),
    ("I love this country.", [], [], 0, False),
    ("We have to bring this country together.", [], [], 0, False),
    ("We're going to make America great again.", [ent("We're going to make America great again.", "America",
                                                      "PLACE")], [], 0, False),
    # Factual claims without any figure, name or date: the lexical stage alone missed them (scores 0.19 and 0.24
    # against a threshold of 0.31); the sentence vector (refine) catches them (0.70 and 0.67 against 0.43).
    ("Half of the children in this city live in poverty.", [], [], 0, True),
    ("It's illegal right now and has been for years for illegal immigrants to get welfare benefits.", [], [], 0,
     True),
]


@pytest.mark.parametrize("sentence,entities,numbers,n_dates,worthy", SCORE_ROWS + USER_ROWS)
def test_claim_score(sentence, entities, numbers, n_dates, worthy):
    score = claim_score(sentence, entities, numbers, n_dates)
    assert 0.0 <= score <= 1.0
    assert is_check_worthy(score) is worthy, score


@pytest.mark.parametrize("more,less", [
    (("Exports rose 12% in 2023.", [Number("12%", 12, 15, 12, "%", "percent")], 1), ("Exports rose.", [], 0)),
    (("Exports rose sharply in 2023.", [], 1), ("Did exports rise sharply in 2023?", [], 1)),
    (("The deficit doubled to $1.4 trillion.", [Number("$1.4 trillion", 24, 37, 1.4e12, "USD", "money")], 0),
     ("I think the deficit doubled.", [], 0)),
])
def test_claim_score_directions(more, less):
    (s1, n1, d1), (s2, n2, d2) = more, less
    assert claim_score(s1, [], n1, d1) > claim_score(s2, [], n2, d2)


def test_features_are_named_and_bounded():
    f = features(S1, [], [], 1)
    assert set(f) >= {"number", "date", "question", "hedge"}
    assert all(0.0 <= v <= 3.0 for v in f.values())
    assert is_check_worthy(THRESHOLD) and not is_check_worthy(THRESHOLD - 0.01)


@pytest.mark.parametrize("sentence,present,absent", [
    ("Exports ROSE 12.5% in 2023?", ["exports", "rose", "NUM", "%", "?", "<s> exports", "NUM %", "? </s>"],
     ["ROSE", "12.5", "2023"]),
    ("It’s $1,200.", ["it's", "$", "$ NUM", "NUM </s>"], ["1,200", "it’s"]),
    ("", ["<s> </s>"], []),
])
def test_ngrams_are_lowercased_with_numbers_normalised(sentence, present, absent):
    grams = ngrams(sentence)
    assert len(grams) == len(set(grams))
    assert all(g in grams for g in present), grams
    assert not any(g in grams for g in absent), grams


def test_shipped_model_is_compact_complete_and_documented():
    assert os.path.getsize(MODEL_PATH) < 1_000_000
    with open(MODEL_PATH, encoding="utf-8") as handle:
        data = json.load(handle)
    assert set(data["dense"]) == set(FEATURES)
    assert len(data["ngrams"]) > 1000
    held_out = data["meta"]["held_out"]
    assert "ClaimBuster" in data["meta"]["data"] and held_out["lexical"]["f1"] > 0.7
    assert held_out["refined"]["f1"] > held_out["lexical"]["f1"]       # the refiner earns its place
    refiner = data["refiner"]
    assert len(refiner["weights"]) == encoder.DIMENSION + 4 and refiner["encoder"] == encoder.NAME
    bank = claims.model().refiner.bank                                  # the labelled neighbours, checked by sha256
    assert bank.shape == (refiner["bank"]["sentences"], encoder.DIMENSION)
    assert os.path.getsize(os.path.join(os.path.dirname(MODEL_PATH), refiner["bank"]["file"])) < 6_000_000
    model = claims.model()
    assert model is claims.model()                      # loaded once
    assert THRESHOLD == claims.threshold() and 0.1 <= THRESHOLD <= 0.8


def test_refine_changes_only_uncertain_scores():
    lo, hi = claims.model().refiner.band
    sentences = ["Thank you.", "Half of the children in this city live in poverty.", "Exports rose 12% in 2023."]
    scores = [0.02, (lo + hi) / 2, 0.95]
    refined = claims.refine(sentences, scores)
    assert refined[0] == 0.02 and refined[2] == 0.95      # confident lexical scores stand
    assert refined[1] != scores[1] and 0.0 <= refined[1] <= 1.0
    assert claims.refine([], []) == []


def test_encoder_gives_unit_vectors_that_do_not_depend_on_the_batch():
    texts = ["The polar bear population has been growing.", "Polar bear numbers are increasing.", "I like tea."]
    vectors = encoder.encode(texts)
    assert vectors.shape == (3, encoder.DIMENSION)
    assert abs(float(vectors[0] @ vectors[0]) - 1.0) < 1e-5
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2]) + 0.3   # paraphrase vs unrelated
    alone = encoder.encode([texts[1]])[0]
    assert float(alone @ vectors[1]) > 0.9999


def test_sources_extracted_in_one_encoder_call_equal_those_extracted_one_by_one(monkeypatch):
    """Ingest encodes the sentences and titles of a batch of sources in one call (sorted by length, padded per
    batch); every vector, claim score and title vector is what the source alone, or the sentence alone, gives."""
    import numpy as np

    from factcheck.extract import extract_passages, extract_sources, sentence_vectors
    from factcheck.models import Source

    texts = [
        ("short", "Exports rose 12% in 2023.", "Exports", "2024-01-05"),
        ("long", "The council met on Tuesday. Half of the children in this city live in poverty, the mayor said "
                 "in a long speech to the assembled members of the press and the public. Thank you.", None, None),
        ("mid", "Polar bear numbers are increasing. I like tea. The minister denied the report on 14 May 2024.",
         "Polar bears and a very long headline about the number of bears in the Arctic", "2024-05-15"),
    ]
    sources = [Source(id=i, text=t, content_hash=i, title=title, published_at=day) for i, t, title, day in texts]
    calls = []
    real = encoder.encode
    monkeypatch.setattr(encoder, "encode", lambda batch, *a, **k: calls.append(len(batch)) or real(batch, *a, **k))
    batched = extract_sources(sources)
    assert len(calls) == 1 and calls[0] == sum(len(b.passages) for b in batched) + 2   # + the two titles
    for source, got in zip(sources, batched):
        alone = extract_passages(source.id, source.text, source.published_at)
        assert got.error is None and len(got.passages) == len(alone) > 0
        for mine, one in zip(got.passages, alone):
            assert (mine.text, mine.start, mine.dates, mine.entities, mine.numbers, mine.speaker) == \
                (one.text, one.start, one.dates, one.entities, one.numbers, one.speaker)
            assert mine.is_claim == one.is_claim and abs(mine.claim_score - one.claim_score) <= 0.001
            np.testing.assert_allclose(mine.vector, one.vector, atol=1e-5)
            np.testing.assert_allclose(mine.vector, sentence_vectors([mine.text])[0], atol=1e-5)
        if source.title:
            np.testing.assert_allclose(got.title_vector, sentence_vectors([source.title])[0], atol=1e-5)
        else:
            assert got.title_vector is None


def test_a_source_whose_extraction_fails_does_not_fail_the_others(monkeypatch):
    from factcheck import extract
    from factcheck.models import Source

    real = extract._lexical_passages

    def broken(source_id, text, published_at):
        if source_id == "bad":
            raise ValueError("boom")
        return real(source_id, text, published_at)

    monkeypatch.setattr(extract, "_lexical_passages", broken)
    got = extract.extract_sources([Source(id=i, text="Exports rose 12% in 2023.", content_hash=i)
                                   for i in ("a", "bad", "c")])
    assert got[1].error == "ValueError: boom" and got[1].passages is None
    assert got[0].passages and got[2].passages and got[0].error is None


def test_explain_lists_the_contributions():
    parts = dict(explain(S2, [], [num(S2, "7%", 7, "%", "percent")], 2))
    assert "bias" in parts and "'NUM'" in parts and "percent" in parts
    question = dict(explain("Do you really think that?", [], [], 0))
    assert question["'?'"] < 0 and question["question"] < 0


# ---------------------------------------------------------------------------------------------- find_speaker

SP1 = "The talks will continue next month, Liu said."
SP2 = ("Liu Wei, director of the Institute of International Relations at Peking University, told the Global Times "
       "that the move was expected.")
SP3 = "According to The Washington Post, the deal was signed in May."
SP4 = "Foreign Ministry spokesperson Wang Wenbin said that China opposes the move."
SP5 = "The European Commission noted that 27 countries had signed."
SP6 = "\"We will not back down,\" said Ursula von der Leyen, the Commission president."
SP7 = "Macron warned on Tuesday that Europe could die."
SP8 = "The deal was signed in May, according to Reuters."
SP9 = "China's exports rose 7% in April, customs data showed."

SPEAKER_ROWS = [
    (SP1, [ent(SP1, "Liu", "PERSON")], "Liu"),
    (SP1, [], "Liu"),
    (SP2, [ent(SP2, "Liu Wei", "PERSON"), ent(SP2, "Peking University", "ORG"), ent(SP2, "Global Times", "ORG")],
     "Liu Wei"),
    (SP3, [ent(SP3, "Washington Post", "ORG")], "The Washington Post"),
    (SP4, [ent(SP4, "Foreign Ministry", "ORG"), ent(SP4, "Wang Wenbin", "PERSON"), ent(SP4, "China", "PLACE")],
     "Wang Wenbin"),
    (SP5, [ent(SP5, "European Commission", "ORG")], "European Commission"),
    (SP6, [], "Ursula von der Leyen"),
    (SP6, [ent(SP6, "Ursula von der Leyen", "PERSON"), ent(SP6, "Commission", "ORG")], "Ursula von der Leyen"),
    (SP7, [ent(SP7, "Macron", "PERSON"), ent(SP7, "Europe", "PLACE")], "Macron"),
    (SP8, [ent(SP8, "Reuters", "ORG")], "Reuters"),
    ("Wang Wenbin said the talks were constructive.", [], "Wang Wenbin"),
    ("He said the plan would fail.", [], None),
    ("They warned that prices would rise.", [], None),
    ("The plan would fail.", [], None),
    ("Exports rose 7% in April.", [], None),
    (SP9, [ent(SP9, "China", "PLACE")], None),
    ("", [], None),
]


@pytest.mark.parametrize("sentence,entities,expected", SPEAKER_ROWS)
def test_find_speaker(sentence, entities, expected):
    assert find_speaker(sentence, entities) == expected


def test_a_bank_that_does_not_match_the_model_is_refused(tmp_path):
    model_copy = tmp_path / "claim_model.json"
    model_copy.write_bytes(open(MODEL_PATH, "rb").read())
    bank_name = json.loads(model_copy.read_text())["refiner"]["bank"]["file"]
    (tmp_path / bank_name).write_bytes(b"not the bank")
    with pytest.raises(ValueError, match="does not match"):
        claims.load_model(str(model_copy))


def test_neighbour_features_read_the_nearest_labelled_sentences():
    import numpy as np

    labels = np.array([1.0] * 10 + [0.0] * 10)
    similarities = np.array([[0.9] * 10 + [0.1] * 10, [0.1] * 10 + [0.8] * 10])
    share, positive, negative, difference = claims.neighbour_features(similarities, labels).T
    assert list(share) == [1.0, 0.0]
    assert list(positive) == [0.9, 0.1] and list(negative) == [0.1, 0.8]
    assert difference[0] > 0 > difference[1]
    order = np.random.RandomState(0).permutation(20)                   # any bank order gives the same answer
    assert np.allclose(claims.neighbour_features(similarities[:, order], labels[order]),
                       claims.neighbour_features(similarities, labels))


def test_claim_vectors_can_be_turned_off(monkeypatch):
    sentence = "Half of the children in this city live in poverty."
    monkeypatch.setenv("FACTCHECK_CLAIM_VECTORS", "false")
    monkeypatch.setattr(encoder._model, "value", None)
    monkeypatch.setattr(encoder._model, "failed", None)
    assert not encoder.available()
    lexical = claims.lexical_score(sentence, [], [], 0)
    assert claims.claim_score(sentence, [], [], 0) == lexical           # lexical stage only
    assert claims.threshold() == claims.model().threshold and not is_check_worthy(lexical)
