"""Nearest stored vectors by cosine (dot product of unit vectors), for the SQLite store's in-memory copy.

Up to EXACT_ROWS rows every vector is compared. Beyond that, a shortlist comes first: every vector projected on the
stored vectors' first PROJECTED_DIMENSIONS principal axes (fitted once on a sample of them when the table is built,
a third of the floats to read), the rows nearest in that projection (SHORTLIST, or SHORTLIST_PER_HIT times the rows
asked for, or one row in SHORTLIST_SHARE of the table, whichever is most: copies of one sentence take one place each
in it), and only those compared exactly. `bench/nearest.py` measures the recall (in bench/RESULTS.md).
"""
from __future__ import annotations

import numpy as np

EXACT_ROWS = 20_000
PROJECTED_DIMENSIONS = 128
SHORTLIST = 2_000
SHORTLIST_PER_HIT = 40
SHORTLIST_SHARE = 50
_SAMPLE = 20_000


def principal_axes(matrix: np.ndarray, dimensions: int = PROJECTED_DIMENSIONS) -> np.ndarray:
    """The first principal axes of the rows (columns of a dims x `dimensions` matrix), from an evenly spaced
    sample of at most 20,000 rows."""
    sample = matrix[:: max(1, len(matrix) // _SAMPLE)]
    _, _, axes = np.linalg.svd(sample - sample.mean(axis=0), full_matrices=False)
    return np.ascontiguousarray(axes[:dimensions].T.astype(np.float32))


class VectorTable:
    """Row ids with their vectors (float32, one row each) and, for large tables, their projection."""

    def __init__(self, rowids: np.ndarray, matrix: np.ndarray, axes: np.ndarray | None = None,
                 projected: np.ndarray | None = None):
        self.rowids, self.matrix = rowids, matrix
        if axes is None and len(rowids) > EXACT_ROWS:
            axes = principal_axes(matrix)
        self.axes = axes
        if projected is None and axes is not None:
            projected = np.ascontiguousarray(matrix @ axes)
        self.projected = projected

    def __len__(self) -> int:
        return len(self.rowids)

    def extended(self, rowids: np.ndarray, matrix: np.ndarray) -> "VectorTable":
        """This table with rows added at the end (projected on the same axes)."""
        if not len(rowids):
            return self
        projected = np.vstack([self.projected, matrix @ self.axes]) if self.axes is not None else None
        return VectorTable(np.concatenate([self.rowids, rowids]), np.vstack([self.matrix, matrix]), self.axes,
                           projected)

    def top(self, vector, wanted: int) -> list[tuple[int, float]]:
        """The `wanted` most similar rows as (rowid, similarity), most similar first."""
        if vector is None or not len(self) or wanted <= 0:
            return []
        query = np.asarray(vector, dtype=np.float32)
        wanted = min(len(self), int(wanted))
        shortlist = max(SHORTLIST, SHORTLIST_PER_HIT * wanted, len(self) // SHORTLIST_SHARE)
        if self.projected is None or shortlist >= len(self):
            candidates, similarity = None, self.matrix @ query
        else:
            candidates = np.argpartition(-(self.projected @ (query @ self.axes)), shortlist - 1)[:shortlist]
            similarity = self.matrix[candidates] @ query
        best = np.argpartition(-similarity, wanted - 1)[:wanted]
        best = best[np.argsort(-similarity[best], kind="stable")]
        rows = candidates[best] if candidates is not None else best
        return [(int(self.rowids[i]), float(similarity[j])) for i, j in zip(rows, best)]
