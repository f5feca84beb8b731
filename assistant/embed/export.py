"""The embedding model as an ONNX graph: exported once from the local weights, fused, and for
``onnx-int8`` quantized, into a cache that every later process reads.

Hand-written because sentence-transformers' own ``backend="onnx"`` needs optimum-onnx, which
does not install with the pinned transformers (it needs transformers < 4.58). The recipe:
``torch.onnx.export`` (eager attention, ``last_hidden_state`` out, opset 17), onnxruntime's BERT
optimizer to fuse attention and layer norms, and for ``onnx-int8`` ``quantize_dynamic`` (int8
weights, activations quantized per batch at run time) of that fused graph.

The cache is ``ASSISTANT_EMBED_CACHE_DIR`` (default ``~/.cache/news-assistant``):

- ``<cache>/onnx-<key>/model.onnx``: the fused fp32 graph, run by the onnx and openvino backends;
  OpenVINO keeps its compiled model beside it, in ``openvino-<precision>/``
  (assistant/embed/openvino_backend.py);
- ``<cache>/onnx-int8-<key>/model.onnx``: the int8 graph, quantized from the fp32 one (which is
  exported first when missing).

The key covers the model folder and its weights and JSON files, the backend, the recipe version and the
onnx / onnxruntime versions (the tools that wrote the graph and the runtime that must read it). An
export is made by the first process that needs it, under a file lock (``<cache>/.<folder>.lock``),
in a temporary folder renamed into place when complete, so a crash never leaves a half-written
model and concurrent processes export once. torch, and onnxruntime's optimizer and quantizer,
are imported while exporting only: a process that finds the export never loads them.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from assistant.embed.forward import INPUTS

RECIPE = 2  # bump when the export steps change, so old caches are not reused


def exported_model(model_path: Path, backend: str, cache_dir: Path) -> Path:
    """The path of the cached ``model.onnx``, exporting it first if no process has yet."""
    target = cache_dir / f"{backend}-{_key(model_path, backend)}"
    if (target / "model.onnx").is_file():
        return target / "model.onnx"
    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(cache_dir / f".{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second process waits here, then finds the export
        if not (target / "model.onnx").is_file():
            print(f"exporting the embedding model to ONNX ({backend}) once, into {target}", file=sys.stderr)
            started = time.perf_counter()
            work = Path(tempfile.mkdtemp(prefix=".export-", dir=cache_dir))
            try:
                _export(model_path, backend, work)
                work.rename(target)
            finally:
                shutil.rmtree(work, ignore_errors=True)
            print(f"exported in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    return target / "model.onnx"


def _key(model_path: Path, backend: str) -> str:
    """What the export depends on. torch and transformers only trace the graph, and a store's
    vectors are checked against the backend name, so their versions stay out of the key (a query
    process that has no torch at all can then still find the export)."""
    weights = [p for p in sorted(model_path.glob("*")) if p.suffix in {".safetensors", ".bin", ".json"}]
    parts = {
        "model": str(model_path.resolve()),
        "files": [(p.name, p.stat().st_size, int(p.stat().st_mtime)) for p in weights],
        "backend": backend,
        "recipe": RECIPE,
        "onnx": _version("onnx"),
        "onnxruntime": _version("onnxruntime"),  # what onnxruntime.__version__ says, without importing it
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:12]


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "absent"


@contextlib.contextmanager
def _quiet(logger: str) -> Iterator[None]:
    log = logging.getLogger(logger)
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def trace(model: object, output: str, output_axes: dict[int, str], path: Path) -> None:
    """A transformers ``model`` traced to the ONNX graph at ``path``: its INPUTS in (batch and
    token axes dynamic), its output field ``output`` out (dynamic along ``output_axes``), opset
    17. The answer model's export (training/export.py) traces through here too.

    The tracer's and quantizer's advice (constant shapes, "pre-process first") is about other
    models; the graph's agreement with torch is what tests/test_embed_backends.py and
    tests/test_reader.py check."""
    import torch

    class Output(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):  # noqa: ANN001 (traced)
            out = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return getattr(out, output)

    sample = torch.ones((2, 16), dtype=torch.int64)
    with torch.inference_mode(), warnings.catch_warnings(), _quiet("root"):
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Output(),
            (sample, sample, torch.zeros_like(sample)),
            str(path),
            input_names=list(INPUTS),
            output_names=[output],
            dynamic_axes={**{name: {0: "batch", 1: "tokens"} for name in INPUTS}, output: output_axes},
            opset_version=17,
            dynamo=False,
        )


def _export(model_path: Path, backend: str, work: Path) -> None:
    """Trace and fuse (onnx), or quantize that (onnx-int8), into ``work/model.onnx``."""
    from onnxruntime.transformers.optimizer import optimize_model
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    # Eager attention: the SDPA path traces into ops the BERT optimizer does not fuse.
    model = AutoModel.from_pretrained(str(model_path), attn_implementation="eager").eval()

    raw = work / "raw.onnx"
    # Only the token vectors: the pooler head is unused and would cost a matmul per batch.
    trace(model, "last_hidden_state", {0: "batch", 1: "tokens"}, raw)
    if backend == "onnx-int8":  # quantized from the fp32 export, made (or found) first
        _quantize(exported_model(model_path, "onnx", work.parent), work / "model.onnx")
        return
    optimize_model(
        str(raw),
        model_type="bert",
        num_heads=model.config.num_attention_heads,
        hidden_size=model.config.hidden_size,
    ).save_model_to_file(str(work / "model.onnx"))
    raw.unlink()


def _quantize(fused: Path, out: Path) -> None:
    """int8 weights, activations quantized per batch at run time (dynamic quantization)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with _quiet("root"):
        # Per-channel weight scales and an fp32 embedding table: with one scale per tensor and
        # int8 embeddings, cosine to torch fell to 0.954 mean / 0.89 min on real-news chunk
        # sentences; with these, 0.993 / 0.974, at the same speed (docs/architecture.md).
        quantize_dynamic(
            fused,
            out,
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul", "Attention"],
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
