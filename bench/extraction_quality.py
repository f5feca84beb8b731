"""How well news pages are extracted: ROUGE-L F1 per page against hand-marked bodies.

Usage: python bench/extraction_quality.py [--held-out] [--worst N] [--fundus-python PATH] [--json]

The gold set is tests/data/extraction/NAME.html with NAME.txt, the article body a reader would
quote (no headline, byline, timestamps, captions of inline photos or publisher furniture; a
gallery's captions and a live blog's entries are its body). tests/data/extraction/held_out/ holds
pages written after the furniture rules, to check that they generalise: --held-out scores those.

Every method's text goes through clean() (ingest/clean.py), as stored text does, and is scored
against the gold body by ROUGE-L F1 on lower-cased word tokens. Methods:
- current: what the product stores (formats.parse_html, then clean);
- trafilatura modes: default, favor_precision, favor_recall, and precision with a fallback to the
  default mode when precision keeps under half of what the default keeps;
- fundus: Fundus (PyPI fundus 0.5.7) for pages of a publisher it has a parser for (by the page's
  canonical URL), trafilatura's default for the rest. Fundus needs lxml<6 and trafilatura 2.3.1
  needs lxml>=6.1.3, so it runs in another interpreter: --fundus-python names one with fundus.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import lxml.html
import trafilatura

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.ingest.clean import clean  # noqa: E402
from assistant.ingest.formats import RawDoc, parse_html, prepared  # noqa: E402

GOLD = ROOT / "tests" / "data" / "extraction"
_WORD = re.compile(r"\w+")


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens: punctuation and layout (line breaks, bullets) don't count."""
    return _WORD.findall(text.lower())


def lcs_length(a: list[str], b: list[str]) -> int:
    """Length of the longest common subsequence of two token lists, bit-parallel (Allison-Dix):
    one big-integer step per token of ``b``, so a 5,000-word live blog scores in milliseconds."""
    masks: dict[str, int] = {}
    for i, token in enumerate(a):
        masks[token] = masks.get(token, 0) | (1 << i)
    full = (1 << len(a)) - 1
    row = full
    for token in b:
        match = row & masks.get(token, 0)
        row = ((row + match) | (row - match)) & full
    return len(a) - row.bit_count()


def rouge_l_f1(candidate: str, reference: str) -> float:
    """ROUGE-L F1 of ``candidate`` against ``reference`` on word tokens (1.0 for two empty texts)."""
    cand, ref = tokens(candidate), tokens(reference)
    if not cand or not ref:
        return float(cand == ref)
    lcs = lcs_length(ref, cand)
    if not lcs:
        return 0.0
    precision, recall = lcs / len(cand), lcs / len(ref)
    return 2 * precision * recall / (precision + recall)


def load(folder: Path) -> dict[str, tuple[str, str]]:
    """Page name -> (HTML, gold body) for every NAME.html with a NAME.txt in ``folder``."""
    return {
        page.stem: (page.read_text(encoding="utf-8"), page.with_suffix(".txt").read_text(encoding="utf-8"))
        for page in sorted(folder.glob("*.html"))
        if page.with_suffix(".txt").is_file()
    }


def _trafilatura(html: str, tidy: bool = False, **mode: bool) -> RawDoc:
    """The page as trafilatura in one mode gives it, from the page as is or (``tidy``) as
    formats.prepared leaves it: text, with the headline and byline that clean() uses, read from
    the untouched page as the product reads them."""
    page = lxml.html.fromstring(html)
    meta = trafilatura.extract_metadata(copy.deepcopy(page))
    doc = trafilatura.bare_extraction(
        prepared(page) if tidy else page, include_comments=False, include_tables=False, **mode
    )
    text = (doc.text or "") if doc else ""
    return RawDoc(text=text, origin="bench", title=meta.title, author=meta.author)


def _precision_with_fallback(html: str, tidy: bool = False) -> RawDoc:
    precise, default = _trafilatura(html, tidy, favor_precision=True), _trafilatura(html, tidy)
    return precise if len(precise.text) >= len(default.text) / 2 else default


def _current(html: str) -> RawDoc:
    try:
        return parse_html(html, "bench")
    except Exception:  # a page the product can't read scores 0, it doesn't stop the bench
        return RawDoc(text="", origin="bench")


