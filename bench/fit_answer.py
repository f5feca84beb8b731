"""Fit the answer ranker, its confidence and the answer model's place in it on the training folds;
report them on the held-out fold 0.

Usage: python bench/fit_answer.py [--write]

Reads bench/rank_data.py's items: the training folds 1-4 (bench/out/items-*-folds1234.pkl) and
the held-out fold 0 (items-*-fold0.pkl), and the sample's seed and Wikinews questions
(items-sample-dev.pkl, reported only): SQuAD 2.0 articles (HasAns, NoAns) and real-news quiz
weeks (each asked on its year's store as of its date, and again without its evidence). Every
choice is made on the training folds; fold 0 only reports. Fitted, in order:

1. The sentence ranker's weights over rank.FEATURES: listwise (each answerable question's softmax
   share of the sentences that hold its answer in an evidence article), pulled towards the
   shipped weights with an L2 penalty chosen by 4-fold cross-validation on the training folds.
   Kept only when their cross-validated fits put an answer first more often than the shipped
   weights do on the same questions.
2. The answer model's place: the top ``depth`` of that ranking reordered by the ranker's log-odds
   plus ``weight`` times the model's (query/judge.py), the pair that puts an answer first most
   often on the training folds.
3. The ranker's confidence model (logistic over answerer.CONFIDENCE_FEATURES: is the first
   sentence an answer?) and, with the answer model, the calibration of its log-odds with the
   ranker's confidence log-odds beside it; each threshold the highest at which SQuAD HasAns false
   abstention stays <= 0.10 and news false abstention <= 0.05 on the training folds.

``--write`` writes 1 and the ranker's confidence into assistant/query/ranker.json, and 2 and the
model's calibration into assistant/models/answer/calibration.json. The figures are the top
sentence's (does it hold an accepted answer); bench/answer_quality.py measures the whole answer.
scipy's L-BFGS fits; it comes with the bench extra (sentence-transformers needs it).
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import zlib
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.query.answerer import CONFIDENCE_FEATURES, confidence_features  # noqa: E402
from assistant.query.rank import FEATURES, RANKER_FILE, Linear, Ranker, load_ranker  # noqa: E402
from assistant.reader.model import SHIPPED  # noqa: E402
from bench.answer_quality import HASANS_FALSE_ABSTENTION, NEWS_FALSE_ABSTENTION, OUT  # noqa: E402
from bench.rank_data import Item  # noqa: E402

L2S = (0.01, 0.1, 1.0)
DEPTHS = (1, 2, 4, 6, 8)
WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5)


class _Unpickler(pickle.Unpickler):
    """rank_data.py runs as a script, so its pickles name ``__main__.Item``."""

    def find_class(self, module: str, name: str):  # noqa: ANN201
        return Item if name == "Item" else super().find_class(module, name)


def load(tag: str) -> list[Item]:
    items: list[Item] = []
    for path in sorted(OUT.glob(f"items-*-{tag}.pkl")):
        with path.open("rb") as f:
            items += _Unpickler(f).load()
    return items


@dataclass
class Ranking:
    """A question's candidates under one sentence model: features, log-odds, labels, the answer
    model's log-odds (NaN where it did not read the sentence)."""

    item: Item
    x: np.ndarray
    label: np.ndarray  # holds an answer and stands in an evidence article: what the fit learns
    holds: np.ndarray  # holds an answer: what is scored
    model: np.ndarray


def rankings(items: list[Item]) -> list[Ranking]:
    out = []
    for it in items:
        if it.evidence is None or not it.evidence.ranked:
            continue
        n = len(it.evidence.ranked)
        model = np.full(n, np.nan)
        model[: len(it.model)] = it.model
        x = np.asarray([c.features for c in it.evidence.ranked], dtype=np.float64)
        out.append(Ranking(it, x, it.from_evidence.astype(float), it.holds, model))
    return out


