"""The ONNX backends: a one-time export of the local weights, cached, then onnxruntime or OpenVINO.

Hand-written because sentence-transformers' own ``backend="onnx"`` needs optimum-onnx, which
does not install with the pinned transformers (it needs transformers < 4.58). The recipe:
``torch.onnx.export`` (eager attention, ``last_hidden_state`` out, opset 17), onnxruntime's BERT
optimizer to fuse attention and layer norms, and for ``onnx-int8`` ``quantize_dynamic`` (int8
weights, activations quantized per batch at run time).

The export lives in ``<cache>/<model>-<backend>-<key>/model.onnx``. The key covers the model
folder and its weights file, the backend, the recipe version and the onnx / onnxruntime versions
(the tools that wrote the graph and the runtime that must read it). It is made by the first
process that needs it, under a file lock, in a temporary folder renamed into place when complete,
so a crash never leaves a half-written model and concurrent processes export once. torch is
imported only for the export, onnxruntime only by the backends that run on it (not by openvino).

OpenVINO also keeps its compiled model, in ``openvino/`` beside the export (see ``openvino_forward``).
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
import threading
import time
import warnings
from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from assistant.embed import Forward

log = logging.getLogger(__name__)

RECIPE = 2  # bump when the export steps change, so old caches are not reused
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def onnx_forward(model_path: Path, backend: str, cache_dir: Path) -> Forward:
    """A forward pass on the cached export of ``model_path`` for ``backend`` (exported if missing)."""
    import onnxruntime

    model = exported_model(model_path, backend, cache_dir)
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # warnings about unused initializers are noise to a user
    session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    wanted = {i.name for i in session.get_inputs()}

    def forward(ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> np.ndarray:
        feed = {k: v for k, v in zip(_INPUTS, (ids, mask, types), strict=True) if k in wanted}
        return session.run(["last_hidden_state"], feed)[0]

    return forward


def openvino_forward(model_path: Path, cache_dir: Path) -> Forward:
    """OpenVINO running the fp32 export, in the CPU's own inference precision: bf16 where the CPU
    has AMX or AVX-512 bf16 units, f32 elsewhere. bf16 vectors agree with f32 ones to cosine
    >= 0.99997 on real-news chunks (closer than torch and onnx fp32, which stores already treat as
    one) at 6.7x the f32 speed on an AMX CPU, 4.6x torch (docs/architecture.md); f32 runs 1.5x torch.

    The compiled model is kept in ``openvino-<precision>/`` beside the export (OpenVINO's
    CACHE_DIR: it keys each blob by the graph, the config, the device and its own version, and
    recompiles over a damaged one), so a later process loads it instead of compiling: about 0.25 s
    of every cold ``assistant ask`` (bench/cold_ask.py), for 90 MB of disk. One folder per
    precision, because OpenVINO 2026.4 crashed loading an f32 blob into a bf16 run. Where that
    folder can't be made (a read-only cache) the model is compiled as before."""
    import openvino

    export = exported_model(model_path, "onnx", cache_dir)
    core = openvino.Core()
    precision = core.get_property("CPU", "INFERENCE_PRECISION_HINT").get_type_name()
    try:
        compiled = core.compile_model(
            str(export), "CPU", {"CACHE_DIR": str(export.parent / f"openvino-{precision}")}
        )
    except RuntimeError as exc:  # OpenVINO reports a cache folder it can't create this way
        log.info("compiling without OpenVINO's model cache (%s)", str(exc).strip().splitlines()[-1])
        compiled = core.compile_model(str(export), "CPU")

    # One infer request per thread: a compiled model's own request serves one call at a time
    # ("Infer Request is busy" when the question batcher and a feed sync encode together).
    requests = threading.local()

    def forward(ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> np.ndarray:
        if not hasattr(requests, "request"):
            requests.request = compiled.create_infer_request()
        return requests.request.infer({"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]

    return forward


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


def _export(model_path: Path, backend: str, work: Path) -> None:
    """Trace and fuse (onnx), or quantize that (onnx-int8), into ``work/model.onnx``."""
    import torch
    from onnxruntime.transformers.optimizer import optimize_model
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    # Eager attention: the SDPA path traces into ops the BERT optimizer does not fuse.
    model = AutoModel.from_pretrained(str(model_path), attn_implementation="eager").eval()

    class LastHidden(torch.nn.Module):
        """Only the token vectors: the pooler head is unused and would cost a matmul per batch."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):  # noqa: ANN001 (traced)
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    sample = torch.ones((2, 16), dtype=torch.int64)
    raw = work / "raw.onnx"
    # The tracer's and quantizer's advice (constant shapes, "pre-process first") is about other
    # models; the graph's agreement with torch is what tests/test_embed_backends.py checks.
    with torch.inference_mode(), warnings.catch_warnings(), _quiet("root"):
        warnings.simplefilter("ignore")
        torch.onnx.export(
            LastHidden(),
            (sample, sample, torch.zeros_like(sample)),
            str(raw),
            input_names=list(_INPUTS),
            output_names=["last_hidden_state"],
            dynamic_axes={name: {0: "batch", 1: "tokens"} for name in (*_INPUTS, "last_hidden_state")},
            opset_version=17,
            dynamo=False,
        )
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
