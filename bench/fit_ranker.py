"""Refit the sentence ranker and the answer-confidence model (assistant/query/ranker.json).

Usage:
    python bench/fit_ranker.py [--dev-store DIR] [--dev-slice DIR] [--dev-others N] [--top-k K]
                               [--folds N] [--tune FEATURE=V1,V2,...] [--variants] [--write]

Labelled questions, each set used when its files are there:
- seed: tests/data/seed_qa.jsonl on data/articles; levers: tests/data/levers/; wikinews:
  tests/data/wikinews_qa.jsonl on ../shared/wikinews. A sentence is positive when it holds the
  case's ``evidence`` string (else one of its answers).
- dev: ../shared/realnews-dev (skipped with one line when absent). Positive: the sentence holds the
  gold answer and stands in an evidence article. Asked on two stores, each built when empty: the
  slice ``--dev-slice`` (set dev-slice: the evidence articles plus ``--dev-others`` others) and,
  when given, ``--dev-store`` (set dev: the whole corpus, where the figures of the issue are
  measured; its choices are made on it). Removed-evidence (sets dev-removed, dev-slice-removed): the
  questions are asked again on a copy without any evidence article, those whose answer no remaining
  article holds are kept, and their right outcome is an abstention. The whole corpus leaves few of
  those (5), the slice more (13), so both feed the confidence fit.

Two models: the sentence ranker over rank.FEATURES (label above), fit listwise (the softmax over a
question's candidates, see ``fit_sentences``), and the answer confidence, logistic over
answerer.CONFIDENCE_FEATURES of the ranked list (label: the answer is right; an abstention case's
is never). Dev questions are asked as of their ``question_date``. Every figure printed is
cross-validated, folds grouped by question (a question and its removed-evidence twin share a fold),
against the shipped sentence weights (set by hand on the seed article, but for ``title``, chosen
with ``--tune``: one weight picked by cross-validation among a few values). The answer threshold
is chosen on the dev set's out-of-fold confidences: the highest one with false abstention <=
--max-false-abstain, i.e. the most removed-evidence abstention.

Both fits are a dozen lines of numpy here (Newton's method for the logistic one): scikit-learn would
be a new runtime-sized dependency for one fit that the assistant never runs.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import Assistant  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.evaluate import Case, holds_answer, load_cases, removed_evidence_cases  # noqa: E402
from assistant.query.answerer import CONFIDENCE_FEATURES, Answerer, Evidence, confidence_features  # noqa: E402
from assistant.query.rank import FEATURES, RANKER_FILE, Linear, Ranker, load_ranker, without_copies  # noqa: E402
from assistant.schema import Answer  # noqa: E402

SHARED = ROOT.parent / "shared"
DEV = SHARED / "realnews-dev"
WIKINEWS = SHARED / "wikinews" / "wikinews-24.jsonl"
SETS = {
    "seed": (ROOT / "tests" / "data" / "seed_qa.jsonl", ROOT / "data" / "articles"),
    "levers": (
        ROOT / "tests" / "data" / "levers" / "qa.jsonl",
        ROOT / "tests" / "data" / "levers" / "articles.jsonl",
    ),
    "wikinews": (ROOT / "tests" / "data" / "wikinews_qa.jsonl", WIKINEWS),
}


def url_key(url: str | None) -> str:
    return (url or "").split("#")[0].rstrip("/")


@dataclass
class Item:
    """One question asked on one store, with its candidates' features and labels."""

    set: str
    group: str
    question: str
    answers: tuple[str, ...]  # empty for an abstention case; matched as ``assistant eval`` does
    evidence: str | None  # a string the right sentence holds (seed, levers, wikinews)
    urls: frozenset[str]  # evidence article URLs (dev)
    found: Evidence | None
    answerer: Answerer
    x: np.ndarray
    y: np.ndarray

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


def make_item(set_name, group, question, answers, evidence, urls, assistant, top_k, as_of=None) -> Item:
    """``as_of``: the day the question was asked (the dev set's ``question_date``), else today."""
    answerer = assistant._answerer
    found = answerer.gather(question, top_k, as_of=as_of)
    ranked = found.ranked if isinstance(found, Evidence) else []
    x = np.asarray([c.features for c in ranked]).reshape(len(ranked), len(FEATURES))
    y = np.zeros(len(ranked))
    if answers:
        url_of = {}
        if urls:
            url_of = {
                a: url_key(v.url)
                for a, v in assistant._store.get(list({c.row.article_id for c in ranked})).items()
            }
        for j, c in enumerate(ranked):
            if urls:
                y[j] = holds_answer(c.row.text, answers) and url_of.get(c.row.article_id) in urls
            elif evidence:
                y[j] = holds_answer(c.row.text, (evidence,))
            else:
                y[j] = holds_answer(c.row.text, answers)
    found = found if isinstance(found, Evidence) else None
    return Item(set_name, group, question, tuple(answers), evidence, frozenset(urls), found, answerer, x, y)


