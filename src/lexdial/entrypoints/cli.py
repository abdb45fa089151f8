"""The ``lexdial`` command line. Thin: it reads input, calls the same services the API
does, and maps the error tree to exit statuses in exactly one place (``main``).

Exit statuses (``EXIT_STATUSES``, printed by ``lexdial --help``): each error class of
``lexdial.errors`` carries its own; an unexpected exception never shows a traceback: one
line names the file the details were written to, and the status is 1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lexdial.entrypoints.cli_common import Parser, close_stores, options
from lexdial.errors import LexdialError, RequestError

# Only the parser is built before a command runs: each command imports what it needs (the
# engine, the store, the web app...), so `lexdial --help` starts in a tenth of a second
# and `lexdial decide` never loads the database layer (tests/unit/test_cli_startup.py).
if TYPE_CHECKING:
    from lexdial.domain.decision import Decision, DecisionRequest
    from lexdial.rules.engine import Engine

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
  3  bad settings or rule pack        user, token or record (in this firm)
"""


#: the commands defined in this module (``COMMANDS``); when one of them is run, the other
#: modules' commands are left out of the parser (and their modules unimported)
CORE = frozenset({"decide", "explain", "rules", "demo"})


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

    p = sub.add_parser(
        "decide",
        help="decide call attempts (JSON in, JSON out)",
        description="Decide call attempts. A JSON object gives one decision; "
        "a JSON array or JSON Lines give one decision per request, in order.",
        epilog="example: lexdial decide attempt.json",
    )
    p.add_argument("source", help="JSON file, or '-' for standard input")
    p.add_argument("--compact", action="store_true", help="one line per decision")

    p = sub.add_parser(
        "explain",
        help="explain decisions for a person",
        description="Every rule checked, passed or failed, in which time zone, with its citation.",
        epilog="example: lexdial explain attempt.json",
    )
    p.add_argument("source", help="JSON file, or '-' for standard input")

    p = sub.add_parser(
        "rules",
        help="list the rule pack or diff two packs",
        description="List the rule pack (id, jurisdiction, summary, citation, "
        "effective dates), or show what changed between two packs.",
        epilog="examples:\n  lexdial rules -j US-FL\n  lexdial rules --diff reviewed-pack bundled",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=options(json=True),
    )
    p.add_argument(
        "--diff",
        nargs=2,
        metavar=("OLD", "NEW"),
        help="two pack directories; 'bundled' is the shipped pack",
    )
    p.add_argument("-j", "--jurisdiction", help="only this jurisdiction, e.g. US-FL")
    p.add_argument("--pack", type=Path, help="pack directory (default: bundled)")

    p = sub.add_parser(
        "demo",
        help="the main job: a whole sample campaign on the embedded default",
        description="Build a sample store (SQLite, own key) in --dir, run a reminder "
        "campaign over the simulated carrier on a simulated clock, and print the report: "
        "dialled, blocked by reason, deferred, outcomes, opt-outs, abandonment, audit chain.",
        epilog="examples:\n  lexdial demo\n  lexdial demo --seed 3 --no-serve --dir demo-3\n"
        "  lexdial demo --attempts",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=options(json="the report as JSON"),
    )
    p.add_argument(
        "--dir",
        type=Path,
        default=Path("lexdial-demo"),
        help="where the demo's store is built (emptied first; default ./lexdial-demo)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        help="the simulated carrier's seed (default: the sample's); the campaign runs on a "
        "virtual clock, so the same seed always gives the same report",
    )
    p.add_argument("--port", type=int, default=8000, help="dashboard port on 127.0.0.1")
    p.add_argument("--no-serve", action="store_true", help="run without the dashboard")
    p.add_argument(
        "--linger",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="keep serving after the report (default: when run in a terminal)",
    )
    p.add_argument(
        "--attempts",
        action="store_true",
        help="instead: judge the bundled sample attempts and print a table",
    )
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
    return parser


def _engine(settings: Path | None) -> Engine:
    from lexdial.bootstrap import default_engine

    return default_engine(settings)


def _decide_all(
    engine: Engine, shape: str, raws: list[Any], requests: list[DecisionRequest]
) -> list[Decision]:
    """Decide every request before anything is printed; an error names the item."""
    from lexdial.api import request_digest
    from lexdial.entrypoints.input import in_batch

    out = []
    for i, (raw, req) in enumerate(zip(raws, requests, strict=True)):
        try:
            out.append(engine.decide(req, digest=request_digest(raw)))
        except RequestError as exc:
            raise in_batch(exc, shape, i) from None
    return out


