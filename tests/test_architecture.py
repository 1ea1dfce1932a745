"""House rules that code review would otherwise have to catch (ARCHITECTURE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "vestige"
PURE = ("kinship", "ledger", "media", "osteology", "linkage")
WRITE_CALLS = {"save", "delete", "bulk_create", "bulk_update", "update_or_create", "get_or_create"}


def _py(folder: Path):
    return [p for p in folder.rglob("*.py") if "migrations" not in p.parts]


def test_pure_cores_import_nothing_from_django_or_the_app():
    for core in PURE:
        for path in _py(SRC / core) if (SRC / core).exists() else []:
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    names = [node.module or ""]
                for name in names:
                    assert not name.startswith("django"), f"{path}: imports {name}"
                    if name.startswith("vestige."):
                        assert name.startswith(f"vestige.{core}"), f"{path}: imports {name}"


def test_views_api_and_cli_do_not_write_models():
    doors = [p for p in SRC.rglob("*.py") if p.name in ("views.py", "api.py", "cli.py")]
    assert doors
    for path in doors:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                attr = node.func.attr
                owner = ast.unparse(node.func.value)
                if attr in WRITE_CALLS or (attr == "create" and owner.endswith("objects")):
                    raise AssertionError(f"{path}:{node.lineno}: {owner}.{attr}() — call a service instead")