def fit_listwise(data: list[Ranking], l2: float, prior: np.ndarray) -> np.ndarray:
    """Sentence weights maximising each answerable question's softmax share of its positives,
    with an L2 pull (on standardised features) towards ``prior``."""
    stacked = np.vstack([r.x for r in data])
    sd = stacked.std(0)
    sd[sd < 1e-9] = 1.0
    train = [(r.x / sd, r.label) for r in data if r.label.any()]
    start = prior * sd

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.0, np.zeros_like(w)
        for x, y in train:
            z = x @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            share = (y * p).sum()
            total -= np.log(share + 1e-300)
            grad += x.T @ (p - y * p / share)
        d = w - start
        return total / len(train) + l2 * d @ d, grad / len(train) + 2 * l2 * d

    return minimize(loss, start.copy(), jac=True, method="L-BFGS-B").x / sd


def order(r: Ranking, weights: np.ndarray, depth: int, weight: float) -> tuple[np.ndarray, np.ndarray]:
    """The candidates' order (indices) and log-odds under ``weights``, the top ``depth`` reordered
    by log-odds + ``weight`` x the model's (a sentence the model did not read counts as its
    lowest log-odds)."""
    z = r.x @ weights
    idx = np.argsort(-z, kind="stable")
    top = idx[:depth]
    m = r.model[top]
    m = np.where(np.isnan(m), np.nanmin(r.model) if np.isfinite(r.model).any() else 0.0, m)
    top = top[np.argsort(-(z[top] + weight * m), kind="stable")]
    return np.concatenate([top, idx[depth:]]), z


def first_right(
    data: list[Ranking], weights: np.ndarray, depth: int = 1, weight: float = 0.0
) -> dict[str, float]:
    """Per part: the share of answerable questions whose first sentence holds an answer."""
    by: dict[str, list[bool]] = defaultdict(list)
    for r in data:
        if not r.item.abstain:
            by[r.item.part].append(bool(r.holds[order(r, weights, depth, weight)[0][0]]))
    return {p: float(np.mean(v)) for p, v in sorted(by.items())}


def score(figures: dict[str, float]) -> float:
    """One number to choose by: the news and SQuAD shares, equally weighted."""
    return float(np.mean([figures.get("news", 0.0), figures.get("squad", 0.0)]))


def choose_l2(data: list[Ranking], prior: np.ndarray, folds: int = 4) -> tuple[float, dict[float, float]]:
    """The L2 pull whose fits put an answer first most often on held-out quarters of ``data``."""
    group = np.asarray([zlib.crc32(r.item.id.encode()) % folds for r in data])
    cv = {}
    for l2 in L2S:
        outs: dict[str, list[float]] = defaultdict(list)
        for f in range(folds):
            train = [r for r, g in zip(data, group, strict=True) if g != f]
            held = [r for r, g in zip(data, group, strict=True) if g == f]
            w = fit_listwise(train, l2, prior)
            for p, v in first_right(held, w).items():
                outs[p].append(v)
        cv[l2] = score({p: float(np.mean(v)) for p, v in outs.items()})
    return max(cv, key=lambda k: cv[k]), cv


def logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-2) -> tuple[np.ndarray, float]:
    """Weights and bias of an L2-regularised logistic fit (on standardised columns)."""
    mu, sd = x.mean(0), x.std(0)
    sd[sd < 1e-9] = 1.0
    z = np.hstack([(x - mu) / sd, np.ones((len(x), 1))])

    def loss(b: np.ndarray) -> tuple[float, np.ndarray]:
        p = 1 / (1 + np.exp(-np.clip(z @ b, -30, 30)))
        ll = -np.mean(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12)) + l2 * b[:-1] @ b[:-1]
        g = z.T @ (p - y) / len(y)
        g[:-1] += 2 * l2 * b[:-1]
        return ll, g

    b = minimize(loss, np.zeros(z.shape[1]), jac=True, method="L-BFGS-B").x
    w = b[:-1] / sd
    return w, float(b[-1] - w @ mu)


@dataclass
class Outcome:
    item: Item
    right: bool  # the first sentence holds an answer
    features: np.ndarray | None  # CONFIDENCE_FEATURES of the ranked list; None without candidates
    model: float  # the answer model's log-odds of the first sentence


