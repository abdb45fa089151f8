"""What every command of the ``lexdial`` command line shares: the options declared once
(``--json``, ``--at``, as parent parsers), who acts (``--user`` or the local operator),
the store a command opens, and the few readers of dates and writers of results.

Rule 1: this module imports the standard library and ``lexdial.errors`` only, so building
the parser (``lexdial --help``) loads nothing heavy (tests/unit/test_cli_startup.py); the
functions import the services and ``bootstrap`` they call.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lexdial.errors import LexdialError, RequestError

if TYPE_CHECKING:
    from lexdial.bootstrap import Store
    from lexdial.service.users import Caller


class Parser(argparse.ArgumentParser):
    """lexdial's parsers: a usage error is a RequestError (exit 2, one line on stderr),
    mapped with every other error in ``cli.main``."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise RequestError("", f"{message} (see 'lexdial --help')")


#: ``--json``, unless a command says more precisely what it prints
JSON_HELP = "machine-readable output"
#: ``--at``, unless a command says more precisely which instant it means
AT_HELP = "when it happens, ISO 8601 with offset (default now)"


@cache
def json_option(help: str = JSON_HELP) -> Parser:
    """The parent parser of ``--json`` (``parents=[json_option()]``): a command prints
    what it did as JSON for scripts instead of a sentence for people."""
    parent = Parser(add_help=False)
    parent.add_argument("--json", action="store_true", help=help)
    return parent


@cache
def at_option(help: str = AT_HELP) -> Parser:
    """The parent parser of ``--at`` (``parents=[at_option()]``): the instant a command
    acts as of; read by ``now`` (an ISO 8601 date-time with its offset; default now)."""
    parent = Parser(add_help=False)
    parent.add_argument("--at", help=help)
    return parent


def options(*, json: bool | str = False, at: bool | str = False) -> list[Parser]:
    """The parents for ``add_parser(..., parents=options(json=True, at=True))``; a string
    instead of True is that option's help, where the command means something particular."""
    out: list[Parser] = []
    if json:
        out.append(json_option(JSON_HELP if json is True else json))
    if at:
        out.append(at_option(AT_HELP if at is True else at))
    return out


def caller(args: argparse.Namespace) -> Caller:
    """``--user ID`` acts as that user (its role is checked); otherwise the local operator,
    who holds the key file, acts as admin and is named on the audit trail by the operating
    system's login name (``cli:operator:jdoe``), so two people at one store are told apart."""
    from lexdial.service.users import OPERATOR, Caller

    user_id = getattr(args, "user", None)
    if user_id is not None:
        return Caller.user(user_id)
    return Caller(f"{OPERATOR.label}:{_login()}"[:100], OPERATOR.role)


def _login() -> str:
    try:
        return getpass.getuser() or "unknown"
    except (OSError, KeyError):  # no login name (e.g. a container's numeric uid)
        return "unknown"


#: stores a command opened, closed by ``close_stores`` when the command ends
_OPENED: list[Store] = []


def store(args: argparse.Namespace) -> Store:
    """The configured store, named on stderr so nobody works on the wrong one unawares;
    it acts for the firm its settings name, and ``--user`` must be of that firm."""
    from lexdial.bootstrap import open_store, store_place
    from lexdial.config import load_settings
    from lexdial.service import users
    from lexdial.service.users import Caller

    settings = load_settings(args.settings)
    opened = open_store(settings)
    _OPENED.append(opened)
    print(f"lexdial: {store_place(settings).describe(settings.firm_name)}", file=sys.stderr)
    user_id = getattr(args, "user", None)
    if user_id is not None:
        with opened.reading() as uow:
            users.check_same_firm(uow, Caller.user(user_id), opened.firm_id)
    return opened


def close_stores() -> None:
    """Publish a signed checkpoint of each store's audit head if the command moved it, then
    return the connections of every store this process's commands opened."""
    if not _OPENED:
        return
    from lexdial.bootstrap import publish_checkpoint

    while _OPENED:
        opened = _OPENED.pop()
        try:
            publish_checkpoint(opened)
        except (LexdialError, OSError) as exc:  # the command's own result stands; say why
            print(f"lexdial: warning: no audit checkpoint published: {exc}", file=sys.stderr)
        finally:
            opened.db.dispose()


def now(args: argparse.Namespace) -> datetime:
    """``--at`` as a UTC instant (it must carry its offset); the clock when not given."""
    text = getattr(args, "at", None)
    if not text:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise RequestError("--at", "is not an ISO 8601 date-time") from None
    if value.tzinfo is None:
        raise RequestError("--at", "needs an offset ('Z' or '+hh:mm')")
    return value.astimezone(UTC)


def day(text: str, field: str) -> date:
    """A calendar date given as YYYY-MM-DD; anything else names ``field``."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise RequestError(field, "is not a date (YYYY-MM-DD)") from None


def when(value: Any) -> str:
    """A stored instant for people, always with its zone (the store keeps UTC)."""
    if value is None:
        return "-"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        return f"{value.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    return str(value)


def show(args: argparse.Namespace, data: Any, text: str) -> None:
    """Print ``data`` as JSON with ``--json``, else ``text`` for people."""
    print(json.dumps(data, indent=2, default=str) if getattr(args, "json", False) else text)


def refuse_overwrite(path: Path, force: bool, field: str) -> None:
    """A file holding one person's data never silently replaces another's."""
    if path.exists() and not force:
        raise RequestError(field, f"{path} already exists; choose another place or add --force")


def confirmed(args: argparse.Namespace, question: str) -> None:
    """Irreversible commands ask first; ``--yes`` answers for scripts (no terminal: refuse)."""
    if args.yes:
        return
    if not sys.stdin.isatty():
        raise RequestError("--yes", "this cannot be undone; add --yes to confirm it in a script")
    print(f"{question} [y/N] ", end="", file=sys.stderr, flush=True)
    if sys.stdin.readline().strip().lower() not in ("y", "yes"):
        raise RequestError("--yes", "not confirmed; nothing was erased")
