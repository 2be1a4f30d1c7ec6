"""Check-worthiness of a sentence and attribution to a speaker.

`claim_score` has two stages. The first, `lexical_score`, is a logistic regression over
* the 20 hand-written, explainable `features` (numbers, money, percentages, names, dates, comparisons,
  superlatives, policy words, factual verbs; questions, hedges, first-person opinion, "you", greetings, feelings,
  length), and
* lexical features: binary word unigrams and bigrams (`ngrams`: lowercased, every number replaced by NUM,
  "?", "%", "$" as tokens, sentence-boundary markers), ~17,000 of them (those seen in at least 2 training
  sentences), each with one weight.
The second, `refine`, is applied only where the lexical score is uncertain (inside the refiner's band, 0.1-0.8:
about 20% of ClaimBuster sentences, 40% of news sentences): a logistic regression over the lexical logit, the
sentence's 384-float all-MiniLM-L6-v2 vector (`factcheck.extract.encoder`, int8 ONNX, ~2.5-5 ms a sentence on this
machine) and what its nearest labelled training sentences say (`neighbour_features`: the share of check-worthy ones
among the 10 nearest, the best similarity to a check-worthy and to a not check-worthy one). It catches claims with
no figure, name or date ("Half of the children in this city live in poverty."). Without the encoder installed, or
with FACTCHECK_CLAIM_VECTORS off, the lexical stage and its own threshold are used.

The weights live in claim_model.json next to this file (~0.35 MB, read once on first use; no download), the
vectors and labels of the training sentences in claim_model_bank.npy (float16, 4.9 MB, checked against the sha256
the model file records). They were trained by scripts/train_claims.py (plain numpy, L2-regularised, L-BFGS,
deterministic) on ClaimBuster's train.json (Arslan et al. 2020: U.S. presidential debate sentences labelled by
human coders; research data, kept outside the repository), on the 80% part of an 80/20 split
(random.Random(13).shuffle); the L2 strengths, the minimum n-gram frequency and both thresholds were chosen by
4-fold cross-validation inside that 80% (the refiner on out-of-fold lexical scores and neighbours: stacking).
Measured (bench/claims.py, check-worthy class): held-out 20% (1,596 sentences never seen in training)
P 0.811 / R 0.767 / F1 0.788 (lexical stage alone 0.747); 5-fold cross-validation of the whole training
procedure F1 0.7996 (lexical stage alone 0.763). Debate speech is the training domain; news sentences are scored by
the same weights.
`explain()` lists what a score is made of (weight x value of each feature and the weight of each known n-gram).
"""
from __future__ import annotations

import io
import json
import math
import os
import re
import threading
from dataclasses import dataclass
from typing import Optional

from factcheck.models import Entity, Number

# ------------------------------------------------------------------------------------------------ features

_WORD_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’.-]*")
_COMPARE_RE = re.compile(
    r"\b(?:more|less|fewer|higher|lower|larger|smaller|bigger|greater|faster|slower|cheaper|richer|poorer|"
    r"increas\w*|decreas\w*|rais\w*|rose|risen|fell|fallen|drop\w*|declin\w*|grew|grown|growth|doubl\w*|tripl\w*|"
    r"halv\w*|cut|cuts|reduc\w*|los[te]|gain\w*|up|down|than|compared|times|per|average|majority|half|twice|"
    r"quarter|outnumber\w*)\b", re.I)
_SUPERLATIVE_RE = re.compile(
    r"\b(?:first|last|only|record\w*|largest|biggest|highest|lowest|most|least|best|worst|fastest|slowest|"
    r"greatest|smallest|longest|shortest|oldest|youngest|richest|poorest|never|ever|unprecedented|all-time|"
    r"historic|every|no one|nobody|none)\b", re.I)
