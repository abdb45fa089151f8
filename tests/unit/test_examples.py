"""The worked examples in ../shared/compliance/examples, one case per file.

Each file is ``{title, request, expected}``; the engine must give the expected verdict,
exactly the expected set of reason codes and the expected earliest allowed instant.
The folder is part of the shared checkout: if it is missing the suite fails, it does not
skip, so a broken checkout cannot pass silently.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lexdial.domain.decision import Decision

EXAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "compliance" / "examples"


def _example_files() -> list[Any]:
    files = sorted(EXAMPLES.glob("*.json")) if EXAMPLES.is_dir() else []
    if not files:
        # A parameter that fails (rather than an empty, skipped parametrization).
        return [pytest.param(None, id="examples-folder-missing")]
    return [pytest.param(f, id=f.stem) for f in files]


#: reasons a later, primary-source rule adds to a shared example written before it (the
#: shared folder is not edited from here; each entry names the law that adds the code)
SUPERSEDED: dict[str, set[str]] = {
    # an Irish mobile number: S.I. No. 336/2011 reg. 13 needs prior consent for a marketing
    # call to a mobile (rule ie.mobile-consent, pack 2026.12.0, issue 14)
    "10-gdpr-marketing-objection": {"NO_CONSENT"},
}
#: earliest instants a later reading of the text moves (same rule: each entry names the law)
SUPERSEDED_AT: dict[str, str] = {
    # 12 CFR 1006.6(b)(1)(i): the convenient time is "after 8:00 a.m. and before 9:00 p.m."
    # local time, so 08:00:00 CST itself is not in it and the earliest whole minute is 08:01
    # (rule us.regf.calling-hours, start_exclusive, pack 2026.12.4); the example was
    # written from the catalogue's "08:00-21:00"
    "09-reg-f-7-in-7": "2026-12-08T14:01:00Z",
}


@pytest.mark.parametrize("path", _example_files())
def test_each_worked_example_gets_its_expected_verdict_codes_and_earliest_time(
    path: Path | None, decide: Callable[[dict[str, Any]], Decision]
) -> None:
    assert path is not None, f"worked examples folder missing or empty: {EXAMPLES}"
    example = json.loads(path.read_text("utf-8"))
    expected = example["expected"]

    decision = decide(example["request"])
    wire = decision.to_json()

    assert (wire["verdict"], sorted(decision.codes), wire["earliest_allowed_at"]) == (
        expected["verdict"],
        sorted(set(expected["codes"]) | SUPERSEDED.get(path.stem, set())),
        SUPERSEDED_AT.get(path.stem, expected["earliest_allowed_at"]),
    ), example["title"]


def test_the_worked_examples_folder_exists_and_holds_examples() -> None:
    assert EXAMPLES.is_dir(), f"missing worked examples folder {EXAMPLES}"
    assert len(list(EXAMPLES.glob("*.json"))) >= 1


def test_every_worked_example_file_is_a_title_request_expected_envelope() -> None:
    for path in sorted(EXAMPLES.glob("*.json")):
        example = json.loads(path.read_text("utf-8"))
        assert {"title", "request", "expected"} <= set(example), path.name
        assert {"verdict", "earliest_allowed_at", "codes"} <= set(example["expected"]), path.name
