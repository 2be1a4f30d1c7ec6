"""The checker on hand-written sources: its three steps (same event, stance, verdict over independent sources),
the verdict labels with their reasons, as_of, bad input. The comparisons themselves: test_features.py."""
import pytest

from factcheck.check import (Assessed, check_claim, decide, independent_sources, read_candidates, same_event,
                             stance, verdict_features)
from factcheck.extract import analyse_claim
from factcheck.learned import checker_model
from factcheck.config import Config
from factcheck.ingest import ingest_records
from factcheck.store.sqlite import SqliteStore
from factcheck.timeline import build_timeline

SOURCES = [
    {"id": "wire-1", "publisher": "Wire One", "published_at": "2024-05-15", "title": "Ministers meet in Geneva",
     "text": "Trade ministers from Norway and Chile met on Tuesday in Geneva to discuss fishing quotas. "
             "The ministers agreed a quota of 450,000 tonnes for next year. "
             "Norwegian minister Ola Berg led the delegation."},
    {"id": "wire-2", "publisher": "Wire Two", "published_at": "2024-05-16",
     "title": "Fishing quota talks end without a deal on subsidies",
     "text": "The Geneva talks between Norway and Chile on fishing quotas took place on 14 May 2024. "
             "Chile did not sign the subsidies protocol."},
    {"id": "wire-3", "publisher": "Wire Three", "published_at": "2024-05-20", "title": "Quota talks recap",
     "text": "Norway and Chile held their fishing quota talks in Geneva on 13 May 2024, officials said."},
    {"id": "local-1", "publisher": "Bergen Daily", "published_at": "2024-06-10",
     "text": "The Bergen harbour festival opened on 3 June 2024 with a boat parade."},
    {"id": "local-2", "publisher": "Coast Radio", "published_at": "2024-06-11",
     "text": "The Bergen harbour festival opened on 5 June 2024 after a two-day delay."},
    {"id": "local-3", "publisher": "Coast Radio", "published_at": "2024-06-12",
     "text": "Fjord Lines defeated Nordic Ferries for the Bergen ferry contract on Tuesday."},
    {"id": "local-4", "publisher": "Bergen Daily", "published_at": "2024-06-14",
     "text": "The council met on Thursday. \u201cWe will not raise the harbour fees this year,\u201d said Mayor "
             "Ingrid Olsen."},
    {"id": "local-5", "publisher": "Coast Radio", "published_at": "2024-06-15",
     "text": "Negotiators Kari Berg and Ola Dahl with Fisheries Minister Nina Holm at the quota talks."},
    {"id": "local-6", "publisher": "Bergen Daily", "published_at": "2024-06-16",
     "text": "The new harbour speed limit applies only to cargo boats, exempting ferries used for passenger "
             "transport."},
    {"id": "local-7", "publisher": "Coast Radio", "published_at": "2024-06-17",
     "text": "The new Bergen to Stavanger ferry crossing takes 40\u201350 minutes, the operator said."},
    {"id": "local-8", "publisher": "Bergen Daily", "published_at": "2024-06-18",
     "text": "Between 20 and 25 of the harbour's 60 cranes are electric, the port authority said."},
    {"id": "local-9", "publisher": "Coast Radio", "published_at": "2024-06-19",
     "text": "The harbour festival raised 2 million kroner this year. Organisers said 400,000 kroner went to the "
             "lifeboat service. The Bergen lifeboat crews thanked the festival."},
    {"id": "local-10", "publisher": "Bergen Daily", "published_at": "2024-06-20",
     "text": "The Arctic fisheries conference in Tromsø, co-hosted by Iceland, ended on Wednesday."},
    {"id": "local-11", "publisher": "Coast Radio", "published_at": "2024-06-21", "title": "Whaling summit ends",
     "text": "Officials from Norway and Chile declined to sign the whaling summit declaration."},
    {"id": "local-12", "publisher": "Bergen Daily", "published_at": "2024-06-21", "title": "Whaling summit",
     "text": "All eyes were on Norway and Chile."},
]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store = SqliteStore(str(tmp_path_factory.mktemp("check") / "check.db"))
    report = ingest_records(store, SOURCES, Config(load_demo=False))
    assert report.added == len(SOURCES)
    yield store
    store.close()


