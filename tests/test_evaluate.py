"""QA files: our JSONL format and SQuAD v2 as teams already hold it."""

from __future__ import annotations

import json
from datetime import date

from assistant.evaluate import (
    Case,
    evaluate,
    holds_answer,
    load_cases,
    removed_evidence_cases,
    retrieval_recall,
)
from assistant.schema import Answer, Article, Citation
from tests.conftest import QA_FILE


def test_seed_qa_file_loads_with_history_and_abstain_cases():
    cases, articles = load_cases(QA_FILE)
    assert articles == []
    assert any(c.history for c in cases)
    assert sum(c.abstain for c in cases) >= 10 and all(c.answers for c in cases if not c.abstain)


def test_squad_v2_contexts_become_articles_and_impossible_questions_abstain(tmp_path):
    squad = {
        "version": "v2.0",
        "data": [
            {
                "title": "Harbour",
                "paragraphs": [
                    {
                        "context": "The harbour in Oslo reopened in May after two years of work.",
                        "qas": [
                            {
                                "id": "a",
                                "question": "When did the harbour reopen?",
                                "is_impossible": False,
                                "answers": [{"text": "in May", "answer_start": 30}],
                            },
                            {"id": "b", "question": "Who paid for it?", "is_impossible": True, "answers": []},
                        ],
                    }
                ],
            }
        ],
    }
    path = tmp_path / "squad.json"
    path.write_text(json.dumps(squad))
    cases, articles = load_cases(path)
    assert [a["text"] for a in articles] == [squad["data"][0]["paragraphs"][0]["context"]]
    assert articles[0]["title"] == "Harbour"
    by_id = {c.id: c for c in cases}
    assert by_id["a"].answers == ("in May",) and not by_id["a"].abstain
    assert by_id["b"].abstain and by_id["b"].answers == ()


def test_realnews_fields_answers_in_quotes_and_removed_evidence_cases(tmp_path):
    path = tmp_path / "qa.jsonl"
    case = {
        "id": "q1",
        "question": "Which show was green lit for a new season?",
        "question_date": "2022-06-16",
        "answers": ["\u201cSquid Game\u201d"],
        "choices": ["\u201cFriends\u201d", "\u201cSquid Game\u201d"],
        "evidence_urls": ["https://example.com/squid"],
    }
    path.write_text(json.dumps(case) + "\n")
    (loaded,), _ = load_cases(path)
    assert loaded.as_of == date(2022, 6, 16) and loaded.evidence_urls == ("https://example.com/squid",)
    assert len(loaded.choices) == 2
    # The quiz's quotes around an answer are not part of it; curly and straight quotes are one.
    assert holds_answer('Netflix renewed "Squid Game" for a second season.', loaded.answers)
    assert holds_answer("Squid Game returns.", loaded.answers)
    assert not holds_answer("Game of Thrones returns.", loaded.answers)
    # Nor is a leading "the": the quiz's "The Tony Awards" is what "Tony Awards" names.
    assert holds_answer("Broadway's best won Tony Awards on Sunday.", ["The Tony Awards"])
    assert not holds_answer("Broadway's best won on Sunday.", ["The Tony Awards"])
    remaining = ["Netflix renewed Stranger Things.", "The squid game craze goes on."]
    assert removed_evidence_cases([loaded], remaining) == []  # still answered by an article
    (left,) = removed_evidence_cases([loaded], remaining[:1])
    assert left.abstain and left.id == "q1"


def test_retrieval_recall_counts_an_evidence_article_among_the_top_k():
    cases = [Case("a", "q?", ("x",), evidence_urls=("u1",)), Case("b", "q?", ("y",), evidence_urls=("u2",))]
    ranked = {"a": ["u9", "u1"], "b": ["u3", "u4", "u2"]}
    metrics = retrieval_recall(cases, lambda c, k: ranked[c.id][:k], ks=(1, 2, 3))
    assert metrics == {"recall_questions": 2.0, "recall@1": 0.0, "recall@2": 0.5, "recall@3": 1.0}


def test_evidence_at_1_by_url_and_answer_article_at_1():
    """evidence@1 wants the QA file's own article first; answer_article@1 any article holding the
    answer (another outlet's report of the same news)."""
    texts = {"own": "Squid Game is back.", "digest": "Five things: Squid Game returns.", "other": "No."}
    articles = {
        k: Article(k, None, None, None, f"https://example.com/{k}", None, t) for k, t in texts.items()
    }

    def answer(first: str) -> Answer:
        a = articles[first]
        cite = Citation(a.text, a.article_id, None, None, None, a.url, 0, len(a.text), 1.0)
        return Answer(text="Squid Game returns. [1]", abstained=False, citations=[cite])

    cases = [
        Case(str(i), "Which show?", ("Squid Game",), evidence_urls=("https://example.com/own",))
        for i in range(3)
    ]
    firsts = {"0": "own", "1": "digest", "2": "other"}
    report = evaluate(cases, lambda c: answer(firsts[c.id]), articles.__getitem__)
    assert report.metrics["evidence_hit@1"] == 1 / 3
    assert report.metrics["answer_article@1"] == 2 / 3
