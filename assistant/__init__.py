"""A question-answering assistant over news articles, with verified quoted citations."""

from assistant.api import Assistant
from assistant.errors import AssistantError, InputError, NotFoundError, StoreError, StoreVersionError
from assistant.schema import Answer, Article, Citation, Filters, IngestReport, Timeline, TimelineEntry

__all__ = [
    "Answer",
    "Article",
    "Assistant",
    "AssistantError",
    "Citation",
    "Filters",
    "IngestReport",
    "InputError",
    "NotFoundError",
    "StoreError",
    "StoreVersionError",
    "Timeline",
    "TimelineEntry",
]
