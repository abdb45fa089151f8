"""Command-line faces of the firm's staff: ``users add`` and ``users attest`` (training);
``cli_serve`` adds the log-in commands (token, revoke-token, password) to ``users``.
"""

from __future__ import annotations

import argparse
from typing import Any

from lexdial.domain.roles import ROLES
from lexdial.entrypoints import cli_common as common


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

    store = common.store(args)
    with store.unit_of_work() as uow:
        aid = users.attest_training(
            uow,
            args.user_id,
            args.course,
            common.day(args.on, "--on"),
            args.valid_days,
            common.now(args),
            common.caller(args),
            audit=store.audit,
            firm_id=store.firm_id,
        )
    print(f"training attestation #{aid} recorded for user #{args.user_id}")


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
