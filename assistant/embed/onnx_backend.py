"""The onnx and onnx-int8 backends: an exported graph run by onnxruntime on the CPU.

``run_onnx`` runs any ONNX file that takes BERT-style token inputs, so a second model (a
cross-encoder) runs here as the embedding model does; ``onnx_forward`` is the embedding model's
pass on its cached export (assistant/embed/export.py). onnxruntime is imported by these backends
only, not by openvino.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assistant.embed.export import exported_model
from assistant.embed.forward import INPUTS, Forward


def run_onnx(model_file: Path, output: str | None = None) -> Forward:
    """A forward pass of the ONNX graph in ``model_file``, returning its output named ``output``
    (its first one if None). Only the inputs the graph declares are fed: a model exported without
    ``token_type_ids`` runs too. A session serves concurrent calls (onnxruntime's ``run`` is
    thread-safe)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # warnings about unused initializers are noise to a user
    session = onnxruntime.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
    wanted = {i.name for i in session.get_inputs()}
    name = output or session.get_outputs()[0].name

    def forward(ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> np.ndarray:
        feed = {k: v for k, v in zip(INPUTS, (ids, mask, types), strict=True) if k in wanted}
        return session.run([name], feed)[0]

    return forward


def onnx_forward(model_path: Path, backend: str, cache_dir: Path) -> Forward:
    """The embedding model's token vectors from its cached export for ``backend`` (``onnx``: fused
    fp32, ``onnx-int8``: int8 weights), exported first if no process has yet."""
    return run_onnx(exported_model(model_path, backend, cache_dir), "last_hidden_state")
