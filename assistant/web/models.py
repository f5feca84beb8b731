"""Request and reply shapes shared by the HTTP API (web/app.py) and the MCP tools (web/mcp.py)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from assistant.schema import Citation, Filters


class FiltersIn(BaseModel):
    source: str | None = Field(None, description="exact source name, e.g. 'Dawn'")
    date_from: date | None = Field(None, description="earliest publication date (inclusive)")
    date_to: date | None = Field(None, description="latest publication date (inclusive)")

    def filters(self) -> Filters:
        """The core's Filters; an empty source means any."""
        return Filters(self.source or None, self.date_from, self.date_to)


class AnswerOut(BaseModel):
    answer: str
    abstained: bool
    citations: list[Citation]  # the core's dataclass: one definition of a citation's fields
    mode: str = Field(description='"extractive" or "llm" (generated, then checked sentence by sentence)')
    notice: str | None = Field(None, description="one line on how the answer was made, e.g. LLM fallback")
    unverified: list[str] = Field(
        default_factory=list, description="generated sentences no article supports, removed from answer"
    )
