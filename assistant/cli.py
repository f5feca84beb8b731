"""The terminal surface:
``assistant ingest|ask|chat|articles|timeline|delete|check|eval|feeds|sync|watch|mcp``.

Errors print one line on stderr and exit non-zero; a traceback only with ASSISTANT_DEBUG=1.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from datetime import date

from assistant.errors import AssistantError, StoreLockedError
from assistant.schema import Answer, Filters, IngestReport, Timeline
from assistant.store.lock import SHARED_STORE

# A watch written while another process (the web app) is the embedded store's writer.
WATCHES_ADVICE = (
    "Change watches through the running app's HTTP API (POST /api/watches, DELETE /api/watches/{id}, "
    f"POST /api/watches/changes/seen), or {SHARED_STORE}"
)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.run(args)
    except (AssistantError, ValueError, OSError) as exc:
        return _fail(exc)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the last line of defence: one line, not a traceback
        return _fail(exc, unexpected=True)


def _fail(exc: Exception, unexpected: bool = False) -> int:
    if os.environ.get("ASSISTANT_DEBUG") == "1":
        raise exc
    prefix = "unexpected error" if unexpected else "error"
    print(f"{prefix}: {str(exc) or type(exc).__name__}", file=sys.stderr)
    return 1


def _assistant(args: argparse.Namespace, read_only: bool = False):
    """Commands that only read open the store read-only, so they work while another process (the
    web app, an ingest) is the embedded store's writer; commands that write wait for that writer."""
    # Imported here, on a command's first need: assistant.api loads Chroma, and Assistant() the
    # encoder's runtime (OpenVINO by default), which --help and a mistyped command never wait for.
    from assistant.api import Assistant

    return Assistant(store_dir=args.store, read_only=read_only)


def _ingest(args: argparse.Namespace) -> int:
    assistant = _assistant(args)
    if args.if_empty and assistant.articles():
        print(f"store already holds {len(assistant.articles())} articles; nothing ingested")
        return 0
    return _report(assistant.ingest(args.paths), args.json)


def _feeds(args: argparse.Namespace) -> int:
    assistant = _assistant(args)
    if args.action == "list":
        feeds = [f.to_dict() for f in assistant.feeds_list()]
        if args.json:
            print(json.dumps(feeds, indent=2, ensure_ascii=False))
        elif not feeds:
            print("no feeds registered")
        for f in [] if args.json else feeds:
            when = f["last_sync"] or "never synced"
            print(f"{f['url']}  {f['articles']} articles  last sync {when}: {f['outcome'] or '-'}")
        return 0
    if not args.url:
        raise ValueError(f"feeds {args.action} needs a URL")
    if args.action == "remove":
        assistant.feeds_remove(args.url)
        print(f"removed {args.url} (its articles stay)")
        return 0
    return _report(assistant.feeds_add(args.url), args.json)


def _sync(args: argparse.Namespace) -> int:
    return _report(_assistant(args).sync(), args.json)


