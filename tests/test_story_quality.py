"""The story bench's cross-validation (bench/story_quality.py): its folds and the out-of-fold
choice of thresholds, on hand-made pairs (no corpus, no model)."""

from __future__ import annotations

from dataclasses import replace

from assistant.stories.match import RULE
from bench.story_quality import cross_validate, folds


def pair(a: str, b: str, same: bool, corpus: str = "c") -> dict:
    return {"corpus": corpus, "a": a, "b": b, "same": same}


def test_pairs_sharing_an_article_are_in_one_fold_and_folds_are_stable():
    pairs = [pair("u1", "u2", True), pair("u2", "u3", False), pair("u3", "u4", True)]
    pairs += [pair(f"v{i}", f"w{i}", i % 2 == 0) for i in range(40)]
    fold = folds(pairs, 5)
    assert fold[0] == fold[1] == fold[2]  # one chain of shared articles
    assert fold == folds(pairs, 5)
    assert set(fold) == set(range(5))  # 41 groups spread over every fold
    # The same URL in another corpus is another article: no link.
    assert folds([pair("u1", "x", True, "c2")], 5)[0] in range(5)


def test_each_fold_is_predicted_by_the_rule_that_wins_on_the_others():
    pairs = [pair(f"a{i}", f"b{i}", i % 2 == 0) for i in range(60)]
    labels = [p["same"] for p in pairs]
    right, merges_all = RULE, replace(RULE, embed_cos=0.5)
    result = cross_validate(pairs, {right: labels, merges_all: [True] * len(pairs)}, 3)
    assert result["out_of_fold"]["f1"] == 1.0 and result["out_of_fold"]["pairs"] == 60
    assert result["chosen"] == [{}, {}, {}]  # the product's thresholds, unchanged in every fold


def test_precision_comes_before_f1_in_the_choice():
    # "eager" merges every pair: precision 0.6 (under the floor), F1 0.75. "careful" finds a
    # third of the same pairs without a wrong merge: F1 0.5, yet it is chosen.
    pairs = [pair(f"a{i}", f"b{i}", i % 5 < 3) for i in range(100)]
    careful = [p["same"] and i % 3 == 0 for i, p in enumerate(pairs)]
    eager, cautious = replace(RULE, embed_cos=0.5), replace(RULE, embed_cos=0.9)
    result = cross_validate(pairs, {eager: [True] * 100, cautious: careful}, 4)
    assert result["chosen"] == [{"embed_cos": 0.9}] * 4
    assert result["out_of_fold"]["precision"] == 1.0
