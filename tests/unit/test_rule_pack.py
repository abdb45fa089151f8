"""The rule pack loads, is complete for the catalogue, and rejects broken data loudly."""

from __future__ import annotations

import shutil
from datetime import date
from importlib import resources
from pathlib import Path

import pytest
import yaml

from lexdial.adapters.rulepack import load_pack
from lexdial.errors import RulePackError
from lexdial.rules.calendar import easter, holiday_dates
from lexdial.rules.codes import CODES
from lexdial.rules.context import minus_months

#: Georgia is left out: its only catalogue rule (hours, O.C.G.A. 46-5-187(3)) binds
#: telecommunications companies, not law firms (pack 2026.12.3, us-states/ga.yaml)
CATALOGUE_STATES = [
    "FL", "OK", "MD", "WA", "TX", "LA", "AL", "MS", "IN", "CT", "NJ", "PA", "NY",
    "UT", "MA", "RI", "VA", "KY", "NV", "MI", "MN", "NM", "NE", "IL",
]  # fmt: skip


def test_the_bundled_pack_loads_with_a_version_and_unique_ids() -> None:
    pack = load_pack()
    assert pack.version
    assert len({r.id for r in pack.rules}) == len(pack.rules)


def test_every_rule_has_a_citation_a_known_code_and_a_summary() -> None:
    for rule in load_pack().rules:
        assert rule.citation.strip(), rule.id
        assert rule.summary.strip(), rule.id
        assert rule.code in CODES, rule.id
        assert rule.tag, f"{rule.id} has no evidence tag"


@pytest.mark.parametrize("state", [pytest.param(s, id=s) for s in CATALOGUE_STATES])
def test_every_state_of_the_catalogue_table_has_rules(state: str) -> None:
    assert any(r.jurisdiction == f"US-{state}" for r in load_pack().rules)


@pytest.mark.parametrize(
    "jurisdiction",
    [pytest.param(j, id=j) for j in ["US", "EU", "GB", "DE", "FR", "CA", "US-FL", "US-TX"]],
)
def test_each_regime_of_the_catalogue_is_in_the_pack(jurisdiction: str) -> None:
    assert any(r.jurisdiction == jurisdiction for r in load_pack().rules)


def _copy_pack(tmp_path: Path) -> Path:
    src = resources.files("lexdial").joinpath("rules", "pack")
    dest = tmp_path / "pack"
    with resources.as_file(src) as real:
        shutil.copytree(real, dest)
    return dest


def _edit_first_rule(pack: Path, **changes: object) -> None:
    path = pack / "us.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["rules"][0].update(changes)
    path.write_text(yaml.safe_dump(doc))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"kind": "no_such_kind"}, "unknown kind", id="an-unknown-kind"),
        pytest.param({"code": "NOT_A_CODE"}, "unknown reason code", id="an-unknown-code"),
        pytest.param({"purposes": ["telemarketing"]}, "unknown value", id="a-bad-purpose"),
        pytest.param({"citation": ""}, "'citation' is required", id="no-citation"),
        pytest.param({"effective_from": "soon"}, "effective dates", id="a-bad-date"),
        pytest.param({"colour": "red"}, "unknown keys", id="an-unknown-key"),
        pytest.param(
            {"effective_from": date(2020, 1, 1), "effective_to": date(2019, 1, 1)},
            "before effective_from",
            id="an-end-before-the-start",
        ),
    ],
)
def test_a_broken_rule_is_refused_naming_its_file_and_id(
    tmp_path: Path, changes: dict[str, object], message: str
) -> None:
    pack = _copy_pack(tmp_path)
    _edit_first_rule(pack, **changes)
    with pytest.raises(RulePackError, match=message) as err:
        load_pack(pack)
    assert "us.yaml" in str(err.value)


def test_bad_window_params_are_refused(tmp_path: Path) -> None:
    pack = _copy_pack(tmp_path)
    path = pack / "us-states" / "fl.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["rules"][0]["params"] = {"windows": {"daily": [["8am", "20:00"]]}}
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(RulePackError, match=r"us-fl\.calling-hours: bad params"):
        load_pack(pack)


def test_a_routine_user_exception_naming_an_unknown_technology_is_refused(
    tmp_path: Path,
) -> None:
    # (for law) a misspelt technology would otherwise drop Texas 7.03(b)(3) without a word
    pack = _copy_pack(tmp_path)
    path = pack / "bar.yaml"
    doc = yaml.safe_load(path.read_text())
    (tx,) = [r for r in doc["rules"] if r["id"] == "bar.tx.7-03"]
    tx["params"]["routine_users_exempt"] = ["manual", "live_agent"]
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(RulePackError, match=r"bar\.tx\.7-03: bad params.*live_agent"):
        load_pack(pack)


