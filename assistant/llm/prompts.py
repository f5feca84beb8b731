"""Prompt templates, read from files once so they can be edited or overridden without code."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assistant.errors import AssistantError

# The answer prompt asks for this exact phrase when the passages do not hold the answer.
NOT_FOUND_PHRASE = "NOT IN THE ARTICLES"
_FIELDS = {"system": (), "answer": ("passages", "question"), "condense": ("history", "question")}


@dataclass(frozen=True)
class Prompts:
    system: str
    answer: str
    condense: str

    @classmethod
    def load(cls, folder: Path) -> Prompts:
        """Read ``system.txt``, ``answer.txt`` and ``condense.txt``; a missing file or a template
        without its placeholders fails at start, not at the first question."""
        texts: dict[str, str] = {}
        for name, needed in _FIELDS.items():
            path = Path(folder) / f"{name}.txt"
            try:
                text = path.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise AssistantError(f"prompt template {path} can't be read: {exc.strerror}") from exc
            missing = ", ".join("{" + f + "}" for f in needed if "{" + f + "}" not in text)
            if missing:
                raise AssistantError(f"prompt template {path} lacks {missing}")
            texts[name] = text
        return cls(**texts)
