"""Import contracts, read from the source with ast (nothing is imported):

- the order docs/architecture.md draws: a module of ``assistant/`` imports only its own layer and
  the layers below it (LAYERS): ``app.py, cli.py, web/ -> api.py -> llamaindex/ -> llm/ -> query/,
  ingest/, reader/ -> store/, embed/ -> config.py, schema.py, errors.py``, with ``evaluate.py``
  beside the facade (it opens a copy of a store through it, lazily, for the removed-evidence cases);
- no import cycle between modules;
- the runtime dependencies (``[project] dependencies``) are what the product (``assistant/`` and
  ``app.py``) imports: each one is imported, and each third-party package imported is declared
  (or named in VIA with the declared one that requires it).

Imports under ``if TYPE_CHECKING:`` are annotations only and are left out; imports inside functions
(the lazy ones) count.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "assistant"

# Top to bottom; a module may import its own layer and any layer below.
LAYERS = [
    {"app", "assistant.cli", "assistant.web", "assistant.__main__"},
    # the facade (and the package's __init__, which re-exports it), and the eval beside it
    {"assistant.api", "assistant", "assistant.evaluate"},
    {"assistant.llamaindex"},  # the facade as llama-index parts, imported by it on first use
    {"assistant.llm"},
    # reader: the answer model query uses; stories: story clustering, a step of ingest
    {"assistant.query", "assistant.ingest", "assistant.reader", "assistant.stories"},
    {"assistant.store", "assistant.embed"},
    {"assistant.config", "assistant.schema", "assistant.errors"},
]

# Declared runtime dependencies that assistant/ does not import by name, and why they are needed.
NOT_IMPORTED = {
    "python-multipart": "FastAPI parses the upload forms (POST /api/articles) with it",
}
# Imported third-party packages not declared themselves, and the declared one that requires them.
VIA = {
    "lxml": "trafilatura",
    "starlette": "fastapi",
    "pydantic": "fastapi",
    "huggingface-hub": "transformers",
    "httpcore": "httpx",
}
OPTIONAL = {"llama-cpp-python", "llama-index-llms-llama-cpp"}  # the local-llm extra, imported lazily


def modules() -> dict[str, Path]:
    found = {"app": ROOT / "app.py"}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(path: Path, module: str) -> list[str]:
    """Absolute names ``path`` imports (relative imports resolved), TYPE_CHECKING blocks left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    names: list[str] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking_only(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            names.append(prefix)
            # "from assistant.store import corpus": the submodule is what is imported
            names.extend(f"{prefix}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return names


def graph() -> dict[str, set[str]]:
    known = modules()
    edges = {}
    for name, path in known.items():
        targets = set()
        for imported in imports(path, name):
            if imported == "assistant" or imported.startswith("assistant."):
                while imported not in known and "." in imported:
                    imported = imported.rsplit(".", 1)[0]  # a name inside a module
                if imported in known and imported != name:
                    targets.add(imported)
        edges[name] = targets
    return edges


def layer(module: str) -> int | None:
    for i, members in enumerate(LAYERS):
        if any(module == m or module.startswith(m + ".") for m in members if m != "assistant"):
            return i
    return 1 if module == "assistant" else None


def test_every_module_has_a_place_in_the_architecture():
    unplaced = [m for m in modules() if layer(m) is None]
    assert not unplaced, f"add these to LAYERS (docs/architecture.md says where): {unplaced}"


def test_imports_point_down_the_layers():
    wrong = []
    for module, targets in graph().items():
        here = layer(module)
        for target in targets:
            there = layer(target)
            if there is None or here is None or there < here:
                wrong.append((module, target))
    assert not wrong, "imports against docs/architecture.md's order:\n" + "\n".join(
        f"  {a} -> {b}" for a, b in sorted(wrong)
    )


def test_no_import_cycles():
    edges = graph()
    cycles = set()

    def walk(node: str, path: list[str]) -> None:
        for target in edges.get(node, ()):
            if target in path:
                cycle = path[path.index(target) :]
                cycles.add(frozenset(cycle))
            elif len(path) < 12:
                walk(target, [*path, target])

    for module in edges:
        walk(module, [module])
    # a package's __init__ importing its own modules (and they importing each other) is no cycle
    # the product sees; the facade's re-exports neither
    cycles = {c for c in cycles if not any(m == "assistant" for m in c)}
    assert not cycles, [sorted(c) for c in cycles]


def _dist(requirement: str) -> str:
    return re.split(r"[\[=<>!~ ;]", requirement, maxsplit=1)[0].lower()


def _third_party_imports() -> dict[str, set[str]]:
    """Distribution -> the modules of assistant/ importing it."""
    by_module = importlib.metadata.packages_distributions()
    found: dict[str, set[str]] = {}
    for module, path in modules().items():
        for imported in imports(path, module):
            top = imported.split(".")[0]
            if not top or top == "assistant" or top in sys.stdlib_module_names:
                continue
            if top == "llama_index":  # one namespace, a distribution per part of it
                parts = imported.split(".")
                if len(parts) < 2 or (parts[1] != "core" and len(parts) < 3):
                    continue
                dists = ["llama-index-core" if parts[1] == "core" else "llama-index-" + "-".join(parts[1:3])]
            else:
                dists = by_module.get(top, [top])
            for dist in dists:
                found.setdefault(dist.lower().replace("_", "-"), set()).add(module)
    return found


def _declared() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [_dist(r) for r in project["dependencies"]]


def test_every_runtime_dependency_is_imported_by_the_product():
    imported = _third_party_imports()
    unused = [d for d in _declared() if d not in imported and d not in NOT_IMPORTED]
    assert not unused, f"runtime dependencies assistant/ never imports (move them to an extra): {unused}"


def test_every_package_the_product_imports_is_declared():
    declared = set(_declared())
    missing = {
        dist: sorted(users)
        for dist, users in _third_party_imports().items()
        if dist not in declared and dist not in OPTIONAL and VIA.get(dist) not in declared
    }
    assert not missing, f"imported by assistant/ but not in [project] dependencies: {missing}"


@pytest.mark.parametrize("dist", sorted(VIA))
def test_what_brings_an_undeclared_import_still_requires_it(dist):
    requires = importlib.metadata.requires(VIA[dist]) or []
    assert dist in {_dist(r).replace("_", "-") for r in requires}, (dist, VIA[dist])
