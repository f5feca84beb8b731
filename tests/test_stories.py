"""Story clustering's rules (assistant/stories/): the words compared, the matching rule and the
placing of a batch, on hand-made vectors (no model, no store: the fast tier). The store and
ingest side is tests/test_stories_store.py; the rule's figures on real news are
bench/story_quality.py's."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from assistant.store.records import StoryRecord
from assistant.stories.cluster import assign
from assistant.stories.match import RULE, Profile, is_roundup, score
from assistant.stories.words import names, overlap, title_words

DIM = 8


def unit(*weights: float) -> np.ndarray:
    v = np.zeros(DIM, dtype=np.float32)
    v[: len(weights)] = weights
    return v / np.linalg.norm(v)


def close_to(base: np.ndarray, cos: float) -> np.ndarray:
    """A unit vector at exactly ``cos`` to ``base`` (a unit vector along the first axis)."""
    other = np.zeros(DIM, dtype=np.float32)
    other[-1] = 1.0
    v = cos * base + np.sqrt(1 - cos**2) * other
    return (v / np.linalg.norm(v)).astype(np.float32)


BASE = unit(1.0)


def record(
    article_id: str,
    title: str | None,
    published: str | None,
    vector: np.ndarray,
    lede_names: str = "",
    story: str | None = None,
) -> StoryRecord:
    return StoryRecord(article_id, story or article_id, published, title, lede_names, vector)


def profile(*args, **kwargs) -> Profile:
    return Profile.of(record(*args, **kwargs))


# ----- words -------------------------------------------------------------------------------------
def test_title_words_are_stems_without_filler_or_figures():
    assert title_words("At least 107 killed in Mecca crane collapse") == {"kill", "mecca", "crane", "collaps"}
    assert title_words("Death toll rises to 111 as Mecca crane collapses") >= {"mecca", "crane", "collaps"}
    assert title_words("What's next? Here's what to know") == frozenset()
    assert title_words(None) == frozenset()


def test_names_skip_the_word_that_opens_a_sentence_and_days():
    text = "Officials said on Friday. Rescuers from Saudi Civil Defense reached Mecca, the Grand Mosque."
    found = names(text)
    assert {"saudi", "civil", "defens", "mecca", "grand", "mosqu"} <= found
    assert "offici" not in found and "rescuer" not in found and "friday" not in found


def test_overlap_is_the_share_of_the_shorter_set():
    assert overlap(frozenset("abc"), frozenset("abcdef")) == (1.0, 3)
    assert overlap(frozenset("ab"), frozenset()) == (0.0, 0)


@pytest.mark.parametrize(
    "title",
    [
        "5 things to know for June 3: Gun violence, Ukraine, Tulsa shooting",
        "Yellowstone floods, Fed meeting: 5 things to know Wednesday",
        "Merrick Garland, Trump's FBI search, Indiana house explosion. It's Thursday's news.",
        "Ten Things You Need to Know Today: 10 August 2022",
        "LEADING OFF: Sale rejoins Red Sox, Realmuto misses Jays trip",
        "Photos this week: June 23-30, 2022",
        "Biden-Trump debate, Miss USA, inflation, NFL schedule: Daily Briefing",
    ],
)
def test_roundup_headlines(title):
    assert is_roundup(title)


@pytest.mark.parametrize(
    "title", ["Biden to announce $10,000 student loan cancellation", "Photos: Mauna Loa volcano erupts", None]
)
def test_single_story_headlines(title):
    assert not is_roundup(title)


# ----- the rule ----------------------------------------------------------------------------------
def test_close_reports_sharing_headline_words_are_one_story():
    a = profile("a", "Kesbrook bridge collapse kills 12", "2024-03-01", BASE)
    b = profile("b", "Death toll in Kesbrook bridge collapse rises", "2024-03-03", close_to(BASE, 0.8))
    assert score(a, b, 5) == pytest.approx(0.8, abs=1e-5)


def test_the_rule_is_a_value_a_stricter_one_merges_less():
    """The bench's cross-validation places articles again with other thresholds."""
    first = record("a", "Kesbrook bridge collapse kills 12", "2024-03-01", BASE)
    update = record("b", "Death toll in Kesbrook bridge collapse rises", "2024-03-03", close_to(BASE, 0.8))
    stricter = replace(RULE, embed_cos=0.85, title_share=1.0)
    assert score(Profile.of(first), Profile.of(update), 5) is not None
    assert score(Profile.of(first), Profile.of(update), 5, stricter) is None
    assert assign([first, update], [], {}, 5) == {"a": "a", "b": "a"}
    assert assign([first, update], [], {}, 5, stricter) == {"a": "a", "b": "b"}


def test_close_reports_sharing_names_but_no_headline_words_are_one_story():
    who = "kesbrook dene varga hollin"
    a = profile("a", "Twelve die as span falls", "2024-03-01", BASE, who)
    b = profile("b", "Inquiry ordered into disaster", "2024-03-02", close_to(BASE, 0.8), who)
    assert score(a, b, 5) is not None


