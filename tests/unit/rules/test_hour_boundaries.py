"""The instants at the edges of every calling window, read against each text's words
(lawyer review, pack 2026.12.4).

- 47 CFR 64.1200(c)(1): no solicitation "before the hour of 8 a.m. or after 9 p.m." (16
  CFR 310.4(c): "other than between 8:00 a.m. and 9:00 p.m."): 08:00:00 is allowed; the
  instant 21:00:00 is refused because the decision precedes the call it allows.
- 12 CFR 1006.6(b)(1)(i) (15 U.S.C. 1692c(a)(1)): the convenient time is "after 8:00 a.m.
  and before 9:00 p.m.": 08:00:00 is not in it, 08:00:00.001 is; a defer names 08:01, the
  contract giving the earliest allowed instant to the minute.
- N.J.S.A. 56:8-128(d): no call "between the hours of 9:00 p.m. and 8:00 a.m.", both
  instants read as inside (protective): 08:00:00 is refused, a defer names 08:01.
- RCW 19.158.040(2): no call "which will be received" after 8:00 p.m.: a call placed in the
  window's last 2 minutes would ring after it.

Expected instants are written from those texts and the calendar (Wed 2026-12-02 and Thu
2026-12-03 are standard time: EST = UTC-5, PST = UTC-8), never from the engine's output.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import build, codes, iso
from lexdial.adapters.rulepack import load_pack
from lexdial.domain.decision import Decision
from lexdial.errors import RulePackError

Decide = Callable[[dict[str, Any]], Decision]

NEW_JERSEY = {"country": "US", "state": "NJ", "time_zone": "America/New_York"}
SEATTLE = {"country": "US", "state": "WA", "time_zone": "America/Los_Angeles"}


def sales(at: str, **facts: Any) -> dict[str, Any]:
    """A live sales call to a current client's landline in Ohio (Eastern), or elsewhere."""
    return build(at=at, purpose="marketing", **facts)


def collection(at: str) -> dict[str, Any]:
    """A live collection call about one debt to a consumer in Ohio (Eastern)."""
    return build(at=at, purpose="debt_collection", debt={"id": "D-1"})


ROWS = [
    # --- 64.1200(c)(1), 310.4(c): Ohio, 08:00 EST = 13:00Z, 21:00 EST = 02:00Z next day
    pytest.param(sales("2026-12-02T12:59:59Z"), "defer", {"CALLING_HOURS"},
                 "2026-12-02T13:00:00Z", id="tcpa-07-59-59-is-before-8-am"),
    pytest.param(sales("2026-12-02T13:00:00Z"), "allow", set(), None,
                 id="tcpa-08-00-00-is-not-before-8-am"),
    pytest.param(sales("2026-12-03T01:59:59.900000Z"), "allow", set(), None,
                 id="tcpa-20-59-59-9-is-not-after-9-pm"),
    pytest.param(sales("2026-12-03T02:00:00Z"), "defer", {"CALLING_HOURS"},
                 "2026-12-03T13:00:00Z", id="tcpa-21-00-00-is-refused-the-call-would-follow"),
    pytest.param(sales("2026-12-03T02:00:00.500000Z"), "defer", {"CALLING_HOURS"},
                 "2026-12-03T13:00:00Z", id="tcpa-21-00-00-5-is-after-9-pm"),
    # --- 1006.6(b)(1)(i): "after 8:00 a.m. and before 9:00 p.m."
    pytest.param(collection("2026-12-02T12:59:59Z"), "defer", {"CALLING_HOURS"},
                 "2026-12-02T13:01:00Z", id="regf-07-59-59-waits-for-08-01"),
    pytest.param(collection("2026-12-02T13:00:00Z"), "defer", {"CALLING_HOURS"},
                 "2026-12-02T13:01:00Z", id="regf-08-00-00-is-not-after-8-am"),
    pytest.param(collection("2026-12-02T13:00:00.001000Z"), "allow", set(), None,
                 id="regf-08-00-00-001-is-after-8-am"),
    pytest.param(collection("2026-12-03T01:59:59.999000Z"), "allow", set(), None,
                 id="regf-20-59-59-999-is-before-9-pm"),
    pytest.param(collection("2026-12-03T02:00:00Z"), "defer", {"CALLING_HOURS"},
                 "2026-12-03T13:01:00Z", id="regf-21-00-00-is-not-before-9-pm"),
    # --- 56:8-128(d): "between the hours of 9:00 p.m. and 8:00 a.m." (federal passes)
    pytest.param(sales("2026-12-02T13:00:00Z", number="+1 201 555 0120", address=NEW_JERSEY),
                 "defer", {"STATE_CALLING_HOURS"}, "2026-12-02T13:01:00Z",
                 id="nj-08-00-00-is-still-between-9-pm-and-8-am"),
    pytest.param(sales("2026-12-02T13:00:01Z", number="+1 201 555 0120", address=NEW_JERSEY),
                 "allow", set(), None, id="nj-08-00-01-is-allowed"),
    # --- RCW 19.158.040(2): received before 8:00 p.m. PST (= 04:00Z next day)
    pytest.param(sales("2026-12-03T03:57:59Z", number="+1 206 555 0113", address=SEATTLE),
                 "allow", set(), None, id="wa-placed-19-57-59-rings-out-before-8-pm"),
    pytest.param(sales("2026-12-03T03:59:30Z", number="+1 206 555 0113", address=SEATTLE),
                 "defer", {"STATE_CALLING_HOURS"}, "2026-12-03T16:00:00Z",
                 id="wa-placed-19-59-30-would-be-received-after-8-pm"),
]  # fmt: skip


@pytest.mark.parametrize(("request_", "verdict", "want", "when"), ROWS)
def test_each_window_edge_is_judged_as_its_text_words_it(
    decide: Decide, request_: dict[str, Any], verdict: str, want: set[str], when: str | None
) -> None:
    d = decide(request_)
    assert (d.verdict, codes(d), iso(d)) == (verdict, want, when), d.to_json()["reasons"]


def _pack_with(tmp_path: Path, file: str, rule_id: str, **params: Any) -> Path:
    src = resources.files("lexdial").joinpath("rules", "pack")
    dst = tmp_path / "pack"
    shutil.copytree(str(src), dst)
    path = dst / file
    doc = yaml.safe_load(path.read_text())
    (rule,) = [r for r in doc["rules"] if r["id"] == rule_id]
    rule["params"].update(params)
    path.write_text(yaml.safe_dump(doc))
    return dst


@pytest.mark.parametrize(
    ("params", "bad"),
    [
        pytest.param({"start_exclusive": "yes"}, "start_exclusive", id="a-quoted-flag"),
        pytest.param({"ends_early_minutes": 90}, "ends_early_minutes", id="an-hour-and-a-half"),
        pytest.param({"ends_early_minutes": -2}, "ends_early_minutes", id="a-late-end"),
    ],
)
def test_a_window_edge_setting_the_engine_cannot_read_is_refused_when_the_pack_loads(
    tmp_path: Path, params: dict[str, Any], bad: str
) -> None:
    pack = _pack_with(tmp_path, "us-states/wa.yaml", "us-wa.calling-hours", **params)
    with pytest.raises(RulePackError, match=rf"us-states/wa.yaml: us-wa.calling-hours: .*{bad}"):
        load_pack(pack)