_POLICY_RE = re.compile(
    r"\b(?:tax\w*|budget\w*|deficit\w*|debt\w*|jobs?|unemploy\w*|employ\w*|wages?|incomes?|spen[dt]\w*|econom\w*|"
    r"inflation|rates?|gdp|costs?|prices?|emissions?|deaths?|killed|crimes?|populations?|votes?|voted|law|laws|"
    r"bill|bills|treaty|sanctions?|tariffs?|billion|million|trillion|percent|per cent|%|dollars?|euros?|"
    r"insurance|health|medicare|social security|military|troops|oil|energy|trade|imports?|exports?|"
    r"fund\w*|invest\w*|loans?|program\w*|legislation|signed|passed|vetoed|regulation|ban\w*|fined?|"
    r"contracts?|agreement|deal)\b", re.I)
_FACT_VERB_RE = re.compile(
    r"\b(?:was|were|has been|have been|had|did|is|are|has|have|voted|passed|signed|created|lost|spent|cost|"
    r"received|won|killed|announced|reported|launched|approved|rejected|adopted|introduced|established|"
    r"increased|decreased|doubled|rose|fell|grew|went|came|became|made|took|gave|got|paid|sold|bought|built|"
    r"led|left|ran|began|brought|kept|held|sent|met|wrote|taught|fought|caught|thought|knew|saw|told|said|"
    r"\w+ed)\b", re.I)
_HEDGE_RE = re.compile(
    r"\b(?:i think|i believe|i feel|i hope|i want|i'd like|i would like|i'm going to|i am going to|we're going to|"
    r"we are going to|we will|we'll|i will|i'll|we must|we need|we should|we've got to|we have got to|we ought|"
    r"should|ought|must|might|maybe|perhaps|probably|possibly|let me|let's|let us|i guess|i suppose|in my "
    r"opinion|my view|i know|i agree|i disagree|i'm not|going to|want to|need to|would|could)\b", re.I)
_GREETING_RE = re.compile(
    r"\b(?:thank you|thanks|good evening|good morning|good night|hello|welcome|congratulations|"
    r"pleasure|appreciate|nice to)\b", re.I)
_FEELING_RE = re.compile(
    r"\b(?:proud|happy|glad|love|honou?red|pleased|sad|delighted|excited|grateful|sorry|afraid|worried|hope|"
    r"hopeful|feel|feels|felt|wonderful|terrible|great|horrible|disgrace\w*|shame\w*|ridiculous|fantastic|"
    r"amazing|beautiful|tremendous)\b", re.I)
_FIRST_PERSON_RE = re.compile(r"\b(?:i|i'm|i've|i'd|i'll|me|my|mine)\b", re.I)
_YOU_RE = re.compile(r"\b(?:you|your|you're|you've)\b", re.I)

FEATURES = ("number", "n_numbers", "money", "percent", "n_entities", "place_org", "person", "date", "compare",
            "superlative", "policy", "fact_verb", "question", "hedge", "first_person", "you", "greeting",
            "feeling", "log_words", "short")

# N-grams: lowercased word unigrams and bigrams with sentence-boundary markers; every number is the token NUM
# and "?", "%", "$", "€", "£" are tokens of their own ("<s> thank", "NUM %", "? </s>").
_TOKEN_RE = re.compile(r"[a-z]+(?:'[a-z]+)*|[0-9][0-9,.]*[0-9]|[0-9]|[?%$€£]")


def ngrams(sentence: str) -> list[str]:
    """The distinct n-grams of a sentence that the lexical part of the model looks up."""
    tokens = ["NUM" if t[0].isdigit() else t for t in _TOKEN_RE.findall(sentence.lower().replace("’", "'"))]
    bounded = ["<s>", *tokens, "</s>"]
    return list(dict.fromkeys([*tokens, *(f"{a} {b}" for a, b in zip(bounded, bounded[1:]))]))


MODEL_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "claim_model.json")


@dataclass(frozen=True)
class ClaimModel:
    bias: float
    dense: dict[str, float]     # one weight per FEATURES entry
    ngrams: dict[str, float]    # one weight per kept n-gram; an n-gram not in the vocabulary contributes 0
    threshold: float            # is_check_worthy cut-off, chosen by cross-validation on the training sentences
    meta: dict
    refiner: Optional["Refiner"] = None


