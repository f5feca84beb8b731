"""Sentence embeddings: the model's token vectors, pooled into text and sentence vectors.

The package's files, one job each: ``embedder.py`` (the Embedder: tokenizing and pooling, the
backend chosen), ``forward.py`` (the forward-pass type every backend returns), one file per
backend (``torch_backend.py``, ``onnx_backend.py``, ``openvino_backend.py``) and ``export.py``
(the one-time ONNX export, fusion and int8 quantization, cached). ``run_onnx`` runs any
BERT-style ONNX file, not only the embedding model: the answer model too (reader/model.py).

HF_HUB_OFFLINE is set here, before any module of the package imports tokenizers or transformers:
no code path may fetch weights from a model hub.
"""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from assistant.embed.embedder import Embedder, load_embedder, resolve_model  # noqa: E402

__all__ = ["Embedder", "load_embedder", "resolve_model"]
