"""Stories in a real store (embedded, and a Chroma server): ingest places each article in its
story, and the stories persist across reopening, survive deletes and keep through updates and
re-ingests. The shipped sample (data/articles) has no two articles of one event (its
Scientology and Hajj reports are years apart), so each of its 25 articles is a story of its own;
the story is invented (tests/conftest.py's towns): three reports of one bridge collapse over
four days, and a report from the same town, the same days, on a bridge budget."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant import Assistant, InputError
from tests.conftest import SAMPLE

_WHO = "Mayor Alma Varga said Hollins Engineering, which built the Dene Bridge in 1987, would"
REPORTS = [
    {
        "title": "Kesbrook bridge collapse kills 12",
        "source": "Example Gazette",
        "published": "2024-03-01",
        "url": "https://example.org/kesbrook-bridge-collapse",
        "text": (
            "KESBROOK - Twelve people were killed on Friday when the Dene Bridge in Kesbrook "
            "collapsed into the river during the evening rush hour, officials said. Rescue crews "
            f"pulled 30 people from the water. {_WHO} be asked for its inspection records. The "
            "cause of the collapse is not yet known, and the river crossing is closed."
        ),
    },
    {
        "title": "Death toll in Kesbrook bridge collapse rises to 15",
        "source": "Northern Courier",
        "published": "2024-03-02",
        "url": "https://courier.example.net/dene-bridge-toll",
        "text": (
            "The death toll from the collapse of the Dene Bridge in Kesbrook rose to 15 on "
            "Saturday as divers recovered three more bodies from the river. "
            f"{_WHO} cooperate with investigators. Families gathered at the riverbank as rescue "
            "crews searched the wreckage of the bridge for a second day."
        ),
    },
    {
        "title": "Inquiry ordered into Kesbrook bridge collapse",
        "source": "Example Gazette",
        "published": "2024-03-04",
        "url": "https://example.org/kesbrook-bridge-inquiry",
        "text": (
            "The regional government on Monday ordered an independent inquiry into the collapse "
            "of the Dene Bridge in Kesbrook, which killed 15 people on Friday. "
            f"{_WHO} hand over its inspection records to the inquiry. Engineers said the bridge "
            "had been due for repairs to its supports."
        ),
    },
]
UNRELATED = {
    "title": "Kesbrook council approves budget for new cycle bridge",
    "source": "Example Gazette",
    "published": "2024-03-02",
    "url": "https://example.org/kesbrook-cycle-bridge-budget",
    "text": (
        "The Kesbrook town council on Saturday approved a budget of 2 million for a new cycle "
        "bridge over the canal near the railway station, to open in 2026. Councillors said the "
        "crossing would link the market square with the new housing estate, and local cycling "
        "groups welcomed the vote."
    ),
}


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _by_url(assistant: Assistant) -> dict[str, str | None]:
    return {a.url: a.story for a in assistant.articles() if a.url}


@pytest.mark.both_backends
def test_stories_are_placed_at_ingest_and_persist_across_reopening(make_assistant, tmp_path):
    assistant = make_assistant()
    report = assistant.ingest([SAMPLE, _write(tmp_path / "news.jsonl", [*REPORTS, UNRELATED])])
    assert len(report.added) == 29 and not report.failed, report
    articles = assistant.articles()
    stories = {a.story for a in articles}
    assert len(stories) == 27  # the sample's 25, the bridge collapse, the budget
    story = _by_url(assistant)
    first = story[REPORTS[0]["url"]]
    assert [story[r["url"]] for r in REPORTS] == [first] * 3
    assert story[UNRELATED["url"]] != first
    founder = next(a for a in articles if a.url == REPORTS[0]["url"])
    assert first == founder.article_id  # a story is named by its first article
    assert [a.url for a in assistant.story(first)] == [r["url"] for r in REPORTS]  # oldest first
    assert assistant.article(founder.article_id).story == first

    reopened = Assistant(settings=assistant.settings, read_only=True)
    assert _by_url(reopened) == story


@pytest.mark.both_backends
def test_stories_survive_delete_update_and_reingest(make_assistant, tmp_path):
    assistant = make_assistant()
    news = _write(tmp_path / "news.jsonl", [*REPORTS, UNRELATED])
    assistant.ingest([news])
    story = _by_url(assistant)[REPORTS[0]["url"]]

    again = assistant.ingest([news])  # the same texts: nothing changes
    assert not again.added and not again.updated
    assert _by_url(assistant)[REPORTS[1]["url"]] == story

    # An update (a new text under the second report's URL) keeps its story.
    update = {**REPORTS[1], "text": REPORTS[1]["text"] + " The bridge had last been inspected in 2019."}
    report = assistant.ingest([_write(tmp_path / "update.jsonl", [update])])
    assert len(report.updated) == 1
    assert _by_url(assistant)[REPORTS[1]["url"]] == story

    # Deleting the story's first article leaves the others in the story under its id.
    founder = next(a for a in assistant.articles() if a.url == REPORTS[0]["url"])
    assistant.delete(founder.article_id)
    left = assistant.story(story)
    assert [a.url for a in left] == [REPORTS[1]["url"], REPORTS[2]["url"]]
    assert not assistant.check().problems()

    # A later report joins the story through the articles that remain.
    later = {
        **REPORTS[2],
        "title": "Kesbrook bridge collapse: inquiry hears of missed repairs",
        "published": "2024-03-05",
        "url": "https://courier.example.net/dene-bridge-inquiry-repairs",
        "text": REPORTS[2]["text"].replace("on Monday ordered", "on Tuesday heard evidence in"),
    }
    assistant.ingest([_write(tmp_path / "later.jsonl", [later])])
    assert _by_url(assistant)[later["url"]] == story
    for article in assistant.story(story):
        assistant.delete(article.article_id)
    with pytest.raises(InputError):
        assistant.story(story)
    assert not assistant.check().problems()


def test_clustering_off_leaves_each_article_its_own_story(make_assistant, tmp_path):
    from assistant.config import Settings

    assistant = make_assistant(Settings.from_env(env={}, story_days=0))
    assistant.ingest([_write(tmp_path / "news.jsonl", REPORTS)])
    assert all(a.story == a.article_id for a in assistant.articles())