@pytest.mark.parametrize("claim, verdict, reason_parts", [
    # Two sources date the talks 14 May, a third says 13 May: credible sources disagree.
    ("Norway and Chile held fishing quota talks in Geneva on 14 May 2024", "CONFLICTING", ["13 May 2024"]),
    # One source against one: sources disagree.
    ("The Bergen harbour festival opened on 3 June 2024", "CONFLICTING", ["5 June 2024", "3 June 2024"]),
    ("Norway and Chile held fishing quota talks in Lisbon on 14 May 2024", "REFUTED", ["Geneva", "Lisbon"]),
    ("The ministers agreed a quota of 300,000 tonnes", "REFUTED", ["450,000", "300,000"]),
    ("The ministers agreed a quota of 450,000 tonnes", "SUPPORTED", ["450,000"]),
    ("Chile signed the subsidies protocol", "REFUTED", ["not"]),
    ("The delegation was led by Norwegian minister Ola Berg", "SUPPORTED", ["Ola Berg"]),
    ("The Moon landing was filmed in a studio in 1969", "NOT_ENOUGH_EVIDENCE", []),
    # Who said it: the quoted words are the mayor's, not the claim's speaker's.
    ("Harbour director Anders Lund said 'We will not raise the harbour fees this year.'", "REFUTED",
     ["Ingrid Olsen", "Anders Lund"]),
    ("Mayor Ingrid Olsen said 'We will not raise the harbour fees this year.'", "SUPPORTED", ["Ingrid Olsen"]),
    # Roles: the sentence names the negotiators, and the minister is not one of them.
    ("Fisheries Minister Nina Holm was one of the negotiators at the quota talks", "REFUTED",
     ["Kari Berg and Ola Dahl as negotiators"]),
    # Opposite words: the sentence exempts what the claim says the rule applies to (British spelling too).
    ("The harbour speed limit applies to ferries used for passenger transport", "REFUTED", ["exempting"]),
    # A value inside the range a source gives is allowed by it, and the reason says it does not confirm the exact
    # figure (the learned verdict counts such a source as support); one outside the range conflicts.
    ("The Bergen to Stavanger ferry crossing takes 45 minutes", "SUPPORTED", ["does not confirm it"]),
    ("The Bergen to Stavanger ferry crossing takes 90 minutes", "REFUTED", ["90 minutes"]),
    # Both ends of a range that holds one claimed value are that quantity, not rivals for the claim's other number.
    ("25 of the harbour's 60 cranes are electric", "SUPPORTED", ["allows the claim's figure"]),
    ("25 of the harbour's 80 cranes are electric", "REFUTED", ["the source gives 60"]),
    # A country given a hyphenated role that the sentence states another country holds (news-dev DC35).
    ("Denmark was one of the co-hosts of the Arctic fisheries conference in Tromsø", "REFUTED",
     ["the source names Iceland as co-host, not Denmark"]),
    ("Iceland was one of the co-hosts of the Arctic fisheries conference in Tromsø", "SUPPORTED", ["Iceland"]),
    # A negated claim against a sentence that shares only its names and topic, not what it says happened (news-dev
    # DC38: "Neither the US nor the UK signed" against "... catch up with the United States"): no polarity conflict.
    ("Neither Norway nor Chile signed the whaling summit declaration", "SUPPORTED", ["Norway, Chile"]),
    # A sentence that gives one of the claim's figures may lean on the sentence before it for the other.
    ("The harbour festival raised 2 million kroner, of which 400,000 kroner went to the lifeboat service",
     "SUPPORTED", ["400,000", "in the text before it"]),
])
def test_verdicts_and_reasons(store, claim, verdict, reason_parts):
    result = check_claim(store, claim)
    assert result.verdict == verdict, [(e.stance, e.reason) for e in result.evidence]
    decisive = [e for e in result.evidence if e.stance != "related"]
    assert not any("the source gives 20" in e.reason for e in decisive)     # a range end is not a rival
    for part in reason_parts:
        assert any(part in e.reason for e in decisive), [e.reason for e in decisive]
    assert 0.0 <= result.confidence <= 1.0


