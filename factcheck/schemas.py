"""Marshmallow schemas for what crosses the edge (JSON API bodies and the HTML check form)."""
from __future__ import annotations

import re
from datetime import date

from marshmallow import Schema, ValidationError, fields, post_load, validates, validates_schema

from .ingest import VISIBLE, has_visible_text
from .review import WEB_ADDRESS

MAX_CLAIM_CHARS = 2000

_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class IsoDay(fields.Field):
    """A calendar day written YYYY-MM-DD; loads to the same string once it is known to be a real day."""

    default_error_messages = {
        "invalid": "Not a date: write it as YYYY-MM-DD, e.g. 2024-05-14.",
        "impossible": "{value} is not a real calendar day.",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
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
    }, metadata={"minLength": 1, "maxLength": MAX_CLAIM_CHARS, "pattern": VISIBLE,
                 "description": f"the claim, up to {MAX_CLAIM_CHARS:,} characters",
                 "example": "Norway and Chile met in Geneva on 14 May 2024"})
    claim_date = IsoDay(load_default=None, allow_none=True,
                        metadata={"description": "when the claim was made: anchors its relative dates"})
    as_of = IsoDay(load_default=None, allow_none=True,
                   metadata={"description": "leave out sources published after this day"})

    @validates("claim")
    def _claim_text(self, value: str, **kwargs) -> None:
        if not has_visible_text(value):
            raise ValidationError("Enter a claim to check; it is empty.")
        if len(value) > MAX_CLAIM_CHARS:
            raise ValidationError(
                f"The claim is too long: {len(value):,} characters; the limit is {MAX_CLAIM_CHARS:,}.")

    @post_load
    def _stripped(self, data: dict, **kwargs) -> dict:
        data["claim"] = data["claim"].strip()
        return data


def load_check_request(data: object) -> dict:
    """Validate a check request; return {"claim", "claim_date", "as_of"} with the claim stripped.

    Raises marshmallow.ValidationError whose `.messages` maps each bad field to its reasons.
    """
    if not isinstance(data, dict):
        raise ValidationError({"_schema": ["The body must be a JSON object, e.g. {\"claim\": \"...\"}."]})
    loaded = CheckRequestSchema().load(data)
    loaded["claim"] = loaded["claim"].strip()
    return loaded


# ---------------------------------------------------------------------------------------------------------------
# JSON API v1 (documented in the OpenAPI document through flask-smorest). Input schemas reject unknown fields;
# output schemas describe what the API sends and allow fields added later (additionalProperties: true).

from marshmallow import INCLUDE, validate  # noqa: E402

from .models import GRANULARITIES, REVIEW_STATUSES, STANCES, VERDICTS  # noqa: E402

MAX_SOURCES_PER_REQUEST = 1000
# A cursor is the place to continue from: the sort key of the last item shown (epoch milliseconds) and its id.
# Any string of this form is a place in the list (paging by position works at any depth on both stores).
CURSOR_PATTERN = r"^-?[0-9]{1,16}~[A-Za-z0-9._:-]{1,200}$"
_CURSOR = re.compile(CURSOR_PATTERN)


def make_cursor(position: tuple[int, str]) -> str:
    """The cursor of a position (see store.base.source_position and review_position)."""
    return f"{position[0]}~{position[1]}"


def parse_cursor(cursor: str):
    """The position a cursor stands for, or None when it is not one."""
    if not isinstance(cursor, str) or not _CURSOR.match(cursor):
        return None
    key, _, item_id = cursor.partition("~")
    return int(key), item_id


def cursor_field() -> fields.String:
    return fields.String(validate=validate.Regexp(CURSOR_PATTERN, error="Not a cursor from this API: copy the "
                                                                         "`next` link of the previous page."),
                         metadata={"description": "where to continue: copy it from the `next` link of the "
                                                  "previous page"})
MAX_CLAIMS_PER_BATCH = 100
MAX_PAGE = 200


class Out(Schema):
    """Base of the response schemas: fields added later do not break clients that validate."""

    class Meta:
        unknown = INCLUDE


