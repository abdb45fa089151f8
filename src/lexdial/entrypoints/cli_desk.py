"""Command-line face of the agent desk's disposition list: ``dispositions list|add|retire``
(admins and managers edit; everyone of the firm reads). The desk itself is the web page and
``/v1/desk/...``: a seat is a person at a headset, not a command.
"""

from __future__ import annotations

import argparse
from typing import Any

from lexdial.entrypoints import cli_common as common


def cmd_list(args: argparse.Namespace) -> None:
    from lexdial.service import dispositions

    store = common.store(args)
    with store.unit_of_work() as uow:  # the first read seeds the default list
        found = dispositions.codes(uow, common.caller(args), firm_id=store.firm_id,
                                   active_only=not args.all)  # fmt: skip
    rows = [{"code": c.code, "label": c.label, "is_callback": c.is_callback, "active": c.active}
            for c in found]  # fmt: skip
    text = "\n".join(
        f"{c.code:<24} {c.label}{'  (callback)' if c.is_callback else ''}"
        f"{'' if c.active else '  [retired]'}"
        for c in found
    )
    common.show(args, rows, text or "no disposition code")


def cmd_add(args: argparse.Namespace) -> None:
    from lexdial.service import dispositions

    store = common.store(args)
    with store.unit_of_work() as uow:
        new = dispositions.add_code(
            uow, store.audit, common.caller(args), firm_id=store.firm_id, code=args.code,
            label=args.label, is_callback=args.callback, at=common.now(args),
        )  # fmt: skip
    print(f"disposition '{new.code}' ({new.label}) added")


def cmd_retire(args: argparse.Namespace) -> None:
    from lexdial.service import dispositions

    store = common.store(args)
    with store.unit_of_work() as uow:
        done = dispositions.set_active(
            uow, store.audit, common.caller(args), firm_id=store.firm_id, code=args.code,
            active=args.restore, at=common.now(args),
        )  # fmt: skip
    print(f"disposition '{done.code}' {'restored' if done.active else 'retired'}")


def add_commands(sub: Any) -> None:
    """Register ``dispositions list|add|retire`` on the main parser's subparsers."""
    p = sub.add_parser("dispositions", help="the codes agents record at the end of a call")
    s = p.add_subparsers(dest="dispositions_cmd", required=True)
    a = s.add_parser(
        "list",
        help="the firm's disposition codes (the default list the first time)",
        epilog="example: lexdial dispositions list --all",
        parents=common.options(json=True),
    )
    a.add_argument("--all", action="store_true", help="retired codes too")
    a.set_defaults(func=cmd_list)
    a = s.add_parser(
        "add",
        help="add a code (admin or manager)",
        epilog="example: lexdial dispositions add paid_in_full --label 'Paid in full'",
    )
    a.add_argument("code", help="2-40 characters: a lower-case letter, then letters, digits, _")
    a.add_argument("--label", required=True, help="what the agent sees")
    a.add_argument("--callback", action="store_true", help="choosing it asks for a callback")
    a.set_defaults(func=cmd_add)
    a = s.add_parser(
        "retire",
        help="retire a code: no longer offered; past dispositions keep it (admin or manager)",
        epilog="example: lexdial dispositions retire left_message",
    )
    a.add_argument("code")
    a.add_argument("--restore", action="store_true", help="offer a retired code again")
    a.set_defaults(func=cmd_retire)
