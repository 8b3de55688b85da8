"""Every package the code imports directly is declared in pyproject.toml (and so locked),
not merely brought in by Rasa: an upgrade of Rasa must not take away what Bespoke uses."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path
from typing import Dict, Set

import tomli

from bot.local import ROOT

FIRST_PARTY = {"bot", "actions", "bench", "tests", "alembic_versions"}
SOURCES = ("bot", "actions", "bench", "tests", "alembic")


def imported_modules() -> Dict[str, Set[str]]:
    """Top-level module -> the files importing it (at any depth: inside functions too)."""
    found: Dict[str, Set[str]] = {}
    for folder in SOURCES:
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


def declared_distributions() -> Set[str]:
    project = tomli.loads((ROOT / "pyproject.toml").read_text())
    requirements = list(project["project"]["dependencies"])
    for group in project.get("dependency-groups", {}).values():
        requirements += [item for item in group if isinstance(item, str)]
    return {canonical(re.match(r"[A-Za-z0-9_.-]+", requirement).group(0)) for requirement in requirements}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def distributions_by_module() -> Dict[str, Set[str]]:
    """Top-level module -> installed distributions providing it, from each one's file list
    (Python 3.10's packages_distributions() reads only top_level.txt, which hatch omits)."""
    found: Dict[str, Set[str]] = {}
    for distribution in importlib.metadata.distributions():
        name = canonical(distribution.metadata["Name"])
        for file in distribution.files or []:
            top = file.parts[0]
            if top.endswith(".py"):
                top = top[:-3]
            elif len(file.parts) == 1 and top.endswith((".so", ".pyd")):  # an extension module: ujson.cpython-310-...so
                top = top.split(".")[0]
            if top.isidentifier():
                found.setdefault(top, set()).add(name)
    return found


def test_every_directly_imported_package_is_declared():
    distributions_of = distributions_by_module()
    declared = declared_distributions()
    undeclared = {}
    for module, files in sorted(imported_modules().items()):
        if module in FIRST_PARTY or module in sys.stdlib_module_names or module == "alembic" and "alembic" in declared:
            continue
        distributions = {canonical(name) for name in distributions_of.get(module, [])}
        assert distributions, f"{module} (imported in {sorted(files)[:3]}) belongs to no installed distribution"
        if not distributions & declared:
            undeclared[module] = (sorted(distributions), sorted(files)[:3])
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"


def test_sources_are_where_this_test_looks():
    for folder in SOURCES:
        assert Path(ROOT / folder).is_dir(), folder