class ProblemSchema(Out):
    """RFC 9457 problem details; `errors` maps each bad field (or "<index>.<field>" in a batch) to its reasons."""

    type = fields.String(required=True, metadata={"example": "about:blank"})
    title = fields.String(required=True, metadata={"example": "Unprocessable Content"})
    status = fields.Integer(required=True, metadata={"example": 422})
    detail = fields.String(required=True, metadata={"example": "claim: Enter a claim to check."})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


# --- sources

class SourceInSchema(Schema):
    """A source to ingest: `text` is required; `id` (null or left out) defaults to a hash of the text. Fields a
    source does not have are refused (ingest.validate_record is what checks a record; this documents it)."""

    id = fields.String(allow_none=True, validate=validate.Regexp(r"^[A-Za-z0-9._:-]{1,200}$"),
                       metadata={"example": "alpine-herald-geneva",
                                 "description": "your id for the source; the same id with different content "
                                                "stores a new version"})
    text = fields.String(required=True, validate=validate.Length(min=1),
                         metadata={"example": "The ministers met in Geneva on 14 May 2024.", "pattern": VISIBLE,
                                   "description": "up to FACTCHECK_MAX_TEXT_BYTES bytes of UTF-8"})
    url = fields.String(allow_none=True, validate=validate.Length(max=2048))
    publisher = fields.String(allow_none=True, validate=validate.Length(max=300))
    published_at = fields.String(allow_none=True, metadata={
        "description": "ISO 8601 date or date and time; empty or null: not known", "example": "2024-05-15",
        "anyOf": [{"format": "date"}, {"format": "date-time"}, {"maxLength": 0}]})
    title = fields.String(allow_none=True, validate=validate.Length(max=1000))


class SourceSchema(Out):
    id = fields.String(required=True)
    url = fields.String(allow_none=True)
    publisher = fields.String(allow_none=True)
    published_at = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    ingested_at = fields.String(allow_none=True, metadata={"description": "when this version was stored"})
    content_hash = fields.String()
    text = fields.String()
    version = fields.Integer(metadata={"description": "1, then one higher for each new version of the content"})


class DateMentionSchema(Out):
    text = fields.String()
    start = fields.Integer()
    end = fields.Integer()
    value = fields.String(allow_none=True, metadata={"example": "2024-05-14"})
    granularity = fields.String(allow_none=True, metadata={"enum": list(GRANULARITIES)})
    type = fields.String()
    range_start = fields.String(allow_none=True)
    range_end = fields.String(allow_none=True)
    resolved = fields.Boolean()
    relative = fields.Boolean()
    note = fields.String(allow_none=True)


class EntitySchema(Out):
    text = fields.String()
    start = fields.Integer()
    end = fields.Integer()
    label = fields.String(metadata={"example": "PLACE"})
    key = fields.String()


class NumberSchema(Out):
    text = fields.String()
    start = fields.Integer()
    end = fields.Integer()
    value = fields.Float()
    unit = fields.String(allow_none=True)
    kind = fields.String()


class SentenceSchema(Out):
    """One sentence of a source with what was extracted from it (offsets into the source text)."""

    id = fields.String()
    index = fields.Integer()
    text = fields.String()
    start = fields.Integer()
    end = fields.Integer()
    dates = fields.List(fields.Nested(DateMentionSchema))
    entities = fields.List(fields.Nested(EntitySchema))
    numbers = fields.List(fields.Nested(NumberSchema))
    is_claim = fields.Boolean()
    claim_score = fields.Float()
    speaker = fields.String(allow_none=True)


class SourceDetailSchema(SourceSchema):
    sentences = fields.List(fields.Nested(SentenceSchema), required=True)


class SourceVersionSchema(SourceSchema):
    """One version of a source as it was stored; `superseded_at` is null for the current one."""

    superseded_at = fields.String(allow_none=True)
    href = fields.String()


class SourceVersionListSchema(Out):
    items = fields.List(fields.Nested(SourceVersionSchema), required=True,
                        metadata={"description": "newest (current) first, without their text"})


def check_range(data: dict, first: str, last: str, last_name: str) -> None:
    """ValidationError on `last_name` when a date range ends before it starts."""
    if data.get(first) and data.get(last) and data[first] > data[last]:
        raise ValidationError({last_name: [f"The range ends ({data[last]}) before it starts ({data[first]})."]})


