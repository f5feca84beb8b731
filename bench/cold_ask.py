"""Cold ``assistant ask``: the wall time of fresh CLI processes, and where one of them spends it.

Usage: python bench/cold_ask.py [--runs N] [--store DIR] [--compare ROOT] [--question TEXT]

Builds a store from the sample in data/articles (once, under bench/out/cold-store) and runs
``assistant ask`` in N fresh processes through the console script's own entry point
(``assistant.cli:main``), printing the median and minimum wall time. Then one more process under
``python -X importtime`` (import time by top-level package) and one that times each stage of the
start: imports, settings, encoder (with OpenVINO's compile), store open, keyword index open, the
rest of ``Assistant()``, and the answer. "Cold" is a new process each time; the OS file cache
stays warm (a first run after boot also reads the files from disk).

``--compare ROOT`` runs another checkout of the project (e.g. ``/work/main``) the same way, its
runs alternating with this one's so both see the same machine load, and checks that both print
the same answer. The load average is printed with the figures: on a busy machine they grow.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUESTION = "How many people were killed in the Mecca crane collapse?"
# The ``assistant`` console script (pyproject.toml: assistant = "assistant.cli:main"), run from
# the checkout on PYTHONPATH: every run is ``python -P``, which (as a console script) does not put
# the current directory first on sys.path, so a run of another checkout doesn't import this one.
ENTRY = "import sys; from assistant.cli import main; sys.exit(main())"

# Run in a fresh process: the real Assistant() and ask(), with the steps of the start wrapped in
# timers where assistant.api calls them (the names exist in every version this bench compares;
# OpenVINO's load in assistant/embed/openvino_backend.py, before that in assistant/embed_onnx.py).
STAGES = """
import json, sys, time
marks, started = {}, time.perf_counter()
import assistant.cli
import assistant.api as api
marks["imports"] = time.perf_counter() - started

def timed(name, fn):
    def wrapper(*args, **kwargs):
        at = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            marks[name] = marks.get(name, 0.0) + time.perf_counter() - at
    return wrapper

at = time.perf_counter()
settings = api.Settings.from_env()
marks["settings"] = time.perf_counter() - at
api.load_embedder = timed("encoder load", api.load_embedder)
api.CorpusStore = timed("store open", api.CorpusStore)
api.KeywordIndex = timed("keyword index open", api.KeywordIndex)
if settings.embed_backend == "openvino":
    try:
        import assistant.embed.openvino_backend as openvino_backend
    except ImportError:  # a checkout from before assistant/embed/ (its embed_onnx.py)
        import assistant.embed_onnx as openvino_backend
    openvino_backend.openvino_forward = timed("  of which OpenVINO load", openvino_backend.openvino_forward)
at = time.perf_counter()
assistant = api.Assistant(settings=settings, read_only=True)
inside = ("encoder load", "store open", "keyword index open")
marks["rest of Assistant()"] = time.perf_counter() - at - sum(marks[k] for k in inside)
at = time.perf_counter()
assistant.ask(sys.argv[1])
marks["answer"] = time.perf_counter() - at
json.dump(marks, sys.stdout)
"""


STAGE_ORDER = ("imports", "settings", "encoder load", "  of which OpenVINO load", "store open")
STAGE_ORDER += ("keyword index open", "rest of Assistant()", "answer")


def environment(root: Path, store: Path) -> dict[str, str]:
    """The environment a run of ``root`` gets: its checkout first on the path, the bench store."""
    return {**os.environ, "PYTHONPATH": str(root), "ASSISTANT_STORE_DIR": str(store)}


def ensure_store(store: Path) -> None:
    if (store / "chroma.sqlite3").exists():
        return
    print(f"building {store} from data/articles ...", flush=True)
    subprocess.run(
        [sys.executable, "-P", "-c", ENTRY, "ingest", str(ROOT / "data" / "articles")],
        env=environment(ROOT, store),
        check=True,
        stdout=subprocess.DEVNULL,
    )


def cold_ask(root: Path, store: Path, question: str) -> tuple[float, str]:
    """Wall seconds of one fresh ``assistant ask`` process, and what it printed."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-P", "-c", ENTRY, "ask", question],
        env=environment(root, store),
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - started, done.stdout