def cmd_decide(args: argparse.Namespace) -> None:
    from lexdial.entrypoints.input import read_requests

    shape, raws, requests = read_requests(args.source)
    engine = _engine(args.settings)
    out = [d.to_json() for d in _decide_all(engine, shape, raws, requests)]
    indent = None if args.compact else 2
    separators = (",", ":") if args.compact else None
    if shape == "object":
        print(json.dumps(out[0], indent=indent, separators=separators))
    elif shape == "array":
        print(json.dumps(out, indent=indent, separators=separators))
    else:
        for item in out:
            print(json.dumps(item, separators=(",", ":")))


def cmd_explain(args: argparse.Namespace) -> None:
    from lexdial.entrypoints import render
    from lexdial.entrypoints.input import read_requests

    shape, raws, requests = read_requests(args.source)
    engine = _engine(args.settings)
    decisions = _decide_all(engine, shape, raws, requests)
    texts = [render.explain(engine, r, d) for r, d in zip(requests, decisions, strict=True)]
    print(("\n" + "=" * 78 + "\n").join(texts))


def cmd_rules(args: argparse.Namespace) -> None:
    from lexdial.bootstrap import rule_pack as load_pack
    from lexdial.entrypoints import render
    from lexdial.rules.diff import diff_packs

    if args.diff:
        old, new = (load_pack(_pack_path(p)) for p in args.diff)
        changes = diff_packs(old, new)
        print(
            json.dumps(changes, indent=2, default=str) if args.json else render.diff_text(changes)
        )
        return
    pack = load_pack(args.pack)
    chosen = [r for r in pack.rules if args.jurisdiction in (None, r.jurisdiction)]
    if args.jurisdiction and not chosen:
        raise RequestError(
            "--jurisdiction",
            f"no rules for {args.jurisdiction!r} (jurisdictions look like US, US-FL, GB, EU, FR)",
        )
    if args.json:
        rows = [{"id": r.id, **r.comparable()} for r in chosen]
        print(json.dumps({"version": pack.version, "rules": rows}, indent=2, default=str))
    else:
        print(render.rules_text(pack.version, chosen))


def _pack_path(text: str) -> Path | None:
    if text == "bundled":
        return None
    path = Path(text)
    if not (path / "pack.yaml").is_file():
        raise RequestError("--diff", f"{text} is not a rule pack directory (no pack.yaml)")
    return path


def cmd_demo(args: argparse.Namespace) -> None:
    from importlib import resources

    from lexdial.api import request_digest
    from lexdial.domain.request_parse import parse_request
    from lexdial.entrypoints import render
    from lexdial.entrypoints.progress import progress

    if not args.attempts:
        from lexdial.config import load_settings
        from lexdial.entrypoints.demo_campaign import Serve, run_demo

        def show(report: dict[str, Any]) -> None:
            print(json.dumps(report, indent=2) if args.json else render.campaign_report(report))
            sys.stdout.flush()

        def announce(line: str) -> None:
            print(f"lexdial: {line}", file=sys.stderr, flush=True)

        # in a terminal the dashboard stays up after the report; piped, the demo just ends
        linger = sys.stdout.isatty() if args.linger is None else args.linger
        serve = None if args.no_serve else Serve(args.port, linger, announce)
        with contextlib.suppress(KeyboardInterrupt):
            # served, the virtual clock is slowed to about 11 s for the six hours, to be
            # watched; that changes only how fast it runs, never what happens
            pace = 0.0 if serve is None else 1.0
            run_demo(args.dir, load_settings(args.settings), serve, show, pace, args.seed)
        return

    text = resources.files("lexdial").joinpath("samples", "attempts.json").read_text("utf-8")
    samples = json.loads(text)
    engine = _engine(args.settings)
    rows = [
        (s["title"], engine.decide(parse_request(s["request"]), request_digest(s["request"])))
        for s in progress(samples, len(samples), "Judging sample attempts")
    ]
    print(render.demo_table(rows, engine.pack.version))


COMMANDS = {"decide": cmd_decide, "explain": cmd_explain, "rules": cmd_rules, "demo": cmd_demo}


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
    except Exception as exc:  # a bug: never a traceback on the user's screen
        print(f"error: unexpected {type(exc).__name__}; {_crash_report(exc)}", file=sys.stderr)
        return 1
    finally:
        close_stores()  # publish the audit checkpoint, give back the store's connections
    return 0


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