# ----- data -----------------------------------------------------------------------------------------
def small_sets(top_k: int, work: Path, sets: set[str]) -> list[Item]:
    items: list[Item] = []
    for name, (qa, corpus) in SETS.items():
        if name not in sets:
            continue
        if not qa.exists() or not corpus.exists():
            print(f"{name}: {qa.name} or its corpus is absent; skipped")
            continue
        assistant = Assistant(store_dir=work / name, settings=Settings.from_env(env={}))
        assistant.ingest([corpus])
        cases, _ = load_cases(qa)
        for c in cases:
            question = assistant.standalone(c.question, c.history)
            answers = () if c.abstain else c.answers
            items.append(
                make_item(name, f"{name}:{c.id}", question, answers, c.evidence, (), assistant, top_k)
            )
    return items


def dev_sets(store_dir: Path, name: str, others: int | None, top_k: int, work: Path) -> list[Item]:
    """The dev questions on ``store_dir`` (set ``name``) and, on a copy without the evidence
    articles, those no remaining article answers (set ``name``-removed). An empty store is built
    from the whole dev corpus (``others`` None), else from the evidence articles and ``others``
    random ones."""
    if not DEV.is_dir():
        print(f"{name}: {DEV} is absent; fitting on the other sets only")
        return []
    qa, _ = load_cases(DEV / "dev_qa.jsonl")
    settings = Settings.from_env(env={})
    assistant = Assistant(store_dir=store_dir, settings=settings)
    records = [
        json.loads(line) for line in (DEV / "dev_corpus.jsonl").read_text().splitlines() if line.strip()
    ]
    evidence = {url_key(u) for q in qa for u in q.evidence_urls}
    if assistant._store.count() == 0:
        chosen = records
        if others is not None:
            rest = [r for r in records if url_key(r.get("url")) not in evidence]
            chosen = [r for r in records if url_key(r.get("url")) in evidence]
            chosen += random.Random(0).sample(rest, others)
        print(f"{name}: building {store_dir} from {len(chosen)} articles", flush=True)
        assistant.ingest_records(chosen, "dev_corpus.jsonl")
    items = [
        make_item(
            name,
            f"dev:{q.id}",
            q.question,
            q.answers,
            None,
            {url_key(u) for u in q.evidence_urls},
            assistant,
            top_k,
            q.as_of,
        )
        for q in qa
    ]
    # Removed evidence: a copy of the store without the evidence articles.
    removed_dir = work / f"{name}-removed"
    shutil.copytree(store_dir, removed_dir)
    removed = Assistant(store_dir=removed_dir, settings=settings)
    stored = removed.articles()
    gone = [a.article_id for a in stored if url_key(a.url) in evidence]
    removed._store.delete(gone)
    kept: list[Case] = removed_evidence_cases(qa, (a.text for a in stored if a.article_id not in set(gone)))
    print(
        f"{name}: removed {len(gone)} evidence articles; {len(kept)} of {len(qa)} questions lost their answer"
    )
    items += [
        make_item(
            f"{name}-removed",
            f"dev:{q.id}",
            q.question,
            (),
            None,
            frozenset(),
            removed,
            top_k,
            q.as_of,
        )
        for q in kept
    ]
    return items


