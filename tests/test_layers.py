"""The layers of coach/ stay layered: lower modules never import upper ones, and no two
modules import each other (directly or round a cycle). A reader finds a change's place
from the folder names because of this; see the layer map in README.md."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "coach"
# The top of the stack: only they may import the service container and the handlers.
UPPER = ("coach.api", "coach.app", "coach.cli", "coach.mcp", "coach.services")


def _modules() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts).removesuffix(".__init__")
        imports = graph.setdefault(name, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module.startswith("coach"):
                    imports.add(node.module)
                    imports.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                imports.update(a.name for a in node.names if a.name.startswith("coach"))
    return {name: {i for i in imports if i in graph} for name, imports in graph.items()}


def _is_upper(module: str) -> bool:
    return any(module == top or module.startswith(top + ".") for top in UPPER)


def test_lower_layers_never_import_upper_ones() -> None:
    graph = _modules()
    reaching_up = sorted(
        f"{module} imports {imported}"
        for module, imports in graph.items()
        if not _is_upper(module)
        for imported in imports
        if _is_upper(imported)
    )
    assert reaching_up == []


def _cycles(graph: dict[str, set[str]]) -> Iterator[list[str]]:
    state: dict[str, int] = {}

    def visit(module: str, path: list[str]) -> Iterator[list[str]]:
        state[module] = 1
        path.append(module)
        for imported in sorted(graph[module]):
            if state.get(imported) == 1:
                yield [*path[path.index(imported) :], imported]
            elif imported not in state:
                yield from visit(imported, path)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            yield from visit(module, [])


def test_no_import_cycles() -> None:
    graph = _modules()
    assert len(graph) > 80, "the walk lost the package"
    assert list(_cycles(graph)) == []