class SourceListArgsSchema(Schema):
    q = fields.String(validate=validate.Length(min=1, max=500), metadata={"description": "full-text search"})
    publisher = fields.String(validate=validate.Length(min=1, max=300))
    published_from = IsoDay(metadata={"description": "first publication day (YYYY-MM-DD)"})
    published_to = IsoDay(metadata={"description": "last publication day (YYYY-MM-DD), not before published_from"})

    @validates_schema
    def _range(self, data: dict, **kwargs) -> None:
        check_range(data, "published_from", "published_to", "published_to")
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE))
    cursor = cursor_field()


class PageSchema(Out):
    next = fields.String(allow_none=True, required=True,
                         metadata={"description": "URL of the next page, or null on the last page"})


class SourceListSchema(PageSchema):
    items = fields.List(fields.Nested(SourceSchema), required=True)


class IngestItemSchema(Out):
    index = fields.Integer(required=True)
    id = fields.String(allow_none=True)
    status = fields.String(required=True, metadata={
        "enum": ["added", "updated", "unchanged", "failed"],
        "description": "updated: different content under a stored id, stored as a new version"})
    version = fields.Integer(metadata={"description": "the stored version (not on failed items)"})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class IngestResultSchema(Out):
    added = fields.Integer(required=True)
    updated = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)
    failed = fields.Integer(required=True)
    items = fields.List(fields.Nested(IngestItemSchema), required=True)


# --- checks

class EvidenceSchema(Out):
    source_id = fields.String()
    url = fields.String(allow_none=True)
    publisher = fields.String(allow_none=True)
    published_at = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    sentence = fields.String()
    start = fields.Integer()
    end = fields.Integer()
    dates = fields.List(fields.Dict())
    stance = fields.String(metadata={"enum": list(STANCES)})
    score = fields.Float()
    reason = fields.String()
    passage_id = fields.String(allow_none=True)
    highlights = fields.List(fields.Dict())


class PreviousCheckSchema(Out):
    """An earlier check of the same claim in other words (factcheck.repeat)."""

    check_id = fields.String(required=True)
    claim = fields.String(required=True)
    verdict = fields.String(required=True, metadata={"enum": list(VERDICTS)})
    confidence = fields.Float()
    checked_at = fields.String(allow_none=True)
    similarity = fields.Float(required=True, metadata={
        "minimum": 0, "maximum": 1, "description": "the matcher's probability that this is the same claim (only "
                                                   "matches at or above its calibrated threshold are listed)"})
    review_status = fields.String(allow_none=True, metadata={"enum": list(REVIEW_STATUSES)})
    rating = fields.String(allow_none=True, metadata={"description": "the published review's rating"})
    published_at = fields.String(allow_none=True)
    published = fields.Boolean()
    summary = fields.String(metadata={"example": "Already checked on 2 May 2024: REFUTED, published"})


class VerdictSchema(Out):
    id = fields.String(metadata={"example": "chk-..."})
    claim = fields.String(required=True)
    claim_date = fields.String(allow_none=True)
    verdict = fields.String(required=True, metadata={"enum": list(VERDICTS)})
    confidence = fields.Float(required=True, metadata={"minimum": 0, "maximum": 1})
    as_of = fields.String(allow_none=True)
    dates = fields.List(fields.Dict(), required=True)
    evidence = fields.List(fields.Nested(EvidenceSchema), required=True)
    created_at = fields.String(allow_none=True)
    previous_checks = fields.List(fields.Nested(PreviousCheckSchema), metadata={
        "description": "earlier checks of the same claim in other words, most similar first"})


class BatchClaimSchema(CheckRequestSchema):
    """One claim of a batch; `id` is the caller's own, echoed in the result."""

    id = fields.String(allow_none=True, validate=validate.Length(max=200))


class CheckBatchRequestSchema(Schema):
    claims = fields.List(fields.Dict(), required=True,
                         validate=validate.Length(min=1, max=MAX_CLAIMS_PER_BATCH),
                         metadata={"description": "up to 100 objects {id?, claim, claim_date?, as_of?}; "
                                                  "each is validated on its own"})