# ----- fitting --------------------------------------------------------------------------------------
def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def fit_logistic(
    x: np.ndarray, y: np.ndarray, weight: np.ndarray, l2: float = 1.0
) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression by Newton's method on standardised features; returns
    weights and bias for the raw features."""
    mu, sd = x.mean(axis=0), x.std(axis=0)
    sd[sd < 1e-9] = 1.0
    z = np.hstack([(x - mu) / sd, np.ones((len(x), 1))])
    beta = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(50):
        p = sigmoid(z @ beta)
        grad = z.T @ (weight * (y - p)) - penalty * beta
        hess = (z * (weight * p * (1 - p))[:, None]).T @ z + np.diag(penalty)
        step = np.linalg.solve(hess, grad)
        beta += step
        if np.abs(step).max() < 1e-8:
            break
    w = beta[:-1] / sd
    return w, float(beta[-1] - (w * mu).sum())


def fit_sentences(items: list[Item], l2: float, only: tuple[str, ...] = FEATURES) -> Linear:
    """Listwise fit: per question, maximise the softmax share of its positive sentences among its
    candidates, i.e. train for the one sentence the answer quotes rather than for every sentence's
    label (the pointwise logistic fit lost to the hand-set weights out of fold). The L2 penalty
    pulls towards the shipped weights, so with few questions the fit stays near them.
    Plain gradient descent: the loss is convex and the data a few thousand rows."""
    train = [i for i in items if i.answerable and i.y.any()]
    mask = np.asarray([f in only for f in FEATURES], dtype=float)
    prior = np.asarray(load_ranker().sentence.weights)  # the weights outside ``only`` stay
    w = prior.copy()
    for _ in range(_STEPS):
        grad = np.zeros_like(w)
        for item in train:
            z = item.x @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            q = item.y * p
            q /= q.sum()
            grad += item.x.T @ (p - q)
        grad = grad / len(train) + l2 * (w - prior)
        w -= _RATE * grad * mask
    return Linear(FEATURES, tuple(w.tolist()), 0.0)


@dataclass
class Outcome:
    correct: bool  # the forced answer (the best sentence, whatever its confidence) holds the answer
    evidence1: bool  # its first citation is evidence
    conf_x: np.ndarray


def outcome(item: Item, model: Linear) -> Outcome:
    """What the product answers when ``model`` ranks the candidates, before abstention."""
    if item.found is None or not item.found.ranked:
        return Outcome(False, False, np.zeros((1, len(CONFIDENCE_FEATURES))))
    z = model.logits(item.x)
    ranked = [
        replace(c, logit=float(v), score=float(sigmoid(v))) for c, v in zip(item.found.ranked, z, strict=True)
    ]
    ranked = without_copies(sorted(ranked, key=lambda c: c.logit, reverse=True))
    found = replace(item.found, ranked=ranked)
    answer: Answer = item.answerer.best_answer(found)
    correct = item.answerable and not answer.abstained and holds_answer(answer.text, item.answers)
    first = answer.citations[0] if answer.citations else None
    if first is None or not item.answerable:
        ev1 = False
    elif item.urls:
        ev1 = url_key(first.url) in item.urls
    else:
        ev1 = holds_answer(first.quote, (item.evidence,) if item.evidence else item.answers)
    return Outcome(correct, ev1, confidence_features(ranked, found.asks))


def folds_of(items: list[Item], k: int) -> list[int]:
    groups = sorted({i.group for i in items})
    random.Random(0).shuffle(groups)
    fold = {g: n % k for n, g in enumerate(groups)}
    return [fold[i.group] for i in items]


def cross_validate(items: list[Item], k: int, l2: float, only: tuple[str, ...] = FEATURES) -> list[Outcome]:
    """Out-of-fold outcomes of a ranker fit on the other folds."""
    folds = folds_of(items, k)
    out: list[Outcome | None] = [None] * len(items)
    for f in range(k):
        model = fit_sentences([i for i, g in zip(items, folds, strict=True) if g != f], l2, only)
        for n, (item, g) in enumerate(zip(items, folds, strict=True)):
            if g == f:
                out[n] = outcome(item, model)
    return out  # type: ignore[return-value]


def tune(items: list[Item], model: Linear, feature: str, values: list[float], k: int) -> float:
    """Choose ``feature``'s weight among ``values``, the other weights as in ``model``: each fold
    takes the value that answers most right on the other folds (plus half their evidence@1; the
    smaller weight on a tie), and is scored with it. One weight chosen this way is a smaller step
    than the listwise fit of all of them, which has not beaten the hand-set weights out of fold.
    Prints each value's figures on all questions, then the out-of-fold ones; returns the value
    the whole data chooses."""
    at = FEATURES.index(feature)
    per_value = {}
    for v in values:
        weights = list(model.weights)
        weights[at] = v
        per_value[v] = [outcome(i, Linear(FEATURES, tuple(weights), model.bias)) for i in items]
        print(f"{feature}={v}: {json.dumps(summary(items, per_value[v]))}", flush=True)
    folds = np.asarray(folds_of(items, k))
    answerable = np.asarray([i.answerable for i in items])

    def choose(rows: np.ndarray) -> float:
        def score(v: float) -> tuple[float, float]:
            picked = [o for o, r in zip(per_value[v], rows, strict=True) if r]
            return float(np.mean([o.correct + 0.5 * o.evidence1 for o in picked])), -abs(v)

        return max(values, key=score)

    chosen = [choose((folds != f) & answerable) for f in range(k)]
    out_of_fold = [per_value[chosen[f]][n] for n, f in enumerate(folds)]
    print(f"{feature}: the folds chose {chosen}; out of fold {json.dumps(summary(items, out_of_fold))}")
    best = choose(answerable)
    print(f"{feature}: all questions choose {best} (shipped: {model.weights[at]})")
    return best


def fit_confidence(xs: np.ndarray, ys: np.ndarray) -> Linear:
    w, b = fit_logistic(xs, ys, np.ones(len(ys)), l2=1.0)
    return Linear(CONFIDENCE_FEATURES, tuple(w.tolist()), b)


def cv_confidence(items: list[Item], outcomes: list[Outcome], k: int) -> np.ndarray:
    folds = np.asarray(folds_of(items, k))
    xs = np.vstack([o.conf_x for o in outcomes])
    ys = np.asarray([float(o.correct) for o in outcomes])
    out = np.zeros(len(items))
    for f in range(k):
        model = fit_confidence(xs[folds != f], ys[folds != f])
        out[folds == f] = sigmoid(model.logits(xs[folds == f]))
    return out


def summary(items: list[Item], outcomes: list[Outcome]) -> dict[str, dict[str, float]]:
    table = {}
    for name in dict.fromkeys(i.set for i in items):
        rows = [o for i, o in zip(items, outcomes, strict=True) if i.set == name and i.answerable]
        if rows:
            table[name] = {
                "questions": len(rows),
                "answer_in_text": round(float(np.mean([o.correct for o in rows])), 3),
                "evidence@1": round(float(np.mean([o.evidence1 for o in rows])), 3),
            }
    return table


def abstention(items, outcomes, conf, threshold) -> dict[str, float]:
    """Figures of answering iff confidence >= threshold."""
    answered = conf >= threshold
    out = {}
    for name in dict.fromkeys(i.set for i in items):
        idx = [n for n, i in enumerate(items) if i.set == name]
        pos = [n for n in idx if items[n].answerable]
        neg = [n for n in idx if not items[n].answerable]
        if pos:
            out[f"{name}:answer_in_text"] = round(
                float(np.mean([answered[n] and outcomes[n].correct for n in pos])), 3
            )
            out[f"{name}:false_abstention"] = round(float(np.mean([not answered[n] for n in pos])), 3)
        if neg:
            out[f"{name}:abstention"] = round(float(np.mean([not answered[n] for n in neg])), 3)
    return out


def calibration(conf: np.ndarray, ys: np.ndarray) -> dict[str, float]:
    bins = np.minimum((conf * 10).astype(int), 9)
    ece = sum(
        abs(conf[bins == b].mean() - ys[bins == b].mean()) * (bins == b).mean() for b in set(bins.tolist())
    )
    return {"brier": round(float(np.mean((conf - ys) ** 2)), 4), "ece": round(float(ece), 4)}


def _pool(items: list[Item]) -> str | None:
    """The set the choices are made on: the whole dev corpus, else its slice, else every set."""
    names = {i.set for i in items}
    return next((n for n in ("dev", "dev-slice") if n in names), None)


def answer_rate(items: list[Item], outcomes: list[Outcome]) -> float:
    pool = _pool(items)
    rows = [o.correct for i, o in zip(items, outcomes, strict=True) if i.answerable and pool in (None, i.set)]
    return float(np.mean(rows)) if rows else 0.0


def choose_threshold(items, outcomes, conf, max_false: float) -> float:
    """The highest threshold whose false abstention on answerable dev (else all) questions stays
    within ``max_false``: the most abstention when the evidence is gone."""
    pool = _pool(items)
    pos = [n for n, i in enumerate(items) if i.answerable and (pool is None or i.set == pool)]
    best = 0.0
    for t in np.round(np.arange(0.0, 1.0, 0.01), 2):
        false = np.mean([conf[n] < t for n in pos])
        if false <= max_false:
            best = float(t)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dev-store", type=Path, help="a store of the whole dev corpus (built when empty)")
    ap.add_argument("--dev-slice", type=Path, default=ROOT / ".cache" / "devstore-small")
    ap.add_argument(
        "--dev-others", type=int, default=300, help="random articles beside the evidence in the slice"
    )
    ap.add_argument("--top-k", type=int, default=None, help="passages per question (default: Settings.top_k)")
    ap.add_argument("--sets", default="seed,levers,wikinews,dev", help="comma list of the sets to use")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--l2", type=float, default=0.03, help="pull of the sentence fit to the hand-set weights")
    ap.add_argument("--max-false-abstain", type=float, default=0.10)
    ap.add_argument(
        "--free",
        help="comma list of the features to fit (default all); the others keep their shipped weights",
    )
    ap.add_argument("--variants", action="store_true", help="also cross-validate variants of the fit")
    ap.add_argument(
        "--tune",
        metavar="FEATURE=V1,V2,...",
        help="choose one sentence weight among these values by cross-validation (prints only)",
    )
    ap.add_argument("--write", action="store_true", help=f"write the fitted models to {RANKER_FILE.name}")
    args = ap.parse_args(argv)
    top_k = args.top_k or Settings().top_k
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sets = set(args.sets.split(","))
        dev = []
        if "dev" in sets:
            dev = dev_sets(args.dev_slice, "dev-slice", args.dev_others, top_k, work)
            if args.dev_store:
                dev += dev_sets(args.dev_store, "dev", None, top_k, work)
        items = small_sets(top_k, work, sets) + dev
        print(
            f"{len(items)} questions, {sum(len(i.y) for i in items)} candidate sentences, "
            f"{int(sum(i.y.sum() for i in items))} positive",
            flush=True,
        )
        baseline = load_ranker().sentence
        if args.tune:
            feature, _, values = args.tune.partition("=")
            tune(items, baseline, feature, [float(v) for v in values.split(",")], args.folds)
        before = [outcome(i, baseline) for i in items]
        free = tuple(args.free.split(",")) if args.free else FEATURES
        after = cross_validate(items, args.folds, args.l2, free)
        if args.variants:
            hand = tuple(f for f, w in zip(FEATURES, baseline.weights, strict=True) if w)
            for name, only, l2 in [
                ("the hand-set signals fitted, the rest 0", hand, args.l2),
                (
                    "the other signals fitted, the hand-set ones kept",
                    tuple(f for f in FEATURES if f not in hand),
                    args.l2,
                ),
                ("all, l2=0.3", FEATURES, 0.3),
                ("all, l2=0.01", FEATURES, 0.01),
            ]:
                print(name, json.dumps(summary(items, cross_validate(items, args.folds, l2, only))))
        print("ranking (forced answer: the best sentence, before abstention)")
        print(
            json.dumps({"hand-set": summary(items, before), "fitted (CV)": summary(items, after)}, indent=1)
        )
        # The fit ships only if it answers more questions right out of fold than the hand-set
        # weights (dev questions when there, else all).
        fitted_wins = answer_rate(items, after) > answer_rate(items, before)
        chosen = after if fitted_wins else before
        print(f"shipping the {'fitted' if fitted_wins else 'hand-set'} sentence weights")
        conf = cv_confidence(items, chosen, args.folds)
        ys = np.asarray([float(o.correct) for o in chosen])
        threshold = choose_threshold(items, chosen, conf, args.max_false_abstain)
        figures = abstention(items, chosen, conf, threshold)
        cal = calibration(conf, ys)
        print(f"confidence (CV): {cal}; threshold {threshold:.2f}")
        print(json.dumps(figures, indent=1))
        shipped = load_ranker().threshold
        print(f"out of fold at the shipped threshold {shipped:.2f}:")
        print(json.dumps(abstention(items, chosen, conf, shipped), indent=1))
        if args.write:
            sentence = fit_sentences(items, args.l2, free) if fitted_wins else baseline
            xs = np.vstack([o.conf_x for o in chosen])
            ranker = Ranker(
                version=date.today().isoformat(),
                sentence=sentence,
                confidence=fit_confidence(xs, ys),
                threshold=threshold,
                info={
                    "fit_on": {
                        s: sum(i.set == s for i in items) for s in dict.fromkeys(i.set for i in items)
                    },
                    "top_k": top_k,
                    "folds": args.folds,
                    "sentence_weights": "fitted"
                    if fitted_wins
                    else load_ranker().info.get("sentence_weights", "hand-set (the fit did not beat them)"),
                    "cv_ranking": summary(items, after),
                    "hand_ranking": summary(items, before),
                    "cv_confidence": {**cal, **figures},
                    # how the shipped weights chosen by --tune were chosen, kept while they stay
                    **({} if fitted_wins else {"tuned": load_ranker().info.get("tuned", {})}),
                },
            )
            RANKER_FILE.write_text(json.dumps(ranker.to_dict(), indent=1) + "\n", encoding="utf-8")
            print(f"wrote {RANKER_FILE}")
    return 0


_STEPS, _RATE = 400, 0.3  # gradient descent of the listwise fit

if __name__ == "__main__":
    raise SystemExit(main())
