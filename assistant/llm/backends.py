"""The LLM backends, all llama-index integrations, chosen by ``Settings.llm``.

Each backend is built lazily (its package imported only when chosen) and none connects at
construction, so a server that is down shows up as a fallback at question time, not a crash at
start. The API key is passed to the client and never logged (Settings keeps it out of repr).
llama-index itself is imported only once a backend is chosen: ``make_llm`` answers None for the
extractive mode without it (a cold ``assistant ask`` would otherwise spend a second importing it).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.config import Settings
from assistant.errors import AssistantError

if TYPE_CHECKING:
    from llama_index.core.llms import LLM, ChatMessage

KINDS = ("none", "ollama", "openai", "llama-cpp")
DEFAULT_URLS = {"ollama": "http://localhost:11434", "openai": "https://api.openai.com/v1"}


def llm_kind(settings: Settings) -> str:
    """``Settings.llm`` normalised: one of KINDS."""
    kind = settings.llm.strip().lower()
    if kind not in KINDS:
        raise AssistantError(f"ASSISTANT_LLM={settings.llm!r} is not one of {', '.join(KINDS)}")
    return kind


def make_llm(settings: Settings) -> LLM | None:
    """The configured LLM, or None for the extractive mode. Bad settings fail here, at start."""
    kind = llm_kind(settings)
    if kind == "none":
        return None
    if not settings.llm_model:
        raise AssistantError(f"ASSISTANT_LLM={kind} needs ASSISTANT_LLM_MODEL (a model name or GGUF path)")
    base_url = settings.llm_base_url or DEFAULT_URLS.get(kind, "")
    if kind == "ollama":
        from llama_index.llms.ollama import Ollama

        return Ollama(
            model=settings.llm_model,
            base_url=base_url,
            request_timeout=settings.llm_timeout,
            temperature=settings.llm_temperature,
            context_window=settings.llm_context_window,
            additional_kwargs={"num_predict": settings.llm_max_tokens},
        )
    if kind == "openai":
        from llama_index.llms.openai_like import OpenAILike

        return OpenAILike(
            model=settings.llm_model,
            api_base=base_url,
            # Local servers (vLLM, llama.cpp, LM Studio) accept any key; the client insists on one.
            api_key=settings.llm_api_key or "unused",
            is_chat_model=True,
            context_window=settings.llm_context_window,
            max_tokens=settings.llm_max_tokens,
            temperature=settings.llm_temperature,
            timeout=settings.llm_timeout,
            max_retries=0,  # a retry would only push the fallback past the user's patience
        )
    return _llama_cpp(settings)


def _llama_cpp(settings: Settings) -> LLM:
    path = Path(settings.llm_model).expanduser()
    if not path.is_file():
        raise AssistantError(f"ASSISTANT_LLM_MODEL={settings.llm_model!r}: no GGUF file there")
    from llama_index.llms.llama_cpp import LlamaCPP

    llm = LlamaCPP(
        model_path=str(path),
        temperature=settings.llm_temperature,
        max_new_tokens=settings.llm_max_tokens,
        context_window=settings.llm_context_window,
        model_kwargs={"n_threads": os.cpu_count() or 1},
        verbose=False,
    )
    # LlamaCPP formats chats with a generic template unless told otherwise. The model's own
    # format is either in the GGUF file (a Jinja template) or, for files without one, named by
    # ASSISTANT_LLM_CHAT_FORMAT; llama-cpp-python renders both.
    llm.messages_to_prompt = _chat_formatter(llm._model, settings.llm_chat_format)
    return llm


def _chat_formatter(model, name: str) -> Callable[[Sequence[ChatMessage]], str]:
    """``messages -> prompt`` in the model's chat format (model: a llama_cpp.Llama)."""
    from llama_cpp import llama_chat_format

    template = model.metadata.get("tokenizer.chat_template")
    if name:
        formatter = getattr(llama_chat_format, f"format_{name.replace('-', '_')}", None)
        if formatter is None:
            raise AssistantError(f"ASSISTANT_LLM_CHAT_FORMAT={name!r} is not a llama-cpp-python chat format")
    elif template:
        formatter = llama_chat_format.Jinja2ChatFormatter(
            template=template,
            bos_token=model._model.token_get_text(model.token_bos()),
            eos_token=model._model.token_get_text(model.token_eos()),
        )
    else:
        raise AssistantError(
            f"{model.model_path} carries no chat template: set ASSISTANT_LLM_CHAT_FORMAT (e.g. gemma, chatml)"
        )

    def messages_to_prompt(messages: Sequence[ChatMessage]) -> str:
        return formatter(
            messages=[{"role": m.role.value, "content": m.content or ""} for m in messages]
        ).prompt

    return messages_to_prompt


def chat_deltas(llm: LLM, system: str, user: str) -> Iterator[str]:
    """Text deltas of a streamed chat reply (every llama-index LLM streams the same way)."""
    from llama_index.core.llms import ChatMessage, MessageRole

    messages = [ChatMessage(role=MessageRole.SYSTEM, content=system)] if system else []
    messages.append(ChatMessage(role=MessageRole.USER, content=user))
    for chunk in llm.stream_chat(messages):
        yield chunk.delta or ""
