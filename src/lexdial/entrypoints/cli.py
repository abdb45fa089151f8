"""The ``lexdial`` command line. Thin: it reads input, calls the same services the API
does, and maps the error tree to exit statuses in exactly one place (``main``).

Exit statuses (``EXIT_STATUSES``, printed by ``lexdial --help``): each error class of
``lexdial.errors`` carries its own; an unexpected exception never shows a traceback: one
line names the file the details were written to, and the status is 1.

The commands live by area: the core ones (decide, explain, rules, demo) in ``cli_core``,
the others in ``cli_<area>.py``, each with an ``add_commands(sub)``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from lexdial.entrypoints import cli_core
from lexdial.entrypoints.cli_common import Parser, close_stores
from lexdial.errors import ConfigError, LexdialError

# Only the parser is built before a command runs: each command imports what it needs (the
# engine, the store, the web app...), so `lexdial --help` starts in a tenth of a second
# and `lexdial decide` never loads the database layer (tests/unit/test_cli_startup.py).

EPILOG = """examples:
  lexdial decide attempt.json            one JSON object -> one JSON decision
  lexdial consent show '+1 614 555 0101'   consents on file, with their evidence
  lexdial optout '+1 614 555 0101' --channel staff   honour a do-not-call request now
  lexdial audit verify                   prove the audit trail is intact
  cat batch.jsonl | lexdial decide -     JSON array or JSON Lines -> one decision each
  lexdial explain attempt.json           the same decision, for a person
  lexdial rules -j US-FL                 the rule pack, one jurisdiction
  lexdial rules --diff reviewed-pack bundled   what changed between two packs
  lexdial demo                           a whole reminder campaign, simulated carrier
  lexdial demo --attempts                the gate over bundled sample attempts
  lexdial campaign run 1                 dial a started campaign (simulated carrier)
  lexdial import clients.csv --preview   check a CSV/XLSX of contacts and consents
  lexdial serve                          the web dashboard and REST API on 127.0.0.1
  lexdial report campaign 1              the campaign's evidence PDF for an auditor
  lexdial telephony check                reach the SIP trunk in [telephony], say what is wrong
"""

EXIT_STATUSES = """exit statuses:
  0  done                          4  the user's role may not do this
  1  unexpected error (details     5  a campaign refuses (state, lint, agents)
     written to a file it names)      or the audit trail fails verification
  2  bad input or usage: one line  6  the carrier or its process failed
     on stderr names the field     7  not found: no such contact, campaign,
  3  bad settings or rule pack,       user, token or record (in this firm)
     or a full or read-only disk
  130  interrupted (Ctrl-C): what was not committed was rolled back
"""

#: the core commands (``cli_core``), run through ``COMMANDS``; when one of them is run, the
#: other modules' commands are left out of the parser (and their modules unimported)
COMMANDS = cli_core.COMMANDS
CORE = frozenset(COMMANDS)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command tree; only the ``CORE`` commands when ``command`` is one of them
    (the same parser for that command: the others are never reached)."""
    parser = Parser(
        prog="lexdial",
        description="Compliance-first auto dialer for law firms: every call is judged by "
        "the gate before it is placed.",
        epilog=EPILOG + "\n" + EXIT_STATUSES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--settings",
        type=Path,
        help="policy settings file (TOML); default $LEXDIAL_SETTINGS or ./lexdial.toml",
    )
    parser.add_argument(
        "--user",
        type=int,
        help="act as this user id (its role is checked); default: the local operator, as "
        "admin, audited as cli:operator:LOGIN (the operating system's login name)",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    cli_core.add_commands(sub)
    if command in CORE:
        return parser
    from lexdial.entrypoints import (
        cli_campaign,
        cli_evidence,
        cli_import,
        cli_init,
        cli_people,
        cli_privacy,
        cli_registry,
        cli_report,
        cli_serve,
        cli_stated,
        cli_telephony,
        cli_users,
    )

    # by area; the order is the order of the commands in `lexdial --help`
    cli_init.add_commands(sub)
    cli_people.add_commands(sub)
    cli_evidence.add_commands(sub)
    cli_privacy.add_commands(sub)
    cli_users.add_commands(sub)
    cli_registry.add_commands(sub)
    cli_campaign.add_commands(sub)
    cli_serve.add_commands(sub)
    cli_import.add_commands(sub)
    cli_report.add_commands(sub)
    cli_stated.add_commands(sub)
    cli_telephony.add_commands(sub)
    # (for desk)
    from lexdial.entrypoints import cli_desk

    cli_desk.add_commands(sub)
    from lexdial.entrypoints import cli_worker  # (for celery)

    cli_worker.add_commands(sub)  # (for celery)
    return parser


def _command_word(argv: Sequence[str]) -> str | None:
    """The command ``argv`` names; None when anything else comes first (``--help``, an
    unknown option...): the whole tree is then built, for the help or the error."""
    skip = False
    for word in argv:
        if skip:
            skip = False
        elif word in ("--settings", "--user"):
            skip = True
        elif not word.startswith(("--settings=", "--user=")):
            return None if word.startswith("-") else word
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; lexdial's errors become one stderr line and an exit status."""
    # what lexdial writes (store, WAL, registry copies, exports) holds personal data: the
    # owner's alone (private_files sets 0600 itself; this covers SQLite and the loaders)
    os.umask(0o077)
    try:
        args = build_parser(_command_word(sys.argv[1:] if argv is None else argv)).parse_args(argv)
        handler = getattr(args, "func", None) or COMMANDS[args.command]
        handler(args)
    except LexdialError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # e.g. `lexdial rules | head`
        return 0
    except KeyboardInterrupt:
        return _interrupted()
    except Exception as exc:  # a bug: never a traceback on the user's screen
        if _from_interrupt(exc):
            return _interrupted()
        from lexdial.entrypoints.cli_faults import environment_problem

        if (problem := environment_problem(exc)) is not None:  # a full disk is no bug
            print(f"error: {problem}", file=sys.stderr)
            return ConfigError.exit_code
        print(f"error: unexpected {type(exc).__name__}; {_crash_report(exc)}", file=sys.stderr)
        return 1
    finally:
        close_stores()  # publish the audit checkpoint, give back the store's connections
    return 0


#: the shell's status for a command ended by SIGINT (128 + 2)
INTERRUPTED = 130


def _interrupted() -> int:
    """Ctrl-C: one line, no traceback. Each command writes in transactions, so the one
    under way when the key was pressed is rolled back (an import writes nothing at all)."""
    print(
        "\nerror: interrupted (Ctrl-C); what was not yet committed was rolled back",
        file=sys.stderr,
    )
    return INTERRUPTED


def _from_interrupt(exc: BaseException) -> bool:
    """Whether ``exc`` was raised while handling a Ctrl-C: cleaning up after the
    interrupt (closing a transaction the interrupt broke) may fail in turn, and that
    error is the interrupt's, not a bug to report."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


def _crash_report(exc: Exception) -> str:
    """Write the traceback of ``exc`` to a private file; say where (or that it could not)."""
    import tempfile
    import traceback

    try:
        fd, path = tempfile.mkstemp(prefix="lexdial-error-", suffix=".log")  # 0600
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write("".join(traceback.format_exception(exc)))
    except OSError:
        return "its details could not be written (the temporary folder is not writable)"
    return f"details (please include them in a report) are in {path}"


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
