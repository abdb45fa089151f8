"""``lexdial serve`` (the web app and API) and the log-in commands: tokens and passwords."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import Any

from lexdial.entrypoints import cli_common as common
from lexdial.errors import RequestError


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from lexdial.bootstrap import is_sandbox
    from lexdial.bootstrap.sandbox_clock import store_clock, wall_clock  # (for dist-clock)
    from lexdial.entrypoints.api.app import create_app
    from lexdial.entrypoints.api.proxies import server_options

    if args.host not in ("127.0.0.1", "localhost", "::1") and not args.public:
        raise RequestError("--host", "serve on loopback, or say --public (put TLS in front)")
    proxy = server_options()  # X-Forwarded-For only from $LEXDIAL_TRUSTED_PROXIES
    _refuse_taken_port(args.host, args.port)
    store = common.store(args)
    clock = store_clock(store)  # a sandbox's simulated clock, refused on a live store
    app = create_app(store, clock=clock)
    print(f"lexdial: serving on http://{args.host}:{args.port}/ (API docs at /docs)", flush=True)
    if store.settings.telephony.carrier == "simulated" and not is_sandbox(store):
        print(
            "lexdial: the carrier is the simulated one and this store is live: started "
            "campaigns are not dialled here (rehearse with 'lexdial campaign run ID')",
            flush=True,
        )
    if clock is not wall_clock:  # (for dist-clock)
        print(f"lexdial: sandbox clock: simulated, now {clock():%Y-%m-%d %H:%M} UTC", flush=True)
    # no access log: lookups by number carry it in the query string (personal data)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False, **proxy)


def _refuse_taken_port(host: str, port: int) -> None:
    """A port another process listens on (another ``lexdial serve``, say) is named before
    anything starts; uvicorn would say so only after "serving on" was printed."""
    import errno
    import socket

    if not 1 <= port <= 65535:
        raise RequestError("--port", "must be from 1 to 65535")
    try:
        socket.create_server((host, port)).close()  # SO_REUSEADDR, as uvicorn binds
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            why = "is in use by another process: stop it, or choose another --port"
        elif e.errno == errno.EACCES:
            why = "may not be listened on by this user (ports below 1024): choose one above"
        else:
            why = f"cannot be listened on ({e.strerror or e})"
        raise RequestError("--port", f"{host}:{port} {why}") from None


def cmd_token(args: argparse.Namespace) -> None:
    from lexdial.service.auth import issue_token

    store = common.store(args)
    with store.unit_of_work() as uow:
        new = issue_token(
            uow,
            store.audit,
            args.user_id,
            args.name,
            common.caller(args),
            common.now(args),
            store.firm_id,
        )
    common.show(
        args,
        {"token_id": new.id, "token": new.token},
        f"token #{new.id} for user #{args.user_id} (shown once, keep it secret):\n{new.token}",
    )


def cmd_token_revoke(args: argparse.Namespace) -> None:
    from lexdial.service.auth import revoke_token

    store = common.store(args)
    with store.unit_of_work() as uow:
        revoke_token(
            uow, store.audit, args.token_id, common.caller(args), common.now(args), store.firm_id
        )
    common.show(args, {"revoked": args.token_id}, f"token #{args.token_id} revoked")


def cmd_password(args: argparse.Namespace) -> None:
    from lexdial.service.auth import set_password

    password = os.environ.get("LEXDIAL_PASSWORD")
    if password is None:
        if not sys.stdin.isatty():
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("new password: ")
    store = common.store(args)
    with store.unit_of_work() as uow:
        set_password(
            uow,
            store.audit,
            args.user_id,
            password,
            common.caller(args),
            common.now(args),
            store.firm_id,
        )
    common.show(args, {"user": args.user_id}, f"password set for user #{args.user_id}")


def add_commands(sub: Any) -> None:
    """Register ``serve`` and the log-in subcommands of ``users``."""
    p = sub.add_parser(
        "serve",
        help="serve the web dashboard and the REST API",
        epilog="example: lexdial serve --port 8000   (then open http://127.0.0.1:8000/)",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--public", action="store_true", help="allow a non-loopback --host")
    p.set_defaults(func=cmd_serve)
    users = sub.choices["users"]
    s = next(a for a in users._actions if isinstance(a, argparse._SubParsersAction))
    a = s.add_parser(
        "token",
        help="issue a personal API token (shown once)",
        epilog="example: lexdial users token 1 --name 'CRM sync'",
        parents=common.options(json=True),
    )
    a.add_argument("user_id", type=int)
    a.add_argument("--name", required=True, help="what the token is for")
    a.set_defaults(func=cmd_token)
    a = s.add_parser(
        "revoke-token", help="revoke an API token", epilog="example: lexdial users revoke-token 1"
    )
    a.add_argument("token_id", type=int)
    a.set_defaults(func=cmd_token_revoke)
    a = s.add_parser(
        "password",
        help="set a user's web log-in password (from $LEXDIAL_PASSWORD, stdin or a prompt)",
        epilog="example: lexdial users password 1   (reads $LEXDIAL_PASSWORD, stdin or a prompt)",
    )
    a.add_argument("user_id", type=int)
    a.set_defaults(func=cmd_password)
