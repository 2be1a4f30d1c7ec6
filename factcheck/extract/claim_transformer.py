"""Check-worthiness from a fine-tuned transformer: the scorer behind claim spotting (factcheck.spot).

all-MiniLM-L6-v2 fine-tuned on ClaimBuster's training part (``scripts/finetune_claims.py``) and shipped as an int8
ONNX file beside this module (``claim_transformer.onnx``, its threshold, data hashes and training record in
``claim_transformer.json``). It runs on onnxruntime with the MiniLM tokenizer the service already ships; nothing
is downloaded at run time, torch is not needed.

It is a second transformer pass per sentence, so ingest does not use it: ingest keeps the fast two-stage detector
(``claims.refine``), whose sentence vectors the checker needs anyway. Spotting, which a user asks for on one
document at a time, uses it when it is installed and FACTCHECK_SPOT_TRANSFORMER is on (the default); otherwise
spotting falls back to the ingest detector. bench/claims.py measures both.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from typing import Optional, Sequence

import numpy as np

log = logging.getLogger(__name__)

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL_PATH = os.path.join(HERE, "claim_transformer.onnx")
META_PATH = os.path.join(HERE, "claim_transformer.json")

_lock = threading.Lock()
_loaded: Optional[tuple] = None     # (session, tokenizer, threshold)
_failed: Optional[str] = None


def _load():
    global _loaded, _failed
    if _loaded is not None or _failed is not None:
        return _loaded
    with _lock:
        if _loaded is not None or _failed is not None:
            return _loaded
        from factcheck.config import spot_transformer_enabled

        from . import encoder

        if not spot_transformer_enabled():
            _failed = "turned off by FACTCHECK_SPOT_TRANSFORMER"
            return None
        try:
            with open(META_PATH, encoding="utf-8") as handle:
                meta = json.load(handle)
            with open(MODEL_PATH, "rb") as handle:
                digest = hashlib.sha256(handle.read()).hexdigest()
            if digest != meta["onnx_sha256"]:
                raise ValueError(f"{MODEL_PATH} does not match the sha256 in {META_PATH}")
            session = encoder.onnx_session(MODEL_PATH)
            _loaded = (session, encoder.wordpiece(int(meta["max_tokens"])), float(meta["threshold"]))
        except Exception as exc:  # spotting still works with the ingest detector
            _failed = f"{type(exc).__name__}: {exc}"
            log.warning("check-worthiness transformer unavailable, spotting uses the ingest detector: %s", _failed)
        return _loaded


def available() -> bool:
    return _load() is not None


def threshold() -> float:
    """The cut-off for `scores` (chosen on a validation part of the training data)."""
    if _load() is None:
        raise RuntimeError(f"check-worthiness transformer unavailable: {_failed}")
    return _loaded[2]


def scores(texts: Sequence[str]) -> np.ndarray:
    """Probability that each sentence is a check-worthy factual claim, in the order given. One sentence per run:
    the int8 model quantises its activations per run, so padding in a batch would move a sentence's score with its
    neighbours (by ~0.01), and batches were not faster here (bench/RESULTS.md)."""
    if _load() is None:
        raise RuntimeError(f"check-worthiness transformer unavailable: {_failed}")
    session, tokenizer, _threshold = _loaded
    out = np.zeros(len(texts), dtype=np.float64)
    for i, text in enumerate(texts):
        encoding = tokenizer.encode(text or " ")
        out[i] = session.run(None, {"input_ids": np.array([encoding.ids], dtype=np.int64),
                                    "attention_mask": np.array([encoding.attention_mask], dtype=np.int64)})[0][0]
    return out
