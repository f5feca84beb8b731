"""Encoder backends (assistant/embed/): the real model exported to ONNX in a temporary cache, its
vectors against torch's, OpenVINO's compiled-model cache, the store's backend check, and a query
process that imports neither torch nor what only ingestion, the LLM mode or the web app use."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from assistant import Assistant
from assistant.config import Settings
from assistant.embed import Embedder, load_embedder, resolve_model
from assistant.embed.export import exported_model
from assistant.errors import AssistantError, StoreVersionError
from tests.conftest import ROOT, SEED

SENTENCES = [
    "Russian and French warplanes pounded Raqqa, the Islamic State's stronghold in Syria.",
    "At least 224 people died when the plane crashed in the Sinai peninsula.",
    "How many people died in the Sinai crash?",
    "Shares of the carmaker rose 3% after it raised its forecast.",
    "Who is the defence minister?",
    "Hello",
]


SINAI = "How many people died when the Russian plane was brought down over Sinai?"


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="module")
def torch_embedder() -> Embedder:
    return load_embedder(Settings().embed_model, 64, "torch")


@pytest.fixture(scope="module")
def onnx_settings(cache) -> Settings:
    return Settings.from_env(env={}, embed_backend="onnx-int8", embed_cache_dir=cache)


@pytest.fixture(scope="module")
def int8_store(onnx_settings, tmp_path_factory) -> Assistant:
    """A store built by the onnx-int8 backend; exports fp32 then int8 into the temp cache."""
    assistant = Assistant(store_dir=tmp_path_factory.mktemp("int8-store"), settings=onnx_settings)
    assert len(assistant.ingest([SEED]).added) == 1
    return assistant


@pytest.mark.parametrize("backend", ["onnx", "openvino", "onnx-int8"])
def test_vectors_agree_with_torch(backend, cache, torch_embedder, int8_store):
    onnx = load_embedder(Settings().embed_model, 64, backend, cache)
    reference = np.asarray(torch_embedder.texts(SENTENCES))
    cosine = np.sum(np.asarray(onnx.texts(SENTENCES)) * reference, axis=1)
    assert cosine.min() >= (0.9999 if backend != "onnx-int8" else 0.97), cosine
    # Sentence vectors pooled inside a chunk agree as well (the same single pass).
    chunk = " ".join(SENTENCES[:2])
    spans = [[(0, len(SENTENCES[0])), (len(SENTENCES[0]) + 1, len(chunk))]]
    ours, theirs = (
        onnx.chunks_and_sentences([chunk], spans),
        torch_embedder.chunks_and_sentences([chunk], spans),
    )
    assert float(ours[0][0] @ theirs[0][0]) >= 0.97
    assert np.sum(ours[1][0] * theirs[1][0], axis=1).min() >= 0.97


@pytest.mark.parametrize("backend", ["onnx", "openvino"])
def test_threads_encode_at_once(backend, cache, torch_embedder):
    """The question batcher and an ingest (a feed sync) encode on two threads at the same time."""
    embedder = load_embedder(Settings().embed_model, 64, backend, cache)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(embedder.texts, [SENTENCES] * 32))
    reference = np.asarray(torch_embedder.texts(SENTENCES))
    for vectors in results:
        assert np.sum(np.asarray(vectors) * reference, axis=1).min() >= 0.9999


def test_export_is_made_once_and_reused(cache, int8_store):
    model = resolve_model(Settings().embed_model)
    path = exported_model(Path(model), "onnx-int8", cache)
    stamp = path.stat().st_mtime_ns
    assert exported_model(Path(model), "onnx-int8", cache) == path
    assert path.stat().st_mtime_ns == stamp
    assert not [p for p in cache.iterdir() if p.name.startswith(".export-")]  # no leftovers


def test_openvino_compiles_once_into_the_cache(cache, int8_store, tmp_path):
    """The compiled model is kept beside the export and loaded from there later, with the same
    vectors as a fresh compile; a cache folder that can't be made only means compiling."""
    name = Settings().embed_model
    export = exported_model(Path(resolve_model(name)), "onnx", cache)
    Embedder(name, 64, "openvino", cache)  # Embedder, not load_embedder: each one compiles or loads
    blobs = {p: p.stat().st_mtime_ns for p in export.parent.glob("openvino-*/*.blob")}
    assert blobs
    cached = np.asarray(Embedder(name, 64, "openvino", cache).texts(SENTENCES))
    assert {p: p.stat().st_mtime_ns for p in export.parent.glob("openvino-*/*.blob")} == blobs

    # Another cache dir with the same export, where a file stands in the compiled model's folder.
    (tmp_path / export.parent.name).mkdir()
    (tmp_path / export.parent.name / "model.onnx").symlink_to(export)
    for precision in ("f32", "bf16", "f16"):  # the folder of whichever precision this CPU runs
        (tmp_path / export.parent.name / f"openvino-{precision}").write_text("not a folder")
    compiled = np.asarray(Embedder(name, 64, "openvino", tmp_path).texts(SENTENCES))
    assert np.array_equal(compiled, cached)