class CheckBatchItemSchema(Out):
    index = fields.Integer(required=True)
    id = fields.String(allow_none=True)
    status = fields.Integer(required=True, metadata={"description": "201 checked and saved, 422 invalid"})
    check = fields.Nested(VerdictSchema, allow_none=True)
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class CheckBatchResultSchema(Out):
    checked = fields.Integer(required=True)
    failed = fields.Integer(required=True)
    results = fields.List(fields.Nested(CheckBatchItemSchema), required=True)


# --- timeline

class TimelineArgsSchema(Schema):
    q = fields.String(validate=validate.Length(min=1, max=500))
    entity = fields.String(validate=validate.Length(min=1, max=300))
    date_from = IsoDay(data_key="from", metadata={"description": "first day of the events (YYYY-MM-DD)"})
    date_to = IsoDay(data_key="to", metadata={"description": "last day of the events (YYYY-MM-DD), not before from"})
    as_of = IsoDay(metadata={"description": "leave out sources published after this day (YYYY-MM-DD)"})
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))

    @validates_schema
    def _range(self, data: dict, **kwargs) -> None:
        check_range(data, "date_from", "date_to", "to")


class TimelineEventSchema(Out):
    date = fields.String(allow_none=True)
    label = fields.String()
    granularity = fields.String(allow_none=True)
    range_start = fields.String()
    range_end = fields.String()
    sentence = fields.String()
    source_id = fields.String()
    passage_id = fields.String()
    publisher = fields.String(allow_none=True)
    published_at = fields.String(allow_none=True)
    url = fields.String(allow_none=True)
    conflict = fields.Boolean()
    conflict_reason = fields.String(allow_none=True)


class TimelineSchema(Out):
    events = fields.List(fields.Nested(TimelineEventSchema), required=True)
    conflicts = fields.Integer(required=True)


# --- reviews

class ReviewFlagSchema(Schema):
    check_id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    note = fields.String(allow_none=True, validate=validate.Length(max=5000))


class ExcludeEvidenceSchema(Schema):
    passage_id = fields.String(required=True, validate=validate.Length(min=1, max=400),
                               metadata={"description": "the evidence item's passage_id"})
    reason = fields.String(required=True, validate=[validate.Length(min=1, max=5000),
                                                    validate.Regexp(r"\S", error="Say why it is left out.")],
                           metadata={"description": "why it is left out (kept in the audit trail)"})


class AddSourceSchema(Schema):
    url = fields.String(required=True, validate=[
        validate.Length(min=1, max=2048),
        validate.Regexp(WEB_ADDRESS, error="Give the http:// or https:// address of the article.")],
        metadata={"example": "https://news.example/article"})
    stance = fields.String(load_default="supports", validate=validate.OneOf(("supports", "conflicts", "related")),
                           metadata={"description": "what the source does to the claim, as the editor judges it"})


class ReviewPatchSchema(Schema):
    """The fields to change; leave out what stays. Send `If-Match` with the review's ETag."""

    status = fields.String(validate=validate.OneOf(REVIEW_STATUSES))
    assignee = fields.String(allow_none=True, validate=validate.Length(max=200))
    rating = fields.String(allow_none=True, validate=validate.OneOf(VERDICTS))
    explanation = fields.String(allow_none=True, validate=validate.Length(max=5000))
    claimant = fields.String(allow_none=True, validate=validate.Length(max=5000))
    claimant_type = fields.String(allow_none=True, validate=validate.OneOf(["Person", "Organization"]),
                                  metadata={"description": "what the claimant is (ClaimReview itemReviewed.author)"})
    claim_date = IsoDay(allow_none=True, metadata={"description": "the day the claim was made"})
    appearance = fields.String(allow_none=True, validate=[
        validate.Length(max=2048),
        validate.Regexp(f"^$|{WEB_ADDRESS}", error="Give the http:// or https:// address where the claim appeared "
                                                    "(or an empty string to clear it).")],
        metadata={"description": "where the claim appeared: an http(s) URL; empty or null clears it"})
    note = fields.String(allow_none=True, validate=validate.Length(max=5000))
    exclude_evidence = fields.Nested(
        ExcludeEvidenceSchema, metadata={"description": "leave one passage of the check's evidence out of the "
                                                        "published check (the reason is kept in the audit trail); "
                                                        "409 when it is not a passage of this check's evidence"})
    restore_evidence = fields.String(validate=validate.Length(min=1, max=400), metadata={
        "description": "the passage_id of an excluded passage to put back (409 when it is not excluded)"})
    add_source = fields.Nested(AddSourceSchema, metadata={
        "description": "fetch a source by URL (as URL ingest does: public addresses only), store it and add it to "
                       "the review as editor-added evidence; 422 naming add_source.url when it cannot be fetched"})


