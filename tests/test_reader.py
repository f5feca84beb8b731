"""The answer model (assistant/reader/, query/judge.py): the shipped files, the pair it reads, and
what it does in the ask path on the shipped sample, where the seed article's sentences compete
with 24 Wikinews stories."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assistant.config import Settings
from assistant.reader.model import SHIPPED, AnswerModel, Calibration, resolve
from assistant.reader.text import MAX_TOKENS, passage

SINAI = "How many died in the Sinai crash?"
ANSWER = (
    "A bomb had destroyed a Russian airliner over Egypt's Sinai Peninsula last month, killing 224 people."
)
DISTRACTOR = "The crane collapsed onto the Grand Mosque in Mecca during a storm, killing 107 people."


def test_the_pair_leads_with_the_sentence_and_keeps_the_end_of_the_one_before():
    text = passage(
        "  Rescuers  found\nsurvivors. ", "Quake hits   city", "x" * 300 + " The quake struck at dawn."
    )
    sentence, title, before = text.split(" | ")
    assert sentence == "Rescuers found survivors."
    assert title == "Quake hits city"
    assert before.endswith("The quake struck at dawn.") and len(before) == 200
    assert passage("Only this.", None, None) == "Only this."


def test_calibration_is_a_monotone_probability_of_both_scores():
    cal = Calibration(scale=0.8, bias=-0.5, threshold=0.4, ranker_weight=0.5)
    p = [cal.probability(z) for z in (-5.0, 0.0, 5.0)]
    assert p[0] < p[1] < p[2] and p[0] > 0 and p[2] < 1
    assert p[1] == pytest.approx(1 / (1 + np.exp(0.5)))
    assert cal.probability(0.0, 3.0) > p[1]  # the ranker's confidence counts, at a third
    assert cal.probability(1.0, -2.0) == pytest.approx(p[1])


def test_the_setting_names_the_shipped_model_a_folder_or_none(tmp_path):
    assert resolve("default") == SHIPPED
    assert resolve("none") is None
    assert resolve(str(tmp_path)) == tmp_path
    assert Settings.from_env(env={}).answer_model == "none"  # opt-in (docs/architecture.md)


def test_the_shipped_model_fits_the_repository():
    assert (SHIPPED / "model.onnx").stat().st_size <= 50e6
    assert (SHIPPED / "MODEL_CARD.md").is_file()
    cal = json.loads((SHIPPED / "calibration.json").read_text(encoding="utf-8"))
    assert cal["scale"] > 0 and 0 < cal["threshold"] < 1 and cal["ranker_weight"] >= 0


def test_a_folder_without_the_model_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="lacks model.onnx"):
        AnswerModel(tmp_path)


@pytest.mark.model
def test_the_answer_outscores_a_sentence_that_only_looks_like_it():
    model = AnswerModel(SHIPPED)
    logits = model.logits(
        SINAI, [passage(DISTRACTOR, "Mecca crane collapse", None), passage(ANSWER, None, None)]
    )
    assert logits[1] > logits[0] + 0.5, logits


@pytest.mark.model
def test_a_long_pair_is_cut_in_its_context_not_its_question():
    model = AnswerModel(SHIPPED)
    [encoded] = model._tokenizer.encode_batch([(SINAI, passage(ANSWER, "t " * 300, "b " * 300))])
    assert len(encoded.ids) == MAX_TOKENS
    assert "sinai" in model._tokenizer.decode(encoded.ids[: len(encoded.ids) // 2])


@pytest.fixture(scope="module")
def judged(sample):
    """The shipped sample's store, read with the answer model on."""
    from assistant import Assistant

    return Assistant(
        store_dir=sample.settings.store_dir,
        settings=Settings.from_env(env={}, answer_model="default"),
        read_only=True,
    )


@pytest.mark.model
def test_the_model_judges_the_answer_not_an_unanswerable_question(judged):
    """A question no article answers gets a lower confidence than one the seed article answers,
    and is abstained on."""
    assert judged._answerer.reader is not None
    answered = judged.ask("How many people were killed in the Paris attacks?")
    unanswerable = judged.ask("How many people were killed in the Lisbon earthquake of 1755?")
    assert not answered.abstained and "129" in answered.text
    assert unanswerable.abstained
    assert (unanswerable.confidence or 0) < (answered.confidence or 0)


@pytest.mark.model
def test_the_ranker_alone_answers_by_default(sample):
    assert sample._answerer.reader is None
    answer = sample.ask("How many people were killed in the Paris attacks?")
    assert "129" in answer.text


def _candidate(sentence_id: str, text: str, logit: float):  # noqa: ANN202
    from assistant.query.rank import Candidate
    from assistant.store.records import SentenceRow

    row = SentenceRow(sentence_id, sentence_id.split(":")[0], 0, len(text), text, [])
    return Candidate(
        row, score=0.5, logit=logit, relevance=1.0, dense=0.5, lexical=0.5, kind=True, keyterms_near=1.0
    )


@pytest.mark.model
def test_the_model_reorders_the_rankers_top_sentences_and_only_those(tmp_path):
    """With depth 2 and a weight, the answer the ranker put second comes first; depth 1 only
    judges; a sentence below the depth keeps its place."""
    from assistant.query.judge import judge

    folder = tmp_path / "model"
    folder.mkdir()
    for name in ("model.onnx", "tokenizer.json"):
        (folder / name).symlink_to(SHIPPED / name)
    ranked = [
        _candidate("mecca:s3", DISTRACTOR, 1.0),
        _candidate("seed:s5", ANSWER, 0.9),
        _candidate("other:s0", "Paris was quiet on Sunday.", 0.1),
    ]
    for depth, weight, first in ((2, 1.0, "seed:s5"), (1, 1.0, "mecca:s3"), (2, 0.0, "mecca:s3")):
        cal = {
            "scale": 1.0,
            "bias": 0.0,
            "threshold": 0.5,
            "ranker_weight": 0.0,
            "depth": depth,
            "weight": weight,
        }
        (folder / "calibration.json").write_text(json.dumps(cal), encoding="utf-8")
        reordered, logits = judge(AnswerModel(folder), SINAI, ranked, {}, {})
        assert reordered[0].row.sentence_id == first, (depth, weight)
        assert reordered[2].row.sentence_id == "other:s0" and len(logits) == depth