@pytest.mark.parametrize(
    ("file", "rule_id", "params", "bad"),
    [
        pytest.param(
            "us-states/in.yaml",
            "us-in.adad",
            {"exempt_if": ["consent", "current_relationshp"]},
            "current_relationshp",
            id="a-technology-ban-exemption",
        ),
        pytest.param(
            "us-states/ok.yaml",
            "us-ok.adad-conditions",
            {"exempt_if": ["written_consnet", "former_client"]},
            "written_consnet",
            id="a-misspelt-technology-ban-exemption",
        ),
        pytest.param(
            "us-states/ma.yaml",
            "us-ma.recorded-message",
            {"exempt_if": ["consent"], "unless": ["ebr"]},
            "unless",
            id="a-technology-ban-param-it-does-not-read",
        ),
        pytest.param(
            "us-states/in.yaml",
            "us-in.state-dnc",
            {"overridden_by": ["pec", "current_clinet"]},
            "current_clinet",
            id="a-do-not-call-override",
        ),
        pytest.param(
            "fr.yaml",
            None,
            {"level": "pec", "exempt_relationships": ["client"]},
            "client",
            id="a-consent-rule-relationship",
        ),
    ],
)
def test_an_exemption_the_engine_does_not_know_is_refused_naming_its_file_and_name(
    tmp_path: Path, file: str, rule_id: str | None, params: dict[str, object], bad: str
) -> None:
    # (for law) an unknown name was once ignored: the statute's exemption silently dropped
    pack = _copy_pack(tmp_path)
    path = pack / file
    doc = yaml.safe_load(path.read_text())
    if rule_id is None:
        (rule,) = [r for r in doc["rules"] if "exempt_relationships" in (r.get("params") or {})]
    else:
        (rule,) = [r for r in doc["rules"] if r["id"] == rule_id]
    rule["params"] = params
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(RulePackError, match=rf"{file}: {rule['id']}: bad params.*{bad}"):
        load_pack(pack)


def test_a_duplicate_rule_id_is_refused(tmp_path: Path) -> None:
    pack = _copy_pack(tmp_path)
    path = pack / "us.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["rules"].append(dict(doc["rules"][0]))
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(RulePackError, match="duplicate rule id"):
        load_pack(pack)


def test_a_pack_without_a_version_is_refused(tmp_path: Path) -> None:
    pack = _copy_pack(tmp_path)
    (pack / "pack.yaml").write_text("released_on: 2026-01-01\n")
    with pytest.raises(RulePackError, match="version"):
        load_pack(pack)


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        pytest.param(2024, date(2024, 3, 31), id="2024"),
        pytest.param(2025, date(2025, 4, 20), id="2025"),
        pytest.param(2026, date(2026, 4, 5), id="2026"),
        pytest.param(2027, date(2027, 3, 28), id="2027"),
    ],
)
def test_easter_is_computed_for_good_friday(year: int, expected: date) -> None:
    assert easter(year) == expected


@pytest.mark.parametrize(
    ("day", "holiday"),
    [
        pytest.param(date(2026, 4, 3), True, id="good-friday-2026"),
        pytest.param(date(2026, 6, 14), True, id="flag-day-2026"),
        pytest.param(date(2026, 11, 3), True, id="election-day-2026"),
        pytest.param(date(2027, 11, 2), True, id="election-day-2027"),
        pytest.param(date(2026, 11, 26), True, id="thanksgiving-2026"),
        pytest.param(date(2026, 11, 4), False, id="an-ordinary-wednesday"),
    ],
)
def test_pennsylvania_holidays_include_the_statute_extras(day: date, holiday: bool) -> None:
    extra = ("good_friday", "flag_day", "election_day")
    assert (day in holiday_dates("US", "PA", day.year, extra)) is holiday


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        pytest.param(date(2026, 12, 10), 18, date(2025, 6, 10), id="18-months"),
        pytest.param(date(2026, 8, 31), 6, date(2026, 2, 28), id="clamped-to-february"),
        pytest.param(date(2028, 8, 31), 6, date(2028, 2, 29), id="leap-february"),
        pytest.param(date(2026, 3, 15), 3, date(2025, 12, 15), id="across-a-year"),
    ],
)
def test_months_are_counted_back_by_the_calendar(day: date, months: int, expected: date) -> None:
    assert minus_months(day, months) == expected


def test_a_pack_from_before_2026_12_4_with_indianas_old_exemption_name_still_loads(
    tmp_path: Path,
) -> None:
    # `lexdial rules --diff OLD bundled` must read an older pack: its Indiana rule spelled
    # the current-client exemption `current_relationship`
    pack = _copy_pack(tmp_path)
    path = pack / "us-states" / "in.yaml"
    doc = yaml.safe_load(path.read_text())
    (rule,) = [r for r in doc["rules"] if r["id"] == "us-in.adad"]
    rule["params"] = {"exempt_if": ["consent", "current_relationship"]}
    path.write_text(yaml.safe_dump(doc))
    loaded = {r.id: r for r in load_pack(pack).rules}["us-in.adad"]
    assert loaded.prepared.ways == ("consent", "current_relationship")