def outcomes(items: list[Item], weights: np.ndarray, depth: int, weight: float) -> list[Outcome]:
    by_id = {id(r.item): r for r in rankings(items)}
    out = []
    for it in items:
        r = by_id.get(id(it))
        if r is None:
            out.append(Outcome(it, False, None, float("nan")))
            continue
        idx, z = order(r, weights, depth, weight)
        ranked = [replace(it.evidence.ranked[j], logit=float(z[j])) for j in idx]
        first = int(idx[0])
        feats = confidence_features(ranked, it.evidence.asks)[0]
        out.append(Outcome(it, bool(r.holds[first]), feats, float(r.model[first])))
    return out


def table(outs: list[Outcome], confidence: np.ndarray, threshold: float) -> dict[str, float]:
    """The bench's figures when answering iff confidence >= threshold."""
    by: dict[str, list[tuple[Outcome, float]]] = defaultdict(list)
    for o, c in zip(outs, confidence, strict=True):
        by[o.item.part].append((o, c))
    result = {}
    for part, rows in sorted(by.items()):
        has = [(o, c) for o, c in rows if not o.item.abstain]
        no = [c for o, c in rows if o.item.abstain]
        if has:
            result[f"{part} answer in text"] = float(np.mean([o.right and c >= threshold for o, c in has]))
            result[f"{part} false abstention"] = float(np.mean([c < threshold for _, c in has]))
        if no:
            result[f"{part} abstention"] = float(np.mean([c < threshold for c in no]))
    return result


def choose_threshold(outs: list[Outcome], confidence: np.ndarray) -> float:
    best = 0.0
    for t in np.arange(0.0, 1.0, 0.0025):
        f = table(outs, confidence, float(t))
        if (
            f.get("squad false abstention", 0.0) > HASANS_FALSE_ABSTENTION
            or f.get("news false abstention", 0.0) > NEWS_FALSE_ABSTENTION
        ):
            break
        best = float(t)
    return round(best, 4)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-np.clip(z, -30, 30)))


def ranker_confidence(outs: list[Outcome], model: Linear) -> np.ndarray:
    return np.asarray(
        [sigmoid(model.logits(o.features[None])[0]) if o.features is not None else 0.0 for o in outs]
    )


def model_confidence(outs: list[Outcome], ranker: Linear, cal: dict) -> np.ndarray:
    """The runtime's Calibration.probability of (model log-odds, ranker confidence log-odds)."""
    w = cal["ranker_weight"]
    return np.asarray(
        [
            sigmoid(cal["scale"] * (o.model + w * ranker.logits(o.features[None])[0]) / (1 + w) + cal["bias"])
            if o.features is not None
            else 0.0
            for o in outs
        ]
    )


def fit_calibration(outs: list[Outcome], ranker: Linear) -> dict:
    """P(right) = sigmoid(a m + b r + c) on the model's and the ranker's log-odds, written as the
    runtime's (scale, bias, ranker_weight): b / a is the ranker's weight in the average."""
    keep = [o for o in outs if o.features is not None]
    x = np.asarray([[o.model, ranker.logits(o.features[None])[0]] for o in keep])
    (a, b), c = logistic(x, np.asarray([float(o.right) for o in keep]), l2=1e-4)
    w = max(b, 0.0) / a
    return {"scale": float(a * (1 + w)), "bias": c, "ranker_weight": float(w)}