class ReviewSchema(Out):
    id = fields.String(required=True)
    check_id = fields.String(required=True)
    claim = fields.String()
    machine_verdict = fields.String()
    status = fields.String(required=True, metadata={"enum": list(REVIEW_STATUSES)})
    assignee = fields.String(allow_none=True)
    rating = fields.String(allow_none=True)
    explanation = fields.String(allow_none=True)
    claimant = fields.String(allow_none=True)
    claimant_type = fields.String(allow_none=True)
    claim_date = fields.String(allow_none=True)
    appearance = fields.String(allow_none=True)
    notes = fields.List(fields.Dict())
    audit = fields.List(fields.Dict(), metadata={"description": "who changed what, oldest first"})
    excluded = fields.List(fields.Dict(), metadata={
        "description": "evidence left out of the published check: passage_id, reason, by, at, publisher, sentence"})
    added = fields.List(fields.Dict(), metadata={
        "description": "sources added by editors: source_id, url, publisher, published_at, title, sentence, stance, "
                       "by, at"})
    version = fields.Integer(required=True)
    created_at = fields.String(allow_none=True)
    updated_at = fields.String(allow_none=True)
    published_at = fields.String(allow_none=True)


class ReviewListArgsSchema(Schema):
    status = fields.String(validate=validate.OneOf(REVIEW_STATUSES))
    verdict = fields.String(validate=validate.OneOf(VERDICTS), metadata={"description": "the machine verdict"})
    assignee = fields.String(validate=validate.Length(min=1, max=200))
    flagged_by = fields.String(validate=validate.Length(min=1, max=200),
                               metadata={"description": "who flagged the check (a username or key:<name>)"})
    waiting_days = fields.Integer(validate=validate.Range(min=0, max=36500), metadata={
        "description": "only reviews flagged at least this many days ago"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE))
    cursor = cursor_field()


class ReviewListSchema(PageSchema):
    items = fields.List(fields.Nested(ReviewSchema), required=True)


class ClaimReviewSchema(Out):
    """schema.org ClaimReview (JSON-LD)."""


# --- webhooks

# An http(s) URL with a host (a name, an IPv4 address or a bracketed IPv6 address), a valid port if any, and no
# user name or password. Where the host points is checked when the webhook is registered and at each delivery: a
# private address is refused (403) unless FACTCHECK_ALLOW_PRIVATE_URLS allows it.
_PORT = "(:([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?"
_H = "[0-9A-Fa-f]{1,4}"
_IPV4 = r"((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IPV6 = "|".join([f"({_H}:){{7}}{_H}", f"({_H}:){{1,7}}:", f"({_H}:){{1,6}}:{_H}",
                  *[f"({_H}:){{1,{n}}}(:{_H}){{1,{7 - n}}}" for n in range(5, 0, -1)],
                  f":((:{_H}){{1,7}}|:)", f"({_H}:){{6}}{_IPV4}", f"::([Ff]{{4}}(:0{{1,4}})?:)?{_IPV4}",
                  f"({_H}:){{1,4}}:{_IPV4}"])
WEBHOOK_URL_PATTERN = (f"^[Hh][Tt][Tt][Pp][Ss]?://([A-Za-z0-9._~-]+|\\[({_IPV6})\\]){_PORT}([/?#][!-~]*)?$")


class WebhookInSchema(Schema):
    url = fields.String(required=True, validate=[
        validate.Length(min=1, max=2048),
        validate.Regexp(WEBHOOK_URL_PATTERN, error="Give an http:// or https:// URL with a host, e.g. "
                                                   "https://hooks.example.org/factcheck (no user name or password "
                                                   "in it: the secret authenticates).")],
        metadata={"example": "https://hooks.example.org/factcheck"})
    events = fields.List(fields.String(validate=validate.OneOf(("check.completed", "review.published"))),
                         required=True, validate=validate.Length(min=1, max=2))
    secret = fields.String(validate=validate.Length(min=16, max=200),
                           metadata={"description": "HMAC key for X-Factcheck-Signature; random when left out"})


