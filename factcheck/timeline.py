"""Timelines: dated events matching a query or an entity, in date order, with conflicts between sources marked."""
from __future__ import annotations

from typing import Optional

from .models import DateMention
from .store.base import Store
from .textutil import content_terms, human_date

SAME_EVENT = 0.45  # share of content words two sentences need in common to be read as the same event


def _similar(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def _overlap(a: DateMention, b: DateMention) -> bool:
    return a.range_start <= b.range_end and b.range_start <= a.range_end


def build_timeline(store: Store, query: Optional[str] = None, entity: Optional[str] = None,
                   date_from: Optional[str] = None, date_to: Optional[str] = None,
                   as_of: Optional[str] = None, limit: int = 200) -> dict:
    """Events in date order; two sources dating the same event differently are both marked as a conflict."""
    hits = store.timeline(query=query, entity=entity, date_from=date_from, date_to=date_to, as_of=as_of,
                          limit=limit)
    events = []
    for hit in hits:
        passage = hit.passage
        terms = content_terms(passage.text, exclude=[(d.start, d.end) for d in passage.dates])
        for mention in passage.dates:
            if mention.type not in ("date", "time") or not mention.resolved or not mention.range_start:
                continue
            if date_from and mention.range_end < date_from[:10] or date_to and mention.range_start > date_to[:10]:
                continue
            events.append({
                "date": mention.value, "label": human_date(mention), "granularity": mention.granularity,
                "range_start": mention.range_start, "range_end": mention.range_end, "date_text": mention.text,
                "date_start": mention.start, "date_end": mention.end,
                "sentence": passage.text, "passage_id": passage.id, "source_id": hit.source.id,
                "publisher": hit.source.publisher, "published_at": hit.source.published_at,
                "url": hit.source.url, "title": hit.source.title, "conflict": False, "conflict_reason": None,
                "conflicts_with": [], "_terms": terms, "_mention": mention,
            })
    events.sort(key=lambda e: (e["range_start"], e["source_id"], e["passage_id"]))
    for i, first in enumerate(events):
        for second in events[i + 1:]:
            if first["source_id"] == second["source_id"] or _overlap(first["_mention"], second["_mention"]):
                continue
            if _similar(first["_terms"], second["_terms"]) < SAME_EVENT:
                continue
            for this, other in ((first, second), (second, first)):
                this["conflict"] = True
                this["conflicts_with"].append(other["passage_id"])
                this["conflict_reason"] = this["conflict_reason"] or (
                    f"{other['publisher'] or other['source_id']} dates the same event {other['label']}; "
                    f"this source says {this['label']}")
    for event in events:
        del event["_terms"], event["_mention"]
    return {"query": query, "entity": entity, "date_from": date_from, "date_to": date_to, "as_of": as_of,
            "events": events, "conflicts": sum(1 for e in events if e["conflict"])}
