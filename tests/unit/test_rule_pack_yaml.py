"""The rule pack reads the same with libyaml as with PyYAML's pure-Python reader.

``adapters.rulepack`` uses libyaml's scanner and parser when PyYAML has them (ten times
faster on every start); the constructor that turns scalars into dates, numbers and
strings is the same Python code, so every file of the bundled pack must give the same data.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lexdial.adapters import rulepack
from lexdial.adapters.rulepack import _yaml_files, bundled_pack_dir, load_pack
from lexdial.errors import RulePackError

FILES = sorted(_yaml_files(bundled_pack_dir()), key=lambda f: f[0])


def test_the_loader_is_libyamls_when_pyyaml_was_built_with_it() -> None:
    expected = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
    assert rulepack._LOADER is expected


@pytest.mark.parametrize(("name", "node"), FILES, ids=[name for name, _ in FILES])
def test_each_bundled_pack_file_reads_the_same_with_both_yaml_readers(
    name: str, node: object
) -> None:
    text = node.read_text("utf-8")  # type: ignore[attr-defined]
    assert yaml.load(text, Loader=rulepack._LOADER) == yaml.load(text, Loader=yaml.SafeLoader)


def test_the_bundled_pack_loads_the_same_rules_with_the_pure_python_reader(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fast = load_pack()
    monkeypatch.setattr(rulepack, "_LOADER", yaml.SafeLoader)
    slow = load_pack()
    assert fast.version == slow.version
    assert [(r.id, r.comparable()) for r in fast.rules] == [
        (r.id, r.comparable()) for r in slow.rules
    ]


def test_invalid_yaml_is_still_a_rule_pack_error_naming_the_file(tmp_path: Path) -> None:
    root = tmp_path
    (root / "pack.yaml").write_text("version: '1'\n", "utf-8")
    (root / "us.yaml").write_text("rules: [\n  - id: x\n", "utf-8")
    with pytest.raises(RulePackError, match=r"us\.yaml: not valid YAML"):
        load_pack(root)