def _watch(args: argparse.Namespace) -> int:
    """``watch add QUESTION [--webhook URL] | list | remove ID | changes [ID] [--unseen] | seen``.

    ``list`` and ``changes`` only read, so they work beside the running app; the others write,
    and while another process is the embedded store's writer they are refused with the app's
    watches API to use instead."""
    if args.action in {"add", "remove"} and not args.target:
        raise ValueError(f"watch {args.action} needs a {'question' if args.action == 'add' else 'watch id'}")
    try:
        assistant = _assistant(args, read_only=args.action in {"list", "changes"})
    except StoreLockedError as exc:
        raise exc.advising(WATCHES_ADVICE) from None
    if args.action == "add":
        watch = assistant.watch_add(args.target, args.webhook)
        shown: object = watch.to_dict()
        lines = [f"watching {watch.watch_id}: {watch.question}", *_latest(watch.answer)]
    elif args.action == "list":
        watches = assistant.watches()
        shown = [w.to_dict() for w in watches]
        lines = [] if watches else ["no watches"]
        for w in watches:
            lines += [f"{w.watch_id}  last asked {w.checked or 'never'}  {w.question}", *_latest(w.answer)]
            lines += [f"  webhook {w.to_dict()['webhook']}"] if w.webhook else []
    elif args.action == "remove":
        assistant.watch_remove(args.target)
        shown, lines = {"removed": args.target}, [f"removed watch {args.target} and its changes"]
    elif args.action == "changes":
        changes = assistant.watch_changes(args.target, unseen=args.unseen)
        shown = [c.to_dict() for c in changes]
        lines = [] if changes else ["no changes"]
        for c in changes:
            new = ", ".join(f"{f.kind} “{f.text}”" if f.text else f.kind for f in c.what)
            lines += [f"{c.at}  {c.watch_id}  {c.question}", f"  new: {new}"]
            lines += [f"  before: {_first_line(c.before)}", f"  after:  {_first_line(c.after)}"]
            lines += [f"  webhook: {c.delivery}"] if c.delivery else []
    else:  # seen
        count = assistant.watch_seen()
        shown, lines = {"marked_seen": count}, [f"marked {count} change(s) seen"]
    print(json.dumps(shown, indent=2, ensure_ascii=False) if args.json else "\n".join(lines))
    return 0


def _latest(answer: dict | None) -> list[str]:
    return [f"  latest answer: {_first_line(answer)}"] if answer else []


def _first_line(answer: dict | None) -> str:
    """An answer (``Answer.to_dict``) in one line: its text, cut at 200 characters."""
    if answer is None:
        return "(none)"
    text = " ".join(answer["answer"].split())
    return text if len(text) <= 200 else text[:199] + "…"


def _report(report: IngestReport, as_json: bool) -> int:
    if as_json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        _print_report(report)
    return 1 if report.failed and not (report.added or report.updated or report.skipped) else 0


def _print_report(report: IngestReport) -> None:
    print(
        f"added {len(report.added)}, updated {len(report.updated)}, "
        f"skipped {len(report.skipped)} (already loaded), failed {len(report.failed)}"
    )
    for origin, reason in report.failed:
        print(f"  failed  {origin}: {reason}")
    for origin, note in report.notes:
        print(f"  note    {origin}: {note}")


def _ask(args: argparse.Namespace) -> int:
    filters = Filters(source=args.source, date_from=args.date_from, date_to=args.date_to)
    assistant = _assistant(args, read_only=True)
    options = {"top_k": args.top_k, "filters": filters, "as_of": args.as_of}
    if args.stream and not args.json:
        _print_stream(assistant.stream(args.question, **options))
        return 0
    answer = assistant.ask(args.question, **options)
    if args.json:
        print(json.dumps(answer.to_dict(), indent=2, ensure_ascii=False))
    else:
        _print_answer(answer)
    return 0


def _chat(args: argparse.Namespace) -> int:
    """A terminal conversation: follow-ups see the earlier questions. Empty line or EOF ends it."""
    assistant = _assistant(args, read_only=True)
    chat = assistant.chat()
    interactive = sys.stdin.isatty()
    if interactive:
        print(
            f"Ask about the {len(assistant.articles())} loaded articles ({assistant.mode} mode). "
            "An empty line ends the chat."
        )
    while True:
        try:
            question = input("> " if interactive else "")
        except EOFError:
            break
        if not question.strip():
            break
        try:
            _print_stream(chat.stream(question))
        except (AssistantError, ValueError) as exc:  # a bad question ends nothing but itself
            print(f"error: {exc}", file=sys.stderr)
        print()
    return 0


def _print_stream(items) -> None:
    """Draft tokens as they come (LLM mode), then the checked answer and its citations."""
    drafted = False
    for item in items:
        if isinstance(item, str):
            if not drafted:
                print("draft: ", end="", file=sys.stderr)
                drafted = True
            print(item, end="", file=sys.stderr, flush=True)
        else:
            if drafted:
                print("\n", file=sys.stderr)
            _print_answer(item)


