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

import json
import os
from typing import Sequence

import numpy as np

from . import encoder

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL_PATH = os.path.join(HERE, "claim_transformer.onnx")
META_PATH = os.path.join(HERE, "claim_transformer.json")


def _open() -> tuple:
    """(session, tokenizer, threshold) of the shipped model, after checking the file against its sha256."""
    from factcheck.config import spot_transformer_enabled

    if not spot_transformer_enabled():
        raise encoder.Disabled("turned off by FACTCHECK_SPOT_TRANSFORMER")
    with open(META_PATH, encoding="utf-8") as handle:
        meta = json.load(handle)
    raw = encoder.read_verified(MODEL_PATH, meta["onnx_sha256"], META_PATH, "retrain with scripts/finetune_claims.py")
    return encoder.onnx_session(raw), encoder.wordpiece(int(meta["max_tokens"])), float(meta["threshold"])


_model = encoder.Lazy(_open, "check-worthiness transformer unavailable", "spotting uses the ingest detector")


def available() -> bool:
    return _model.get() is not None


def threshold() -> float:
    """The cut-off for `scores` (chosen by cross-validation on the training part)."""
    return _model.require()[2]


def scores(texts: Sequence[str]) -> np.ndarray:
    """Probability that each sentence is a check-worthy factual claim, in the order given. One sentence per run:
    the int8 model quantises its activations per run, so padding in a batch would move a sentence's score with its
    neighbours (by ~0.01), and batches were not faster here (bench/RESULTS.md)."""
    session, tokenizer, _threshold = _model.require()
    out = np.zeros(len(texts), dtype=np.float64)
    for i, text in enumerate(texts):
        encoding = tokenizer.encode(text or " ")
        out[i] = session.run(None, {"input_ids": np.array([encoding.ids], dtype=np.int64),
                                    "attention_mask": np.array([encoding.attention_mask], dtype=np.int64)})[0][0]
    return out
