"""The answer model at ask time: the shipped int8 ONNX cross-encoder, no torch.

It runs on onnxruntime (embed/onnx_backend.py; ``load`` says why not OpenVINO, which runs the same
file too); the tokenizer is configured once, before any thread uses it.

A model folder holds ``model.onnx`` (one logit per pair), ``tokenizer.json`` and
``calibration.json``: the scale and bias that turn a logit into the probability that the answer
is right (fitted on held-out folds: ``bench/answer_quality.py --fit``), and the confidence
threshold chosen there. ``assistant/models/answer/`` is the shipped one; another folder
of the same files is used by naming it in ``ASSISTANT_ANSWER_MODEL``.

Hand-written rather than sentence-transformers' ``CrossEncoder``: that needs torch at ask time
(300 MB more resident, seconds more of cold start), and its ONNX backend needs optimum, which does
not install with the pinned transformers (docs/architecture.md, "Encoder backends").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from assistant.embed.onnx_backend import run_onnx
from assistant.reader.text import MAX_TOKENS

SHIPPED = Path(__file__).resolve().parent.parent / "models" / "answer"


@dataclass(frozen=True)
class Calibration:
    """P(the answer is right) = sigmoid(scale * z + bias), z the model's log-odds averaged with
    ``ranker_weight`` times the ranker's confidence log-odds (query/answerer.py); ``threshold``:
    the confidence an answer needs. Fitted by ``bench/answer_quality.py --fit``.

    ``depth`` and ``weight``: the model reads the ranker's top ``depth`` sentences, which are
    reordered by the ranker's log-odds plus ``weight`` times the model's (query/judge.py; fitted on
    the training folds by ``bench/fit_answer.py``); depth 1 judges the ranker's choice only."""

    scale: float
    bias: float
    threshold: float
    ranker_weight: float = 0.0
    depth: int = 1
    weight: float = 0.0

    def probability(self, logit: float, ranker_logit: float = 0.0) -> float:
        z = (logit + self.ranker_weight * ranker_logit) / (1.0 + self.ranker_weight)
        return float(1.0 / (1.0 + np.exp(-(self.scale * z + self.bias))))


class AnswerModel:
    """Scores (question, passage) pairs: a logit each, higher when the passage answers."""

    def __init__(self, folder: Path) -> None:
        from tokenizers import Tokenizer

        missing = [
            n for n in ("model.onnx", "tokenizer.json", "calibration.json") if not (folder / n).is_file()
        ]
        if missing:
            raise FileNotFoundError(f"the answer model folder {folder} lacks {', '.join(missing)}")
        self.folder = folder
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        # The pair's second text is the one cut when too long: it leads with the candidate
        # sentence and ends with context (reader/text.py).
        tokenizer.enable_truncation(MAX_TOKENS, strategy="only_second")
        tokenizer.enable_padding()
        self._tokenizer = tokenizer
        self._forward = run_onnx(folder / "model.onnx", "logits")
        data = json.loads((folder / "calibration.json").read_text(encoding="utf-8"))
        self.calibration = Calibration(
            float(data["scale"]),
            float(data["bias"]),
            float(data["threshold"]),
            float(data["ranker_weight"]),
            int(data.get("depth", 1)),
            float(data.get("weight", 0.0)),
        )

    def logits(self, question: str, passages: list[str]) -> np.ndarray:
        """One logit per passage, in order."""
        if not passages:
            return np.zeros(0, dtype=np.float32)
        encoded = self._tokenizer.encode_batch([(question, p) for p in passages])
        ids, mask, types = (
            np.asarray([getattr(e, name) for e in encoded], dtype=np.int64)
            for name in ("ids", "attention_mask", "type_ids")
        )
        return np.asarray(self._forward(ids, mask, types), dtype=np.float32).reshape(-1)


def resolve(name: str) -> Path | None:
    """The model folder a setting names: "default" (the shipped one), "none" (no model), a path."""
    if name in ("", "none"):
        return None
    return SHIPPED if name == "default" else Path(name).expanduser()


@lru_cache(maxsize=4)
def load(folder: Path) -> AnswerModel:
    """One model per folder per process: every Answerer of a process shares it.

    On onnxruntime whatever the encoder's backend: the int8 graph runs there in half OpenVINO's
    time (4 pairs, interleaved in one process: 123 ms against 238 ms on a loaded machine; 1 pair
    20 against 42 ms), and onnxruntime is a dependency anyway (chromadb's)."""
    return AnswerModel(folder)
