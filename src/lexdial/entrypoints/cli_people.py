"""Command-line faces of the people the firm calls: ``contact add|edit``,
``consent add|revoke|show`` and ``optout``.

Each command opens the store (``cli_common.store``), runs one service in one transaction
and prints a short, number-masked result (``--json`` for scripts).
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from lexdial.domain.decision import RELATIONSHIPS
from lexdial.entrypoints import cli_common as common
from lexdial.errors import RequestError


def _given_at(text: str) -> datetime:
    """When consent was given: a date-time with its offset, since a consent's instant
    decides whether a call was lawful and a bare local time could be any of 38 zones."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise RequestError(
            "--given-at", "is not an ISO 8601 date-time (e.g. 2026-06-01T12:00:00Z)"
        ) from None
    if value.tzinfo is None:
        raise RequestError(
            "--given-at", f"{text} has no offset: add 'Z' for UTC or '-05:00' and the like"
        )
    return value


def _basis(text: str | None) -> Any:
    """'consent' (one basis) or 'marketing=consent,reminder=contract' (per purpose)."""
    if not text:
        return None
    if "=" not in text:
        return text
    pairs = [part.split("=", 1) for part in text.split(",")]
    if any(len(p) != 2 for p in pairs):
        raise RequestError("--lawful-basis", "write it as purpose=basis,purpose=basis")
    return {k.strip(): v.strip() for k, v in pairs}


def cmd_contact_add(args: argparse.Namespace) -> None:
    from lexdial.service.contacts import NewContact, add_contact

    store = common.store(args)
    address = {
        k: v
        for k, v in (
            ("country", args.country),
            ("state", args.state),
            ("zip", args.zip),
            ("time_zone", args.time_zone),
        )
        if v
    }
    new = NewContact(
        numbers=tuple((n, args.line_type) for n in args.number),
        name=args.name,
        address=address or None,
        relationship=args.relationship,
        last_transaction_on=common.day(args.last_transaction_on, "--last-transaction-on")
        if args.last_transaction_on
        else None,
        inquiry_on=common.day(args.inquiry_on, "--inquiry-on") if args.inquiry_on else None,
        subscriber=args.subscriber,
        matter_type=args.matter_type,
        lawful_basis=_basis(args.lawful_basis),
        matter_ref=args.matter_ref,
    )
    try:
        with store.unit_of_work() as uow:
            cid = add_contact(
                uow,
                store.cipher,
                store.firm_id,
                new,
                common.now(args),
                audit=store.audit,
                caller=common.caller(args),
            )
    except RequestError as exc:
        # the service names the stored field (address.state); the user typed --state
        if exc.field.startswith("address."):
            raise RequestError("--" + exc.field[8:].replace("_", "-"), exc.message) from None
        raise
    common.show(args, {"contact_id": cid}, f"contact #{cid} added")


def cmd_consent_add(args: argparse.Namespace) -> None:
    from lexdial.bootstrap import read_given_file
    from lexdial.entrypoints.render import mask_number
    from lexdial.service import consent as consent_svc

    store = common.store(args)
    text = (
        read_given_file(Path(args.disclosure_file), "--disclosure-file")
        if args.disclosure_file
        else args.disclosure
    )
    if not text:
        raise RequestError("--disclosure", "give the exact disclosure text shown (or a file)")
    given = _given_at(args.given_at)
    new = consent_svc.NewConsent(
        number=args.number,
        kind=args.kind,
        scope=args.scope.split(","),
        sellers=args.seller,
        given_at=given,
        technologies=args.technologies.split(",") if args.technologies else None,
        evidence=consent_svc.ConsentEvidence(
            method=args.method,
            disclosure_text=text,
            disclosure_version=args.disclosure_version,
            captured_by=args.captured_by,
            source_ip=args.source_ip,
            user_agent=args.user_agent,
            document_ref=args.document_ref,
        ),
    )
    with store.unit_of_work() as uow:
        cid = consent_svc.record_consent(
            uow,
            store.cipher,
            store.audit,
            store.firm_id,
            new,
            common.caller(args),
            common.now(args),
        )
    common.show(
        args, {"consent_id": cid}, f"consent #{cid} recorded for {mask_number(args.number)}"
    )


def cmd_consent_revoke(args: argparse.Namespace) -> None:
    from lexdial.service import consent as consent_svc

    store = common.store(args)
    at = common.now(args)
    with store.unit_of_work() as uow:
        rid = consent_svc.revoke_consent(
            uow,
            store.cipher,
            store.audit,
            store.firm_id,
            args.consent_id,
            args.channel,
            at,
            args.evidence,
            common.caller(args),
            at,
        )
    common.show(
        args, {"revocation_id": rid}, f"consent #{args.consent_id} revoked ({args.channel})"
    )


