"""A story's timeline: its reports in order of publication, each shown by its most informative
sentence, so a reader sees how the story developed without reading every report.

- Order: by publication date, then headline and id (``Article.order_key``, the order of
  ``Assistant.story``). Reports carry dates, not times, so two of one day keep a fixed order.
- The first report is shown by its lede: its first sentence of at least ``MIN_WORDS`` words.
  The shorter lines a text opens with are most often its headline, dateline, byline or a photo
  caption, not the news; a sentence that only repeats the report's headline is passed over too.
- Each later report is shown by the sentence that adds most of what the earlier reports lacked:
  the one with the most terms found in none of the earlier reports' headlines and texts. A term
  is a content word, stemmed and without function words (as stories/words.py reads headlines:
  "killed" and "killing" are one term), or a figure. Figures and names count ``WEIGHT`` times,
  since what an update brings is mostly a new figure ("111" after "107") or a new person, place
  or body, where new common words are often rewording. On a tie the earlier sentence wins:
  reports put what is new first. A report that adds nothing is shown by its lede.

Sentences are the spans ingest splits text into (ingest/sentences.py), so every quote is a
verbatim slice of the stored article at its offsets, as a citation is. Pure logic over
``Article`` objects: the store reads and the question lookup are the facade's (api.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from assistant.ingest.sentences import sentence_spans
from assistant.schema import Article, Citation, Span, Timeline, TimelineEntry
from assistant.stories.words import FIGURE, TOKEN, names, term

MIN_WORDS = 8
WEIGHT = 2

_WORD = re.compile(r"\w+(?:['’.-]\w+)*")


def timeline(
    story: str,
    articles: Iterable[Article],
    question: str | None = None,
    matched: Citation | None = None,
) -> Timeline:
    """The timeline of ``story`` from its ``articles`` (in any order)."""
    seen: set[str] = set()
    entries = []
    for article in sorted(articles, key=Article.order_key):
        entries.append(_entry(article, seen))
        seen |= terms(article.title or "") | terms(article.text)
    return Timeline(story=story, entries=entries, question=question, matched=matched)


def _entry(article: Article, seen: set[str]) -> TimelineEntry:
    """``article`` shown by its lede when ``seen`` (the terms of the reports before it) is empty
    or it adds nothing to it, else by the sentence that adds most."""
    candidates = _candidates(article)
    chosen, kind, new = (candidates[0] if candidates else Span(0, 0)), "lede", []
    if seen:
        best = 0
        for span in candidates:
            gain, words = adds(article.text[span.start : span.end], seen)
            if gain > best:  # strictly: the earlier sentence keeps a tie
                best, chosen, kind, new = gain, span, "adds", words
    return TimelineEntry(
        article_id=article.article_id,
        title=article.title,
        source=article.source,
        published=article.published,
        url=article.url,
        quote=article.text[chosen.start : chosen.end],
        start=chosen.start,
        end=chosen.end,
        kind=kind,
        new=new,
    )


def _candidates(article: Article) -> list[Span]:
    """The sentences that can show a report, in text order: those of ``MIN_WORDS`` words or more
    that do not repeat the headline; every sentence when none is that long."""
    spans = sentence_spans(article.text)
    headline = _WORD.findall((article.title or "").lower())
    full = [
        s
        for s in spans
        if len(words := _WORD.findall(article.text[s.start : s.end].lower())) >= MIN_WORDS
        and words != headline
    ]
    return full or spans


def adds(sentence: str, seen: set[str]) -> tuple[int, list[str]]:
    """What ``sentence`` adds to the terms ``seen``: its weighted count of new terms (figures and
    names ``WEIGHT`` each, other content words 1) and those terms as the sentence writes them,
    each once, in order."""
    named = names(sentence)
    gain, words, counted = 0, [], set()
    for token in TOKEN.findall(sentence):
        found = term(token)
        if found is None or found in seen or found in counted:
            continue
        counted.add(found)
        words.append(token)
        gain += WEIGHT if found in named or FIGURE.fullmatch(token) else 1
    return gain, words


def terms(text: str) -> set[str]:
    """The terms of ``text``: its content words' stems and its figures."""
    return {t for t in map(term, TOKEN.findall(text)) if t is not None}
