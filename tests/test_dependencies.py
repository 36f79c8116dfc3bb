"""pyproject.toml and requirements.txt cannot drift apart.

requirements.txt is the exact lock that the README, CI and this suite install. pyproject.toml
declares what `pip install .` needs, each in a range compatible with the lock. A package someone
pins at the top level (nothing else in the lock asks for it) must be declared, a declared range
must hold the pinned version, and every third-party module the code imports must come from a
declared distribution.
"""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
RUNTIME = [Requirement(r) for r in PROJECT["dependencies"]]
OPTIONAL = [Requirement(r) for group in PROJECT.get("optional-dependencies", {}).values() for r in group]
APP_DIRS = ("newsmon", "crawler", "pipelines", "settings")  # what `pip install .` ships
DEV_DIRS = ("tests", "benchmarks", "scripts")  # run from a checkout, with the test extra
LOCAL = set(APP_DIRS + DEV_DIRS)


def pins() -> dict[str, Version]:
    pinned: dict[str, Version] = {}
    for number, line in enumerate((ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        (spec,) = req.specifier  # exactly one specifier ...
        assert spec.operator == "==", f"requirements.txt:{number}: {line!r} is not pinned with =="  # ... and ==
        pinned[canonicalize_name(req.name)] = Version(spec.version)
    return pinned


def requested_by_others(pinned: dict[str, Version]) -> set[str]:
    """Names that some pinned distribution asks for (markers evaluated here, extras followed)."""
    wanted: set[str] = set()

    def follow(name: str, extras: frozenset[str]) -> None:
        try:
            requires = metadata.distribution(name).requires or []
        except metadata.PackageNotFoundError:
            pytest.fail(f"{name} is pinned in requirements.txt but not installed: pip install -r requirements.txt")
        for text in requires:
            req = Requirement(text)
            if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in {"", *extras}):
                wanted.add(canonicalize_name(req.name))
                if req.extras:
                    follow(req.name, frozenset(req.extras))

    for name in pinned:
        follow(name, frozenset())
    return wanted


def test_every_top_level_pin_is_declared_in_pyproject() -> None:
    pinned = pins()
    declared = {canonicalize_name(r.name) for r in RUNTIME + OPTIONAL}
    top_level = set(pinned) - requested_by_others(pinned)
    missing = sorted(top_level - declared)
    assert not missing, ("pinned in requirements.txt but not declared in pyproject.toml; add to `dependencies` "
                         "(or the `test` extra): " + ", ".join(f'"{n}~={pinned[n]}"' for n in missing))


def test_every_declared_range_holds_the_pinned_version() -> None:
    pinned = pins()
    wrong = [f"{r} (requirements.txt has {pinned.get(canonicalize_name(r.name), 'no pin')})"
             for r in RUNTIME + OPTIONAL if pinned.get(canonicalize_name(r.name)) not in r.specifier]
    assert not wrong, "pyproject.toml and requirements.txt disagree: " + "; ".join(wrong)


def imported_roots(dirs: tuple[str, ...]) -> dict[str, str]:
    """Top-level module name → first file importing it, for absolute imports outside the stdlib."""
    found: dict[str, str] = {}
    for folder in dirs:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    root = name.split(".")[0]
                    if root not in sys.stdlib_module_names and root not in LOCAL:
                        found.setdefault(root, str(path.relative_to(ROOT)))
    return found


@pytest.mark.parametrize(("dirs", "allowed"), [
    (APP_DIRS, RUNTIME),
    (DEV_DIRS, RUNTIME + OPTIONAL),
], ids=["application", "tests-and-tools"])
def test_every_third_party_import_is_declared(dirs: tuple[str, ...], allowed: list[Requirement]) -> None:
    providers = metadata.packages_distributions()
    declared = {canonicalize_name(r.name) for r in allowed}
    undeclared = []
    for module, where in sorted(imported_roots(dirs).items()):
        dists = {canonicalize_name(d) for d in providers.get(module, [])}
        if not dists & declared:
            undeclared.append(f"{module} (imported in {where}; from {', '.join(sorted(dists)) or 'no installed package'})")
    assert not undeclared, "imports whose package pyproject.toml does not declare: " + "; ".join(undeclared)


def test_the_checks_see_the_real_files() -> None:
    # guard against the checks passing on nothing: both files name the main dependencies
    assert {"scrapy", "trafilatura", "tantivy"} <= set(pins()) & {canonicalize_name(r.name) for r in RUNTIME}
    assert {"scrapy", "yaml", "click"} <= set(imported_roots(APP_DIRS))