class WebhookSchema(Out):
    id = fields.String(required=True)
    url = fields.String(required=True)
    events = fields.List(fields.String(), required=True)
    created_at = fields.String()
    secret = fields.String(metadata={"description": "only in the response to the registration"})


class WebhookListSchema(Out):
    items = fields.List(fields.Nested(WebhookSchema), required=True)


class DeliverySchema(Out):
    id = fields.Integer()
    event_id = fields.String()
    event = fields.String()
    attempt = fields.Integer()
    at = fields.String()
    status_code = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    duration_ms = fields.Integer(allow_none=True)
    success = fields.Boolean()
    next_attempt_at = fields.String(allow_none=True)


class DeliveryListSchema(Out):
    items = fields.List(fields.Nested(DeliverySchema), required=True)


# --- claim spotting and repeat claims

MAX_SPOT_TEXT_CHARS = 200_000
MAX_SPOT_SENTENCES = 1000
MAX_SPOT_SENTENCE_CHARS = 2000


class StrictBoolean(fields.Boolean):
    """true or false only (not 0, 1, "yes"...), as the OpenAPI document says."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class SpotSentenceInSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=MAX_SPOT_SENTENCE_CHARS))
    speaker = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=200))
    id = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=200))


class SpotRequestSchema(Schema):
    """Body of POST /api/v1/spot: a document's `text` or a list of `sentences`, not both."""

    text = fields.String(validate=validate.Length(min=1, max=MAX_SPOT_TEXT_CHARS), metadata={
        "description": f"a document, up to {MAX_SPOT_TEXT_CHARS:,} characters; a transcript's lines may start "
                       "with \"SPEAKER: \""})
    sentences = fields.List(fields.Nested(SpotSentenceInSchema),
                            validate=validate.Length(min=1, max=MAX_SPOT_SENTENCES),
                            metadata={"description": f"up to {MAX_SPOT_SENTENCES:,} sentences "
                                                     f"{{text (up to {MAX_SPOT_SENTENCE_CHARS:,} characters), "
                                                     "speaker?, id?}"})
    published_at = IsoDay(load_default=None, allow_none=True,
                          metadata={"description": "the document's day: anchors its relative dates"})
    previous_checks = StrictBoolean(load_default=True, metadata={
        "description": "look up earlier checks of each check-worthy sentence (default true)"})

    @validates_schema
    def _one_input(self, data: dict, **kwargs) -> None:
        if ("text" in data) == ("sentences" in data):
            raise ValidationError("Give either `text` or `sentences`.", "text")
        if "text" in data and not has_visible_text(data["text"]):
            raise ValidationError("The text is empty.", "text")


class SpottedSchema(Out):
    index = fields.Integer(required=True)
    id = fields.String(allow_none=True)
    text = fields.String(required=True)
    start = fields.Integer()
    end = fields.Integer()
    score = fields.Float(required=True, metadata={"minimum": 0, "maximum": 1,
                                                  "description": "ranking score: higher is more check-worthy"})
    check_worthy = fields.Boolean(required=True)
    rank = fields.Integer(allow_none=True)
    speaker = fields.String(allow_none=True)
    features = fields.List(fields.String(), required=True)
    previous_checks = fields.List(fields.Nested(PreviousCheckSchema))


class SpotResultSchema(Out):
    sentences = fields.List(fields.Nested(SpottedSchema), required=True)
    check_worthy = fields.Integer(required=True)


class SimilarChecksQuerySchema(Schema):
    similar_to = fields.String(required=True, validate=validate.Length(min=1, max=MAX_CLAIM_CHARS), metadata={
        "description": "a claim: earlier checks of the same claim in other words are listed"})
    limit = fields.Integer(load_default=5, validate=validate.Range(min=1, max=20))

    @validates("similar_to")
    def _visible(self, value: str, **kwargs) -> None:
        if not has_visible_text(value):
            raise ValidationError("Enter a claim; it is empty.")


class SimilarChecksSchema(Out):
    items = fields.List(fields.Nested(PreviousCheckSchema), required=True)
