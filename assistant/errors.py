"""Errors the surfaces turn into one clear line for the user (never a traceback)."""

import re

_SURROGATE = re.compile("[\ud800-\udfff]")


class AssistantError(Exception):
    """Base class: its message is written for the person using the assistant."""


class StoreError(AssistantError):
    """The store can't be opened or used: locked, gone, corrupted, or a server that is down."""


class StoreLockedError(StoreError):
    """Another process is the embedded store's writer (see store/lock.py). ``held`` names the
    store and its holder; ``advice`` says how to write meanwhile, which depends on what was to be
    written (articles go through the app's upload API, watches through its watches API), so a
    surface that knows gives its own (``advising``)."""

    def __init__(self, held: str, advice: str) -> None:
        super().__init__(f"{held}. {advice}")
        self.held = held
        self.advice = advice

    def advising(self, advice: str) -> "StoreLockedError":
        """The same refusal with ``advice`` instead."""
        return StoreLockedError(self.held, advice)


class StoreVersionError(StoreError):
    """The store was written by another schema version or another embedding model."""


class InputError(AssistantError, ValueError):
    """A question or an option the user gave can't be used as it is."""


class NotFoundError(InputError):
    """An id names no article or story: the HTTP API answers it with a 404, not a 400."""


class LLMError(AssistantError):
    """The language model is unreachable, too slow, or answered with nothing usable."""

    def __init__(self, message: str, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


def check_unicode(text: str, what: str) -> str:
    """``text`` unchanged, or InputError when it holds a lone surrogate (U+D800-U+DFFF).

    JSON's ``"\\ud800"`` escape decodes to one, and nothing downstream can encode it (UTF-8 for the
    article id, the tokenizer, Chroma, SQLite), so it is refused where text comes in, with a clear
    message, instead of failing deep inside as a 500 or a whole failed file."""
    found = _SURROGATE.search(text)
    if found:
        raise InputError(
            f"{what} holds invalid Unicode (a lone surrogate, \\u{ord(found[0]):04x} "
            f"at character {found.start() + 1})"
        )
    return text
