"""The openvino backend (the default): the fp32 ONNX export run by OpenVINO, in the CPU's own
inference precision: bf16 where the CPU has AMX or AVX-512 bf16 units, f32 elsewhere.

bf16 vectors agree with f32 ones to cosine >= 0.99997 on real-news chunks (closer than torch and
onnx fp32, which stores already treat as one), so a store built on one CPU is read on any other;
speed: docs/architecture.md, "Encoder backends" (``python bench/encoders.py``). OpenVINO reads
the ONNX file itself: neither torch nor onnxruntime is imported.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np

from assistant.embed.export import exported_model
from assistant.embed.forward import INPUTS, Forward

log = logging.getLogger(__name__)


def run_openvino(model_file: Path) -> Forward:
    """A forward pass of the ONNX graph in ``model_file`` compiled by OpenVINO for the CPU,
    returning its first output. Only the inputs the graph declares are fed.

    The compiled model is kept in ``openvino-<precision>/`` beside ``model_file`` (OpenVINO's
    CACHE_DIR: it keys each blob by the graph, the config, the device and its own version, and
    recompiles over a damaged one), so a later process loads it instead of compiling: about 0.25 s
    of every cold ``assistant ask`` (``python bench/cold_ask.py``), for 90 MB of disk. One folder
    per precision, because OpenVINO 2026.4 crashed loading an f32 blob into a bf16 run. Where that
    folder can't be made (a read-only cache) the model is compiled each time."""
    import openvino

    core = openvino.Core()
    precision = core.get_property("CPU", "INFERENCE_PRECISION_HINT").get_type_name()
    try:
        compiled = core.compile_model(
            str(model_file), "CPU", {"CACHE_DIR": str(model_file.parent / f"openvino-{precision}")}
        )
    except RuntimeError as exc:  # OpenVINO reports a cache folder it can't create this way
        log.info("compiling without OpenVINO's model cache (%s)", str(exc).strip().splitlines()[-1])
        compiled = core.compile_model(str(model_file), "CPU")
    wanted = {name for port in compiled.inputs for name in port.get_names()}
    out = compiled.output(0)

    # One infer request per thread: a compiled model's own request serves one call at a time
    # ("Infer Request is busy" when the question batcher and a feed sync encode together).
    requests = threading.local()

    def forward(ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> np.ndarray:
        if not hasattr(requests, "request"):
            requests.request = compiled.create_infer_request()
        feed = {k: v for k, v in zip(INPUTS, (ids, mask, types), strict=True) if k in wanted}
        return requests.request.infer(feed)[out]

    return forward


def openvino_forward(model_path: Path, cache_dir: Path) -> Forward:
    """The embedding model's token vectors from its cached fp32 export (the ``onnx`` backend's),
    exported first if no process has yet."""
    return run_openvino(exported_model(model_path, "onnx", cache_dir))
