"""Every lmforge import resolves, the lazy ones inside functions included (they keep start-up
fast, but no linter follows them)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def lmforge_imports() -> list[tuple[str, str, str | None]]:
    found = []
    for path in sorted((SRC / "lmforge").rglob("*.py")):
        where = path.relative_to(SRC).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("lmforge"):
                found.extend((where, node.module, alias.name) for alias in node.names)
            elif isinstance(node, ast.Import):
                found.extend(
                    (where, alias.name, None)
                    for alias in node.names
                    if alias.name.startswith("lmforge")
                )
    return found


def _resolves(module: str, name: str | None) -> bool:
    try:
        imported = importlib.import_module(module)
        if name is not None and not hasattr(imported, name):
            importlib.import_module(f"{module}.{name}")  # a submodule
    except ImportError:
        return False
    return True


def test_every_lmforge_import_resolves():
    imports = lmforge_imports()
    assert len(imports) > 100
    broken = [
        f"{where}: {module} {name or ''}"
        for where, module, name in imports
        if not _resolves(module, name)
    ]
    assert not broken, "unresolved imports:\n" + "\n".join(broken)
