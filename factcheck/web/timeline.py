"""The timeline page (events grouped by day, month or year) and its TimelineJS3 export."""
from __future__ import annotations

import html
from typing import Optional

from flask import jsonify, render_template, request
from marshmallow import ValidationError

from ..api.shared import validation_problem
from ..schemas import IsoDay
from ..timeline import build_timeline
from .shared import bp, store

FILTER_LABELS = {"from": "From", "to": "To", "as_of": "As of"}
# Which heading an event sits under: its own value for day/month/year; the enclosing month or year otherwise.
GROUP_LEVEL = {"day": "day", "week": "month", "month": "month", "quarter": "year", "year": "year",
               "decade": "year"}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def _filters() -> tuple[dict, dict]:
    """The query-string filters and the errors of the date fields."""
    values = {name: request.args.get(name, "").strip() for name in ("q", "entity", "from", "to", "as_of")}
    errors = {}
    for name in ("from", "to", "as_of"):
        if values[name]:
            try:
                values[name] = IsoDay().deserialize(values[name])
            except ValidationError as exc:
                errors[name] = " ".join(exc.messages)
    if not errors and values["from"] and values["to"] and values["from"] > values["to"]:
        errors["to"] = "The end of the range is before its start."
    return values, errors


def _timeline(values: dict) -> Optional[dict]:
    if not (values["q"] or values["entity"]):
        return None
    return build_timeline(store(), query=values["q"] or None, entity=values["entity"].lower() or None,
                          date_from=values["from"] or None, date_to=values["to"] or None,
                          as_of=values["as_of"] or None)


def _group_heading(event: dict) -> tuple[str, str]:
    """(key, heading) of the day, month or year an event belongs to."""
    level = GROUP_LEVEL.get(event.get("granularity") or "day", "day")
    start = event["range_start"]
    year, month = start[:4], int(start[5:7])
    if level == "day":
        return start[:10], f"{int(start[8:10])} {MONTHS[month - 1]} {year}"
    if level == "month":
        return start[:7], f"{MONTHS[month - 1]} {year}"
    return year, year


def group_events(events: list[dict]) -> list[dict]:
    """Events grouped under their day, month or year heading, in date order; the same sentence reported by
    several sources on the same date is one event listing each source."""
    groups: list[dict] = []
    by_key: dict[str, dict] = {}
    for event in sorted(events, key=lambda e: (e["range_start"], e["range_end"])):
        key, heading = _group_heading(event)
        group = by_key.get(key)
        if group is None:
            group = by_key[key] = {"key": key, "heading": heading, "events": []}
            groups.append(group)
        same = next((e for e in group["events"] if e["date"] == event["date"]
                     and " ".join(e["sentence"].split()) == " ".join(event["sentence"].split())), None)
        if same is not None:
            if all(s["source_id"] != event["source_id"] for s in same["sources"]):
                same["sources"].append(event)
            same["conflict"] = same["conflict"] or event["conflict"]
            same["reasons"] += [event["conflict_reason"]] if event["conflict_reason"] else []
            continue
        group["events"].append({**event, "sources": [event],
                                "reasons": [event["conflict_reason"]] if event["conflict_reason"] else []})
    return groups


@bp.get("/timeline")
def timeline_page():
    """Dated events by query or entity, grouped by day, month or year, conflicts marked."""
    values, errors = _filters()
    timeline = None if errors else _timeline(values)
    groups = group_events(timeline["events"]) if timeline else []
    return render_template("timeline.html", values=values, errors=errors, timeline=timeline, groups=groups,
                           labels=FILTER_LABELS), 400 if errors else 200


def _date_parts(iso_day: str, granularity: str) -> dict:
    parts = {"year": int(iso_day[:4])}
    if granularity in ("day", "week", "month", "quarter"):
        parts["month"] = int(iso_day[5:7])
    if granularity in ("day", "week"):
        parts["day"] = int(iso_day[8:10])
    return parts


def timelinejs(timeline: dict, title: Optional[str] = None) -> dict:
    """TimelineJS3 JSON: {"title"?, "events": [{"start_date", "end_date"?, "text", "group"?, "unique_id"}]}.

    TimelineJS renders every text it shows as HTML (headline, text, group, display_date), so each is
    HTML-escaped here; source text and metadata are untrusted.
    """
    events = []
    for event in timeline["events"]:
        granularity = event.get("granularity") or "day"
        item = {
            "start_date": _date_parts(event["range_start"], granularity),
            "text": {
                # What happened, in the event's own words (the date and the publisher are shown apart).
                "headline": html.escape(_headline(event["sentence"])),
                "text": html.escape(event["sentence"]) + "<p>" + html.escape(
                    f"{event['label']} · {event.get('publisher') or event['source_id']}") + "</p>" + (
                    "<p><strong>Conflict:</strong> " + html.escape(event["conflict_reason"]) + "</p>"
                    if event.get("conflict") and event.get("conflict_reason") else ""),
            },
            "group": html.escape(event.get("publisher") or event["source_id"]),
            "unique_id": f"{event['passage_id']}-{event['date_start']}",
            "display_date": html.escape(event["label"]),
        }
        if granularity in ("week", "quarter", "decade"):
            item["end_date"] = _date_parts(event["range_end"], granularity)
        events.append(item)
    title = title or timeline.get("query") or timeline.get("entity") or "Timeline"
    count = f"{len(events)} dated event{'' if len(events) == 1 else 's'}"
    return {"title": {"text": {"headline": html.escape(title), "text": html.escape(count)}}, "events": events}


def _headline(sentence: str, limit: int = 90) -> str:
    """The sentence, cut at a word boundary when it is longer than a headline."""
    text = " ".join(sentence.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


@bp.get("/timeline.json")
def timeline_json():
    """The same timeline as TimelineJS3 JSON."""
    values, errors = _filters()
    if errors or not (values["q"] or values["entity"]):
        detail = errors or {"q": "Give q (words) and/or entity."}
        return validation_problem({name: [reason] for name, reason in detail.items()}, status=400)
    # The title keeps the case it was asked in ("AI Act", not the lower-cased key the search uses).
    response = jsonify(timelinejs(_timeline(values), title=values["q"] or values["entity"]))
    response.headers["Content-Disposition"] = 'inline; filename="timeline.json"'
    return response
