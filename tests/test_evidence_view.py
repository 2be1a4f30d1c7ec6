"""The verdict page's evidence as a reader sees it: one card per independent source (a publisher's passages and
a report reprinted by several outlets count once), the claim's own names, dates and figures marked, the names
each card shares with the claim said in its reason, and the confidence bar explained. Saved verdicts with known
evidence are put in a real SQLite store and their pages read through the Flask test client."""
import re

from factcheck.evidence_view import claim_names, group_by_source
from factcheck.models import Evidence, Verdict

from .test_web_pages import html_of

CLAIM = "The US delegation was led by Seth Center and Tarun Chhabra on 14 May 2024"
WIRE = "The US delegation was led by Seth Center and Tarun Chhabra, the White House said."


def evidence(source_id, publisher, sentence, score, stance="supports", **extra) -> Evidence:
    return Evidence(source_id=source_id, url=f"https://{source_id}.example/story", publisher=publisher,
                    published_at="2024-05-15", sentence=sentence, start=0, end=len(sentence), dates=[],
                    stance=stance, score=score, reason="the source reports the same", passage_id=f"{source_id}:0",
                    title=f"Story of {publisher}", **extra)


EVIDENCE = [
    # One article of the Global Times: its headline and two sentences. One voice.
    evidence("gt-1", "Global Times", "US, China hold first AI talks in Geneva", 0.9),
    evidence("gt-1", "Global Times", WIRE, 0.8),
    evidence("gt-1", "Global Times", "Chhabra told reporters the talks were candid.", 0.5),
    # The wire report reprinted word for word by two other outlets: the same voice as its first printing.
    evidence("wire-a", "Alpine Herald", WIRE, 0.7),
    evidence("wire-b", "Lakeside Daily", WIRE, 0.6),
    # An independent source.
    evidence("rv-1", "Riverside Post", "Seth Center led the American side at the Geneva meeting.", 0.4),
    # One conflicting source.
    evidence("vt-1", "Valley Times", "The delegation was led by <b>Jake Sullivan</b> <script>x()</script>.", 0.6,
             stance="conflicts"),
]


def test_cards_are_independent_sources_with_wire_copies_in_one_group():
    cards = group_by_source(EVIDENCE)
    supports = cards["supports"]
    assert [c.publishers for c in supports] == [["Global Times", "Alpine Herald", "Lakeside Daily"],
                                                ["Riverside Post"]]
    first = supports[0]
    assert first.best.sentence == "US, China hold first AI talks in Geneva"  # its strongest passage first
    assert len(first.more) == 4 and first.articles == 3
    assert [len(c.passages) for c in cards["conflicts"]] == [1]


def test_the_claims_own_names_dates_and_figures_are_found():
    verdict = Verdict(claim="The EU fined Apple 1.8 billion euros on 4 March 2024 in Brussels", verdict="SUPPORTED",
                      confidence=0.5, as_of=None, dates=[], evidence=[])
    marks, names = claim_names(verdict)
    marked = {verdict.claim[m["start"]:m["end"]]: m["kind"] for m in marks}
    assert marked["4 March 2024"] == "date"
    assert marked["1.8 billion euros"] == "number"
    assert marked["Brussels"] == "place"
    assert "Apple" in marked and "EU" in marked
    assert {n.text for n in names} >= {"Apple", "Brussels"}


def saved(store, evidence_items, verdict="SUPPORTED", confidence=0.83) -> str:
    return store.save_check(Verdict(claim=CLAIM, verdict=verdict, confidence=confidence, as_of=None, dates=[],
                                    evidence=list(evidence_items)))


def test_the_page_counts_sources_not_sentences_and_folds_the_rest(client, store):
    html = html_of(client.get(f"/checks/{saved(store, EVIDENCE)}"))
    assert "Supporting sources (2)" in html and "Conflicting sources (1)" in html
    supports = html.split('id="h-supports"', 1)[1].split('id="h-conflicts"', 1)[0]
    assert supports.count('<article class="evidence supports">') == 2
    assert "4 more passages (3 articles)" in supports
    assert "The same report was printed by Alpine Herald, Lakeside Daily: one source, counted once." in supports


def test_the_claims_names_are_marked_and_named_in_the_reason(client, store):
    html = html_of(client.get(f"/checks/{saved(store, EVIDENCE)}"))
    claim = re.search(r'<blockquote class="claim-text">(.*?)</blockquote>', html, re.S).group(1)
    assert re.search(r'<mark class="claim-mark \w+" title="\w+">Tarun Chhabra</mark>', claim), claim
    assert re.search(r'<mark class="claim-mark date" title="date">14 May 2024</mark>', claim), claim
    assert re.search(r'<mark class="claim-mark \w+" title="\w+">Seth Center</mark>', claim), claim
    riverside = html.split("Riverside Post", 1)[1].split("</article>", 1)[0]
    assert re.search(r'<mark class="match \w+" title="\w+">Seth Center</mark>', riverside), riverside
    assert 'it names <strong class="name">Seth Center</strong>, as the claim does' in riverside
    global_times = html.split("Global Times", 1)[1].split("</article>", 1)[0]
    assert re.search(r'<mark class="match \w+" title="\w+">Tarun Chhabra</mark>', global_times)
    assert re.search(r'<mark class="match \w+" title="\w+">Chhabra</mark> told reporters', global_times)
    assert re.search(r"it names .*Seth Center.* and .*Tarun Chhabra.*, as the claim does", global_times)


def test_marked_source_text_stays_escaped(client, store):
    hostile = evidence("evil-1", "<b>Evil</b> Gazette",
                       "<script>alert(1)</script> Tarun Chhabra <img src=x onerror=alert(2)> met Seth Center", 0.9)
    html = html_of(client.get(f"/checks/{saved(store, [hostile])}"))
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html and "<b>Evil</b>" not in html
    assert ('&lt;script&gt;alert(1)&lt;/script&gt; <mark class="match name" title="name">Tarun Chhabra</mark> '
            '&lt;img src=x onerror=alert(2)&gt; met') in html


def test_the_confidence_bar_takes_the_verdicts_colour_and_is_explained(client, store):
    html = html_of(client.get(f"/checks/{saved(store, EVIDENCE[-1:], verdict='REFUTED', confidence=0.71)}"))
    assert '<meter class="refuted" min="0" max="100" value="71"' in html
    assert "71% is the checker's estimated chance that this verdict is right" in html
    assert "It is not the share of sources that agree." in html
