"""How the store names chunks and sentences: ``<article id>:c<i>`` and ``<article id>:s<i>``.

The index is the chunk's (or sentence's) position in its article, so an id says which article
it belongs to and where, and an article ingested again gets the same ids. Kept apart from the
store: ranking, answering and verification name sentences by these ids without loading Chroma.
"""

from __future__ import annotations


def chunk_id(article_id: str, index: int) -> str:
    """The id of the article's chunk number ``index``."""
    return f"{article_id}:c{index}"


def sentence_id(article_id: str, index: int) -> str:
    """The id of the article's sentence number ``index``."""
    return f"{article_id}:s{index}"


def sentence_index(sentence_id: str) -> int:
    """A sentence's position in its article, from its id."""
    return int(sentence_id.rsplit(":s", 1)[1])


def sentence_article(sentence_id: str) -> str:
    """The id of the article a sentence belongs to, from its id."""
    return sentence_id.rsplit(":s", 1)[0]
