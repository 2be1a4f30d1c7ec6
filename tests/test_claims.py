"""Check-worthiness and speaker attribution (entities are built by hand: no model needed)."""
import pytest

from factcheck.extract.claims import THRESHOLD, claim_score, features, find_speaker, is_check_worthy
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


@pytest.mark.parametrize("sentence,entities,numbers,n_dates,worthy", SCORE_ROWS)
def test_claim_score(sentence, entities, numbers, n_dates, worthy):
    score = claim_score(sentence, entities, numbers, n_dates)
    assert 0.0 <= score <= 1.0
    assert is_check_worthy(score) is worthy, score


@pytest.mark.parametrize("sentence,more,less", [
    ("Exports rose 12% in 2023.", "numbers", "none"),
    ("Is it true that exports rose?", "statement", "question"),
])
def test_claim_score_directions(sentence, more, less):
    fact = claim_score("Exports rose 12% in 2023.", [], [Number("12%", 12, 15, 12, "%", "percent")], 1)
    assert fact > claim_score("Exports rose.", [], [], 0)
    assert claim_score("Exports rose sharply in 2023.", [], [], 1) > \
        claim_score("Did exports rise sharply in 2023?", [], [], 1)


def test_features_are_named_and_bounded():
    f = features(S1, [], [], 1)
    assert set(f) >= {"number", "date", "question", "hedge"}
    assert all(0.0 <= v <= 3.0 for v in f.values())
    assert is_check_worthy(THRESHOLD) and not is_check_worthy(THRESHOLD - 0.01)


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