def import_times(root: Path, store: Path, question: str) -> tuple[Counter[str], float]:
    """Seconds of import time per top-level package (each module's own time, summed) in one run,
    and the time of all imports (the sum of the outermost ones' cumulative times)."""
    done = subprocess.run(
        [sys.executable, "-P", "-X", "importtime", "-c", ENTRY, "ask", question],
        env=environment(root, store),
        capture_output=True,
        text=True,
        check=True,
    )
    spent: Counter[str] = Counter()
    total = 0.0
    for line in done.stderr.splitlines():
        # "import time: <self us> | <cumulative us> | <indent><module>" (the header says "self [us]")
        if line.startswith("import time:") and "[us]" not in line:
            own, cumulative, name = line[len("import time:") :].split("|")
            # A module imported while another thread was importing gets a negative self time.
            spent[name.strip().split(".")[0]] += max(0, int(own)) / 1e6
            total += int(cumulative) / 1e6 if name[1:2] != " " else 0.0
    return spent, total


def stages(root: Path, store: Path, question: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-P", "-c", STAGES, question],
        env=environment(root, store),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per checkout")
    parser.add_argument("--store", type=Path, default=ROOT / "bench" / "out" / "cold-store")
    parser.add_argument("--compare", type=Path, help="another checkout to run alternately")
    parser.add_argument("--question", default=QUESTION)
    args = parser.parse_args()
    roots = [ROOT, args.compare.resolve()] if args.compare else [ROOT]
    ensure_store(args.store)
    load_before = os.getloadavg()[0]
    answers: dict[Path, set[str]] = {root: set() for root in roots}
    times: dict[Path, list[float]] = {root: [] for root in roots}
    for root in roots:  # a first, untimed run each: compiled bytecode and the OS file cache
        cold_ask(root, args.store, args.question)
    for _ in range(args.runs):
        for root in roots:
            wall, printed = cold_ask(root, args.store, args.question)
            times[root].append(wall)
            answers[root].add(printed)
    load_after = os.getloadavg()[0]

    print(f"\ncold `assistant ask` x {args.runs} per checkout, runs alternating")
    print(f"load average {load_before:.1f} before, {load_after:.1f} after ({os.cpu_count()} CPUs)")
    print(f"{'checkout':<40} {'median':>8} {'min':>8} {'max':>8}")
    for root in roots:
        t = times[root]
        print(f"{str(root):<40} {statistics.median(t):>7.2f}s {min(t):>7.2f}s {max(t):>7.2f}s")
    printed = set().union(*answers.values())
    print(f"answers: {'the same in every run' if len(printed) == 1 else f'{len(printed)} different'}")

    breakdown = {root: stages(root, args.store, args.question) for root in roots}
    names = list(dict.fromkeys([*STAGE_ORDER, *(k for root in roots for k in breakdown[root])]))
    print(f"\nstages of one cold start (s){''.join(f'{r.name:>12}' for r in roots)}")
    for name in names:
        print(f"  {name:<30}{''.join(_cell(breakdown[r].get(name)) for r in roots)}")
    totals = {r: sum(v for k, v in breakdown[r].items() if not k.startswith(" ")) for r in roots}
    print(f"  {'sum':<30}{''.join(_cell(totals[r]) for r in roots)}")

    imports = {root: import_times(root, args.store, args.question) for root in roots}
    top = list(dict.fromkeys(name for root in roots for name, _ in imports[root][0].most_common(12)))
    print(f"\nimport time by package (s, -X importtime){''.join(f'{r.name:>12}' for r in roots)}")
    for name in top:
        print(f"  {name:<30}{''.join(_cell(imports[r][0].get(name)) for r in roots)}")
    print(f"  {'all imports':<30}{''.join(_cell(imports[r][1]) for r in roots)}")


def _cell(value: float | None) -> str:
    return f"{value:>12.2f}" if value is not None else f"{'-':>12}"


if __name__ == "__main__":
    main()
