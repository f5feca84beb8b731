"""The fitted ranker: its shipped file, the fitting code, and calibrated confidence on every answer."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from assistant.query.answerer import CLOSEST, CONFIDENCE_FEATURES, NOT_COVERED, Answerer
from assistant.query.question import analyse
from assistant.query.rank import FEATURES, RANKER_FILE, Ranker, load_ranker, matches_kind
from assistant.web.chat_html import render_answer
from bench.fit_ranker import fit_logistic, folds_of


def test_shipped_ranker_is_versioned_and_says_what_it_was_fit_on():
    data = json.loads(RANKER_FILE.read_text())
    ranker = load_ranker()
    assert ranker.version == data["version"] and ranker.sentence.names == FEATURES
    assert ranker.confidence.names == CONFIDENCE_FEATURES
    assert 0.0 < ranker.threshold < 1.0
    assert all(np.isfinite(ranker.sentence.weights)) and all(np.isfinite(ranker.confidence.weights))
    assert {"fit_on", "cv_ranking", "hand_ranking", "cv_confidence"} <= set(ranker.info)
    assert ranker.info["fit_on"]["seed"] >= 40


def test_a_ranker_file_with_other_features_is_refused():
    data = json.loads(RANKER_FILE.read_text())
    data["sentence"]["features"] = data["sentence"]["features"][::-1]
    with pytest.raises(ValueError, match="differ"):
        Ranker.from_dict(data)


def test_fit_logistic_recovers_a_known_model():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4000, 2)) * [1.0, 5.0] + [0.0, 3.0]
    p = 1 / (1 + np.exp(-(2.0 * x[:, 0] - 0.5 * x[:, 1] + 1.0)))
    y = (rng.random(4000) < p).astype(float)
    w, b = fit_logistic(x, y, np.ones(4000), l2=0.0)
    assert np.allclose(w, [2.0, -0.5], atol=0.15) and abs(b - 1.0) < 0.3


def test_folds_keep_a_question_and_its_removed_evidence_twin_together():
    class Item:
        def __init__(self, group: str) -> None:
            self.group = group

    items = [Item(f"q{n % 10}") for n in range(40)]
    folds = folds_of(items, 5)
    by_group: dict[str, set[int]] = {}
    for item, fold in zip(items, folds, strict=True):
        by_group.setdefault(item.group, set()).add(fold)
    assert all(len(f) == 1 for f in by_group.values()) and len(set(folds)) == 5


def test_key_terms_are_the_names_and_numbers_asked_about():
    q = analyse("Police arrested 31 men near a Pride event in Coeur d'Alene. Where was the event?")
    assert {"31", "pride", "coeur"} <= set(q.key_terms) and "where" not in q.key_terms
    assert analyse("How many people died?").key_terms == ()


def test_a_vague_plural_does_not_answer_how_many():
    """A count is a figure: "Millions of swings were recalled" gives none, "2 million" does."""
    assert not matches_kind("number", "Millions of baby swings have been recalled.")
    assert not matches_kind("number", "Dozens of people were unaccounted for on Thursday.")
    assert matches_kind("number", "The recall affects 2 million swings.")
    assert matches_kind("number", "A dozen homes were lost.")
    assert matches_kind("number", "Three people died.")


def test_every_answer_carries_a_confidence(seeded):
    answered = seeded.ask("How many people died in the Paris attacks?")
    assert not answered.abstained and 0.0 < answered.confidence <= 1.0
    assert answered.confidence >= seeded._answerer.threshold
    assert answered.to_dict()["confidence"] == answered.confidence
    off = seeded.ask("Who won the 2018 football World Cup?")
    assert off.abstained and 0.0 <= off.confidence < answered.confidence


def test_below_the_threshold_the_closest_passage_is_shown_as_such(seeded):
    question = "How many people died in the Paris attacks?"
    confidence = seeded.ask(question).confidence

    def answer_at(threshold: float):
        settings = replace(seeded.settings, abstain_threshold=threshold)
        return Answerer(settings, seeded._embedder, seeded._store, seeded._keyword).answer(question)

    closest = answer_at(confidence + 0.01)  # under the threshold, above half of it
    assert closest.abstained and closest.text.startswith(CLOSEST) and len(closest.citations) == 1
    assert closest.confidence == confidence and "129" in closest.citations[0].quote
    assert "na-note" in render_answer(closest) and "Low confidence" in render_answer(closest)
    plain = answer_at(2 * confidence + 0.01)  # under half the threshold
    assert plain.abstained and plain.citations == [] and plain.text == NOT_COVERED


def test_ui_shows_confidence_in_words(seeded):
    answer = seeded.ask("How many people died in the Paris attacks?")
    html = render_answer(answer)
    assert "confidence" in html and "na-answer" in html
