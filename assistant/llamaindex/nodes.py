"""Our citations as llama-index nodes and our answers as llama-index Responses.

A node is one verified passage: its text is the quote (a retrieved chunk, or an answer's sentence)
exactly as it stands at ``[start, end)`` in the stored article's text. Its id names that span
(``<article_id>:<start>-<end>``), so the same passage has the same id whichever engine found it,
and its metadata carries where it stands and where it comes from.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.base.response.schema import Response
from llama_index.core.schema import NodeRelationship, NodeWithScore, RelatedNodeInfo, TextNode

from assistant.schema import Answer, Citation

METADATA = ("article_id", "title", "source", "published", "url", "start", "end")
# What an LLM reading a node is shown besides its text (llama-index's synthesizers and agents):
# where it comes from, not the offsets.
_HIDDEN_FROM_LLM = ["article_id", "start", "end"]


def node_id(citation: Citation) -> str:
    """The id of the passage ``citation`` quotes: ``<article_id>:<start>-<end>``."""
    return f"{citation.article_id}:{citation.start}-{citation.end}"


def citation_node(citation: Citation) -> NodeWithScore:
    """``citation`` as a scored node: its quote, and METADATA (the article's relationship is its
    SOURCE, so ``ref_doc_id`` is the article id)."""
    metadata: dict[str, Any] = {key: getattr(citation, key) for key in METADATA}
    node = TextNode(
        id_=node_id(citation),
        text=citation.quote,
        metadata=metadata,
        start_char_idx=citation.start,
        end_char_idx=citation.end,
        excluded_llm_metadata_keys=list(_HIDDEN_FROM_LLM),
        excluded_embed_metadata_keys=list(METADATA),
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=citation.article_id)},
    )
    return NodeWithScore(node=node, score=citation.score)


def answer_metadata(answer: Answer) -> dict[str, Any]:
    """What a Response carries besides its text and citations."""
    return {
        "abstained": answer.abstained,
        "confidence": answer.confidence,
        "mode": answer.mode,
        "question": answer.question,  # the standalone question answered
        "notice": answer.notice,
        "unverified": list(answer.unverified),
    }


def answer_response(answer: Answer) -> Response:
    """``answer`` as a llama-index Response: its text (with the [n] markers), its citations as
    ``source_nodes`` in marker order (node [n] is citation [n]), and ``answer_metadata``."""
    return Response(
        response=answer.text,
        source_nodes=[citation_node(c) for c in answer.citations],
        metadata=answer_metadata(answer),
    )
