"""The torch backend: the model through transformers, as trained.

A file of its own so that only this backend (and the one-time ONNX export) imports torch: the
onnx and openvino backends, and a query process on them, never do (tests/test_embed_backends.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assistant.embed.forward import Forward


def torch_forward(path: Path) -> Forward:
    """The token vectors (``last_hidden_state``) of the transformers model in folder ``path``."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # "Loading weights" bars on every start are noise
    model = AutoModel.from_pretrained(str(path)).eval()

    def forward(ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            out = model(
                input_ids=torch.from_numpy(ids),
                attention_mask=torch.from_numpy(mask),
                token_type_ids=torch.from_numpy(types),
            )
        return out.last_hidden_state.numpy()

    return forward
