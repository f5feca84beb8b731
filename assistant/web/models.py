"""Request and reply shapes shared by the HTTP API's routers and the MCP tools (web/mcp.py)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from assistant.errors import check_unicode
from assistant.schema import Citation, Filters

# Text a request carries: a lone surrogate ("\ud800" in JSON) is a 400 here, not a failure deep in
# the tokenizer or Chroma (a 500 or 503). InputError is a ValueError, so pydantic reports it.
Text = Annotated[str, AfterValidator(lambda text: check_unicode(text, "the text"))]


class FiltersIn(BaseModel):
    source: Text | None = Field(None, description="exact source name, e.g. 'Dawn'")
    date_from: date | None = Field(None, description="earliest publication date (inclusive)")
    date_to: date | None = Field(None, description="latest publication date (inclusive)")

    def filters(self) -> Filters:
        """The core's Filters; an empty source means any."""
        return Filters(self.source or None, self.date_from, self.date_to)


class AskIn(BaseModel):
    question: Text = Field(..., description="the question", examples=["How many died in the Sinai crash?"])
    history: list[list[Text] | Text] = Field(
        default_factory=list,
        description="earlier turns, oldest first, as [question, answer] pairs (or bare questions)",
    )
    top_k: int | None = Field(None, ge=1, le=100, description="passages to retrieve (1-100)")
    filters: FiltersIn | None = None
    as_of: date | None = Field(
        None,
        description="the day the question is asked (default today): 'this week', 'recently' are read "
        "against it and articles published after it are not used",
    )


class AnswerOut(BaseModel):
    answer: str
    abstained: bool
    confidence: float = Field(
        ge=0.0,
        le=1.0,
        description="calibrated probability that the answer is right; below the fitted threshold "
        "the answer is an abstention, at most with the closest passage cited",
    )
    citations: list[Citation]  # the core's dataclass: one definition of a citation's fields
    mode: str = Field(description='"extractive" or "llm" (generated, then checked sentence by sentence)')
    notice: str | None = Field(None, description="one line on how the answer was made, e.g. LLM fallback")
    unverified: list[str] = Field(
        default_factory=list, description="generated sentences no article supports, removed from answer"
    )


class ErrorOut(BaseModel):
    error: str


ERRORS = {
    400: {"model": ErrorOut, "description": "bad input"},
    401: {"model": ErrorOut, "description": "missing or wrong bearer token"},
}
