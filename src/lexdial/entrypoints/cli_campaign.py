"""``lexdial campaign ...``: create, fill, take a contact off, lint, start/pause/resume/stop,
run, report (``run`` lives in ``cli_campaign_run``)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from lexdial.domain.states import CampaignStatus
from lexdial.entrypoints import cli_common as common
from lexdial.entrypoints.cli_campaign_run import cmd_run
from lexdial.errors import CampaignError, RequestError

# each command imports what it runs: building the parser (``lexdial --help``) must not load
# the database layer, numpy or the PDF library (tests/unit/test_cli_startup.py)

EXAMPLE = '''\
example campaign file reminders.toml (TOML; JSON with the same keys works too), for the
firm 'Hartwell & Ruiz LLP' (a '\\' at a line's end joins it to the next):
  name = "Court-date reminders"
  purpose = "reminder"
  mode = "broadcast"
  caller_id = "+16145550199"
  subject = "court date reminder"
  [message]
  text = """Hello, this is Hartwell and Ruiz. To stop these calls, press 9. \\
  This is a reminder of your court date. Questions? Call us at 614-555-0199."""
  voicemail_text = """Hello, this is Hartwell and Ruiz with a reminder. \\
  Please call us back at 614-555-0199."""
  [schedule]
  days = ["mon", "tue", "wed", "thu", "fri"]
  start = "09:00"
  end = "17:00"
  [retry]
  max_attempts = 3
  delay_minutes = 120
  [pacing]
  max_carrier_failures = 10  # carrier failures in a row (503s, timeouts) that pause it
The message names the firm in its first words, offers the key-press opt-out right after
(within 2 seconds, as a call that may be telemarketing must) and gives a callback number;
'lexdial campaign lint ID' lists whatever is missing.
'''


def _load_spec(source: str) -> Any:
    """A campaign file as JSON or TOML; if it is neither, both parsers' first complaint
    is shown, since only the user knows which of the two was meant."""
    import tomllib

    from lexdial.entrypoints.input import read_text

    text = read_text(source)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        json_error = f"as JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RequestError(
            "campaign file", f"is neither JSON nor TOML ({json_error}; as TOML: {exc})"
        ) from None


def cmd_create(args: argparse.Namespace) -> None:
    from lexdial.service.campaigns import create_campaign

    store = common.store(args)
    with store.unit_of_work() as uow:
        cid = create_campaign(
            uow,
            store.audit,
            store.firm_id,
            _load_spec(args.file),
            common.caller(args),
            common.now(args),
        )
    common.show(
        args, {"campaign": cid, "status": CampaignStatus.DRAFT}, f"campaign #{cid} created (draft)"
    )


def cmd_edit(args: argparse.Namespace) -> None:
    from lexdial.service.campaigns import edit_campaign

    store = common.store(args)
    with store.unit_of_work() as uow:
        edit_campaign(
            uow,
            store.audit,
            store.firm_id,
            args.id,
            _load_spec(args.file),
            common.caller(args),
            common.now(args),
        )
    common.show(
        args,
        {"campaign": args.id, "status": CampaignStatus.DRAFT},
        f"campaign #{args.id} updated (draft)",
    )


def _ids(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.strip().partition("-")
        if not lo.isdigit() or (hi and not hi.isdigit()):
            raise RequestError("--contacts", "write contact ids as 1,2,5-9")
        out += list(range(int(lo), int(hi or lo) + 1))
    return out


def cmd_add(args: argparse.Namespace) -> None:
    from lexdial.service.campaigns import add_contacts

    store = common.store(args)
    with store.unit_of_work() as uow:
        if args.all:
            ids = uow.views.live_contact_ids(store.firm_id)
        elif args.contacts:
            ids = _ids(args.contacts)
        else:
            raise RequestError("--contacts", "give contact ids, or --all")
        n = add_contacts(
            uow, store.audit, store.firm_id, args.id, ids, common.caller(args), common.now(args)
        )
    common.show(args, {"added": n}, f"{n} contact(s) added to campaign #{args.id}")


def cmd_remove_contact(args: argparse.Namespace) -> None:
    from dataclasses import asdict

    from lexdial.service.contacts_campaign import remove_from_campaign

    store = common.store(args)
    with store.unit_of_work() as uow:
        done = remove_from_campaign(
            uow,
            store.audit,
            store.firm_id,
            args.id,
            args.contact_id,
            common.now(args),
            caller=common.caller(args),
        )
    text = (
        f"contact #{done.contact_id} taken off campaign #{done.campaign_id} (it was {done.was}; "
        "its queued calls are cancelled)"
        if done.cancelled
        else f"contact #{done.contact_id} is no longer queued in campaign #{done.campaign_id} "
        f"({done.was}): nothing to take off"
    )
    common.show(args, asdict(done), text)


def _lint(args: argparse.Namespace) -> list[str]:
    from lexdial.service.campaign_lint import lint_campaign

    store = common.store(args)
    with store.reading() as uow:
        return lint_campaign(
            uow,
            store.rules,
            store.cipher,
            store.registry,
            firm_id=store.firm_id,
            campaign_id=args.id,
            at=common.now(args),
        )


def cmd_lint(args: argparse.Namespace) -> None:
    problems = _lint(args)
    if args.json:
        print(json.dumps({"problems": problems}, indent=2))
        if problems:  # the list is on stdout already: stderr only says why the exit is 5
            raise CampaignError(f"campaign #{args.id} fails the lint ({len(problems)} problems)")
        return
    if problems:  # printed once, on stderr, as every refusal is
        raise CampaignError(f"campaign #{args.id} fails the lint", tuple(problems))
    print("no problems found")


def cmd_status(args: argparse.Namespace) -> None:
    from lexdial.service.campaign_control import apply_action

    store = common.store(args)
    new = apply_action(
        store.reading,
        store.unit_of_work,
        store.rules,
        store.cipher,
        store.registry,
        store.audit,
        firm_id=store.firm_id,
        campaign_id=args.id,
        action=args.action,
        caller=common.caller(args),
        at=common.now(args),
    )
    common.show(args, {"campaign": args.id, "status": new}, f"campaign #{args.id} is {new}")


def cmd_report(args: argparse.Namespace) -> None:
    from lexdial.entrypoints.render import campaign_report as render_report
    from lexdial.service.campaign_report import campaign_report
    from lexdial.service.campaigns import status_reason

    store = common.store(args)
    with store.reading() as uow:
        report = campaign_report(uow, store.firm_id, args.id, common.now(args))
        report["status_reason"] = reason = status_reason(uow, args.id)
    text = render_report(report)
    common.show(args, report, f"{text}\n  why paused: {reason}" if reason else text)


def add_commands(sub: Any) -> None:
    """Register ``campaign`` and its subcommands."""
    p = sub.add_parser(
        "campaign",
        help="create, fill, lint, start, pause, resume, stop, run and report campaigns",
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s = p.add_subparsers(dest="campaign_cmd", required=True)
    examples = {
        "create": "lexdial campaign create reminders.toml   (see 'lexdial campaign --help')",
        "edit": "lexdial campaign edit 1 reminders.toml   (a draft only)",
        "add": "lexdial campaign add 1 --all   (or --contacts 1,2,5-9)",
        "remove-contact": "lexdial campaign remove-contact 1 1   (campaign 1, contact 1)",
        "lint": "lexdial campaign lint 1",
        "start": "lexdial campaign start 1",
        "pause": "lexdial campaign pause 1",
        "resume": "lexdial campaign resume 1",
        "stop": "lexdial campaign stop 1",
        "run": "lexdial campaign run 1 --timescale 0.01   (a rehearsal on the simulated "
        "carrier: dials a throw-away copy of the store; the live store is unchanged)",
        "report": "lexdial campaign report 1 --json",
    }
    # every campaign command prints JSON with --json and acts as of --at
    shared = common.options(
        json=True,
        at="act as of this ISO date-time (default: now); for run: a rehearsal on the "
        "simulated carrier with a simulated clock starting then",
    )

    def command(name: str, help: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = s.add_parser(
            name, help=help, epilog=f"example: {examples[name]}", parents=shared
        )
        return parser

    a = command("create", "create a campaign (draft) from a JSON or TOML file")
    a.add_argument("file", help="campaign file, or - for standard input")
    a.set_defaults(func=cmd_create)
    a = command("edit", "replace a draft campaign's settings from a JSON or TOML file")
    a.add_argument("id", type=int)
    a.add_argument("file", help="campaign file, or - for standard input")
    a.set_defaults(func=cmd_edit)
    a = command("add", "put contacts on a campaign's list")
    a.add_argument("id", type=int)
    a.add_argument("--contacts", help="contact ids: 1,2,5-9")
    a.add_argument("--all", action="store_true", help="every contact of the firm not erased")
    a.set_defaults(func=cmd_add)
    a = command(
        "remove-contact",
        "take a contact off a campaign before they are called (refused while their call "
        "is in progress; the calls already made stay on record)",
    )
    a.add_argument("id", type=int, help="the campaign")
    a.add_argument("contact_id", type=int, metavar="contact", help="the contact")
    a.set_defaults(func=cmd_remove_contact)
    a = command("lint", "check the script and settings; exit 5 with the problems")
    a.add_argument("id", type=int)
    a.set_defaults(func=cmd_lint)
    for action in ("start", "pause", "resume", "stop"):
        extra = " (runs the lint first)" if action in ("start", "resume") else ""
        a = command(action, f"{action} the campaign{extra}")
        a.add_argument("id", type=int)
        a.set_defaults(func=cmd_status, action=action)
    a = command(
        "run",
        "dial a running campaign; on the simulated carrier: a rehearsal on a throw-away "
        "copy of the store",
    )
    a.add_argument("id", type=int)
    a.add_argument(
        "--minutes",
        type=float,
        default=60.0,
        help="stop when nothing is due within this many minutes (default 60)",
    )
    a.add_argument(
        "--carrier",
        choices=["simulated", "sip", "twilio"],
        help="override [telephony] carrier in lexdial.toml (default: that setting, which is "
        "'simulated' when unset: a rehearsal on a throw-away copy of a live store). twilio: "
        "this process serves Twilio's webhooks on [telephony] webhook_listen (default "
        "127.0.0.1:8088) while it dials; webhook_base_url must be the public https:// URL "
        "that reaches it (lexdial appends /status, /amd, /gather or /played and ?call=ID; "
        "signatures are checked against that exact URL)",
    )
    a.add_argument("--seed", type=int, default=0, help="simulated carrier: the public's seed")
    a.add_argument(
        "--timescale",
        type=float,
        default=None,
        help="simulated carrier: wall seconds per simulated second (default 0.001: an hour "
        "of calls in 3.6 s; 1 = real time)",
    )
    a.set_defaults(func=cmd_run)
    a = command("report", "what the campaign did, from the store")
    a.add_argument("id", type=int)
    a.set_defaults(func=cmd_report)
