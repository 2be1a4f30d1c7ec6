"""The checker's trained decisions, read from checker_model.json (written by scripts/train_checker.py, with the
hash of its training data and its cross-validated figures under "meta").

Three small logistic models, each over named features (standardised with the training means and scales):
`gate` (does a passage report the claim's event?), `stance` (given that, does it conflict rather than support?)
and `verdict` (the four labels, from the independent sources' votes). Two variants ship: "vectors", for stores
whose passages carry sentence vectors, and "lexical", for when the sentence encoder is unavailable.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional, Sequence

import numpy as np

MODEL_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "checker_model.json")


@dataclass
class Logistic:
    """A (multinomial) logistic regression: probabilities of `classes` for rows of named features."""

    features: list[str]
    classes: list[str]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray  # classes x features (one row for a binary model: the positive class)
    intercept: np.ndarray

    @classmethod
    def from_dict(cls, data: dict) -> "Logistic":
        return cls(features=list(data["features"]), classes=list(data["classes"]),
                   mean=np.asarray(data["mean"], dtype=float), scale=np.asarray(data["scale"], dtype=float),
                   coef=np.asarray(data["coef"], dtype=float).reshape(-1, len(data["features"])),
                   intercept=np.asarray(data["intercept"], dtype=float).reshape(-1))

    def to_dict(self) -> dict:
        return {"features": self.features, "classes": self.classes, "mean": _round(self.mean),
                "scale": _round(self.scale), "coef": [_round(row) for row in self.coef],
                "intercept": _round(self.intercept)}

    def matrix(self, rows: Sequence[dict]) -> np.ndarray:
        return np.array([[float(row.get(name, 0.0)) for name in self.features] for row in rows], dtype=float) \
            .reshape(len(rows), len(self.features))

    def proba(self, rows: Sequence[dict]) -> np.ndarray:
        """len(rows) x len(classes) probabilities."""
        if not rows:
            return np.zeros((0, len(self.classes)))
        z = ((self.matrix(rows) - self.mean) / self.scale) @ self.coef.T + self.intercept
        if len(self.classes) == 2 and self.coef.shape[0] == 1:
            p = 1.0 / (1.0 + np.exp(-np.clip(z[:, 0], -30, 30)))
            return np.column_stack([1.0 - p, p])
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def positive(self, rows: Sequence[dict]) -> np.ndarray:
        """The probability of the second class of a binary model."""
        return self.proba(rows)[:, 1]


def _round(values) -> list[float]:
    return [round(float(v), 6) for v in np.asarray(values).reshape(-1)]


@dataclass
class CheckerModel:
    gate: Logistic
    stance: Logistic
    verdict: Logistic
    verdict_weights: list[float]  # per verdict class: the decision weighs probabilities by these (1 / share)
    variant: str = ""

    def to_dict(self) -> dict:
        return {"gate": self.gate.to_dict(), "stance": self.stance.to_dict(), "verdict": self.verdict.to_dict(),
                "verdict_weights": _round(self.verdict_weights)}


    @classmethod
    def from_dict(cls, data: dict, variant: str = "") -> "CheckerModel":
        return cls(gate=Logistic.from_dict(data["gate"]), stance=Logistic.from_dict(data["stance"]),
                   verdict=Logistic.from_dict(data["verdict"]), verdict_weights=list(data["verdict_weights"]),
                   variant=variant)


@lru_cache(maxsize=4)
def _load(path: str) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def checker_model(with_vectors: bool, path: Optional[str] = None) -> CheckerModel:
    """The shipped model for stores with sentence vectors ("vectors") or without them ("lexical")."""
    data = _load(path or MODEL_PATH)
    variant = "vectors" if with_vectors else "lexical"
    return CheckerModel.from_dict(data["models"][variant], variant)


def events_model(with_vectors: bool, path: Optional[str] = None) -> Logistic:
    """The timeline's same-event model between two sentences (see timeline.py)."""
    data = _load(path or MODEL_PATH)
    return Logistic.from_dict(data["models"]["vectors" if with_vectors else "lexical"]["events"])


def model_meta(path: Optional[str] = None) -> dict:
    """How the shipped model was made: data hash, features, cross-validated figures."""
    return _load(path or MODEL_PATH).get("meta", {})
