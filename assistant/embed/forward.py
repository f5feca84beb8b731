"""What every backend gives the code above it: a forward pass from token ids to the model's output.

A model runs on whichever backend (torch, onnxruntime, OpenVINO) as the same plain function over
numpy arrays, so tokenizing and what is done with the output (the Embedder's pooling, or another
model's scores) are written once, and no caller imports a backend's runtime.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# (input_ids, attention_mask, token_type_ids), each [batch, length] int64 -> the model's output:
# for the embedding model its token vectors, [batch, length, dim].
Forward = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
# The inputs of a BERT-style graph, in Forward's order: the names an export declares and a
# runtime is fed by.
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
