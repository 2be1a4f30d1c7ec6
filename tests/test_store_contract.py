"""The Store protocol's contract (factcheck/store/base.py), run against every backend.

The Elasticsearch half needs a node (scripts/elasticsearch start); see test_elastic_store.py for when it skips.
"""
import pytest

from factcheck.models import DateMention, Entity, Evidence, Number, Passage, Source, Verdict
from factcheck.store.base import Hit, Store
from factcheck.store.sqlite import SqliteStore

from .test_elastic_store import elastic_store, es_session_prefix  # noqa: F401 - fixtures used below


@pytest.fixture(params=["sqlite", "elasticsearch"])
def store(request, tmp_path):
    if request.param == "sqlite":
        backend = SqliteStore(str(tmp_path / "contract.db"))
        yield backend
        backend.close()
    else:
        yield request.getfixturevalue("elastic_store")


def day(text, start, iso):
    return DateMention(text, start, start + len(text), iso, "day", range_start=iso, range_end=iso)


def span(text, start, value, granularity, first, last):
    return DateMention(text, start, start + len(text), value, granularity, range_start=first, range_end=last)


def place(text, start, key):
    return Entity(text, start, start + len(text), "PLACE", key)


def source(source_id, publisher, published_at, *sentences):
    return Source(id=source_id, text=" ".join(sentences), content_hash="sha-" + source_id, url=f"https://{source_id}.example/",
                  publisher=publisher, published_at=published_at, title=sentences[0][:40])


def passages(source_id, *items):
    """Passages from (text, dates, entities) with offsets as if the sentences were joined by one space."""
    out, offset = [], 0
    for index, (text, dates, entities) in enumerate(items):
        out.append(Passage(source_id, index, text, offset, offset + len(text), dates=dates, entities=entities))
        offset += len(text) + 1
    return out


GENEVA = "Norway and Chile signed a fisheries agreement in Geneva on 14 May 2024."
HOURS = "The meeting lasted four hours, officials said."
MAY = "The fisheries agreement between Norway and Chile was signed in Geneva in May 2024."
UNDATED = "Fisheries ministers from Norway met officials in 2023."
BRIDGE = "A new bridge opened in Bergen on 1 September 2023 after two years of work."
WIRE = "Chile confirmed the fisheries pact on 14 May 2024."


def corpus():
    """Sources with their passages: (Source, [Passage])."""
    alpine = passages("alpine", (GENEVA, [day("14 May 2024", 59, "2024-05-14")],
                                 [place("Norway", 0, "norway"), place("Chile", 11, "chile"),
                                  place("Geneva", 49, "geneva")]),
                      (HOURS, [], []))
    alpine[0].numbers = [Number("14", 59, 61, 14.0, None, "ordinal")]
    alpine[0].is_claim, alpine[0].claim_score, alpine[0].speaker = True, 0.9, "officials"
    lakeside = passages("lakeside", (MAY, [span("May 2024", 73, "2024-05", "month", "2024-05-01", "2024-05-31")],
                                     [place("Norway", 32, "norway"), place("Chile", 43, "chile")]))
    undated = passages("undated", (UNDATED, [span("2023", 49, "2023", "year", "2023-01-01", "2023-12-31")],
                                   [place("Norway", 25, "norway")]))
    bridge = passages("bridge", (BRIDGE, [day("1 September 2023", 33, "2023-09-01"),
                                          DateMention("two years", 56, 65, "P2Y", None, type="duration")],
                                 [place("Bergen", 23, "bergen")]))
    wire = passages("aardvark-wire", (WIRE, [day("14 May 2024", 38, "2024-05-14")], [place("Chile", 0, "chile")]))
    return [
        (source("alpine", "Alpine Herald", "2024-05-15", GENEVA, HOURS), alpine),
        (source("lakeside", "Lakeside Daily", "2024-05-20T08:30:00+00:00", MAY), lakeside),
        (source("undated", "Fish Blog", None, UNDATED), undated),
        (source("bridge", "Harbour News", "2023-09-02", BRIDGE), bridge),
        (source("aardvark-wire", "Aardvark Wire", "2024-05-14", WIRE), wire),
    ]


@pytest.fixture
def filled(store):
    for src, items in corpus():
        assert store.add_source(src, items) is True
    return store


def ids(hits):
    return [hit.passage.id for hit in hits]


def test_is_a_store(store):
    assert isinstance(store, Store)


def test_add_source_is_idempotent(filled):
    before = filled.stats()
    src, items = corpus()[0]
    src.text = "changed"
    assert filled.add_source(src, items[:1]) is False
    assert filled.stats() == before
    assert filled.get_source("alpine").text == " ".join([GENEVA, HOURS])
    assert len(filled.get_passages("alpine")) == 2