def test_who_won_is_read_from_who_defeated_whom(store):
    # "X defeated Y" contradicts "Y won" and confirms "X won". With a single source whose event word differs
    # ("defeated" / "won") the learned verdict may stay NOT_ENOUGH_EVIDENCE, but it never supports the loser.
    loser = check_claim(store, "Nordic Ferries won the Bergen ferry contract")
    assert loser.verdict in ("REFUTED", "NOT_ENOUGH_EVIDENCE")
    assert any(e.stance == "conflicts" and "defeated Nordic Ferries" in e.reason for e in loser.evidence)
    winner = check_claim(store, "Fjord Lines won the Bergen ferry contract")
    assert winner.verdict == "SUPPORTED"
    assert not any(e.stance == "conflicts" for e in winner.evidence)


def test_evidence_carries_offsets_into_the_source(store):
    result = check_claim(store, "The ministers agreed a quota of 450,000 tonnes")
    evidence = next(e for e in result.evidence if e.stance == "supports")
    source = store.get_source(evidence.source_id)
    assert source.text[evidence.start:evidence.end] == evidence.sentence


def test_relative_claim_date_is_anchored_on_claim_date(store):
    result = check_claim(store, "Yesterday Norway and Chile held fishing quota talks in Geneva",
                         claim_date="2024-05-15")
    assert [d["value"] for d in result.dates] == ["2024-05-14"]
    assert result.verdict in ("SUPPORTED", "CONFLICTING")


def test_relative_claim_date_without_anchor_says_so(store):
    result = check_claim(store, "Yesterday Norway and Chile held fishing quota talks in Geneva")
    assert result.dates and result.dates[0]["value"] is None
    assert "anchor" in result.dates[0]["note"]


def test_as_of_hides_later_sources(store):
    result = check_claim(store, "Norway and Chile held fishing quota talks in Geneva on 14 May 2024",
                         as_of="2024-05-17")
    assert result.verdict == "SUPPORTED"
    assert {e.source_id for e in result.evidence} <= {"wire-1", "wire-2"}


@pytest.mark.parametrize("kwargs, field", [
    ({"claim": ""}, "claim"),
    ({"claim": "x" * 2001}, "claim"),
    ({"claim": 42}, "claim"),
    ({"claim": "Talks were held", "claim_date": "31 February 2024"}, "claim_date"),
    ({"claim": "Talks were held", "as_of": "not a date"}, "as_of"),
])
def test_bad_input_names_the_field(store, kwargs, field):
    with pytest.raises(ValueError) as error:
        check_claim(store, **kwargs)
    assert str(error.value).startswith(field + ":")


def test_timeline_orders_events_and_marks_conflicting_dates(store):
    timeline = build_timeline(store, query="fishing quota talks")
    dated = [e for e in timeline["events"] if "talks" in e["sentence"]]
    assert [e["range_start"] for e in dated] == sorted(e["range_start"] for e in dated)
    by_source = {e["source_id"]: e for e in dated}
    assert by_source["wire-3"]["conflict"] and by_source["wire-2"]["conflict"]
    assert "14 May 2024" in by_source["wire-3"]["conflict_reason"]
    assert "13 May 2024" in by_source["wire-2"]["conflict_reason"]


def test_a_sentence_without_the_figures_is_not_completed_from_its_context(store):
    result = check_claim(store, "Organisers said 400,000 kroner of the 2 million kroner raised went to the Bergen "
                                "lifeboat crews")
    by_sentence = {e.sentence: e for e in result.evidence}
    figures = by_sentence["Organisers said 400,000 kroner went to the lifeboat service."]
    assert figures.stance == "supports" and "400,000" in figures.reason
    # The next sentence names the crews but none of the figures: they are not taken from the sentence before it,
    # and it says so.
    thanked = by_sentence.get("The Bergen lifeboat crews thanked the festival.")
    if thanked is not None:
        assert "in the text before it" not in thanked.reason
        assert "does not confirm 400,000" in thanked.reason
        assert thanked.score < figures.score


# -- the three steps, one at a time ------------------------------------------------------------------------

def candidates(store, claim, claim_date=None):
    comparisons, with_vectors = read_candidates(store, analyse_claim(claim, claim_date))
    return comparisons, checker_model(with_vectors)


def best_by_source(comparisons, values):
    best = {}
    for c, v in zip(comparisons, values):
        best[c.hit.source.id] = max(best.get(c.hit.source.id, 0.0), float(v))
    return best


