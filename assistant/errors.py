"""Errors the surfaces turn into one clear line for the user (never a traceback)."""


class AssistantError(Exception):
    """Base class: its message is written for the person using the assistant."""


class StoreError(AssistantError):
    """The store can't be opened or used: locked, gone, corrupted, or a server that is down."""


class StoreLockedError(StoreError):
    """Another process is the embedded store's writer (see store/lock.py)."""


class StoreVersionError(StoreError):
    """The store was written by another schema version or another embedding model."""


class InputError(AssistantError, ValueError):
    """A question or an option the user gave can't be used as it is."""


class LLMError(AssistantError):
    """The language model is unreachable, too slow, or answered with nothing usable."""

    def __init__(self, message: str, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out