def test_sources_added_in_a_batch_equal_sources_added_one_by_one(store, tmp_path):
    """ingest.add_sources (Elasticsearch: one mget, two bulk requests, one refresh): True for new ids, False for
    an id stored before or earlier in the same batch (nothing of it left behind), same heads and passages."""
    from factcheck.ingest import add_sources, source_heads

    batch = corpus()
    assert store.add_source(*batch[0]) is True
    again = (source("bridge", "Someone Else", "2020-01-01", "Other text."), passages("bridge", ("Other text.", [], [])))
    results = add_sources(store, batch + [again])
    assert results == [False, True, True, True, True, False]
    reference = SqliteStore(str(tmp_path / "one-by-one.db"))
    for src, items in corpus():
        reference.add_source(src, items)
    heads = source_heads(store, [src.id for src, _ in batch] + ["nope"])
    assert heads["nope"] is None
    for src, _items in corpus():
        got, want = heads[src.id], reference.source_head(src.id)
        got.ingested_at = want.ingested_at = None
        assert got == want
        assert [p.to_dict() for p in store.get_passages(src.id)] == \
            [p.to_dict() for p in reference.get_passages(src.id)]
    assert store.stats() == reference.stats()
    reference.close()


def test_get_source_by_id(filled):
    expected = corpus()[1][0]
    got = filled.get_source("lakeside")
    assert got.ingested_at  # set by the store when the caller left it empty
    got.ingested_at = None
    assert got == expected
    assert filled.has_source("lakeside") and not filled.has_source("nope")
    assert filled.get_source("nope") is None


def test_passages_round_trip_in_text_order(store):
    src, items = corpus()[0]
    assert store.add_source(src, list(reversed(items))) is True
    got = store.get_passages("alpine")
    assert got == items
    assert [p.index for p in got] == [0, 1]
    assert got[0].dates[0].range_start == "2024-05-14" and got[0].numbers[0].value == 14.0
    assert store.get_passages("nope") == []


def test_search_finds_relevant_passages_best_first(filled):
    hits = filled.search("Norway Chile fisheries agreement Geneva")
    assert all(isinstance(hit, Hit) for hit in hits)
    assert set(ids(hits)[:2]) == {"alpine:0", "lakeside:0"}
    assert "bridge:0" not in ids(hits)
    assert hits[0].source.id == hits[0].passage.source_id
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_search_filters_by_publisher(filled):
    assert ids(filled.search("fisheries agreement Norway", publisher="Lakeside Daily")) == ["lakeside:0"]
    assert filled.search("fisheries agreement Norway", publisher="Nobody") == []


def test_search_as_of_drops_later_sources_and_keeps_undated(filled):
    found = ids(filled.search("Norway fisheries", as_of="2024-05-16"))
    assert "alpine:0" in found and "undated:0" in found
    assert "lakeside:0" not in found  # published 20 May
    assert "lakeside:0" in ids(filled.search("Norway fisheries", as_of="2024-05-20"))


def test_search_without_terms_or_entities_finds_nothing(filled):
    assert filled.search("") == []
    assert filled.search("the of and") == []


def test_search_by_entity_alone(filled):
    assert ids(filled.search("", entities=["bergen"])) == ["bridge:0"]


def test_search_date_overlap_boosts(store):
    text = "Quotas for the South Pacific were agreed."
    for source_id, iso in (("quota-one", "2021-03-10"), ("quota-two", "2022-03-10")):
        store.add_source(source(source_id, "Wire", "2022-04-01", text),
                         passages(source_id, (text, [day(iso[:4], 0, iso)], [])))
    assert ids(store.search("South Pacific quotas", date_from="2022-03-01", date_to="2022-03-31"))[0] == \
        "quota-two:0"
    assert ids(store.search("South Pacific quotas", date_from="2021-01-01", date_to="2021-12-31"))[0] == \
        "quota-one:0"
    assert len(store.search("South Pacific quotas", date_from="1990-01-01", date_to="1990-12-31")) == 2


def test_timeline_orders_by_first_date_then_source(filled):
    assert ids(filled.timeline()) == ["undated:0", "bridge:0", "lakeside:0", "aardvark-wire:0", "alpine:0"]


def test_timeline_filters(filled):
    assert ids(filled.timeline(entity="chile")) == ["lakeside:0", "aardvark-wire:0", "alpine:0"]
    assert ids(filled.timeline(query="bridge")) == ["bridge:0"]
    assert ids(filled.timeline(entity="chile", as_of="2024-05-16")) == ["aardvark-wire:0", "alpine:0"]
    assert ids(filled.timeline(limit=2)) == ["undated:0", "bridge:0"]