def test_step1_same_event_prefers_the_claims_event_over_one_sharing_its_names(store):
    comparisons, model = candidates(store, "Norway and Chile held fishing quota talks in Geneva on 14 May 2024")
    p = best_by_source(comparisons, same_event(comparisons, model))
    assert p["wire-2"] >= 0.5
    assert p["wire-2"] > p.get("local-11", 0.0) + 0.2      # the whaling summit names Norway and Chile too
    assert p.get("local-1", 0.0) < 0.2                      # the harbour festival


@pytest.fixture(scope="module")
def small_store(tmp_path_factory):
    """Sources for single-step tests: an old article, wire copies, one publisher's two articles."""
    store = SqliteStore(str(tmp_path_factory.mktemp("steps") / "steps.db"))
    sentence = "The trade ministers of Peru and Kenya signed a coffee agreement in Lima on 3 March 2024."
    records = [
        {"id": "old", "publisher": "Archive", "published_at": "2005-02-01",
         "text": "The trade ministers of Peru and Kenya signed a coffee agreement in Nairobi."},
        {"id": "wire-a", "publisher": "Wire A", "published_at": "2024-03-04", "text": sentence},
        {"id": "wire-b", "publisher": "Outlet B", "published_at": "2024-03-04", "text": sentence},
        {"id": "a-2", "publisher": "Wire A", "published_at": "2024-03-05",
         "text": "Peru and Kenya signed the coffee agreement in Lima, the ministers confirmed."},
    ]
    assert ingest_records(store, records, Config(load_demo=False)).added == len(records)
    yield store
    store.close()


def test_step1_a_source_published_years_before_the_claims_date_cannot_report_it(small_store):
    comparisons, model = candidates(small_store, "Peru and Kenya signed a coffee agreement in Lima on 3 March 2024")
    p = best_by_source(comparisons, same_event(comparisons, model))
    assert p["old"] == 0.0
    assert p["wire-a"] > 0.5


def test_step2_a_conflict_must_be_stated(store):
    comparisons, model = candidates(store, "Norway and Chile held fishing quota talks in Lisbon on 14 May 2024")
    p = stance(comparisons, model)
    for c, value in zip(comparisons, p):
        if not (c.conflicts or c.mismatches):
            assert value == 0.0
    geneva = [value for c, value in zip(comparisons, p) if any("Geneva" in r for r in c.conflicts)]
    assert geneva and max(geneva) > 0.5


def test_step3_one_voice_per_publisher_and_per_wire_copy(small_store):
    comparisons, _ = candidates(small_store, "Peru and Kenya signed a coffee agreement in Lima on 3 March 2024")
    assessed = [Assessed(c, 0.9, 0.0) for c in comparisons if c.hit.source.id != "old"]
    independent_sources(assessed)
    groups = {a.comparison.hit.source.id: a.group for a in assessed}
    assert groups["wire-a"] == groups["wire-b"]     # the same sentence reprinted by another outlet
    assert groups["wire-a"] == groups["a-2"]        # the same publisher
    features = verdict_features(assessed)
    alone = verdict_features(assessed[:1])
    assert features == alone                         # three passages of one voice weigh as one


def test_step3_a_verdict_is_backed_by_the_evidence_it_shows(small_store):
    comparisons, model = candidates(small_store, "Peru and Kenya signed a coffee agreement in Lima on 3 March 2024")
    supporting_only = [Assessed(c, 0.95, 0.0) for c in comparisons]
    verdict, confidence, probabilities = decide(supporting_only, model)
    assert verdict in ("SUPPORTED", "NOT_ENOUGH_EVIDENCE")
    assert verdict == "SUPPORTED"
    assert abs(sum(probabilities.values()) - 1.0) < 0.01 and confidence == round(probabilities[verdict], 2)
    assert decide([], model)[0] == "NOT_ENOUGH_EVIDENCE"


def test_timeline_keeps_different_events_that_share_a_word_apart(store):
    timeline = build_timeline(store, query="met meeting")
    by_source = {e["source_id"]: e for e in timeline["events"]}
    council, ministers = by_source["local-4"], by_source["wire-1"]
    assert council["event"] != ministers["event"]
    assert ministers["passage_id"] not in council["conflicts_with"]
    assert timeline["event_count"] >= 2
