"""The repository stands on its own: nothing it runs reads files from outside the clone."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.conftest import REPO

# A path into the team's folder beside the clone (`..` then the folder, or `parent / "<folder>"`);
# the name is assembled so that this file does not match what it looks for.
FOLDER = "sha" + "red"
OUTSIDE = re.compile(rf"""\.\./{FOLDER}|/\s*["']{FOLDER}["']|{FOLDER}/reference""")
ROOTS = ("autoconfig", "tests", "deploy", ".ci")


def test_nothing_reads_a_folder_beside_the_clone() -> None:
    # Given every file the service, its tests, deployment and CI run
    files = [p for root in ROOTS for p in (REPO / root).rglob("*") if p.is_file()]
    # Then none of them names a path outside the repository
    offenders = [
        str(p.relative_to(REPO))
        for p in files
        if p.suffix in {".py", ".sh", ".toml", ".cfg", ".ini", ""} and OUTSIDE.search(p.read_text(errors="replace"))
    ]
    assert offenders == []


PACKAGE = REPO / "autoconfig"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(name: str, path: Path, modules: set[str]) -> set[str]:
    """The modules of the package that `name` imports anywhere in its file, lazy imports included."""
    found: set[str] = set()
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            for alias in node.names:
                found.add(f"{module}.{alias.name}" if f"{module}.{alias.name}" in modules else module)
    return {m for m in found if m in modules and m != name}


def import_graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: _imports(name, path, set(files)) for name, path in files.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle as [a, b, …, a], or [] when the imports go one way."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str]:
        if node in path:
            return [*path[path.index(node):], node]
        if node in done:
            return []
        for target in sorted(graph[node]):
            if cycle := visit(target, [*path, node]):
                return cycle
        done.add(node)
        return []

    for start in sorted(graph):
        if cycle := visit(start, []):
            return cycle
    return []


def test_find_cycle_sees_a_cycle_through_a_lazy_import() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []


def test_relative_imports_resolve_to_the_module_they_name() -> None:
    graph = import_graph()
    assert "autoconfig.web.context" in graph["autoconfig.web.clients"]
    assert "autoconfig.lookup" in graph["autoconfig.web.context"]


def test_no_import_cycle_inside_the_package() -> None:
    # Imports go one way (model ← formats, probes, advice ← use cases ← web, cli), even
    # those made inside a function to dodge a cycle at import time.
    assert find_cycle(import_graph()) == []


def test_the_cli_uses_the_apps_collaborators_and_use_cases() -> None:
    # The CLI builds what it needs as create_app does (Services.build) and calls the same
    # use cases as the views, rather than wiring its own directory and resolver.
    cli = (PACKAGE / "cli.py").read_text(encoding="utf-8")
    assert "Services.build(" in cli
    for rebuilt in ("Directory(", "check_dns(", "normalize_domain(", ".lookup("):
        assert rebuilt not in cli, rebuilt