METHODS: dict[str, Callable[[str], RawDoc]] = {
    "current": _current,
    "trafilatura default": _trafilatura,
    "trafilatura favor_precision": lambda html: _trafilatura(html, favor_precision=True),
    "trafilatura favor_recall": lambda html: _trafilatura(html, favor_recall=True),
    "trafilatura precision, fallback default": _precision_with_fallback,
    "tidied page + trafilatura default": lambda html: _trafilatura(html, True),
    "tidied page + trafilatura fast (no fallbacks)": lambda html: _trafilatura(html, True, fast=True),
    "tidied page + trafilatura favor_precision": lambda html: _trafilatura(html, True, favor_precision=True),
    "tidied page + trafilatura favor_recall": lambda html: _trafilatura(html, True, favor_recall=True),
    "tidied page + trafilatura precision, else default": lambda html: _precision_with_fallback(html, True),
}

# Run in the Fundus interpreter: page path -> Fundus body, or None where no parser covers the URL.
_FUNDUS_SCRIPT = r"""
import json, sys
from urllib.parse import urlparse
import lxml.html
from fundus import PublisherCollection

by_host = {}
for publisher in PublisherCollection:
    for domain in [publisher.domain, *publisher.deprecated_domains]:
        by_host[urlparse(domain).netloc.removeprefix("www.")] = publisher
out = {}
for path in sys.argv[1:]:
    html = open(path, encoding="utf-8").read()
    links = lxml.html.fromstring(html).xpath("//link[@rel='canonical']/@href")
    host = urlparse(links[0]).netloc.removeprefix("www.") if links else ""
    publisher = by_host.get(host)
    body = None
    if publisher is not None:
        parsed = publisher.parser(None).parse(html, error_handling="suppress")
        body = str(parsed.get("body") or "") or None
    out[path] = body
print(json.dumps({"covered": sum(v is not None for v in out.values()), "bodies": out}))
"""


def fundus_method(python: str, folder: Path) -> tuple[Callable[[str], RawDoc], int]:
    """A method that uses Fundus's body where a Fundus parser covers the page, trafilatura's
    default elsewhere; and how many pages Fundus covered."""
    paths = sorted(str(p) for p in folder.glob("*.html"))
    done = subprocess.run([python, "-c", _FUNDUS_SCRIPT, *paths], capture_output=True, text=True, check=True)
    result = json.loads(done.stdout)
    by_html = {Path(p).read_text(encoding="utf-8"): body for p, body in result["bodies"].items()}

    def method(html: str) -> RawDoc:
        body = by_html.get(html)
        return RawDoc(text=body, origin="bench") if body else _trafilatura(html)

    return method, result["covered"]


def score(method: Callable[[str], RawDoc], pages: dict[str, tuple[str, str]]) -> dict[str, float]:
    """Page name -> ROUGE-L F1 of the method's text, cleaned as the product cleans, against gold."""
    scores = {}
    for name, (html, gold) in pages.items():
        raw = method(html)
        stored = clean(raw).text if raw.text.strip() else ""
        scores[name] = rouge_l_f1(stored, gold)
    return scores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--held-out", action="store_true", help="score the held-out pages instead")
    parser.add_argument("--worst", type=int, default=3, help="how many of the worst pages to name")
    parser.add_argument("--fundus-python", help="an interpreter with fundus==0.5.7 installed")
    parser.add_argument("--json", action="store_true", help="print per-page scores as JSON")
    args = parser.parse_args()
    folder = GOLD / "held_out" if args.held_out else GOLD
    pages = load(folder)
    methods = dict(METHODS)
    if args.fundus_python:
        method, covered = fundus_method(args.fundus_python, folder)
        methods[f"fundus ({covered} of {len(pages)} pages covered), else trafilatura"] = method
    results = {name: score(method, pages) for name, method in methods.items()}
    if args.json:
        print(json.dumps(results, indent=1))
        return 0
    print(f"{len(pages)} pages in {folder.relative_to(ROOT)}; ROUGE-L F1 after clean()")
    for name, scores in sorted(results.items(), key=lambda kv: -statistics.mean(kv[1].values())):
        worst = sorted(scores.items(), key=lambda kv: kv[1])[: args.worst]
        print(f"{name:<62} mean {statistics.mean(scores.values()):.3f}  min {min(scores.values()):.3f}")
        print("    worst: " + ", ".join(f"{page} {value:.3f}" for page, value in worst))
    return 0


if __name__ == "__main__":
    sys.exit(main())
