"""Temporal tagging quality, TempEval-3 style: strict/relaxed span P/R/F1, value F1 and type F1.

    .venv/bin/python bench/timex.py [--data ../shared/data] [--errors N] [--corpus timebank|aquaint|wikinews]

Corpora: TempEval-3 TBAQ-cleaned (TimeBank, AQUAINT; gold TIMEX3s inside TEXT, the DCT is the anchor and is not
scored) and the Wikinews/MEANTIME gold spans (character offsets into documents.jsonl texts, published_at is the
anchor; MEANTIME annotated only the title, the date line and the first five sentences of each article, so only
that part is tagged and scored). The tagger is the service's own: factcheck.timeml.tag_text -> extract_dates sentence by sentence.

Scoring (as the TempEval-3 scorer): a system span and a gold span match strictly when identical, relaxed when they
overlap (one-to-one, largest overlap first); value accuracy and type accuracy are measured over the relaxed
matches; value F1 = relaxed F1 x value accuracy, type F1 = relaxed F1 x type accuracy.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import random
import re
import sys
import time
from dataclasses import dataclass, field
from datetime import date

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from factcheck.timeml import read_timeml, tag_text, timex_of  # noqa: E402

DEFAULT_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")


@dataclass
class Span:
    start: int
    end: int
    type: str
    value: str | None


@dataclass
class Doc:
    name: str
    text: str
    anchor: date | None
    gold: list[Span]


@dataclass
class Tally:
    gold: int = 0
    system: int = 0
    strict: int = 0
    relaxed: int = 0
    value_ok: int = 0
    type_ok: int = 0
    misses: list = field(default_factory=list)
    false_pos: list = field(default_factory=list)
    wrong_value: list = field(default_factory=list)
    wrong_type: list = field(default_factory=list)
    seconds: float = 0.0

    def add(self, other: "Tally") -> None:
        for name in ("gold", "system", "strict", "relaxed", "value_ok", "type_ok", "seconds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("misses", "false_pos", "wrong_value", "wrong_type"):
            getattr(self, name).extend(getattr(other, name))


def _prf(hits_sys: int, hits_gold: int, n_sys: int, n_gold: int) -> tuple[float, float, float]:
    p = hits_sys / n_sys if n_sys else 0.0
    r = hits_gold / n_gold if n_gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def score_doc(doc: Doc) -> Tally:
    started = time.perf_counter()
    system = [Span(m.start, m.end, *timex_of(m)) for m in tag_text(doc.text, doc.anchor)]
    tally = Tally(gold=len(doc.gold), system=len(system), seconds=time.perf_counter() - started)
    gold_spans = {(g.start, g.end) for g in doc.gold}
    tally.strict = sum((s.start, s.end) in gold_spans for s in system)
    pairs = []
    for gi, g in enumerate(doc.gold):
        for si, s in enumerate(system):
            overlap = min(g.end, s.end) - max(g.start, s.start)
            if overlap > 0:
                pairs.append((-overlap, gi, si))
    used_g, used_s = set(), set()
    matches = []
    for _, gi, si in sorted(pairs):
        if gi in used_g or si in used_s:
            continue
        used_g.add(gi)
        used_s.add(si)
        matches.append((doc.gold[gi], system[si]))
    tally.relaxed = len(matches)

    def context(start, end):
        return (doc.text[max(0, start - 50):start] + "[" + doc.text[start:end] + "]" +
                doc.text[end:end + 40]).replace("\n", " ")

    for g, s in matches:
        if g.value == s.value:
            tally.value_ok += 1
        else:
            tally.wrong_value.append((doc.name, doc.anchor, doc.text[g.start:g.end], doc.text[s.start:s.end],
                                      g.value, s.value, context(g.start, g.end)))
        if g.type == s.type:
            tally.type_ok += 1
        else:
            tally.wrong_type.append((doc.name, doc.text[g.start:g.end], g.type, s.type))
    for gi, g in enumerate(doc.gold):
        if gi not in used_g:
            tally.misses.append((doc.name, doc.anchor, doc.text[g.start:g.end], g.type, g.value,
                                 context(g.start, g.end)))
    for si, s in enumerate(system):
        if si not in used_s:
            tally.false_pos.append((doc.name, doc.anchor, doc.text[s.start:s.end], s.type, s.value,
                                    context(s.start, s.end)))
    return tally


def load_tml(folder: str) -> list[Doc]:
    docs = []
    for name in sorted(os.listdir(folder)):
        if not name.lower().endswith((".tml", ".te3input")):
            continue
        with open(os.path.join(folder, name), encoding="utf-8") as handle:
            parsed = read_timeml(handle.read())
        docs.append(Doc(name, parsed.text, parsed.dct,
                        [Span(g.start, g.end, g.type, g.value) for g in parsed.gold]))
    return docs


_WIKINEWS_SEGMENT = re.compile(r"\n|(?<=[.!?])[\"'”’)]*\s+(?=[\"“‘(]?[A-Z0-9])")
ANNOTATED_SEGMENTS = 7  # MEANTIME annotates the title, the date line and the first five sentences


def annotated_part(text: str, gold: list[Span]) -> str:
    """The part of a Wikinews text that MEANTIME annotated (never cutting a gold span)."""
    bounds = [m.end() for m in _WIKINEWS_SEGMENT.finditer(text)] + [len(text)]
    end = bounds[min(ANNOTATED_SEGMENTS, len(bounds)) - 1]
    last_gold = max((g.end for g in gold), default=0)
    if last_gold > end:
        end = next(b for b in bounds if b >= last_gold)
    return text[:end]


def load_wikinews(folder: str) -> list[Doc]:
    gold = collections.defaultdict(list)
    with open(os.path.join(folder, "timex.jsonl"), encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                gold[row["doc_id"]].append(Span(row["start"], row["end"], row["type"], row["value"]))
    docs = []
    with open(os.path.join(folder, "documents.jsonl"), encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                anchor = date.fromisoformat(row["published_at"][:10]) if row.get("published_at") else None
                spans = sorted(gold.get(row["id"], []), key=lambda s: s.start)
                docs.append(Doc(row["id"], annotated_part(row["text"], spans), anchor, spans))
    return docs


def report_row(name: str, t: Tally, n_docs: int) -> dict:
    sp, sr, sf = _prf(t.strict, t.strict, t.system, t.gold)
    rp, rr, rf = _prf(t.relaxed, t.relaxed, t.system, t.gold)
    value_acc = t.value_ok / t.relaxed if t.relaxed else 0.0
    type_acc = t.type_ok / t.relaxed if t.relaxed else 0.0
    row = {"corpus": name, "docs": n_docs, "gold": t.gold, "system": t.system,
           "strict": (sp, sr, sf), "relaxed": (rp, rr, rf), "value_acc": value_acc,
           "value_f1": rf * value_acc, "type_acc": type_acc, "type_f1": rf * type_acc, "seconds": t.seconds}
    return row


def print_table(rows: list[dict]) -> None:
    head = (f"{'corpus':<22}{'docs':>5}{'gold':>6}{'sys':>6}  {'strict P/R/F1':<17}  {'relaxed P/R/F1':<17}"
            f"{'val acc':>8}{'val F1':>8}{'type F1':>8}{'ms/doc':>8}")
    print(head)
    print("-" * len(head))
    for r in rows:
        sp, sr, sf = r["strict"]
        rp, rr, rf = r["relaxed"]
        print(f"{r['corpus']:<22}{r['docs']:>5}{r['gold']:>6}{r['system']:>6}  {sp:.3f} {sr:.3f} {sf:.3f}  "
              f"{rp:.3f} {rr:.3f} {rf:.3f}{r['value_acc']:>8.3f}{r['value_f1']:>8.3f}{r['type_f1']:>8.3f}"
              f"{1000 * r['seconds'] / max(1, r['docs']):>8.1f}")


def print_errors(name: str, t: Tally, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)

    def sample(items):
        return items if len(items) <= n else rng.sample(items, n)

    print(f"\n== {name}: errors (samples of {n}) ==")
    for title, items, key in (("missed (gold not found)", t.misses, 2), ("false positives", t.false_pos, 2),
                              ("wrong values", t.wrong_value, 2)):
        common = collections.Counter(item[key].lower() for item in items).most_common(15)
        print(f"\n-- {title}: {len(items)}; most common: " + ", ".join(f"{w!r}x{c}" for w, c in common))
        for item in sample(items):
            if title == "wrong values":
                doc, anchor, gtext, stext, gval, sval, ctx = item
                print(f"  {doc} ({anchor}) gold {gval} got {sval}  [{gtext}] vs [{stext}]  ...{ctx}...")
            else:
                doc, anchor, text, typ, val, ctx = item
                print(f"  {doc} ({anchor}) {typ} {val}  ...{ctx}...")
    if t.wrong_type:
        common = collections.Counter(f"{g}->{s}" for _, _, g, s in t.wrong_type).most_common(8)
        print(f"\n-- wrong types: {len(t.wrong_type)}: " + ", ".join(f"{k} x{c}" for k, c in common))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DEFAULT_DATA)
    parser.add_argument("--errors", type=int, default=0, metavar="N", help="list N sample errors of each kind")
    parser.add_argument("--corpus", choices=["timebank", "aquaint", "wikinews"], action="append",
                        help="only these corpora (repeatable; default all)")
    args = parser.parse_args(argv)
    wanted = set(args.corpus or ["timebank", "aquaint", "wikinews"])
    tbaq = os.path.join(args.data, "tempeval3-train", "TBAQ-cleaned")
    corpora = []
    if "timebank" in wanted:
        corpora.append(("TimeBank", load_tml(os.path.join(tbaq, "TimeBank"))))
    if "aquaint" in wanted:
        corpora.append(("AQUAINT", load_tml(os.path.join(tbaq, "AQUAINT"))))
    if "wikinews" in wanted:
        corpora.append(("Wikinews (MEANTIME)", load_wikinews(os.path.join(args.data, "wikinews-meantime"))))
    rows, tallies = [], {}
    combined, n_combined = Tally(), 0
    for name, docs in corpora:
        tally = Tally()
        for doc in docs:
            tally.add(score_doc(doc))
        tallies[name] = tally
        rows.append(report_row(name, tally, len(docs)))
        if name in ("TimeBank", "AQUAINT"):
            combined.add(tally)
            n_combined += len(docs)
    if "timebank" in wanted and "aquaint" in wanted:
        rows.insert(2, report_row("TimeBank+AQUAINT", combined, n_combined))
        tallies["TimeBank+AQUAINT"] = combined
    print_table(rows)
    print("\nvalue F1 = relaxed F1 x value accuracy; type F1 likewise (TempEval-3). Published on the TempEval-3 "
          "test set: HeidelTime value F1 0.776, SUTime 0.674.")
    if args.errors:
        for name, tally in tallies.items():
            if name in ("TimeBank", "AQUAINT") and "TimeBank+AQUAINT" in tallies:
                continue
            print_errors(name, tally, args.errors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
