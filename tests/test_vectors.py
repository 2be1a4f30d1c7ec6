"""The SQLite store's nearest-vector table: every vector compared on small tables, a projected shortlist on large
ones, which must still find what the exact comparison finds for a query near stored sentences."""
import numpy as np
import pytest

from factcheck.models import Passage, Source
from factcheck.store import vectors
from factcheck.store.sqlite import SqliteStore
from factcheck.store.vectors import VectorTable


def clustered(rows: int, dims: int = 384, topics: int = 40, seed: int = 3) -> np.ndarray:
    """Unit vectors around a few topic centres, as sentence vectors of news on a few stories are."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(topics, dims))
    matrix = centres[rng.integers(0, topics, rows)] + rng.normal(scale=0.8, size=(rows, dims))
    return (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float32)


def exact_top(matrix: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    return list(np.argsort(-(matrix @ query), kind="stable")[:k])


def test_a_small_table_compares_every_vector():
    matrix = clustered(500)
    table = VectorTable(np.arange(500, dtype=np.int64) + 1000, matrix)
    assert table.projected is None
    query = matrix[17] * 0.9 + matrix[230] * 0.1
    query /= np.linalg.norm(query)
    got = table.top(query, 5)
    assert [rowid - 1000 for rowid, _ in got] == exact_top(matrix, query, 5)
    assert got[0][1] == pytest.approx(float(matrix[17] @ query), abs=1e-6)
    assert [s for _, s in got] == sorted((s for _, s in got), reverse=True)
    assert table.top(None, 5) == [] and table.top(query, 0) == []


def test_a_large_table_shortlists_and_finds_the_same_nearest(monkeypatch):
    monkeypatch.setattr(vectors, "EXACT_ROWS", 1_000)
    monkeypatch.setattr(vectors, "SHORTLIST", 300)
    monkeypatch.setattr(vectors, "SHORTLIST_PER_HIT", 15)
    matrix = clustered(12_000)
    table = VectorTable(np.arange(12_000, dtype=np.int64), matrix)
    assert table.projected is not None and table.projected.shape == (12_000, vectors.PROJECTED_DIMENSIONS)
    rng = np.random.default_rng(9)
    found = 0
    for row in rng.integers(0, 12_000, 50):
        # a query near a stored sentence (a paraphrase of it)
        query = matrix[row] + rng.normal(scale=0.02, size=matrix.shape[1]).astype(np.float32)
        query /= np.linalg.norm(query)
        want = exact_top(matrix, query, 10)
        got = [rowid for rowid, _ in table.top(query, 10)]
        assert got[0] == want[0]
        found += len(set(got) & set(want))
    assert found >= 0.98 * 50 * 10


def test_rows_added_later_are_projected_on_the_same_axes(monkeypatch):
    monkeypatch.setattr(vectors, "EXACT_ROWS", 1_000)
    matrix = clustered(3_000)
    table = VectorTable(np.arange(2_000, dtype=np.int64), matrix[:2_000])
    grown = table.extended(np.arange(2_000, 3_000, dtype=np.int64), matrix[2_000:])
    assert grown.axes is table.axes and len(grown) == 3_000
    np.testing.assert_allclose(grown.projected[2_500], matrix[2_500] @ table.axes, atol=1e-5)
    assert grown.top(matrix[2_500], 1)[0][0] == 2_500
    # a small table that grows past the limit gets its projection then
    small = VectorTable(np.arange(500, dtype=np.int64), matrix[:500])
    assert small.projected is None
    assert small.extended(np.arange(500, 3_000, dtype=np.int64), matrix[500:]).projected is not None


def test_sqlite_nearest_at_scale_finds_the_stored_sentence(tmp_path, monkeypatch):
    """Through the store: past the exact limit, the nearest passage to a stored one's vector is that passage, and
    passages stored after the table was read are found too."""
    monkeypatch.setattr(vectors, "EXACT_ROWS", 200)
    matrix = clustered(1_200, topics=12)
    store = SqliteStore(str(tmp_path / "many.db"))
    try:
        for s in range(12):
            text = " ".join(f"Sentence {s}-{i} of the story." for i in range(100))
            passages, offset = [], 0
            for i in range(100):
                sentence = f"Sentence {s}-{i} of the story."
                passages.append(Passage(f"story-{s}", i, sentence, offset, offset + len(sentence),
                                        vector=matrix[s * 100 + i]))
                offset += len(sentence) + 1
            store.add_source(Source(id=f"story-{s}", text=text, content_hash=f"sha-{s}", publisher=f"P{s}"),
                             passages)
        hits = store.nearest(matrix[517], limit=3)
        assert hits[0].passage.id == "story-5:17" and hits[0].score == pytest.approx(1.0, abs=1e-4)
        late = clustered(1, seed=99)[0]
        store.add_source(Source(id="late", text="A late sentence.", content_hash="sha-late", publisher="L"),
                         [Passage("late", 0, "A late sentence.", 0, 16, vector=late)])
        assert store.nearest(late, limit=1)[0].passage.id == "late:0"
    finally:
        store.close()