def test_two_events_of_one_kind_embed_close_but_differ_in_words():
    """Two strikes on one city in a week: close vectors, one shared headline word, other places."""
    a = profile("a", "Rockets hit Kyiv TV tower", "2022-03-01", BASE, "kyiv ukrain russia")
    b = profile("b", "Irpin family killed as strike hits evacuation route", "2022-03-03", close_to(BASE, 0.8))
    assert score(a, b, 5) is None


def test_very_close_vectors_need_only_one_word_in_common():
    a = profile("a", "Teen pilot on track for solo world record", "2022-08-23", BASE)
    title = "Mack Rutherford is youngest to fly solo around globe"
    b = profile("b", title, "2022-08-24", close_to(BASE, 0.88))
    assert score(a, b, 5) is not None
    c = profile("c", "Hospital opens new wing", "2022-08-24", close_to(BASE, 0.88))
    assert score(a, c, 5) is None


def test_the_title_rule_needs_most_words_and_some_closeness():
    a = profile("a", "Louisiana to require schools display Ten Commandments", "2024-06-20", BASE)
    b = profile("b", "Ten Commandments in Louisiana schools is fine", "2024-06-20", close_to(BASE, 0.62))
    assert score(a, b, 5) is not None
    far = profile("c", "Ten Commandments in Louisiana schools is fine", "2024-06-20", close_to(BASE, 0.3))
    assert score(a, far, 5) is None


def test_the_window_and_the_strong_days_beyond_it():
    who = "kesbrook dene varga hollin"
    a = profile("a", "Kesbrook bridge collapse kills 12", "2024-03-01", BASE, who)
    week = profile("b", "Kesbrook bridge collapse inquiry opens", "2024-03-07", close_to(BASE, 0.9), who)
    weak = profile("c", "Kesbrook bridge collapse inquiry opens", "2024-03-07", close_to(BASE, 0.8), who)
    late = profile("d", "Kesbrook bridge collapse inquiry opens", "2024-03-09", close_to(BASE, 0.95), who)
    assert score(a, week, 5) is not None  # 6 days: strong enough
    assert score(a, weak, 5) is None  # 6 days: too weak beyond the window
    assert score(a, late, 5) is None  # 8 days: beyond window and the strong days


def test_undated_articles_and_roundups_match_nothing():
    a = profile("a", "Kesbrook bridge collapse kills 12", "2024-03-01", BASE)
    assert score(a, profile("b", "Kesbrook bridge collapse kills 12", None, BASE), 5) is None
    roundup = profile("c", "Kesbrook bridge collapse, budget: 5 things to know Friday", "2024-03-01", BASE)
    assert score(a, roundup, 5) is None


# ----- placing a batch ---------------------------------------------------------------------------
def _batch() -> list[StoryRecord]:
    who = "kesbrook dene varga"
    return [
        record("r2", "Kesbrook bridge collapse toll rises to 15", "2024-03-02", close_to(BASE, 0.85), who),
        record("r1", "Kesbrook bridge collapse kills 12", "2024-03-01", BASE, who),
        record("r3", "Inquiry into Kesbrook bridge collapse", "2024-03-04", close_to(BASE, 0.8), who),
        record("x", "Lorford council approves road budget", "2024-03-02", unit(0.0, 1.0), "lorford"),
        record("u", "Kesbrook bridge collapse kills 12", None, BASE, who),
    ]


def test_a_batch_is_placed_in_order_of_publication_first_article_names_the_story():
    stories = assign(_batch(), [], {}, 5)
    assert stories["r1"] == stories["r2"] == stories["r3"] == "r1"
    assert stories["x"] == "x" and stories["u"] == "u"


def test_one_batch_or_one_article_at_a_time_gives_the_same_stories():
    batch = _batch()
    together = assign(batch, [], {}, 5)
    known: list[StoryRecord] = []
    apart: dict[str, str] = {}
    for rec in sorted(batch, key=lambda r: (r.published or "9999", r.article_id)):
        apart.update(assign([rec], known, {}, 5))
        known.append(replace(rec, story=apart[rec.article_id]))
    assert apart == together


def test_a_new_article_joins_a_stored_story_and_an_update_keeps_its_own():
    stored = [record("old", "Kesbrook bridge collapse kills 12", "2024-03-01", BASE, "kesbrook", story="s0")]
    new = [
        record("n1", "Kesbrook bridge collapse toll rises", "2024-03-02", close_to(BASE, 0.9), "kesbrook"),
        record("n2", "Kesbrook bridge collapse toll rises", "2024-03-02", close_to(BASE, 0.9), "kesbrook"),
    ]
    stories = assign(new, stored, {"n2": "kept"}, 5)
    assert stories == {"n1": "s0", "n2": "kept"}


def test_the_best_matching_story_wins():
    title = "Kesbrook bridge collapse kills 12"
    stored = [
        record("a", title, "2024-03-01", close_to(BASE, 0.8), "kesbrook", story="sa"),
        record("b", title, "2024-03-01", close_to(BASE, 0.95), "kesbrook", story="sb"),
    ]
    new = [record("n", "Kesbrook bridge collapse toll rises", "2024-03-02", BASE, "kesbrook")]
    assert assign(new, stored, {}, 5) == {"n": "sb"}
