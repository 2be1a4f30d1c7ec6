"""JSON from untrusted input, within limits: the one parser for API bodies, uploaded files and CLI input.

The standard parser recurses once per nesting level (about 1,000 levels raise RecursionError, not a ValueError)
and refuses integers over 4,300 digits with a ValueError that reads like an internal error; it also accepts
NaN and Infinity, which are not JSON. `loads` turns each of these into a `JSONInputError` (a ValueError) whose
message says what is wrong in plain words, so every caller can report it against the request, file or line.
"""
from __future__ import annotations

import json
import math

MAX_DEPTH = 64          # no document this service reads nests deeper than a handful of levels
MAX_NUMBER_CHARS = 100  # no number it reads is longer; far below Python's 4,300-digit conversion limit


class JSONInputError(ValueError):
    """Input that is not JSON this service will read; the message is a complete sentence."""


def _number(text: str):
    if len(text) > MAX_NUMBER_CHARS:
        raise JSONInputError(f"a number of {len(text):,} characters; the limit is {MAX_NUMBER_CHARS}")
    return text


def _int(text: str) -> int:
    return int(_number(text))


def _float(text: str) -> float:
    value = float(_number(text))
    if not math.isfinite(value):
        raise JSONInputError(f"the number {text[:20]} is out of range")
    return value


def _constant(name: str):
    raise JSONInputError(f"{name} is not a JSON value")


def too_deep(value, limit: int = MAX_DEPTH) -> bool:
    """True when objects and arrays nest more than `limit` levels (checked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def loads(text):
    """Parse JSON text (str or UTF-8 bytes); json.JSONDecodeError for bad syntax, JSONInputError beyond limits."""
    try:
        value = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except RecursionError:
        raise JSONInputError(f"nested too deeply; the limit is {MAX_DEPTH} levels") from None
    if isinstance(value, (dict, list)) and too_deep(value):
        raise JSONInputError(f"nested too deeply; the limit is {MAX_DEPTH} levels")
    return value


def describe(exc: ValueError) -> str:
    """A JSON error as a phrase for "ITEM: invalid JSON: ..." messages."""
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} (line {exc.lineno}, column {exc.colno})"
    return str(exc)
