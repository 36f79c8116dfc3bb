"""The layers import one way: newsmon/ → crawler/ → pipelines/, and Scrapy stays in crawler/.

Every import statement is read, including those inside functions, so a late import cannot hide
an upward arrow or a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("newsmon", "crawler", "pipelines")
# The crawl entries: they start Scrapy's engine for the application.
SCRAPY_OUTSIDE_CRAWLER = {"newsmon/crawl.py", "newsmon/check.py"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Absolute names of every module ``path`` imports, anywhere in the file (``from a import b``
    counts as importing ``a.b`` when that is a module of ours, else ``a``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path).rsplit(".", 0 if path.name == "__init__.py" else 1)[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                names.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in OURS else base)
    return names


FILES = sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))
OURS = {module_name(p) for p in FILES}
GRAPH = {module_name(p): imports(p) for p in FILES}


def top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("layer, forbidden", [
    ("pipelines", {"crawler", "newsmon", "scrapy", "twisted", "settings"}),
    ("crawler", {"newsmon"}),
])
def test_no_import_points_up(layer: str, forbidden: set[str]) -> None:
    wrong = {mod: sorted(n for n in names if top(n) in forbidden)
             for mod, names in GRAPH.items() if top(mod) == layer}
    assert not {m: n for m, n in wrong.items() if n}


def test_only_the_application_opens_a_database() -> None:
    """The crawl's one writer comes from the application; the lower layers never open one."""
    wrong = {mod: sorted(n for n in names if top(n) in ("sqlite3", "tantivy", "elasticsearch", "redis"))
             for mod, names in GRAPH.items() if top(mod) in ("crawler", "pipelines")}
    assert not {m: n for m, n in wrong.items() if n}


def test_only_the_crawler_and_the_crawl_entries_import_scrapy() -> None:
    users = {str(p.relative_to(ROOT)) for p in FILES
             if any(top(n) in ("scrapy", "twisted") for n in GRAPH[module_name(p)])}
    assert users, "the scan found no Scrapy import at all: it is broken"
    assert {u for u in users if not u.startswith("crawler/")} <= SCRAPY_OUTSIDE_CRAWLER


def test_no_import_circle() -> None:
    modules = set(GRAPH)
    edges = {m: {n for n in GRAPH[m] if n in modules and n != m} for m in modules}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(edges[m]):
            if state.get(n) == 1:
                return stack[stack.index(n):] + [n]
            if n not in state and (cycle := visit(n)):
                return cycle
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(modules):
        if m not in state and (cycle := visit(m)):
            pytest.fail(" -> ".join(cycle))