@dataclass(frozen=True)
class Refiner:
    """Second stage for uncertain sentences: logistic regression over the lexical logit and the sentence vector."""
    encoder: str                # the encoder the weights belong to (encoder.NAME)
    band: tuple[float, float]   # lexical scores inside it are refined; outside, the lexical score stands
    bias: float
    lexical: float              # weight of the lexical logit
    weights: "object"           # numpy array: one weight per vector dimension, then one per `neighbour_features`
    threshold: float            # is_check_worthy cut-off for refined scoring (chosen like the lexical one)
    bank: "object"              # vectors of the labelled training sentences (float32, n x 384)
    bank_labels: "object"       # their labels (1 = check-worthy)
    bank_t: "object" = None     # bank.T, contiguous: the similarity product is 2-4x faster than with bank.T's view


NEIGHBOURS = 10


def neighbour_features(similarities, labels):
    """What the nearest labelled training sentences say (cosine similarities: queries x bank): the share of
    check-worthy ones among the NEIGHBOURS nearest, the best similarity to a check-worthy one, to a not check-worthy
    one, and their difference. Shared by training (scripts/train_claims.py) and `refine`."""
    import numpy as np

    k = min(NEIGHBOURS, similarities.shape[1] - 1)
    top = np.argpartition(-similarities, k, axis=1)[:, :k]
    share = labels[top].mean(axis=1)
    n_positive = int(labels.sum())
    if 0 < n_positive < len(labels) and labels[:n_positive].all():     # the loaded bank: check-worthy rows first
        positive = similarities[:, :n_positive].max(axis=1)
        negative = similarities[:, n_positive:].max(axis=1)
    else:
        positive = np.where(labels[None, :] == 1, similarities, -1.0).max(axis=1)
        negative = np.where(labels[None, :] == 0, similarities, -1.0).max(axis=1)
    return np.stack([share, positive, negative, positive - negative], axis=1)


_MODEL: Optional[ClaimModel] = None
_MODEL_LOCK = threading.Lock()


def load_model(path: str = MODEL_PATH) -> ClaimModel:
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    missing = [k for k in FEATURES if k not in data["dense"]]
    if missing:
        raise ValueError(f"{path}: no weight for features {missing}")
    refiner = None
    if data.get("refiner"):
        import numpy as np

        r = data["refiner"]
        bank_path = os.path.join(os.path.dirname(os.path.abspath(path)), r["bank"]["file"])
        from . import encoder

        raw = encoder.read_verified(bank_path, r["bank"]["sha256"], path, "retrain with scripts/train_claims.py")
        table = np.load(io.BytesIO(raw)).astype(np.float32)    # vector columns, then the label
        table = table[np.argsort(-table[:, -1], kind="stable")]            # check-worthy rows first (faster search)
        bank, bank_labels = np.ascontiguousarray(table[:, :-1]), table[:, -1].copy()
        refiner = Refiner(encoder=r["encoder"], band=(float(r["band"][0]), float(r["band"][1])),
                          bias=float(r["bias"]), lexical=float(r["lexical"]),
                          weights=np.array(r["weights"], dtype=np.float32), threshold=float(r["threshold"]),
                          bank=bank, bank_labels=bank_labels, bank_t=np.ascontiguousarray(bank.T))
    return ClaimModel(bias=float(data["bias"]), dense={k: float(data["dense"][k]) for k in FEATURES},
                      ngrams={k: float(v) for k, v in data["ngrams"].items()}, threshold=float(data["threshold"]),
                      meta=data.get("meta", {}), refiner=refiner)


def model() -> ClaimModel:
    """The shipped model, read once from claim_model.json on first use."""
    global _MODEL
    if _MODEL is None:
        with _MODEL_LOCK:
            if _MODEL is None:
                _MODEL = load_model()
    return _MODEL


