"""Marshmallow schemas for what crosses the edge (JSON API bodies and the HTML check form)."""
from __future__ import annotations

import re
from datetime import date

from marshmallow import Schema, ValidationError, fields, validates

MAX_CLAIM_CHARS = 2000

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class IsoDay(fields.Field):
    """A calendar day written YYYY-MM-DD; loads to the same string once it is known to be a real day."""

    default_error_messages = {
        "invalid": "Not a date: write it as YYYY-MM-DD, e.g. 2024-05-14.",
        "impossible": "{value} is not a real calendar day.",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid")
        value = value.strip()
        if not _ISO_DAY.match(value):
            raise self.make_error("invalid")
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            raise self.make_error("impossible", value=value) from None

    def _serialize(self, value, attr, obj, **kwargs):
        return value


class CheckRequestSchema(Schema):
    """Body of POST /api/v1/checks and the fields of the check form; unknown fields are rejected."""

    claim = fields.String(required=True, error_messages={
        "required": "Enter a claim to check.",
        "null": "Enter a claim to check.",
        "invalid": "The claim must be a string of text.",
    })
    claim_date = IsoDay(load_default=None, allow_none=True)
    as_of = IsoDay(load_default=None, allow_none=True)

    @validates("claim")
    def _claim_text(self, value: str, **kwargs) -> None:
        text = value.strip()
        if not text:
            raise ValidationError("Enter a claim to check; it is empty.")
        if len(text) > MAX_CLAIM_CHARS:
            raise ValidationError(
                f"The claim is too long: {len(text):,} characters; the limit is {MAX_CLAIM_CHARS:,}.")


def load_check_request(data: object) -> dict:
    """Validate a check request; return {"claim", "claim_date", "as_of"} with the claim stripped.

    Raises marshmallow.ValidationError whose `.messages` maps each bad field to its reasons.
    """
    if not isinstance(data, dict):
        raise ValidationError({"_schema": ["The body must be a JSON object, e.g. {\"claim\": \"...\"}."]})
    loaded = CheckRequestSchema().load(data)
    loaded["claim"] = loaded["claim"].strip()
    return loaded
