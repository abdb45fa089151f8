"""Command-line faces of what a person told the firm (contract v1.1): stated inconvenient
times and workplace facts on a contact, a cease request and the time-barred flag on a debt.

    lexdial contact prefs --number '+1 614 555 0101' --inconvenient 'mon-fri 09:00-17:00'
    lexdial contact prefs --number '+1 614 555 0101' --workplace-number yes --no-calls-at-work yes
    lexdial debt facts ACME-4471 --cease-requested-at 2026-11-30T10:00:00Z
    lexdial debt facts ACME-4471 --time-barred yes
"""

from __future__ import annotations

import argparse
from typing import Any

from lexdial.entrypoints import cli_common as common
from lexdial.errors import RequestError

# each command imports what it runs: building the parser (``lexdial --help``) must not load
# the request reader, the database layer or the phone-number library (test_cli_startup.py)

_YES_NO = {"yes": True, "no": False, "unknown": None}


def parse_range(text: str, field: str = "--inconvenient") -> dict[str, Any]:
    """'mon-fri 09:00-17:00', 'sat,sun 10:00-12:00' or '21:00-08:00' (every day) -> the
    contract's {"days", "from", "to"}."""
    from lexdial.domain.request_parse import DAY_NAMES

    parts = text.split()
    if len(parts) not in (1, 2) or parts[-1].count("-") != 1:
        raise RequestError(field, "write it as 'mon-fri 09:00-17:00' or '21:00-08:00'")
    start, end = parts[-1].split("-")
    out: dict[str, Any] = {"from": start, "to": end}
    if len(parts) == 2:
        days: list[str] = []
        for chunk in parts[0].lower().split(","):
            if "-" in chunk:
                a, b = chunk.split("-", 1)
                if a not in DAY_NAMES or b not in DAY_NAMES:
                    raise RequestError(field, f"unknown day in {chunk!r} (mon ... sun)")
                i, j = DAY_NAMES.index(a), DAY_NAMES.index(b)
                days.extend(DAY_NAMES[k % 7] for k in range(i, j + 1 if j >= i else j + 8))
            elif chunk in DAY_NAMES:
                days.append(chunk)
            else:
                raise RequestError(field, f"unknown day {chunk!r} (mon ... sun)")
        out["days"] = list(dict.fromkeys(days))
    return out


def cmd_contact_prefs(args: argparse.Namespace) -> None:
    from lexdial.entrypoints.render import mask_number
    from lexdial.service.stated_facts import set_preferences

    changes: dict[str, Any] = {}
    if args.clear_inconvenient:
        changes["inconvenient_times"] = None
    if args.inconvenient:
        changes["inconvenient_times"] = [parse_range(x) for x in args.inconvenient]
    if args.workplace_number is not None:
        changes["workplace_number"] = _YES_NO[args.workplace_number]
    if args.no_calls_at_work is not None:
        changes["no_calls_at_work"] = _YES_NO[args.no_calls_at_work]
    if not changes:
        raise RequestError("contact prefs", "give --inconvenient, --workplace-number or ...")
    store = common.store(args)
    with store.unit_of_work() as uow:
        stored = set_preferences(
            uow,
            store.cipher,
            store.audit,
            store.firm_id,
            args.number,
            changes,
            common.caller(args),
            common.now(args),
        )
    times = stored.get("inconvenient_times") or []
    text = (
        f"{mask_number(args.number)}: {len(times)} inconvenient time range(s); "
        f"workplace number: {stored.get('workplace_number')}; "
        f"no calls at work: {stored.get('no_calls_at_work')}"
    )
    common.show(args, stored, text)


def cmd_debt_facts(args: argparse.Namespace) -> None:
    from lexdial.service.stated_facts import record_debt_facts

    changes: dict[str, Any] = {}
    if args.cease_requested_at is not None:
        changes["cease_requested_at"] = args.cease_requested_at or None
    if args.time_barred is not None:
        changes["time_barred"] = _YES_NO[args.time_barred]
    store = common.store(args)
    with store.unit_of_work() as uow:
        stored = record_debt_facts(
            uow,
            store.audit,
            store.firm_id,
            args.debt_ref,
            changes,
            common.caller(args),
            common.now(args),
        )
    text = (
        f"debt {args.debt_ref}: cease requested at {stored.get('cease_requested_at', '-')}; "
        f"time-barred: {stored.get('time_barred', 'unknown')}"
    )
    common.show(args, stored, text)


def add_contact_prefs(contact_sub: Any) -> None:
    """``lexdial contact prefs``, on the ``contact`` command's subparsers."""
    a = contact_sub.add_parser(
        "prefs",
        help="record what the person said: inconvenient times, calls at work",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  lexdial contact prefs --number '+1 614 555 0101' --inconvenient 'mon-fri 09:00-17:00'"
        "\n  lexdial contact prefs --number '+1 614 555 0101' --workplace-number yes "
        "--no-calls-at-work yes",
        parents=common.options(
            json=True, at="when the person said so (default: now), ISO 8601 with offset"
        ),
    )
    a.add_argument("--number", required=True)
    a.add_argument(
        "--inconvenient",
        action="append",
        help="a range in the person's local time, e.g. 'mon-fri 09:00-17:00'; repeat for "
        "more (replaces the stored ranges)",
    )
    a.add_argument("--clear-inconvenient", action="store_true", help="remove every range")
    a.add_argument("--workplace-number", choices=sorted(_YES_NO), help="this number is at work")
    a.add_argument(
        "--no-calls-at-work", choices=sorted(_YES_NO), help="the person/employer bars such calls"
    )
    a.set_defaults(func=cmd_contact_prefs)


def add_commands(sub: Any) -> None:
    p = sub.add_parser("debt", help="facts about a debt the firm collects (Regulation F)")
    s = p.add_subparsers(dest="debt_cmd", required=True)
    a = s.add_parser(
        "facts",
        help="record a cease request or the time-barred flag on a debt",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  lexdial debt facts ACME-4471 --cease-requested-at 2026-11-30T10:00:00Z\n"
        "  lexdial debt facts ACME-4471 --time-barred yes",
        parents=common.options(json=True, at=True),
    )
    a.add_argument("debt_ref", help="the debt's reference, as campaigns and calls give it")
    a.add_argument(
        "--cease-requested-at",
        help="when the consumer's written request to stop communicating arrived (12 CFR "
        "1006.6(c)); '' removes it",
    )
    a.add_argument(
        "--time-barred", choices=sorted(_YES_NO), help="the limitation period has run (1006.26)"
    )
    a.set_defaults(func=cmd_debt_facts)
