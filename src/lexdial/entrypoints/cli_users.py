"""Command-line faces of the firm's staff: ``users add``, ``users attest`` (training) and
``users endpoint add|list|remove`` (where an agent takes live calls);
``cli_serve`` adds the log-in commands (token, revoke-token, password) to ``users``.
"""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from lexdial.domain.roles import ROLES
from lexdial.entrypoints import cli_common as common
from lexdial.errors import RequestError


def cmd_users_add(args: argparse.Namespace) -> None:
    from lexdial.service import users

    store = common.store(args)
    with store.unit_of_work() as uow:
        uid = users.add_user(
            uow,
            store.cipher,
            store.firm_id,
            args.email,
            args.name,
            args.role,
            common.now(args),
            audit=store.audit,
            caller=common.caller(args),
        )
    common.show(
        args, {"user_id": uid, "role": args.role}, f"user #{uid} added with role {args.role}"
    )


def cmd_users_attest(args: argparse.Namespace) -> None:
    from lexdial.service import users

    now = common.now(args)
    on = common.day(args.on, "--on")
    # a day's slack: "today" in the firm's time zone may be tomorrow in UTC
    if on > (now + timedelta(days=1)).date():
        raise RequestError("--on", f"{on} is after today; record a training once it is done")
    store = common.store(args)
    with store.unit_of_work() as uow:
        aid = users.attest_training(
            uow,
            args.user_id,
            args.course,
            on,
            args.valid_days,
            now,
            common.caller(args),
            audit=store.audit,
            firm_id=store.firm_id,
        )
    print(f"training attestation #{aid} recorded for user #{args.user_id}")


def cmd_endpoint_add(args: argparse.Namespace) -> None:
    from lexdial.service import agent_endpoints

    if args.sip is not None:
        kind, address = "sip", args.sip
    elif args.twilio_client is not None:
        kind, address = "twilio_client", args.twilio_client
    else:
        kind, address = "browser", None
    store = common.store(args)
    with store.unit_of_work() as uow:
        eid = agent_endpoints.add_endpoint(
            uow, args.user_id, kind, address, common.now(args),
            audit=store.audit, caller=common.caller(args), firm_id=store.firm_id,
        )  # fmt: skip
    common.show(
        args,
        {"endpoint_id": eid, "user_id": args.user_id, "kind": kind, "address": address},
        f"endpoint #{eid} ({kind}) added for user #{args.user_id}",
    )


def cmd_endpoint_list(args: argparse.Namespace) -> None:
    from lexdial.service import agent_endpoints

    store = common.store(args)
    with store.reading() as uow:
        found = agent_endpoints.list_endpoints(
            uow, args.user_id, caller=common.caller(args), firm_id=store.firm_id
        )
    rows = [{"endpoint_id": e.id, "kind": e.kind, "address": e.address} for e in found]
    text = "\n".join(f"#{e.id}  {e.kind}  {e.address or '-'}" for e in found)
    common.show(args, rows, text or f"user #{args.user_id} has no endpoint")


def cmd_endpoint_remove(args: argparse.Namespace) -> None:
    from lexdial.service import agent_endpoints

    store = common.store(args)
    with store.unit_of_work() as uow:
        gone = agent_endpoints.remove_endpoint(
            uow, args.endpoint_id, common.now(args),
            audit=store.audit, caller=common.caller(args), firm_id=store.firm_id,
        )  # fmt: skip
    print(f"endpoint #{gone.id} ({gone.kind}) removed from user #{gone.user_id}")


def add_commands(sub: Any) -> None:
    """Register ``users add|attest`` on the main parser's subparsers."""
    p = sub.add_parser("users", help="users, roles and training attestations")
    s = p.add_subparsers(dest="users_cmd", required=True)
    a = s.add_parser(
        "add",
        help="add a user",
        epilog="example: lexdial users add ana@firm.example --name 'Ana Diaz' --role agent",
        parents=common.options(json=True),
    )
    a.add_argument("email")
    a.add_argument("--name", required=True)
    a.add_argument("--role", required=True, choices=list(ROLES))
    a.set_defaults(func=cmd_users_add)
    a = s.add_parser(
        "attest",
        help="record completed training",
        epilog="example: lexdial users attest 1 --course 'TCPA/DNC 2026' --on 2026-11-20",
    )
    a.add_argument("user_id", type=int)
    a.add_argument("--course", required=True)
    a.add_argument("--on", required=True)
    a.add_argument("--valid-days", type=int, default=365)
    a.set_defaults(func=cmd_users_attest)
    _endpoint_commands(s)


def _endpoint_commands(s: Any) -> None:
    """``users endpoint add|list|remove``."""
    p = s.add_parser("endpoint", help="where an agent takes live calls")
    e = p.add_subparsers(dest="endpoint_cmd", required=True)
    a = e.add_parser(
        "add",
        help="add a SIP address, the browser softphone or a Twilio Client identity",
        epilog="examples:\n"
        "  lexdial users endpoint add 1 --sip sip:1001@pbx.example.com\n"
        "  lexdial users endpoint add 1 --browser\n"
        "  lexdial users endpoint add 1 --twilio-client ana.diaz",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=common.options(json=True),
    )
    a.add_argument("user_id", type=int)
    which = a.add_mutually_exclusive_group(required=True)
    which.add_argument("--sip", metavar="URI", help="sip:user@host[:port]")
    which.add_argument("--browser", action="store_true", help="the agent desk's softphone")
    which.add_argument("--twilio-client", metavar="NAME", help="a Twilio Client identity")
    a.set_defaults(func=cmd_endpoint_add)
    a = e.add_parser(
        "list",
        help="a user's endpoints",
        epilog="example: lexdial users endpoint list 1",
        parents=common.options(json=True),
    )
    a.add_argument("user_id", type=int)
    a.set_defaults(func=cmd_endpoint_list)
    a = e.add_parser(
        "remove",
        help="remove an endpoint",
        epilog="example: lexdial users endpoint remove 2",
    )
    a.add_argument("endpoint_id", type=int)
    a.set_defaults(func=cmd_endpoint_remove)
