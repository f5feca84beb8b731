"""Follow-up questions for the chips under an answer, built from the cited articles, no LLM.

Candidates: the names (people, places, bodies: runs of capitalised words) in the sentences around
each quote and in the quote itself, asked about as "What did <name> say?" when the sentence
reports speech, else "What is known about <name>?". A candidate is shown only when the assistant
answers it (no abstention) with a quote this answer does not already show: each chip leads
somewhere new.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from assistant.schema import Answer, Article
from assistant.web.snippets import sentence_ranges

# Two to four capitalised words (a hyphenated "al-Assad" counts): "Vladimir Putin", "Jean-Yves Le Drian".
_NAME = re.compile(r"\b[A-Z][\w'’-]+(?:\s+(?:al-|de\s+|Le\s+|van\s+)?[A-Z][\w'’-]+){1,3}\b")
# Words that open a name run without being part of the name: titles, sentence openers.
_LEADING = {
    "President", "Prime", "Minister", "Secretary", "State", "Defence", "Defense", "Foreign", "Mr", "Mrs",
    "Ms", "Dr", "Sir", "General", "Chancellor", "King", "Queen", "Pope", "Senator", "Governor",
    "The", "A", "In", "On", "At", "But", "And", "After", "When", "While", "Officials", "Western",
}  # fmt: skip
_MONTHS_DAYS = re.compile(
    r"^(January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
)
# Names of bodies, which take "the": "the European Union".
_BODY = re.compile(
    r"\b(Union|States|Nations|Council|Ministry|Army|Party|Republic|Kingdom|Committee|Office|Court|"
    r"Parliament|Agency|Commission|Bank|Service|Forces?|Department|University|Association|Assembly)\b"
)
_SPEECH = re.compile(r"\b(said|says|told|vowed|warned|announced|added|stated)\b")
# How far around a quote to look for names, in sentences.
_AROUND = 2


def names(sentence: str) -> list[str]:
    """The multi-word proper names of ``sentence``, titles dropped ("President Vladimir Putin" ->
    "Vladimir Putin")."""
    found = []
    for match in _NAME.finditer(sentence):
        words = match.group().split()
        while words and words[0].rstrip("'’s") in _LEADING:
            words = words[1:]
        if len(words) >= 2 and not _MONTHS_DAYS.match(words[0]):
            found.append(" ".join(words))
    return found


def candidates(answer: Answer, articles: Mapping[str, Article]) -> list[str]:
    """Questions about the names near the answer's quotes, nearest first, none the question names."""
    asked = answer.question.lower()
    questions: list[str] = []
    for c in answer.citations:
        article = articles.get(c.article_id)
        if article is None:
            continue
        spans = sentence_ranges(article.text)
        at = next((i for i, (s, e) in enumerate(spans) if s <= c.start < e), None)
        if at is None:
            continue
        order = [at] + [at + d * k for k in range(1, _AROUND + 1) for d in (1, -1)]
        for i in (i for i in order if 0 <= i < len(spans)):
            sentence = article.text[spans[i][0] : spans[i][1]]
            for name in names(sentence):
                if name.lower() in asked or any(w.lower() in asked for w in name.split() if len(w) > 3):
                    continue
                speech = _SPEECH.search(sentence)
                named = f"the {name}" if _BODY.search(name) else name
                questions.append(f"What did {named} say?" if speech else f"What is known about {named}?")
    return list(dict.fromkeys(questions))


def follow_ups(
    answer: Answer,
    articles: Mapping[str, Article],
    ask: Callable[[str], Answer],
    shown: Iterable[str] = (),
    limit: int = 3,
    tries: int = 6,
) -> list[str]:
    """Up to ``limit`` candidates that ``ask`` answers with a quote not among ``shown`` (the quotes
    already in the chat) or this answer's; at most ``tries`` asked."""
    if answer.abstained or not answer.citations:
        return []
    seen = {c.quote for c in answer.citations} | set(shown)
    chosen: list[str] = []
    for question in candidates(answer, articles)[:tries]:
        try:
            reply = ask(question)
        except Exception:  # noqa: BLE001 - a chip is a suggestion: a failed check shows none
            continue
        if reply.abstained or not reply.citations or reply.citations[0].quote in seen:
            continue
        seen.add(reply.citations[0].quote)
        chosen.append(question)
        if len(chosen) == limit:
            break
    return chosen