def __getattr__(name: str):
    if name == "THRESHOLD":  # read from the model file on first access (PEP 562), so importing stays cheap
        return threshold()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def features(sentence: str, entities: list[Entity], numbers: list[Number], n_dates: int) -> dict[str, float]:
    """The feature values behind `claim_score` (all in 0..~3)."""
    words = _WORD_RE.findall(sentence)
    n_words = len(words)
    nums = [n for n in numbers if n.kind != "ordinal"]
    ents = [e for e in entities if e.label in ("PERSON", "ORG", "PLACE", "OTHER")]
    low = sentence.lower()
    return {
        "number": 1.0 if nums else 0.0,
        "n_numbers": math.log1p(len(nums)),
        "money": 1.0 if any(n.kind == "money" for n in nums) else 0.0,
        "percent": 1.0 if any(n.kind == "percent" for n in nums) else 0.0,
        "n_entities": math.log1p(len(ents)),
        "place_org": 1.0 if any(e.label in ("PLACE", "ORG") for e in ents) else 0.0,
        "person": 1.0 if any(e.label == "PERSON" for e in ents) else 0.0,
        "date": 1.0 if n_dates > 0 else 0.0,
        "compare": min(len(_COMPARE_RE.findall(sentence)), 3) / 3.0,
        "superlative": 1.0 if _SUPERLATIVE_RE.search(sentence) or any(n.kind == "ordinal" for n in numbers)
        else 0.0,
        "policy": min(len(_POLICY_RE.findall(sentence)), 3) / 3.0,
        "fact_verb": 1.0 if _FACT_VERB_RE.search(sentence) else 0.0,
        "question": 1.0 if sentence.rstrip().rstrip("\"'”’)").endswith("?") else 0.0,
        "hedge": min(len(_HEDGE_RE.findall(low)), 2) / 2.0,
        "first_person": min(len(_FIRST_PERSON_RE.findall(low)), 3) / 3.0,
        "you": 1.0 if _YOU_RE.search(low) else 0.0,
        "greeting": 1.0 if _GREETING_RE.search(low) else 0.0,
        "feeling": 1.0 if _FEELING_RE.search(low) else 0.0,
        "log_words": math.log1p(n_words) / math.log(50),
        "short": 1.0 if n_words <= 3 else 0.0,
    }


def claim_score(sentence: str, entities: list[Entity], numbers: list[Number], n_dates: int) -> float:
    """0..1: how check-worthy one sentence is: its `lexical_score`, refined with its sentence vector when that score
    is uncertain (`refine`). Compare with `is_check_worthy`. For many sentences, call `lexical_score` on each and
    `refine` once."""
    return refine([sentence], [lexical_score(sentence, entities, numbers, n_dates)])[0]


def lexical_score(sentence: str, entities: list[Entity], numbers: list[Number], n_dates: int) -> float:
    """0..1: the first stage. A logistic regression over the 20 explainable `features` (numbers,
    names, dates, comparisons, superlatives; questions, hedges, opinions, greetings, feelings, length) plus the
    weights of the sentence's word unigrams/bigrams (`ngrams`); `explain` lists the contributions."""
    if not sentence or not sentence.strip():
        return 0.0
    m = model()
    f = features(sentence, entities, numbers, n_dates)
    z = m.bias + sum(m.dense[k] * v for k, v in f.items())
    lexical = m.ngrams
    for g in ngrams(sentence):
        z += lexical.get(g, 0.0)
    if z < -30.0:
        return 0.0
    return 1.0 / (1.0 + math.exp(-z))


def explain(sentence: str, entities: list[Entity], numbers: list[Number], n_dates: int,
            top: int = 10) -> list[tuple[str, float]]:
    """The largest contributions (feature or n-gram, weight x value) to a sentence's score, bias first."""
    m = model()
    parts = [(k, m.dense[k] * v) for k, v in features(sentence, entities, numbers, n_dates).items() if v]
    parts += [(f"'{g}'", m.ngrams[g]) for g in ngrams(sentence) if g in m.ngrams]
    parts.sort(key=lambda kv: -abs(kv[1]))
    return [("bias", m.bias), *parts[:top]]


