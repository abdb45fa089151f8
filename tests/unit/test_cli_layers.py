"""The command line and the demo import no adapter and no SQL: what they need of the
database, the registries, the carriers and files holding personal data comes through
services and ``bootstrap`` (issue 10: every face calls the same use cases)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import lexdial.entrypoints

HERE = Path(lexdial.entrypoints.__file__).parent
MODULES = sorted(
    [*HERE.glob("cli*.py"), *HERE.glob("demo_*.py")]
    + [HERE / name for name in ("input.py", "progress.py", "render.py")]
)
FORBIDDEN = ("lexdial.adapters", "sqlalchemy", "alembic")


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", MODULES, ids=[p.stem for p in MODULES])
def test_a_cli_module_imports_no_adapter_and_no_sql(path: Path) -> None:
    bad = sorted(m for m in _imports(path) if m.startswith(FORBIDDEN))
    assert bad == []


@pytest.mark.parametrize("path", MODULES, ids=[p.stem for p in MODULES])
def test_a_cli_module_reads_in_one_sitting(path: Path) -> None:
    assert len(path.read_text("utf-8").splitlines()) <= 400
