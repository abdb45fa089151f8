"""The layers of ARCHITECTURE.md hold: every import-linter contract in pyproject.toml is kept.

``scripts/test.sh`` runs ``lint-imports`` too; this test makes a broken contract fail the
suite wherever it runs, and checks that the page describing the layers names the same
contracts the linter enforces.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def contracts() -> list[dict[str, Any]]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        found: list[dict[str, Any]] = tomllib.load(f)["tool"]["importlinter"]["contracts"]
    return found


def test_every_import_contract_in_pyproject_is_kept() -> None:
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(contracts())} kept, 0 broken." in result.stdout


def test_the_contracts_cover_purity_services_entrypoints_adapters_layers_and_circles() -> None:
    by_id = {c["id"]: c for c in contracts()}
    assert set(by_id) == {"pure", "services", "entrypoints", "adapters", "layers", "acyclic"}
    assert by_id["layers"]["layers"] == [
        "lexdial.entrypoints",
        "lexdial.bootstrap",
        "lexdial.adapters",
        "lexdial.service",
        "lexdial.rules",
        "lexdial.domain",
    ]
    # the pure layers and the services may not reach an adapter even through another module
    assert not by_id["pure"].get("allow_indirect_imports", False)
    assert not by_id["services"].get("allow_indirect_imports", False)


def test_a_forbidden_import_is_reported_as_a_broken_contract(tmp_path: Path) -> None:
    # the services do import the domain: forbidding it must break, or the linter sees nothing
    config = tmp_path / "contracts.toml"
    config.write_text(
        '[tool.importlinter]\nroot_package = "lexdial"\n\n'
        "[[tool.importlinter.contracts]]\n"
        'name = "a contract the code breaks"\ntype = "forbidden"\n'
        'source_modules = ["lexdial.service"]\nforbidden_modules = ["lexdial.domain"]\n'
    )
    result = lint_imports(str(config))
    assert result.returncode != 0
    assert "a contract the code breaks BROKEN" in result.stdout


def test_architecture_md_names_every_contract_the_linter_enforces() -> None:
    page = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    missing = [c["name"] for c in contracts() if c["name"] not in page]
    assert missing == []