def _refiner() -> Optional[Refiner]:
    """The refiner, if the model has one and the sentence encoder it was trained with is installed."""
    from . import encoder

    r = model().refiner
    if r is None or r.encoder != encoder.NAME or not encoder.available():
        return None
    return r


def refine(sentences: list[str], scores: list[float], vectors=None) -> list[float]:
    """Final check-worthiness scores for a batch of sentences given their lexical `claim_score`s: a score inside
    the refiner's band (uncertain) is replaced by the refiner's, which adds the sentence's MiniLM vector
    (factcheck.extract.encoder) to the lexical evidence; the others stand. One encoder call for the whole batch.
    Without the encoder the lexical scores are returned unchanged (and `is_check_worthy` uses the lexical
    threshold). `vectors`, the sentences' MiniLM vectors when the caller has them already, saves the encoding."""
    r = _refiner()
    if r is None or not sentences:
        return list(scores)
    from . import encoder

    lo, hi = r.band
    todo = [i for i, s in enumerate(scores) if lo <= s <= hi and sentences[i].strip()]
    if not todo:
        return list(scores)
    import numpy as np

    vectors = np.asarray(vectors)[todo] if vectors is not None else encoder.encode([sentences[i] for i in todo])
    bank_t = r.bank_t if r.bank_t is not None else r.bank.T
    vectors = np.hstack([vectors, neighbour_features(np.asarray(vectors, dtype=np.float32) @ bank_t, r.bank_labels)])
    out = list(scores)
    for i, row in zip(todo, vectors):
        p = min(max(scores[i], 1e-9), 1 - 1e-9)
        z = r.bias + r.lexical * math.log(p / (1 - p)) + float(row @ r.weights)
        out[i] = 1.0 / (1.0 + math.exp(-z)) if z > -30.0 else 0.0
    return out


def threshold() -> float:
    """The cut-off that goes with the scores `refine` returns (refined when the encoder is there)."""
    r = _refiner()
    return r.threshold if r is not None else model().threshold


def is_check_worthy(score: float) -> bool:
    """For scores from `refine` (which are the lexical ones when no encoder is installed)."""
    return score >= threshold()


# ------------------------------------------------------------------------------------------------ speaker

SPEECH_VERBS = (
    "said", "says", "say", "told", "tells", "added", "adds", "noted", "notes", "warned", "warns", "stated",
    "states", "explained", "explains", "claimed", "claims", "argued", "argues", "insisted", "insists", "wrote",
    "writes", "tweeted", "posted", "announced", "announces", "confirmed", "confirms", "denied", "denies",
    "stressed", "stresses", "emphasized", "emphasised", "emphasizes", "emphasises", "declared", "declares",
    "asserted", "asserts", "acknowledged", "acknowledges", "admitted", "admits", "revealed", "reveals",
    "suggested", "suggests", "estimated", "estimates", "predicted", "predicts", "pointed out", "points out",
    "reported", "reports", "remarked", "commented", "replied", "responded", "cautioned", "urged", "urges",
    "countered", "alleged", "alleges", "concluded", "recalled", "observed", "highlighted", "underlined",
    "underscored", "maintained", "maintains", "believes", "believed", "argued",
)
_VERB_ALT = "|".join(sorted({re.escape(v) for v in SPEECH_VERBS}, key=len, reverse=True))
_VERB_RE = re.compile(rf"\b(?:{_VERB_ALT})\b")
_ACCORDING_RE = re.compile(r"\b[Aa]ccording to\s+([^,;:.!?\"“”()]+(?:\.[A-Z][^,;:!?\"“”()]*)?)")
_PRONOUNS = {"he", "she", "it", "they", "we", "i", "you", "this", "that", "there", "who", "which", "the", "a",
             "an", "one", "some", "others", "many", "officials", "experts", "critics", "analysts", "sources"}
