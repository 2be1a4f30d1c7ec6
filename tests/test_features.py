"""The structural comparisons of one passage with a claim (features.py): what they match, what they find in
conflict, and the plain-words reasons, independent of the learned decisions built on them."""
import pytest

from factcheck.extract import analyse_claim, extract_passages
from factcheck.features import compare_passage, view_claim
from factcheck.models import Source
from factcheck.store.base import Hit


def read(claim: str, text: str, published_at: str = "2024-06-20", title: str = None, claim_date: str = None):
    """Every sentence of the text compared with the claim; the comparison of the best-matching sentence."""
    source = Source(id="s", text=text, content_hash="h", publisher="Test", published_at=published_at, title=title)
    hits = [Hit(p, source, 1.0) for p in extract_passages("s", text, published_at)]
    view = view_claim(analyse_claim(claim, claim_date), hits)
    comparisons = [compare_passage(view, hit, rank) for rank, hit in enumerate(hits)]
    return max(comparisons, key=lambda c: (c.features["cover"], len(c.conflicts) + len(c.matches)))


@pytest.mark.parametrize("claim, text, conflict", [
    ("Norway and Chile held fishing quota talks in Lisbon on 14 May 2024",
     "The Geneva talks between Norway and Chile on fishing quotas took place in Geneva on 14 May 2024.", "Geneva"),
    ("The ministers agreed a quota of 300,000 tonnes",
     "The ministers agreed a quota of 450,000 tonnes for next year.", "450,000"),
    ("Chile signed the subsidies protocol", "Chile did not sign the subsidies protocol.", "not"),
    ("Nordic Ferries won the Bergen ferry contract",
     "Fjord Lines defeated Nordic Ferries for the Bergen ferry contract on Tuesday.", "defeated Nordic Ferries"),
    ("Harbour director Anders Lund said 'We will not raise the harbour fees this year.'",
     "The council met on Thursday. \u201cWe will not raise the harbour fees this year,\u201d said Mayor Ingrid Olsen.",
     "Ingrid Olsen"),
    ("Fisheries Minister Nina Holm was one of the negotiators at the quota talks",
     "Negotiators Kari Berg and Ola Dahl with Fisheries Minister Nina Holm at the quota talks.",
     "Kari Berg and Ola Dahl as negotiators"),
    ("The harbour speed limit applies to ferries used for passenger transport",
     "The new harbour speed limit applies only to cargo boats, exempting ferries used for passenger transport.",
     "exempting"),
    ("The Bergen to Stavanger ferry crossing takes 90 minutes",
     "The new Bergen to Stavanger ferry crossing takes 40\u201350 minutes, the operator said.", "90 minutes"),
    ("Denmark was one of the co-hosts of the Arctic fisheries conference in Troms\u00f8",
     "The Arctic fisheries conference in Troms\u00f8, co-hosted by Iceland, ended on Wednesday.",
     "the source names Iceland as co-host, not Denmark"),
    ("The Bergen harbour festival opened on 3 June 2024",
     "The Bergen harbour festival opened on 5 June 2024 after a two-day delay.", "5 June 2024"),
    # A bound the source's figure falls outside of.
    ("As of 10 January, the confirmed death toll was fewer than 100.",
     "The death toll from the quake reached 206 as of 2 p.m. Wednesday.", "less than 100"),
])
def test_conflicts_are_found_and_explained(claim, text, conflict):
    comparison = read(claim, text)
    reasons = comparison.conflicts + comparison.mismatches
    assert any(conflict in r for r in reasons), reasons
    assert comparison.features["any_conflict"] == 1.0


@pytest.mark.parametrize("claim, text, match", [
    ("The ministers agreed a quota of 450,000 tonnes",
     "The ministers agreed a quota of 450,000 tonnes for next year.", "450,000"),
    ("Mayor Ingrid Olsen said 'We will not raise the harbour fees this year.'",
     "The council met on Thursday. \u201cWe will not raise the harbour fees this year,\u201d said Mayor Ingrid Olsen.",
     "Ingrid Olsen"),
    # A bound the source's figure satisfies: "more than 400" holds for 412, "nearly 1,000" for 950.
    ("Labour captured more than 400 of the 650 seats.", "Labour clinched 412 seats of the 650.", "412"),
    ("The ship is nearly 1,000 feet long.", "The ship is 950 feet long.", "950"),
    # A sentence stating some of the claim's figures may lean on the sentence before it for the others.
    ("The harbour festival raised 2 million kroner, of which 400,000 kroner went to the lifeboat service",
     "The harbour festival raised 2 million kroner this year. Organisers said 400,000 kroner went to the "
     "lifeboat service.", "in the text before it"),
    # "Tuesday" in an article of Wednesday 15 May 2024 is 14 May.
    ("Norway and Chile met in Geneva on 14 May 2024",
     "Trade ministers from Norway and Chile met on Tuesday in Geneva to discuss fishing quotas.", "14 May 2024"),
])
def test_matches_are_found_and_named(claim, text, match):
    comparison = read(claim, text, published_at="2024-05-15")
    assert any(match in m for m in comparison.matches), comparison.matches
    assert not comparison.conflicts, comparison.conflicts


def test_a_range_allows_a_figure_without_confirming_it():
    comparison = read("The Bergen to Stavanger ferry crossing takes 45 minutes",
                      "The new Bergen to Stavanger ferry crossing takes 40\u201350 minutes, the operator said.")
    assert comparison.features["number_range"] == 1.0
    assert comparison.features["number_share"] == 0.0
    assert not comparison.conflicts


def test_a_source_published_years_before_the_claims_dates_cannot_report_it():
    later = read("The talks were held in Singapore on 14 May 2024",
                 "The talks were held in Singapore on Tuesday.", published_at="2005-03-01")
    assert later.features["published_before"] == 1.0
    same_week = read("The talks were held in Singapore on 14 May 2024",
                     "The talks were held in Singapore on Tuesday.", published_at="2024-05-15")
    assert same_week.features["published_before"] == 0.0
    assert same_week.features["time_gap"] == 0.0


def test_participants_are_normalised():
    comparison = read("Chinese and American officials held talks in Geneva",
                      "Beijing and Washington held talks in Geneva on Tuesday.")
    assert comparison.features["participant_share"] == 1.0