def _print_answer(answer: Answer) -> None:
    if answer.notice:
        print(f"note: {answer.notice}")
    print(answer.text)
    for claim in answer.unverified:
        print(f"  [unverified, removed] {claim}")
    for n, c in enumerate(answer.citations, start=1):
        where = ", ".join(x for x in (c.title, c.source, c.published) if x) or c.article_id
        print(f"\n[{n}] {where}  (article {c.article_id}, characters {c.start}-{c.end})")
        if c.url:
            print(f"    {c.url}")
        for r in c.coverage.reports if c.coverage else []:
            also = ", ".join(x for x in (r.title, r.source, r.published) if x) or r.article_id
            print(f"    also reported by {also}  (article {r.article_id})")
            if r.quote:
                print(f"      “{' '.join(r.quote.split())}”")


def _articles(args: argparse.Namespace) -> int:
    articles = _assistant(args, read_only=True).articles()
    if args.json:
        print(json.dumps([a.to_dict(with_text=False) for a in articles], indent=2, ensure_ascii=False))
        return 0
    if not articles:
        print("no articles loaded")
    for a in articles:
        title = a.title or (a.text[:60] + "…")
        day = a.published or "----------"
        print(f"{a.article_id}  {day}  {a.source or '-':<16} {a.chunks:>3} chunks  {title}")
    return 0


def _timeline(args: argparse.Namespace) -> int:
    found = _assistant(args, read_only=True).timeline(args.story)
    if args.json:
        print(json.dumps(found.to_dict(), indent=2, ensure_ascii=False))
    else:
        _print_timeline(found)
    return 0


def _print_timeline(found: Timeline) -> None:
    """One block a report: date, source and headline, the sentence it is shown by (what it adds,
    for a later report), then where it stands in the article."""
    if found.matched is not None:
        m = found.matched
        print(f"story {found.story}, found by its article {m.article_id} (relevance {m.score:.2f})")
    else:
        print(f"story {found.story}")
    for e in found.entries:
        print(f"\n{e.published or '----------'}  {e.source or '-'}  {e.title or e.article_id}")
        print(f"  {e.kind}: {e.quote}")
        print(f"  (article {e.article_id}, characters {e.start}-{e.end}){'  ' + e.url if e.url else ''}")


def _delete(args: argparse.Namespace) -> int:
    _assistant(args).delete(args.article_id)
    print(f"deleted {args.article_id}")
    return 0


def _check(args: argparse.Namespace) -> int:
    report = _assistant(args, read_only=not args.repair).check(repair=args.repair)
    problems = report.problems()
    if args.json:
        print(json.dumps({"articles": report.articles, "problems": problems}, indent=2))
    else:
        for line in problems:
            print(f"  problem  {line}")
        print(f"{report.articles} articles; {len(problems) or 'no'} problem(s)")
        if problems and not args.repair:
            print("run `assistant check --repair` to re-embed what is missing and remove orphans")
    return 1 if problems else 0


