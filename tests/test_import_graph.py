"""The import graph of `src/lmforge`, read from the source (function-level imports included):
no module may reach itself through its imports."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "lmforge"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module → the lmforge modules it imports anywhere in its file."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    base = f"{anchor}.{base}" if base else anchor
                for alias in node.names:  # `from pkg import module` imports the module
                    full = f"{base}.{alias.name}"
                    targets.add(full if full in modules else base)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_of_lmforge_imports_itself_through_others():
    graph = import_graph()
    assert "lmforge.classification.finetune" in graph  # the graph was read
    assert cycles(graph) == []


# The model knows nothing of the loop; the loop knows nothing of classification.
LAYERS = ["lmforge.modeling", "lmforge.training", "lmforge.classification"]


def upward_imports(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(importer, imported) pairs where a lower layer of `LAYERS` imports a higher one."""

    def layer(module: str) -> int | None:
        for rank, package in enumerate(LAYERS):
            if module == package or module.startswith(f"{package}."):
                return rank
        return None

    return sorted(
        (source, target)
        for source, targets in graph.items()
        for target in targets
        if layer(source) is not None and layer(target) is not None and layer(target) > layer(source)
    )


def test_the_layer_check_finds_an_upward_import():
    graph = {"lmforge.modeling.model": {"lmforge.training.loop"}, "lmforge.training.loop": set()}
    assert upward_imports(graph) == [("lmforge.modeling.model", "lmforge.training.loop")]


def test_the_model_the_loop_and_classification_import_only_downward():
    assert upward_imports(import_graph()) == []
