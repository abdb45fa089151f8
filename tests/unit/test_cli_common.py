"""The command line's shared options: ``--json`` and ``--at`` are declared once, in
``cli_common``'s parent parsers, and every command that takes them takes those."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from lexdial.entrypoints import cli_common as common
from lexdial.entrypoints.cli import build_parser
from lexdial.errors import RequestError


def _commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield " ".join(path), parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _commands(child, (*path, name))


def test_every_json_and_at_option_of_the_tree_is_a_parent_parsers_own() -> None:
    parents = {"--json": common.json_option, "--at": common.at_option}
    seen = 0
    for name, parser in _commands(build_parser()):
        for option, parent in parents.items():
            action = parser._option_string_actions.get(option)
            if action is None:
                continue
            seen += 1
            assert action.help is not None, f"{name} {option} has no help"
            declared = parent(action.help)._option_string_actions[option]
            assert action is declared, f"{name} declares {option} itself"
    assert seen > 40


def test_the_commands_that_print_json_or_act_as_of_a_time_keep_those_options() -> None:
    tree = dict(_commands(build_parser()))
    for name in ("consent add", "optout", "gate", "privacy purge", "campaign run", "import"):
        assert "--at" in tree[name]._option_string_actions, name
    for name in ("audit verify", "consent show", "registry status", "scrub", "rules", "demo"):
        assert "--json" in tree[name]._option_string_actions, name


def test_options_give_the_generic_help_for_true_and_the_commands_own_sentence_else() -> None:
    json_parent, at_parent = common.options(json=True, at="when the person said so")
    assert json_parent._option_string_actions["--json"].help == common.JSON_HELP
    assert at_parent._option_string_actions["--at"].help == "when the person said so"
    assert common.options() == []


@pytest.mark.parametrize(
    ("text", "want"),
    [
        pytest.param("2026-12-01T15:00:00Z", datetime(2026, 12, 1, 15, tzinfo=UTC), id="utc"),
        pytest.param(
            "2026-12-01T10:00:00-05:00", datetime(2026, 12, 1, 15, tzinfo=UTC), id="offset"
        ),
    ],
)
def test_at_is_read_as_a_utc_instant(text: str, want: datetime) -> None:
    assert common.now(argparse.Namespace(at=text)) == want


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("2026-12-01T15:00:00", id="no-offset"),
        pytest.param("tomorrow", id="not-a-date"),
    ],
)
def test_an_at_without_an_offset_or_not_a_date_is_bad_input_naming_at(text: str) -> None:
    with pytest.raises(RequestError) as err:
        common.now(argparse.Namespace(at=text))
    assert err.value.field == "--at"


def test_a_usage_error_is_a_request_error_not_an_exit() -> None:
    with pytest.raises(RequestError, match="lexdial --help"):
        build_parser().parse_args(["consent", "show"])
