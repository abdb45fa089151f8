"""Every command's help names what it does and shows an example (the issue's CLI rule)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

from lexdial.entrypoints.cli import build_parser


def _leaves(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield path
        return
    for sub in subs:
        for name, child in sub.choices.items():
            yield from _leaves(child, (*path, name))


def _parser_for(path: tuple[str, ...]) -> argparse.ArgumentParser:
    parser = build_parser()
    for name in path:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[name]
    return parser


def test_every_command_has_help_text_with_an_example() -> None:
    leaves = list(_leaves(build_parser(), ()))
    assert len(leaves) > 30
    missing = [" ".join(p) for p in leaves if "example" not in _parser_for(p).format_help()]
    assert missing == []