def test_store_built_with_int8_is_refused_by_torch(int8_store):
    torch_settings = replace(int8_store.settings, embed_backend="torch")
    with pytest.raises(StoreVersionError, match="holds int8 vectors .*ASSISTANT_EMBED_BACKEND=onnx-int8"):
        Assistant(store_dir=int8_store.settings.store_dir, settings=torch_settings)


@pytest.mark.parametrize("backend", ["onnx", "openvino"])
def test_torch_store_opens_with_fp32_backends(backend, cache, tmp_path):
    """fp32 vectors of torch, onnx and openvino agree to > 0.9999, so a torch store is read by both."""
    built = Assistant(store_dir=tmp_path, settings=Settings.from_env(env={}, embed_backend="torch"))
    built.ingest([SEED])
    other = Assistant(
        store_dir=tmp_path, settings=Settings.from_env(env={}, embed_backend=backend, embed_cache_dir=cache)
    )
    assert other.ask(SINAI).citations[0].quote == built.ask(SINAI).citations[0].quote


def test_unknown_backend_is_a_clear_error(tmp_path):
    with pytest.raises(AssistantError, match="ASSISTANT_EMBED_BACKEND='tensorflow' is not one of"):
        Assistant(store_dir=tmp_path, settings=Settings.from_env(env={}, embed_backend="tensorflow"))


# What a cold `assistant ask` must not import (bench/cold_ask.py): the other backends' runtimes,
# the web app, ingestion, llama-index (the LLM mode and ingest only) and bm25s (with scipy).
HEAVY = ("torch", "transformers", "gradio", "fastapi", "nltk", "trafilatura", "feedparser", "llama_index")
HEAVY += ("bm25s", "scipy", "tqdm")


@pytest.mark.parametrize("backend", ["openvino", "onnx-int8"])
def test_ask_imports_only_what_it_uses(backend, int8_store, cache, tmp_path):
    """The CLI's ask on the default backend and on onnx-int8, in a fresh process: the answer, and
    none of HEAVY imported (nor onnxruntime by openvino)."""
    store = int8_store.settings.store_dir
    if backend == "openvino":
        store = tmp_path
        settings = Settings.from_env(env={}, embed_backend=backend, embed_cache_dir=cache)
        Assistant(store_dir=store, settings=settings).ingest([SEED])
    script = (
        "import json, sys\n"
        "from assistant.cli import main\n"
        "code = main(['--store', sys.argv[1], 'ask', sys.argv[2], '--json'])\n"
        "print(json.dumps({'code': code, 'modules': sorted({m.split('.')[0] for m in sys.modules})}))\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ASSISTANT_EMBED_BACKEND": backend,
        "ASSISTANT_EMBED_CACHE_DIR": str(cache),
    }
    done = subprocess.run(
        [sys.executable, "-c", script, str(store), SINAI],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    *answer, verdict = done.stdout.strip().splitlines()
    verdict = json.loads(verdict)
    assert verdict["code"] == 0
    unwanted = HEAVY + (("onnxruntime",) if backend == "openvino" else ())
    assert not set(unwanted) & set(verdict["modules"])
    assert "224" in json.loads("\n".join(answer))["answer"]