def _eval(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from assistant.evaluate import load_cases, run

    cases, articles = load_cases(args.qa_file)
    assistant = _assistant(args, read_only=not args.corpus)
    if args.corpus:
        assistant.ingest([args.corpus])
    if articles:
        assistant.ingest_records(articles)
    bar = tqdm(desc="evaluating", unit="q", disable=not sys.stderr.isatty())
    results = run(
        assistant,
        cases,
        recall=args.recall,
        removed_evidence=args.removed_evidence,
        progress=lambda done, total: bar.update(1),
    )
    bar.close()
    if args.json:
        out = {name: {"metrics": r.metrics, "failures": r.failures} for name, r in results.items()}
        print(json.dumps(out if len(out) > 1 else out["answers"], indent=2))
    else:
        print("\n\n".join(f"== {name}\n{r.table()}" for name, r in results.items()))
    return 0


def _mcp(args: argparse.Namespace) -> int:
    """The MCP tools only read: read-only, so a client can start it on the store the web app serves."""
    from assistant.web.mcp import run_stdio

    run_stdio(_assistant(args, read_only=True))
    return 0


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2015-11-18") from exc


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assistant", description="Ask questions about news articles.")
    parser.add_argument("--store", help="store directory (default: ASSISTANT_STORE_DIR or ./index_store)")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    p = sub.add_parser(
        "ingest", help="add article files or folders (.txt .md .html .jsonl), pages or feeds (URLs)"
    )
    p.add_argument("paths", nargs="+")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--if-empty", action="store_true", help="only ingest when the store holds no articles")
    p.set_defaults(run=_ingest)

    p = sub.add_parser("ask", help="ask a question")
    p.add_argument("question")
    p.add_argument("--json", action="store_true")
    p.add_argument("--top-k", type=int, default=None, help="passages to retrieve")
    p.add_argument("--source", help="only articles from this source")
    p.add_argument("--from", dest="date_from", type=_day, help="only articles published on or after")
    p.add_argument("--to", dest="date_to", type=_day, help="only articles published on or before")
    p.add_argument("--stream", action="store_true", help="show the LLM's draft as it is written")
    p.add_argument(
        "--as-of", type=_day, help="the day it is asked (default today); later articles are not used"
    )
    p.set_defaults(run=_ask)

    p = sub.add_parser("chat", help="a conversation in the terminal (follow-up questions work)")
    p.set_defaults(run=_chat)

    p = sub.add_parser("articles", help="list loaded articles")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_articles)

    p = sub.add_parser(
        "timeline", help="how a story developed: its articles oldest first, each with what it adds"
    )
    p.add_argument("story", help="a story id, an article id (its story) or a question about the story")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_timeline)

    p = sub.add_parser("delete", help="remove an article and its chunks")
    p.add_argument("article_id")
    p.set_defaults(run=_delete)

    p = sub.add_parser("check", help="check the store's integrity (exit 1 when problems remain)")
    p.add_argument("--repair", action="store_true", help="re-embed what is missing, remove orphans")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_check)

    p = sub.add_parser("feeds", help="RSS/Atom feeds kept in sync: add URL | list | remove URL")
    p.add_argument("action", choices=["add", "list", "remove"])
    p.add_argument("url", nargs="?")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_feeds)

    p = sub.add_parser("sync", help="sync every registered feed once")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_sync)

    p = sub.add_parser(
        "watch",
        help="questions asked again after every ingest and sync, their answers' changes recorded: "
        "add QUESTION [--webhook URL] | list | remove ID | changes [ID] [--unseen] | seen",
    )
    p.add_argument("action", choices=["add", "list", "remove", "changes", "seen"])
    p.add_argument("target", nargs="?", help="the question (add) or a watch id (remove, changes)")
    p.add_argument("--webhook", help="add: POST each change there as JSON (http/https)")
    p.add_argument("--unseen", action="store_true", help="changes: only those not yet marked seen")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_watch)

    p = sub.add_parser("eval", help="measure answer quality on a QA file (JSON/JSONL or SQuAD v2)")
    p.add_argument("qa_file")
    p.add_argument("--corpus", help="ingest this path first")
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--recall", action="store_true", help="also: is an evidence article retrieved at all (k = 8, 16, 32)"
    )
    p.add_argument(
        "--removed-evidence",
        action="store_true",
        help="also: delete the evidence articles (in a copy of the store) and count abstentions",
    )
    p.set_defaults(run=_eval)

    p = sub.add_parser("mcp", help="serve the MCP tools over stdin/stdout (for an MCP client to start)")
    p.set_defaults(run=_mcp)
    return parser


if __name__ == "__main__":
    sys.exit(main())