_PARTICLE = r"(?:von|van|der|den|de|del|della|da|di|du|la|le|al|el|bin|ibn|ben|dos|das|ter)"
_NAME_TOK = rf"(?:[A-Z][\w'’.-]*|{_PARTICLE}(?=(?:\s+{_PARTICLE})*\s+[A-Z]))"
_CAPS_BEFORE_RE = re.compile(rf"((?:{_NAME_TOK}\s+){{0,4}}[A-Z][\w'’.-]*)\s*$")
_CAPS_AFTER_RE = re.compile(rf"^\s*([A-Z][\w'’.-]*(?:\s+{_NAME_TOK}){{0,4}})")
_SPEAKER_LABELS = ("PERSON", "ORG", "PLACE")


def _clean_name(name: str) -> Optional[str]:
    name = name.strip().strip("\"'“”‘’").strip()
    name = re.sub(r"['’]s$", "", name).rstrip(".,")
    if not name or name.lower() in _PRONOUNS:
        return None
    return name


def _entity_ending_at(sentence: str, entities: list[Entity], pos: int) -> Optional[Entity]:
    """An entity whose end is separated from `pos` only by whitespace."""
    best = None
    for e in entities:
        if e.label in _SPEAKER_LABELS and e.end <= pos and not sentence[e.end:pos].strip():
            if best is None or (e.label == "PERSON" and best.label != "PERSON"):
                best = e
    return best


def find_speaker(sentence: str, entities: list[Entity]) -> Optional[str]:
    """The attributed speaker of `sentence`, or None when it is not attributed (or only to a pronoun)."""
    if not sentence:
        return None
    ents = sorted(entities or [], key=lambda e: e.start)

    # 1. "According to X, ..." / "..., according to X."
    m = _ACCORDING_RE.search(sentence)
    if m:
        name = m.group(1).strip()
        inside = [e for e in ents if e.start >= m.start(1) and e.end <= m.end(1) and e.label in _SPEAKER_LABELS]
        if len(name.split()) > 8 and inside:
            name = inside[0].text
        name = _clean_name(name)
        if name and len(name.split()) <= 8:
            return name

    verbs = list(_VERB_RE.finditer(sentence))
    # Prefer an attribution at the end of the sentence ("..., Liu said.") then the first one in it.
    verbs.sort(key=lambda v: (0 if not sentence[v.end():].strip(" .!?\"'”’)") else 1, v.start()))
    for v in verbs:
        before = sentence[:v.start()]
        # 2a. "X said" / "Foreign Ministry spokesperson Wang Wenbin said"
        ent = _entity_ending_at(sentence, ents, v.start())
        if ent is not None:
            return ent.text
        # 2b. "Liu Wei, director of ..., told the Global Times"
        for e in ents:
            if e.label not in _SPEAKER_LABELS or e.end > v.start():
                continue
            between = sentence[e.end:v.start()]
            clause_start = not sentence[:e.start].strip() or re.search(r"[,;:\"“”]\s*$", sentence[:e.start])
            if clause_start and re.fullmatch(r"\s*,[^\"“”]*,\s*", between) and e.label == "PERSON":
                return e.text
        # 2c. inverted "..., said Liu Wei." / "\" said the ministry"
        if re.search(r"[,\"“”’']\s*$", before):
            after = sentence[v.end():]
            following = [e for e in ents if e.start >= v.end() and e.label in _SPEAKER_LABELS
                         and re.fullmatch(r"[\s\w.-]*", sentence[v.end():e.start]) is not None
                         and len(sentence[v.end():e.start].split()) <= 5]
            if following:
                people = [e for e in following if e.label == "PERSON"]
                return (people or following)[0].text
            m2 = _CAPS_AFTER_RE.match(after)
            if m2:
                name = _clean_name(m2.group(1))
                if name:
                    return name
        # 2d. no entity: capitalised words right before the verb ("Liu said")
        m3 = _CAPS_BEFORE_RE.search(before)
        if m3:
            words = m3.group(1).split()
            # drop a sentence-initial determiner/pronoun and titles-only candidates
            while words and words[0].lower() in _PRONOUNS:
                words = words[1:]
            name = _clean_name(" ".join(words))
            if name:
                return name
    return None
