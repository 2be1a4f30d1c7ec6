"""Nearest passages by sentence vector in the SQLite store: the projected shortlist against comparing every vector.

    .venv/bin/python bench/nearest.py --db STORE.db [--queries 300] [--limit 20] [--data ../shared/data]

Reads every passage vector of an existing SQLite store (e.g. one `bench/speed.py --db` filled, or the training
store `bench/verdicts.py` builds), encodes claims from ../shared/data (news-dev, news-train, CLIMATE-FEVER and
ClaimBuster sentences, in a fixed shuffled order) as queries, and for each compares `VectorTable.top` with the
shortlist (forced on, whatever the table's size) against the exact scan. Recall@k is counted by score: a returned
row counts when its similarity reaches the exact k-th best (copies of one sentence tie, so row ids would
understate it). Prints the recall (mean, worst query), ms per query of each way, and the memory of each.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from factcheck.extract import sentence_vectors  # noqa: E402
from factcheck.store import vectors as vectors_module  # noqa: E402
from factcheck.store.sqlite import SqliteStore  # noqa: E402
from factcheck.store.vectors import VectorTable, principal_axes  # noqa: E402

DEFAULT_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")


def claims(data: str) -> list[str]:
    found = []
    for root, _dirs, files in os.walk(data):
        for name in files:
            path = os.path.join(root, name)
            if not name.endswith((".jsonl", ".json")):
                continue
            with open(path, encoding="utf-8") as f:
                for line in f:
                    line = line.strip()
                    if not line.startswith("{"):
                        continue
                    try:
                        item = json.loads(line)
                    except ValueError:
                        continue
                    text = item.get("claim") or item.get("text") or item.get("sentence")
                    if isinstance(text, str) and 20 <= len(text) <= 400:
                        found.append(text)
    found = sorted(set(found))
    random.Random(20240514).shuffle(found)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--data", default=DEFAULT_DATA)
    args = parser.parse_args()

    store = SqliteStore(args.db)
    with store._use():
        table = store._vector_matrix()
    exact = VectorTable.__new__(VectorTable)
    exact.rowids, exact.matrix, exact.axes, exact.projected = table.rowids, table.matrix, None, None
    start = time.perf_counter()
    short = VectorTable(table.rowids, table.matrix, axes=principal_axes(table.matrix))
    built = time.perf_counter() - start
    texts = claims(args.data)[: args.queries]
    queries = sentence_vectors(texts)
    print(f"store {args.db}: {len(table):,} passage vectors ({table.matrix.nbytes / 1e6:.0f} MB floats, "
          f"{short.projected.nbytes / 1e6:.0f} MB projected, {built:.1f} s to build); {len(texts)} queries; limit "
          f"{args.limit}; shortlist "
          f"{max(vectors_module.SHORTLIST, vectors_module.SHORTLIST_PER_HIT * args.limit, len(table) // vectors_module.SHORTLIST_SHARE):,} rows")

    recalls = []
    for q in queries:
        want = exact.top(q, args.limit)
        got = short.top(q, args.limit)
        floor = want[-1][1] - 1e-6
        recalls.append(sum(1 for _, s in got if s >= floor) / len(want))
    timings = {}
    for name, way in (("exact", exact), ("shortlist", short)):
        way.top(queries[0], args.limit)
        start = time.perf_counter()
        for q in queries:
            way.top(q, args.limit)
        timings[name] = (time.perf_counter() - start) / len(queries) * 1000
    recalls = np.array(recalls)
    print(f"recall@{args.limit} by score: mean {recalls.mean():.4f}, worst query {recalls.min():.2f}, "
          f"queries below 1: {int((recalls < 1).sum())}")
    print(f"ms per query: exact {timings['exact']:.1f}, shortlist {timings['shortlist']:.1f} "
          f"({timings['exact'] / timings['shortlist']:.1f}x)")
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