def show(name: str, figures: dict[str, float]) -> None:
    print(f"  {name:<34} " + "  ".join(f"{k} {v:.3f}" for k, v in figures.items()))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="write ranker.json and the model's calibration.json")
    args = ap.parse_args()
    train_items, test_items = load("folds1234"), load("fold0")
    if not train_items or not test_items:
        print(f"no items in {OUT}: run bench/rank_data.py for --folds 1,2,3,4 and --folds 0 first")
        return 1
    print(f"{len(train_items)} training questions, {len(test_items)} held-out (fold 0)")
    train, test = rankings(train_items), rankings(test_items)
    sample = rankings(load("dev"))  # the seed and Wikinews questions, reported only
    shipped = load_ranker()
    hand = np.asarray(shipped.sentence.weights)

    # 1. sentence weights
    l2, cv = choose_l2(train, hand)
    fitted = fit_listwise(train, l2, hand)
    print(f"1. sentence weights: L2 by CV on the training folds {cv} -> {l2}")
    for name, w in (("shipped", hand), ("fitted", fitted)):
        print(
            f"  {name:<8} training {first_right(train, w)}  fold 0 {first_right(test, w)}"
            f"  sample {first_right(sample, w)}"
        )
    # the fit's held-out quarters against the shipped weights, which were not fitted on these data
    keep_fit = cv[l2] > score(first_right(train, hand))
    weights = fitted if keep_fit else hand
    print(
        f"  -> {'fitted' if keep_fit else 'shipped'}: "
        + json.dumps(dict(zip(FEATURES, np.round(weights, 3).tolist(), strict=True)))
    )

    # 2. the answer model's depth and weight
    grid = {
        (d, w): score(first_right(train, weights, d, w)) for d in DEPTHS for w in WEIGHTS if d > 1 or not w
    }
    depth, weight = max(grid, key=lambda k: (grid[k], -k[0]))
    print("2. rerank by ranker + weight x model over the top depth (training folds, fold 0):")
    for d, w in sorted(grid):
        print(
            f"  depth {d} weight {w}: {grid[(d, w)]:.3f}  fold 0 {first_right(test, weights, d, w)}"
            f"  sample {first_right(sample, weights, d, w)}"
        )
    print(f"  -> depth {depth}, weight {weight}")

    # 3. confidence and thresholds
    print("3. abstention (thresholds chosen on the training folds), fold 0:")
    outs_tr, outs_te = outcomes(train_items, weights, 1, 0.0), outcomes(test_items, weights, 1, 0.0)
    t = choose_threshold(outs_tr, ranker_confidence(outs_tr, shipped.confidence))
    show(f"shipped confidence, t={t}", table(outs_te, ranker_confidence(outs_te, shipped.confidence), t))
    keep = [o for o in outs_tr if o.features is not None]
    cw, cb = logistic(np.vstack([o.features for o in keep]), np.asarray([float(o.right) for o in keep]))
    confidence = Linear(CONFIDENCE_FEATURES, tuple(cw.tolist()), cb)
    threshold = choose_threshold(outs_tr, ranker_confidence(outs_tr, confidence))
    show(
        f"refit confidence, t={threshold}",
        table(outs_te, ranker_confidence(outs_te, confidence), threshold),
    )
    outs_tr, outs_te = (
        outcomes(train_items, weights, depth, weight),
        outcomes(test_items, weights, depth, weight),
    )
    cal = fit_calibration(outs_tr, confidence)
    cal["threshold"] = choose_threshold(outs_tr, model_confidence(outs_tr, confidence, cal))
    show(
        f"with the model {cal}", table(outs_te, model_confidence(outs_te, confidence, cal), cal["threshold"])
    )

    if args.write:
        ranker = Ranker(
            version=date.today().isoformat(),
            sentence=Linear(FEATURES, tuple(weights.tolist()), 0.0) if keep_fit else shipped.sentence,
            confidence=confidence,
            threshold=threshold,
            info={
                "fit_on": "bench/fit_answer.py: the training folds 1-4 of ../shared/qa-train "
                f"({len(train_items)} questions: SQuAD 2.0 articles, news weeks, removed evidence)",
                "sentence_weights": "fitted"
                if keep_fit
                else shipped.info.get("sentence_weights", "hand-set"),
                "fold0_first_right": first_right(test, weights),
            },
        )
        RANKER_FILE.write_text(json.dumps(ranker.to_dict(), indent=1) + "\n", encoding="utf-8")
        target = SHIPPED / "calibration.json"
        target.write_text(
            json.dumps({**cal, "depth": depth, "weight": weight}, indent=1) + "\n", encoding="utf-8"
        )
        print(f"wrote {RANKER_FILE} and {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
