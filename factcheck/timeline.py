"""Timelines: dated events matching a query or an entity, in date order. Dated mentions are joined into events by
a learned same-event score between their sentences (sentence vectors, shared words and names; never the dates
themselves, so that two dates for one event can be seen); two sources dating one event differently are both
marked as a conflict, with the reason. Mentions of different events that merely share a word stay apart."""
from __future__ import annotations

from typing import Optional

import numpy as np

from .learned import Logistic, events_model
from .models import DateMention
from .store.base import Store
from .textutil import content_terms, human_date

SAME_EVENT = 0.5  # mean same-event probability a sentence needs with an event's sentences to join it
EVENT_FEATURES = ("cos", "term_overlap", "entity_overlap")


def _overlap(a: DateMention, b: DateMention) -> bool:
    return a.range_start <= b.range_end and b.range_start <= a.range_end


def pair_features(terms: list[set], entities: list[set], vectors: Optional[np.ndarray]) -> dict[str, np.ndarray]:
    """For every pair of sentences (n x n matrices): cosine of their vectors, the share of the smaller one's
    content words (dates left out) and of its named entities that the other has too."""
    n = len(terms)
    term_overlap = np.zeros((n, n))
    entity_overlap = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            if terms[i] and terms[j]:
                term_overlap[i, j] = term_overlap[j, i] = len(terms[i] & terms[j]) / min(len(terms[i]), len(terms[j]))
            if entities[i] and entities[j]:
                entity_overlap[i, j] = entity_overlap[j, i] = \
                    len(entities[i] & entities[j]) / min(len(entities[i]), len(entities[j]))
    cos = vectors @ vectors.T if vectors is not None else np.zeros((n, n))
    return {"cos": cos, "term_overlap": term_overlap, "entity_overlap": entity_overlap}


def same_event_matrix(model: Logistic, features: dict[str, np.ndarray]) -> np.ndarray:
    """The model's probability for every pair at once (the diagonal is 1)."""
    n = next(iter(features.values())).shape[0]
    z = np.full((n, n), float(model.intercept[0]))
    for k, name in enumerate(model.features):
        z += model.coef[0, k] * (features[name] - model.mean[k]) / model.scale[k]
    p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
    np.fill_diagonal(p, 1.0)
    return p


def cluster(probability: np.ndarray, order: list[int]) -> list[int]:
    """Greedy average linkage: each sentence (in `order`) joins the event whose sentences it most likely shares
    an event with, on average, if that is at least SAME_EVENT; else it starts an event. Returns event ids."""
    labels = [-1] * probability.shape[0]
    members: list[list[int]] = []
    for i in order:
        best, best_p = -1, SAME_EVENT
        for event, indices in enumerate(members):
            p = float(probability[i, indices].mean())
            if p >= best_p:
                best, best_p = event, p
        if best < 0:
            members.append([i])
            labels[i] = len(members) - 1
        else:
            members[best].append(i)
            labels[i] = best
    return labels


def build_timeline(store: Store, query: Optional[str] = None, entity: Optional[str] = None,
                   date_from: Optional[str] = None, date_to: Optional[str] = None,
                   as_of: Optional[str] = None, limit: int = 200) -> dict:
    """Events in date order; two sources dating the same event differently are both marked as a conflict."""
    hits = store.timeline(query=query, entity=entity, date_from=date_from, date_to=date_to, as_of=as_of,
                          limit=limit)
    mentions = []
    for hit in hits:
        passage = hit.passage
        for mention in passage.dates:
            if mention.type not in ("date", "time") or not mention.resolved or not mention.range_start:
                continue
            if date_from and mention.range_end < date_from[:10] or date_to and mention.range_start > date_to[:10]:
                continue
            mentions.append({
                "date": mention.value, "label": human_date(mention), "granularity": mention.granularity,
                "range_start": mention.range_start, "range_end": mention.range_end, "date_text": mention.text,
                "date_start": mention.start, "date_end": mention.end,
                "sentence": passage.text, "passage_id": passage.id, "source_id": hit.source.id,
                "publisher": hit.source.publisher, "published_at": hit.source.published_at,
                "url": hit.source.url, "title": hit.source.title, "event": None, "conflict": False,
                "conflict_reason": None, "conflicts_with": [], "_hit": hit, "_mention": mention,
            })
    mentions.sort(key=lambda e: (e["range_start"], e["source_id"], e["passage_id"]))
    _join_events(mentions)
    for first_index, first in enumerate(mentions):
        for second in mentions[first_index + 1:]:
            if first["event"] != second["event"] or first["source_id"] == second["source_id"] \
                    or _overlap(first["_mention"], second["_mention"]):
                continue
            for this, other in ((first, second), (second, first)):
                this["conflict"] = True
                this["conflicts_with"].append(other["passage_id"])
                this["conflict_reason"] = this["conflict_reason"] or (
                    f"{other['publisher'] or other['source_id']} dates the same event {other['label']}; "
                    f"this source says {this['label']}")
    for event in mentions:
        del event["_hit"], event["_mention"]
    return {"query": query, "entity": entity, "date_from": date_from, "date_to": date_to, "as_of": as_of,
            "events": mentions, "conflicts": sum(1 for e in mentions if e["conflict"]),
            "event_count": len({e["event"] for e in mentions})}


def _join_events(mentions: list[dict]) -> None:
    """Number each mention's event: its sentence is clustered with the others by the same-event model."""
    passages, index = [], {}
    for m in mentions:
        if m["passage_id"] not in index:
            index[m["passage_id"]] = len(passages)
            passages.append(m["_hit"].passage)
    if not passages:
        return
    vectors = [p.vector for p in passages]
    with_vectors = all(v is not None for v in vectors)
    terms = [content_terms(p.text, exclude=[(d.start, d.end) for d in p.dates]) for p in passages]
    entities = [{e.key for e in p.entities if e.key} for p in passages]
    features = pair_features(terms, entities, np.vstack(vectors) if with_vectors else None)
    probability = same_event_matrix(events_model(with_vectors), features)
    labels = cluster(probability, list(range(len(passages))))
    for m in mentions:
        m["event"] = labels[index[m["passage_id"]]]