def test_timeline_date_range_overlap(filled):
    assert ids(filled.timeline(date_from="2024-05-10", date_to="2024-05-12")) == ["lakeside:0"]
    assert ids(filled.timeline(date_from="2023-09-01", date_to="2023-09-01")) == ["undated:0", "bridge:0"]
    assert ids(filled.timeline(date_from="2024-05-14")) == ["lakeside:0", "aardvark-wire:0", "alpine:0"]
    assert filled.timeline(date_from="2030-01-01", date_to="2030-12-31") == []


def test_list_sources_newest_first_with_filters(filled):
    assert [s.id for s in filled.list_sources()] == ["lakeside", "alpine", "aardvark-wire", "bridge", "undated"]
    assert [s.id for s in filled.list_sources(publisher="Harbour News")] == ["bridge"]
    assert [s.id for s in filled.list_sources(published_from="2024-05-15")] == ["lakeside", "alpine"]
    assert [s.id for s in filled.list_sources(published_to="2023-12-31")] == ["bridge"]
    assert [s.id for s in filled.list_sources(query="bridge")] == ["bridge"]
    assert [s.id for s in filled.list_sources(limit=2, offset=1)] == ["alpine", "aardvark-wire"]


def test_save_and_get_check(store):
    evidence = Evidence("alpine", "https://alpine.example/", "Alpine Herald", "2024-05-15", GENEVA, 0, len(GENEVA),
                        [{"text": "14 May 2024", "value": "2024-05-14"}], "supports", 0.9,
                        "source dates the meeting 14 May 2024", passage_id="alpine:0")
    verdict = Verdict("Norway and Chile met on 14 May 2024", "SUPPORTED", 0.85, "2024-06-01",
                      [{"value": "2024-05-14"}], [evidence])
    check_id = store.save_check(verdict)
    assert check_id and verdict.id == check_id and verdict.created_at
    assert store.get_check(check_id) == verdict
    assert store.get_check("chk-missing") is None
    named = Verdict("x", "NOT_ENOUGH_EVIDENCE", 0.1, None, [], [], id="chk-mine")
    assert store.save_check(named) == "chk-mine"
    assert store.get_check("chk-mine").verdict == "NOT_ENOUGH_EVIDENCE"


def test_stats_counts(store):
    assert store.stats() == {"sources": 0, "passages": 0, "checks": 0}
    for src, items in corpus():
        store.add_source(src, items)
    store.save_check(Verdict("x", "REFUTED", 0.7, None, [], []))
    assert store.stats() == {"sources": 5, "passages": 6, "checks": 1}


def review(check_id, verdict="SUPPORTED", **fields):
    from factcheck.models import Review

    return Review(id=check_id, check_id=check_id, claim=f"claim of {check_id}", machine_verdict=verdict, **fields)


def test_review_create_get_and_duplicate(store):
    from factcheck.store.base import VersionConflict

    created = store.create_review(review("chk-1"))
    assert created.version == 1 and created.status == "pending"
    assert store.get_review("chk-1").claim == "claim of chk-1"
    assert store.get_review("chk-none") is None
    with pytest.raises(VersionConflict):
        store.create_review(review("chk-1"))


def test_review_update_bumps_version_and_refuses_stale(store):
    from factcheck.store.base import NotFound, VersionConflict

    store.create_review(review("chk-2"))
    first = store.get_review("chk-2")
    first.status, first.assignee = "in_review", "ed"
    first.excluded = [{"passage_id": "src-a:2", "reason": "an opinion column", "by": "ed"}]
    first.added = [{"source_id": "src-b", "url": "https://b.example/", "stance": "supports", "by": "ed"}]
    assert store.update_review(first, 1).version == 2
    again = store.get_review("chk-2")  # the editors' evidence changes are stored with the review
    assert again.excluded[0]["reason"] == "an opinion column" and again.added[0]["source_id"] == "src-b"
    stale = review("chk-2", status="dismissed")
    with pytest.raises(VersionConflict):
        store.update_review(stale, 1)
    stored = store.get_review("chk-2")
    assert (stored.status, stored.assignee, stored.version) == ("in_review", "ed", 2)
    with pytest.raises(NotFound):
        store.update_review(review("chk-missing"), 1)


def test_reviews_filtered_by_who_flagged_them_and_how_long_they_waited(store):
    for check_id, by, created in (("chk-f1", "fiona", "2024-01-01T09:00:00+00:00"),
                                  ("chk-f2", "frank", "2024-01-05T09:00:00+00:00"),
                                  ("chk-f3", "fiona", "2024-01-09T09:00:00+00:00")):
        store.create_review(review(check_id, created_at=created,
                                   audit=[{"at": created, "by": by, "action": "flagged", "changes": {}}]))
    if hasattr(store, "refresh_indexes"):
        store.refresh_indexes()
    assert sorted(r.id for r in store.list_reviews(flagged_by="fiona")) == ["chk-f1", "chk-f3"]
    assert [r.id for r in store.list_reviews(flagged_by="nobody")] == []
    assert sorted(r.id for r in store.list_reviews(created_before="2024-01-06T00:00:00+00:00")) == ["chk-f1", "chk-f2"]
    assert [r.id for r in store.list_reviews(flagged_by="fiona", created_before="2024-01-06T00:00:00+00:00")] == [
        "chk-f1"]