def cmd_consent_show(args: argparse.Namespace) -> None:
    from lexdial.entrypoints.render import mask_number
    from lexdial.service import consent as consent_svc

    store = common.store(args)
    with store.reading() as uow:
        rows = consent_svc.consents_for(uow, store.cipher, store.firm_id, args.number)
    lines = [f"Consents for {mask_number(args.number)}: {len(rows)}"]
    for r in rows:
        state = (
            f"REVOKED {common.when(r['revoked_at'])} via {r['revoked_via']}"
            if r["revoked_at"]
            else "in force"
        )
        lines.append(
            f"  #{r['id']} {r['kind']} scope={','.join(r['scope'])} "
            f"given {common.when(r['given_at'])}"
            f" by {r['method']} ({r['disclosure_version']}, sha256 "
            f"{r['disclosure_sha256'][:12]}...) {state}"
        )
    common.show(args, rows, "\n".join(lines))


def cmd_optout(args: argparse.Namespace) -> None:
    from lexdial.entrypoints.render import mask_number
    from lexdial.service.optout import opt_out

    store = common.store(args)
    with store.unit_of_work() as uow:
        done = opt_out(
            uow,
            store.cipher,
            store.audit,
            store.firm_id,
            args.number,
            args.channel,
            args.evidence,
            common.caller(args),
            common.now(args),
        )
    common.show(
        args,
        asdict(done),
        f"opt-out honoured for {mask_number(args.number)}: {done.consents_revoked} consent(s) "
        f"revoked, {done.attempts_cancelled} queued call(s) cancelled",
    )


def add_commands(sub: Any) -> None:
    """Register ``contact``, ``consent`` and ``optout`` on the main parser's subparsers."""
    p = sub.add_parser("contact", help="add and correct contacts in the evidence store")
    s = p.add_subparsers(dest="contact_cmd", required=True)
    a = s.add_parser(
        "add",
        help="add a contact",
        epilog="example: lexdial contact add "
        "--number '+1 614 555 0101' --line-type wireless --state OH",
        parents=common.options(json=True),
    )
    a.add_argument("--number", action="append", required=True, help="repeat for more numbers")
    a.add_argument("--line-type", choices=["wireless", "landline", "voip", "unknown"])
    a.add_argument("--name")
    a.add_argument("--country")
    a.add_argument("--state")
    a.add_argument("--zip")
    a.add_argument("--time-zone")
    a.add_argument(
        "--relationship",
        default="none",
        choices=sorted(RELATIONSHIPS),
        help="the firm's relationship with the person (default none: the strictest rules)",
    )
    a.add_argument("--last-transaction-on")
    a.add_argument("--inquiry-on")
    a.add_argument("--subscriber", choices=["consumer", "business"])
    a.add_argument("--matter-type")
    a.add_argument("--matter-ref", help="the firm's matter or case number (stored encrypted)")
    a.add_argument(
        "--lawful-basis", help="GDPR basis: 'consent', or 'marketing=consent,reminder=contract'"
    )
    a.set_defaults(func=cmd_contact_add)
    from lexdial.entrypoints import cli_contact_edit

    cli_contact_edit.add_contact_edit(s)
    from lexdial.entrypoints import cli_stated

    cli_stated.add_contact_prefs(s)

    p = sub.add_parser("consent", help="record, revoke and show consents")
    s = p.add_subparsers(dest="consent_cmd", required=True)
    a = s.add_parser(
        "add",
        help="record a consent with its evidence",
        epilog=(
            "example: lexdial consent add '+1 614 555 0101' --kind express --scope reminder "
            "--seller 'Hartwell & Ruiz LLP' --given-at 2026-06-01T12:00:00Z --method "
            "'engagement letter' --disclosure-file letter.txt --disclosure-version v3 "
            "--captured-by intake:jdoe --document-ref DMS-4471"
        ),
        parents=common.options(json=True, at=True),
    )
    a.add_argument("number")
    a.add_argument("--kind", required=True, choices=["express", "express_written"])
    a.add_argument("--scope", required=True, help="comma-separated purposes")
    a.add_argument("--technologies", help="comma-separated; default all")
    a.add_argument("--seller", action="append", required=True)
    a.add_argument("--given-at", required=True)
    a.add_argument("--method", required=True)
    a.add_argument("--disclosure")
    a.add_argument("--disclosure-file")
    a.add_argument("--disclosure-version", required=True)
    a.add_argument("--captured-by", required=True)
    a.add_argument("--source-ip")
    a.add_argument("--user-agent")
    a.add_argument("--document-ref")
    a.set_defaults(func=cmd_consent_add)
    a = s.add_parser(
        "revoke",
        help="record a revocation",
        epilog="example: lexdial consent revoke 1 --channel sms --evidence STOP",
        parents=common.options(json=True, at=True),
    )
    a.add_argument("consent_id", type=int)
    a.add_argument("--channel", required=True)
    a.add_argument("--evidence")
    a.set_defaults(func=cmd_consent_revoke)
    a = s.add_parser(
        "show",
        help="every consent for a number",
        epilog="example: lexdial consent show '+1 614 555 0101'",
        parents=common.options(json=True),
    )
    a.add_argument("number")
    a.set_defaults(func=cmd_consent_show)

    a = sub.add_parser(
        "optout",
        help="honour a do-not-call request now, on every channel",
        epilog="example: lexdial optout '+1 614 555 0101' --channel staff",
        parents=common.options(json=True, at=True),
    )
    a.add_argument("number")
    a.add_argument("--channel", required=True)
    a.add_argument("--evidence")
    a.set_defaults(func=cmd_optout)
