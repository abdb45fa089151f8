"""The core commands: ``decide``, ``explain``, ``rules`` and ``demo``, which need the
engine (or the demo's own store) but no store of the firm's.

When one of them is run, ``cli.build_parser`` registers only these (``CORE``): the other
areas' modules are neither built nor imported, so ``lexdial decide`` starts fast.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lexdial.entrypoints.cli_common import options
from lexdial.errors import RequestError

# each command imports what it runs: `lexdial decide` never loads the database layer
# (tests/unit/test_cli_startup.py)
if TYPE_CHECKING:
    from lexdial.domain.decision import Decision, DecisionRequest
    from lexdial.rules.engine import Engine


def add_commands(sub: Any) -> None:
    """Register ``decide``, ``explain``, ``rules`` and ``demo`` on the main parser's
    subparsers (run through ``COMMANDS``, not ``set_defaults(func=...)``)."""
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