def test_concurrent_review_updates_one_wins(store):
    """Two editors save at the same moment from the same version: exactly one succeeds, nothing is lost."""
    import threading

    from factcheck.store.base import VersionConflict

    store.create_review(review("chk-3"))
    outcomes, barrier = [], threading.Barrier(2)

    def editor(name):
        mine = store.get_review("chk-3")
        mine.assignee = name
        barrier.wait()
        try:
            store.update_review(mine, 1)
            outcomes.append(("saved", name))
        except VersionConflict:
            outcomes.append(("refused", name))

    threads = [threading.Thread(target=editor, args=(n,)) for n in ("ann", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o for o, _ in outcomes) == ["refused", "saved"]
    winner = next(n for o, n in outcomes if o == "saved")
    stored = store.get_review("chk-3")
    assert (stored.assignee, stored.version) == (winner, 2)


def test_review_queue_filters(store):
    store.create_review(review("chk-a", "SUPPORTED", assignee="ann"))
    store.create_review(review("chk-b", "REFUTED"))
    b = store.get_review("chk-b")
    b.status = "in_review"
    store.update_review(b, 1)
    assert [r.id for r in store.list_reviews(status="pending")] == ["chk-a"]
    assert [r.id for r in store.list_reviews(verdict="REFUTED")] == ["chk-b"]
    assert [r.id for r in store.list_reviews(assignee="ann")] == ["chk-a"]
    assert {r.id for r in store.list_reviews()} == {"chk-a", "chk-b"}


# -- versions of a source -------------------------------------------------------------------------------------------

CORRECTED = "Norway and Chile signed a fisheries agreement in Lausanne on 15 May 2024."


def corrected_alpine():
    """The alpine source with a corrected first sentence (another place and day): its version 2."""
    src = source("alpine", "Alpine Herald", "2024-05-15", CORRECTED, HOURS)
    return src, passages("alpine", (CORRECTED, [day("15 May 2024", 61, "2024-05-15")],
                                    [place("Norway", 0, "norway"), place("Lausanne", 49, "lausanne")]),
                         (HOURS, [], []))


def test_replace_source_stores_a_new_version_and_keeps_the_old(filled):
    before = filled.stats()
    head = filled.source_head("alpine")
    assert (head.version, head.text, head.content_hash) == (1, "", "sha-alpine")
    src, items = corrected_alpine()
    src.content_hash = "sha-alpine-2"
    assert filled.replace_source(src, items, expected_version=1) is True
    assert src.version == 2
    current = filled.get_source("alpine")
    assert (current.version, current.text) == (2, " ".join([CORRECTED, HOURS]))
    assert filled.get_passages("alpine") == items
    assert filled.stats() == before  # same counts: the old passages are gone, not kept beside the new
    # searches see the new text only
    assert "alpine:0" in ids(filled.search("Lausanne fisheries"))
    assert "alpine:0" not in ids(filled.search("Geneva", entities=["geneva"]))
    assert ids(filled.timeline(entity="lausanne")) == ["alpine:0"]
    assert filled.timeline(entity="geneva") == []
    versions = filled.source_versions("alpine")
    assert [(v.version, v.content_hash) for v in versions] == [(2, "sha-alpine-2"), (1, "sha-alpine")]
    assert versions[1].text == " ".join([GENEVA, HOURS])
    assert filled.source_versions("nope") == []


def test_replace_source_with_a_stale_version_changes_nothing(filled):
    from factcheck.store.base import NotFound

    src, items = corrected_alpine()
    assert filled.replace_source(src, items, expected_version=1) is True
    again, again_items = corrected_alpine()
    again.text, again.content_hash = "A third text.", "sha-3"
    assert filled.replace_source(again, again_items[:1], expected_version=1) is False  # someone came first
    assert filled.get_source("alpine").version == 2
    assert filled.get_passages("alpine") == items
    with pytest.raises(NotFound):
        filled.replace_source(source("nope", "X", None, "Text."), [], expected_version=1)


def test_same_content_compares_text_and_metadata():
    a = source("a", "Wire", "2024-05-14", GENEVA)
    assert a.same_content(source("a", "Wire", "2024-05-14", GENEVA))
    assert not a.same_content(source("a", "Wire", "2024-05-15", GENEVA))  # a corrected date is a new version
    changed = source("a", "Wire", "2024-05-14", GENEVA)
    changed.content_hash = "other"
    assert not a.same_content(changed)


def test_ids_the_store_cannot_hold_are_simply_absent(filled):
    long_id = "x" * 5000
    assert filled.get_source(long_id) is None and not filled.has_source(long_id)
    assert filled.source_head(long_id) is None and filled.get_passages(long_id) == []
    assert filled.get_check("chk-" + long_id) is None and filled.get_review(long_id) is None


# -- paging by position ---------------------------------------------------------------------------------------------


def test_list_sources_pages_by_position_to_the_end(filled):
    from factcheck.store.base import source_position

    everything = [s.id for s in filled.list_sources()]
    seen, after = [], None
    while True:
        page = filled.list_sources(limit=2, after=after)
        if not page:
            break
        seen += [s.id for s in page]
        after = source_position(page[-1])
    assert seen == everything == ["lakeside", "alpine", "aardvark-wire", "bridge", "undated"]


@pytest.mark.parametrize("position, expected", [
    (("2024-05-15", ""), ["alpine", "aardvark-wire", "bridge", "undated"]),
    (("2024-05-15", "alpine"), ["aardvark-wire", "bridge", "undated"]),
    (("2024-05-15", "zzz"), ["aardvark-wire", "bridge", "undated"]),
    (("2024-05-15+1ms", "zzz"), ["alpine", "aardvark-wire", "bridge", "undated"]),  # inside a day
    (("0001-01-01", ""), ["undated"]),
    ((10 ** 15, "x"), ["lakeside", "alpine", "aardvark-wire", "bridge", "undated"]),  # past the year 9999
    ((-10 ** 15, "x"), []),  # before the year 1
])
def test_any_position_is_a_valid_place_to_start_a_source_list(filled, position, expected):
    from factcheck.store.base import millis

    key, after_id = position
    if isinstance(key, str):
        key = millis(key[:10]) + (1 if key.endswith("+1ms") else 0)
    assert [s.id for s in filled.list_sources(after=(key, after_id))] == expected


def test_list_reviews_pages_by_position_and_any_position_is_valid(store):
    from factcheck.store.base import millis, review_position

    for number, stamp in enumerate(["2024-05-14T10:00:00+00:00", "2024-05-14T10:00:00+00:00",
                                    "2024-05-14T10:00:01+00:00"]):
        store.create_review(review(f"chk-{number}", created_at=stamp, updated_at=stamp))
    everything = [r.id for r in store.list_reviews()]
    assert everything == ["chk-0", "chk-1", "chk-2"]
    first = store.list_reviews(limit=1)
    assert [r.id for r in store.list_reviews(after=review_position(first[0]))] == ["chk-1", "chk-2"]
    ten = millis("2024-05-14T10:00:00+00:00")
    assert [r.id for r in store.list_reviews(after=(ten + 1, ""))] == ["chk-2"]  # inside a second
    assert [r.id for r in store.list_reviews(after=(-10 ** 15, ""))] == everything
    assert store.list_reviews(after=(10 ** 15, "")) == []
    assert store.list_reviews(offset=461168601842738792) == []
    assert store.list_sources(offset=461168601842738792) == []


def test_a_sqlite_file_made_before_versions_opens_with_version_1_and_takes_new_versions(tmp_path):
    """Files of schema version 2 have no sources.version column and no source_versions table."""
    import sqlite3

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript("""
            CREATE TABLE sources (id TEXT PRIMARY KEY, content_hash TEXT NOT NULL, url TEXT, publisher TEXT,
                published_at TEXT, published_day TEXT, title TEXT, text TEXT NOT NULL, ingested_at TEXT);
            INSERT INTO sources VALUES ('old', 'sha-old', NULL, 'Wire', '2024-05-14', '2024-05-14', NULL,
                'Norway and Chile signed a fisheries agreement in Geneva on 14 May 2024.', NULL);
            PRAGMA user_version = 2;""")
    store = SqliteStore(str(path))
    try:
        assert store.get_source("old").version == 1
        new = source("old", "Wire", "2024-05-14", CORRECTED)
        new.content_hash = "sha-new"
        assert store.replace_source(new, passages("old", (CORRECTED, [], [])), expected_version=1) is True
        assert [(v.version, v.content_hash) for v in store.source_versions("old")] == [(2, "sha-new"), (1, "sha-old")]
        assert [p.text for p in store.get_passages("old")] == [CORRECTED]
    finally:
        store.close()


# -- sentence vectors ---------------------------------------------------------------------------------------

def unit(*values):
    import numpy as np

    vector = np.zeros(384, dtype=np.float32)
    vector[:len(values)] = values
    return vector / np.linalg.norm(vector)


def test_nearest_finds_passages_by_vector_best_first(store):
    for src, items in corpus():
        vectors = {"alpine": unit(1, 0.1), "lakeside": unit(1, 0.5), "bridge": unit(0, 1), "aardvark-wire": unit(1, 0)}
        for passage in items:
            passage.vector = vectors.get(src.id) if passage.index == 0 else None  # the rest stored without
        src.title_vector = unit(0.5, 0.5)
        assert store.add_source(src, items) is True
    hits = store.nearest(unit(1, 0), limit=3)
    assert ids(hits) == ["aardvark-wire:0", "alpine:0", "lakeside:0"]
    assert hits[0].score == pytest.approx(1.0, abs=1e-3) and hits[1].score == pytest.approx(0.995, abs=2e-3)
    assert hits[0].passage.vector is not None and hits[0].source.title_vector is not None
    assert float(hits[0].passage.vector @ unit(1, 0)) == pytest.approx(1.0, abs=1e-3)
    assert ids(store.nearest(unit(1, 0), limit=3, as_of="2024-05-14")) == ["aardvark-wire:0", "bridge:0"]
    assert ids(store.nearest(unit(1, 0), limit=5, publisher="Harbour News")) == ["bridge:0"]
    # A passage added later is found too.
    late = Source(id="late", text=WIRE, content_hash="sha-late", publisher="Late", published_at="2024-06-01")
    store.add_source(late, [Passage("late", 0, WIRE, 0, len(WIRE), vector=unit(1, 0.01))])
    assert ids(store.nearest(unit(1, 0), limit=2)) == ["aardvark-wire:0", "late:0"]


def test_candidates_answer_as_search_and_nearest_do(store):
    """What a check reads in one call (Elasticsearch sends both queries at once and reads the sources once) is
    what the two queries give apart, with their windows of text and vectors."""
    for k, (src, items) in enumerate(corpus()):
        for passage in items:
            passage.vector = unit(1, 0.1 * k + 0.03 * passage.index)
        assert store.add_source(src, items) is True
    as_searched = store.search("talks in Geneva", entities=["geneva"], limit=5)
    as_nearest = store.nearest(unit(1, 0.2), limit=3)
    found, near = store.candidates("talks in Geneva", unit(1, 0.2), entities=["geneva"], limit=5, nearest_limit=3)
    assert as_searched and len(near) == 3
    for got, expected in ((found, as_searched), (near, as_nearest)):
        assert [(h.passage.id, round(h.score, 4), h.text_start, h.source.text, h.source.title) for h in got] == \
            [(h.passage.id, round(h.score, 4), h.text_start, h.source.text, h.source.title) for h in expected]
        assert all(float(h.passage.vector @ e.passage.vector) == pytest.approx(1.0, abs=1e-3)
                   for h, e in zip(got, expected))
    # No vector: no nearest passages; nothing to search for: no hits.
    assert store.candidates("talks in Geneva", None, limit=5)[1] == []
    assert store.candidates("", None, limit=5) == ([], [])
    assert ids(store.candidates("talks", unit(1, 0), as_of="2024-05-14", limit=10)[1]) == \
        ids(store.nearest(unit(1, 0), as_of="2024-05-14"))


def test_both_stores_give_identical_verdicts(tmp_path, elastic_store):  # noqa: F811
    """The same sources through the same ingest into each store: the same verdicts, confidences and evidence."""
    from factcheck.check import check_claim
    from factcheck.config import Config
    from factcheck.ingest import ingest_records

    from .test_check import SOURCES

    sqlite_store = SqliteStore(str(tmp_path / "parity.db"))
    try:
        for backend in (sqlite_store, elastic_store):
            assert ingest_records(backend, SOURCES, Config(load_demo=False)).added == len(SOURCES)
        for claim in ("Norway and Chile held fishing quota talks in Geneva on 14 May 2024",
                      "Norway and Chile held fishing quota talks in Lisbon on 14 May 2024",
                      "The ministers agreed a quota of 300,000 tonnes",
                      "The Bergen harbour festival opened on 3 June 2024",
                      "The Moon landing was filmed in a studio in 1969"):
            a, b = check_claim(sqlite_store, claim), check_claim(elastic_store, claim)
            assert (a.verdict, a.confidence) == (b.verdict, b.confidence), claim
            assert [(e.passage_id, e.stance, e.score) for e in a.evidence] == \
                [(e.passage_id, e.stance, e.score) for e in b.evidence], claim
    finally:
        sqlite_store.close()


def saved_check(store, check_id, claim, vector=None, verdict="REFUTED"):
    check = Verdict(claim, verdict, 0.8, None, [], [], id=check_id, claim_vector=vector)
    store.save_check(check)
    return check


def check_ids(hits):
    return [hit.check.id for hit in hits]


def test_checks_are_found_by_claim_vector_best_first(store):
    saved_check(store, "chk-geneva", "Norway and Chile met in Geneva on 14 May 2024", unit(1, 0.1))
    saved_check(store, "chk-talks", "Fisheries talks were held in Geneva", unit(1, 0.5), "SUPPORTED")
    saved_check(store, "chk-bridge", "A bridge opened in Bergen in 2023", unit(0, 1))
    saved_check(store, "chk-novector", "Norway and Chile met in Geneva")  # saved before vectors existed
    hits = store.nearest_checks(unit(1, 0), limit=2)
    assert check_ids(hits) == ["chk-geneva", "chk-talks"]
    assert hits[0].score == pytest.approx(0.995, abs=2e-3) and hits[1].score == pytest.approx(0.894, abs=2e-3)
    assert hits[0].check.claim == "Norway and Chile met in Geneva on 14 May 2024"
    assert hits[1].check.verdict == "SUPPORTED" and hits[1].check.claim_vector is None
    assert float(hits[0].vector @ unit(1, 0.1)) == pytest.approx(1.0, abs=1e-3)
    assert check_ids(store.nearest_checks(unit(0, 1), limit=10)) == ["chk-bridge", "chk-talks", "chk-geneva"]
    assert store.nearest_checks(None) == [] and store.nearest_checks(unit(1, 0), limit=0) == []
    # The claim's vector is kept beside the check, not in the verdict the API shows.
    assert "claim_vector" not in store.get_check("chk-geneva").to_dict()


def test_checks_are_found_by_claim_terms(store):
    saved_check(store, "chk-geneva", "Norway and Chile met in Geneva on 14 May 2024", unit(1, 0.1))
    saved_check(store, "chk-novector", "Fishing ministers from Chile met in Geneva")
    saved_check(store, "chk-bridge", "A bridge opened in Bergen in 2023", unit(0, 1))
    hits = store.search_checks("Chile and Norway met in Geneva")
    assert check_ids(hits) == ["chk-geneva", "chk-novector"]
    assert hits[0].vector is not None and hits[1].vector is None
    assert check_ids(store.search_checks("bridges in Bergen")) == ["chk-bridge"]
    assert store.search_checks("the and of") == [] and store.search_checks("") == []


def test_saving_a_check_again_replaces_its_index_entries(store):
    saved_check(store, "chk-one", "Norway and Chile met in Geneva", unit(1, 0))
    saved_check(store, "chk-one", "A bridge opened in Bergen", unit(0, 1))
    assert check_ids(store.search_checks("Geneva")) == []
    assert check_ids(store.search_checks("Bergen")) == ["chk-one"]
    assert check_ids(store.nearest_checks(unit(0, 1), limit=5)) == ["chk-one"]
    assert store.nearest_checks(unit(0, 1), limit=5)[0].score == pytest.approx(1.0, abs=1e-3)
    assert store.stats()["checks"] == 1


def test_a_sqlite_file_made_before_check_vectors_indexes_its_checks_by_terms(tmp_path):
    import json
    import sqlite3

    path = str(tmp_path / "old.db")
    conn = sqlite3.connect(path)
    conn.executescript("CREATE TABLE checks (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, claim TEXT NOT NULL,"
                       " verdict TEXT NOT NULL, data TEXT NOT NULL); PRAGMA user_version = 4;")
    old = Verdict("Norway and Chile met in Geneva", "SUPPORTED", 0.9, None, [], [], id="chk-old",
                  created_at="2024-05-01T00:00:00+00:00")
    conn.execute("INSERT INTO checks VALUES (?,?,?,?,?)", (old.id, old.created_at, old.claim, old.verdict,
                                                             json.dumps(old.to_dict())))
    conn.commit()
    conn.close()
    store = SqliteStore(path)
    try:
        assert check_ids(store.search_checks("Geneva talks")) == ["chk-old"]
        assert store.nearest_checks(unit(1, 0)) == []
        saved_check(store, "chk-new", "Chile and Norway talks in Geneva", unit(1, 0))
        assert check_ids(store.nearest_checks(unit(1, 0))) == ["chk-new"]
    finally:
        store.close()


# -- hits carry a window of a long source's text ---------------------------------------------------------------------


def test_a_hit_on_a_long_source_carries_its_title_and_the_text_around_its_passage(store):
    sentences = [f"Paragraph {n} covers routine council business." for n in range(1500)]
    sentences[700] = "The Vardø ferry council approved the harbour plan on 3 March 2024."
    long = source("long", "Harbour News", "2024-03-04", *sentences)
    when = day("3 March 2024", sentences[700].index("3 March"), "2024-03-03")
    items = [(text, [when] if n == 700 else [], []) for n, text in enumerate(sentences)]
    assert store.add_source(long, passages("long", *items))
    for hit in (next(h for h in store.search("Vardø ferry harbour plan", limit=5) if h.passage.index == 700),
                next(h for h in store.timeline(query="Vardø ferry") if h.passage.index == 700)):
        passage = hit.passage
        assert (hit.source.id, hit.source.title, hit.source.publisher) == ("long", long.title, "Harbour News")
        assert hit.text_between(passage.start, passage.end) == sentences[700]
        assert hit.text_between(passage.start - 400, passage.end + 400) == \
            long.text[passage.start - 400:passage.end + 400]
        assert long.text[hit.text_start:hit.text_start + len(hit.source.text)] == hit.source.text
        assert len(hit.source.text) < len(long.text) / 4  # a window, not the whole 70 KB
    assert store.get_source("long").text == long.text  # the source itself stays whole


def test_a_check_on_one_long_source_reads_each_passage_with_its_own_context(store):
    """Two news items buried in a long source: the quote's speaker and the figure in the sentence before are read
    from the text around each passage, as on a short source."""
    from factcheck.check import check_claim
    from factcheck.config import Config
    from factcheck.ingest import ingest_records

    filler = " ".join(f"Item {n} of the almanac lists tide tables for the western piers." for n in range(120))
    text = "\n\n".join([
        filler,
        "The harbour festival raised 2 million kroner this year. Organisers said 400,000 kroner went to the "
        "lifeboat service. The Bergen lifeboat crews thanked the festival.",
        filler.replace("Item", "Entry"),
        "The council met on Thursday. \u201cWe will not raise the harbour fees this year,\u201d said Mayor "
        "Ingrid Olsen.",
        filler.replace("Item", "Note")])
    record = {"id": "almanac", "publisher": "Bergen Daily", "published_at": "2024-06-20", "title": "Harbour almanac",
              "text": text}
    assert ingest_records(store, [record], Config(load_demo=False)).added == 1
    stored = store.get_source("almanac").text

    quote = check_claim(store, "Mayor Ingrid Olsen said 'We will not raise the harbour fees this year.'")
    assert quote.verdict == "SUPPORTED"
    evidence = next(e for e in quote.evidence if e.stance == "supports")
    assert "Ingrid Olsen" in evidence.reason and evidence.title == "Harbour almanac"
    assert stored[evidence.start:evidence.end] == evidence.sentence
    misquoted = check_claim(store, "Harbour director Anders Lund said 'We will not raise the harbour fees this year.'")
    assert any(e.stance == "conflicts" and "Ingrid Olsen" in e.reason for e in misquoted.evidence)

    figures = check_claim(store, "The harbour festival raised 2 million kroner, of which 400,000 kroner went to "
                                 "the lifeboat service")
    assert figures.verdict == "SUPPORTED"
    assert any("in the text before it" in e.reason for e in figures.evidence if e.stance == "supports")


def test_paging_by_position_lists_every_source_exactly_once(store):
    """Many sources on few days (and undated ones): page by page by position, each comes once, in list order."""
    from factcheck.store.base import source_position

    days = ["2024-05-14", "2024-05-15", "2023-12-31", None]
    for n in range(47):
        item = source(f"s{n:02d}-{'x' * (n % 3)}", "Pager", days[n % len(days)], f"Sentence number {n} pages.")
        assert store.add_source(item, passages(item.id, (f"Sentence number {n} pages.", [], [])))
    everything = [s.id for s in store.list_sources(limit=100)]
    seen, after = [], None
    while page := store.list_sources(limit=6, after=after):
        seen += [s.id for s in page]
        after = source_position(page[-1])
    assert len(seen) == len(set(seen)) == 47
    assert seen == everything
    assert [s.id for s in store.list_sources(limit=6, offset=12)] == everything[12:18]


def test_nearest_finds_a_replaced_sources_new_vectors(store):
    """A source replaced by one with as many passages (so they may take the same places) is found by its new
    sentence vectors, not its old ones, after a search has already read the old ones."""
    old = Source(id="vectors", text=f"{GENEVA} {HOURS}", content_hash="sha-v1", publisher="V")
    store.add_source(old, [Passage("vectors", 0, GENEVA, 0, len(GENEVA), vector=unit(1, 0)),
                           Passage("vectors", 1, HOURS, len(GENEVA) + 1, len(old.text), vector=unit(0, 1))])
    assert ids(store.nearest(unit(1, 0), limit=1)) == ["vectors:0"]
    new = Source(id="vectors", text=f"{MAY} {WIRE}", content_hash="sha-v2", publisher="V", version=2)
    assert store.replace_source(new, [Passage("vectors", 0, MAY, 0, len(MAY), vector=unit(0, 1)),
                                      Passage("vectors", 1, WIRE, len(MAY) + 1, len(new.text), vector=unit(1, 0))], 1)
    found = store.nearest(unit(1, 0), limit=1)
    assert ids(found) == ["vectors:1"] and found[0].passage.text == WIRE
