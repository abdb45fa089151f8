"""Command-line faces of the evidence store: contacts, consents, opt-outs, the gate, the
audit trail, evidence bundles, privacy rights and key rotation.

Each command opens the store (``bootstrap.open_store``), runs one service in one
transaction and prints a short, number-masked result (``--json`` for scripts).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from lexdial.adapters.audit.chain import Anchor, verify
from lexdial.adapters.audit.sql import SqlAuditStore
from lexdial.bootstrap import Store, open_store
from lexdial.config import load_settings
from lexdial.entrypoints.render import mask_number
from lexdial.errors import RequestError
from lexdial.service import consent as consent_svc
from lexdial.service import evidence, privacy, users
from lexdial.service.contacts import NewContact, add_contact
from lexdial.service.gate import CallPlan, gate
from lexdial.service.keys import rotate_keys
from lexdial.service.optout import opt_out
from lexdial.service.users import OPERATOR, Caller


def _caller(args: argparse.Namespace) -> Caller:
    """``--user ID`` acts as that user (its role is checked); otherwise the local operator,
    who holds the key file, acts as admin."""
    user_id = getattr(args, "user", None)
    return Caller.user(user_id) if user_id is not None else OPERATOR


def _store(args: argparse.Namespace) -> Store:
    return open_store(load_settings(args.settings))


def _now(args: argparse.Namespace) -> datetime:
    text = getattr(args, "at", None)
    if not text:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise RequestError("--at", "is not an ISO 8601 date-time") from None
    if value.tzinfo is None:
        raise RequestError("--at", "needs an offset ('Z' or '+hh:mm')")
    return value.astimezone(UTC)


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise RequestError(field, "is not a date (YYYY-MM-DD)") from None


def _print(args: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data, indent=2, default=str) if getattr(args, "json", False) else text)


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
    store = _store(args)
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
        last_transaction_on=_day(args.last_transaction_on, "--last-transaction-on")
        if args.last_transaction_on
        else None,
        inquiry_on=_day(args.inquiry_on, "--inquiry-on") if args.inquiry_on else None,
        subscriber=args.subscriber,
        matter_type=args.matter_type,
        lawful_basis=_basis(args.lawful_basis),
    )
    with store.db.begin() as conn:
        cid = add_contact(conn, store.cipher, store.firm_id, new, _now(args))
    _print(args, {"contact_id": cid}, f"contact #{cid} added")


def cmd_consent_add(args: argparse.Namespace) -> None:
    store = _store(args)
    text = (
        Path(args.disclosure_file).read_text("utf-8") if args.disclosure_file else args.disclosure
    )
    if not text:
        raise RequestError("--disclosure", "give the exact disclosure text shown (or a file)")
    given = datetime.fromisoformat(args.given_at) if args.given_at else None
    if given is None or given.tzinfo is None:
        raise RequestError("--given-at", "is required, as an ISO 8601 date-time with offset")
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
    with store.db.begin() as conn:
        cid = consent_svc.record_consent(
            conn, store.cipher, store.audit, store.firm_id, new, _caller(args), _now(args)
        )
    _print(args, {"consent_id": cid}, f"consent #{cid} recorded for {mask_number(args.number)}")


def cmd_consent_revoke(args: argparse.Namespace) -> None:
    store = _store(args)
    at = _now(args)
    with store.db.begin() as conn:
        rid = consent_svc.revoke_consent(
            conn,
            store.cipher,
            store.audit,
            args.consent_id,
            args.channel,
            at,
            args.evidence,
            _caller(args),
            at,
        )
    _print(args, {"revocation_id": rid}, f"consent #{args.consent_id} revoked ({args.channel})")


def cmd_consent_show(args: argparse.Namespace) -> None:
    store = _store(args)
    with store.db.connect() as conn:
        rows = consent_svc.consents_for(conn, store.cipher, store.firm_id, args.number)
    lines = [f"Consents for {mask_number(args.number)}: {len(rows)}"]
    for r in rows:
        state = (
            f"REVOKED {r['revoked_at']} via {r['revoked_via']}" if r["revoked_at"] else "in force"
        )
        lines.append(
            f"  #{r['id']} {r['kind']} scope={','.join(r['scope'])} given {r['given_at']}"
            f" by {r['method']} ({r['disclosure_version']}, sha256 "
            f"{r['disclosure_sha256'][:12]}...) {state}"
        )
    _print(args, rows, "\n".join(lines))


def cmd_optout(args: argparse.Namespace) -> None:
    store = _store(args)
    with store.db.begin() as conn:
        done = opt_out(
            conn,
            store.cipher,
            store.audit,
            store.firm_id,
            args.number,
            args.channel,
            args.evidence,
            _caller(args),
            _now(args),
        )
    _print(
        args,
        asdict(done),
        f"opt-out honoured for {mask_number(args.number)}: {done.consents_revoked} consent(s) "
        f"revoked, {done.attempts_cancelled} queued call(s) cancelled",
    )


def cmd_gate(args: argparse.Namespace) -> None:
    store = _store(args)
    with store.db.begin() as conn:
        result = gate(
            conn,
            store.rules,
            store.cipher,
            store.audit,
            store.registry,
            firm_id=store.firm_id,
            contact_id=args.contact_id,
            at=_now(args),
            campaign_id=args.campaign,
            plan=CallPlan(args.purpose, args.technology, args.subject, args.debt)
            if args.purpose
            else None,
        )
    d = result.decision
    when = f" until {d.earliest_allowed_at:%Y-%m-%d %H:%M} UTC" if d.earliest_allowed_at else ""
    text = f"attempt #{result.attempt_id}: {d.verdict.upper()}{when}"
    for r in d.reasons:
        text += f"\n  {r.code}: {r.message} [{r.citation}]"
    _print(args, {"attempt_id": result.attempt_id, **d.to_json()}, text)


def cmd_audit_verify(args: argparse.Namespace) -> None:
    store = _store(args)
    anchor = Anchor.parse(args.anchor) if args.anchor else None
    with store.db.connect() as conn:
        result = verify(SqlAuditStore(conn), anchor=anchor)
    data = {
        "ok": result.ok,
        "count": result.count,
        "head": str(result.head),
        "bad_seq": result.bad_seq,
        "problem": result.problem,
        "detail": result.detail,
    }
    text = (
        f"audit trail intact: {result.count} entries, head {result.head}"
        if result.ok
        else f"AUDIT TRAIL BROKEN at seq {result.bad_seq}: {result.problem} ({result.detail})"
    )
    _print(args, data, text)
    if not result.ok:
        sys.exit(5)


def cmd_evidence(args: argparse.Namespace) -> None:
    store = _store(args)
    with store.db.connect() as conn:
        bundle = evidence.bundle(conn, store.cipher, store.firm_id, args.number)
    out = Path(args.out) if args.out else None
    text = json.dumps(bundle, indent=2, default=str)
    if out:
        out.write_text(text, "utf-8")
        print(
            f"evidence bundle for {mask_number(args.number)} written to {out} "
            f"({len(bundle['decisions'])} decisions, {len(bundle['consents'])} consents)"
        )
    else:
        print(text)


def cmd_privacy_export(args: argparse.Namespace) -> None:
    store = _store(args)
    with store.db.connect() as conn:
        data = privacy.export_person(conn, store.cipher, store.firm_id, args.number)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "export.json").write_text(json.dumps(data, indent=2), "utf-8")
    (out / "export.csv").write_text(privacy.export_csv(data), "utf-8")
    print(f"export for {mask_number(args.number)} written to {out}/export.json and export.csv")


def cmd_privacy_erase(args: argparse.Namespace) -> None:
    store = _store(args)
    with store.db.begin() as conn:
        cid = privacy.erase_person(
            conn, store.cipher, store.audit, store.firm_id, args.number, _caller(args), _now(args)
        )
    print(f"contact #{cid}: personal data erased; the number stays suppressed by a tombstone")


def cmd_privacy_purge(args: argparse.Namespace) -> None:
    store = _store(args)
    with store.db.begin() as conn:
        report = privacy.purge(
            conn,
            store.audit,
            _now(args),
            store.settings.retention or {},
            _caller(args),
            dry_run=args.dry_run,
        )
    data = {
        "dry_run": args.dry_run,
        "call_attempts": report.call_attempts,
        "call_outcomes": report.call_outcomes,
        "revoked_consents": report.revoked_consents,
        "dnc_entries": report.dnc_entries,
    }
    verb = "would delete" if args.dry_run else "deleted"
    _print(
        args,
        data,
        f"purge {verb}: " + ", ".join(f"{k} {v}" for k, v in data.items() if k != "dry_run"),
    )


def cmd_privacy_object(args: argparse.Namespace) -> None:
    store = _store(args)
    with store.db.begin() as conn:
        cid = privacy.record_objection(
            conn, store.cipher, store.audit, store.firm_id, args.number, _caller(args), _now(args)
        )
    print(f"contact #{cid}: objection to direct marketing recorded; no marketing calls from now")


def cmd_reassigned_record(args: argparse.Namespace) -> None:
    store = _store(args)
    with store.db.begin() as conn:
        rid = privacy.record_reassigned_check(
            conn,
            store.cipher,
            store.audit,
            args.number,
            args.result,
            _day(args.checked_on, "--checked-on"),
            _caller(args),
            _now(args),
        )
    print(f"Reassigned Numbers Database answer #{rid} recorded for {mask_number(args.number)}")


def cmd_keys_rotate(args: argparse.Namespace) -> None:
    store = _store(args)
    count = rotate_keys(store, _now(args), _caller(args))
    print(f"keys rotated: {count} encrypted values re-encrypted with the new key")


def cmd_users_add(args: argparse.Namespace) -> None:
    store = _store(args)
    with store.db.begin() as conn:
        uid = users.add_user(
            conn, store.cipher, store.firm_id, args.email, args.name, args.role, _now(args)
        )
    print(f"user #{uid} added with role {args.role}")


def cmd_users_attest(args: argparse.Namespace) -> None:
    store = _store(args)
    with store.db.begin() as conn:
        aid = users.attest_training(
            conn, args.user_id, args.course, _day(args.on, "--on"), args.valid_days, _now(args)
        )
    print(f"training attestation #{aid} recorded for user #{args.user_id}")


def add_commands(sub: Any) -> None:
    """Register the store's commands on the main parser's subparsers."""
    p = sub.add_parser("contact", help="add contacts to the evidence store")
    s = p.add_subparsers(dest="contact_cmd", required=True)
    a = s.add_parser(
        "add",
        help="add a contact",
        epilog="example: lexdial contact add "
        "--number '+1 614 555 0101' --line-type wireless --state OH",
    )
    a.add_argument("--number", action="append", required=True, help="repeat for more numbers")
    a.add_argument("--line-type", choices=["wireless", "landline", "voip", "unknown"])
    a.add_argument("--name")
    a.add_argument("--country")
    a.add_argument("--state")
    a.add_argument("--zip")
    a.add_argument("--time-zone")
    a.add_argument("--relationship", default="none")
    a.add_argument("--last-transaction-on")
    a.add_argument("--inquiry-on")
    a.add_argument("--subscriber", choices=["consumer", "business"])
    a.add_argument("--matter-type")
    a.add_argument(
        "--lawful-basis", help="GDPR basis: 'consent', or 'marketing=consent,reminder=contract'"
    )
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=cmd_contact_add)
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
    a.add_argument("--at", help="when it is recorded (default now)")
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=cmd_consent_add)
    a = s.add_parser(
        "revoke",
        help="record a revocation",
        epilog="example: lexdial consent revoke 12 --channel sms --evidence STOP",
    )
    a.add_argument("consent_id", type=int)
    a.add_argument("--channel", required=True)
    a.add_argument("--evidence")
    a.add_argument("--at")
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=cmd_consent_revoke)
    a = s.add_parser(
        "show",
        help="every consent for a number",
        epilog="example: lexdial consent show '+1 614 555 0101'",
    )
    a.add_argument("number")
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=cmd_consent_show)

    a = sub.add_parser(
        "optout",
        help="honour a do-not-call request now, on every channel",
        epilog="example: lexdial optout '+1 614 555 0101' --channel staff",
    )
    a.add_argument("number")
    a.add_argument("--channel", required=True)
    a.add_argument("--evidence")
    a.add_argument("--at")
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=cmd_optout)

    a = sub.add_parser(
        "gate",
        help="decide and record one call attempt from the store",
        epilog="example: lexdial gate 7 --purpose reminder --technology prerecorded",
    )
    a.add_argument("contact_id", type=int)
    a.add_argument("--campaign", type=int)
    a.add_argument("--purpose")
    a.add_argument("--technology")
    a.add_argument("--subject")
    a.add_argument("--debt", help="the debt's reference, for a debt-collection call")
    a.add_argument("--at")
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=cmd_gate)

    p = sub.add_parser("audit", help="verify the hash-chained audit trail")
    s = p.add_subparsers(dest="audit_cmd", required=True)
    a = s.add_parser(
        "verify",
        help="detect edited, deleted or reordered entries",
        epilog="example: lexdial audit verify --anchor 1042:3f9a...",
    )
    a.add_argument("--anchor", help="SEQ:HASH of a head exported earlier")
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=cmd_audit_verify)

    a = sub.add_parser(
        "evidence",
        help="the evidence bundle for one number (JSON)",
        epilog="example: lexdial evidence '+1 614 555 0101' --out bundle.json",
    )
    a.add_argument("number")
    a.add_argument("--out")
    a.set_defaults(func=cmd_evidence)

    p = sub.add_parser("privacy", help="data-subject rights and retention")
    s = p.add_subparsers(dest="privacy_cmd", required=True)
    a = s.add_parser(
        "export",
        help="everything held about a person (JSON + CSV)",
        epilog="example: lexdial privacy export '+44 20 7946 0000' --out dsar/",
    )
    a.add_argument("number")
    a.add_argument("--out", required=True)
    a.set_defaults(func=cmd_privacy_export)
    a = s.add_parser(
        "erase",
        help="erase a person's data, keep a suppression tombstone",
        epilog="example: lexdial privacy erase '+44 20 7946 0000'",
    )
    a.add_argument("number")
    a.add_argument("--at")
    a.set_defaults(func=cmd_privacy_erase)
    a = s.add_parser(
        "purge",
        help="delete what is past its retention period",
        epilog="example: lexdial privacy purge --dry-run",
    )
    a.add_argument("--dry-run", action="store_true")
    a.add_argument("--at")
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=cmd_privacy_purge)

    a = s.add_parser(
        "object",
        help="record an objection to direct marketing (GDPR Art. 21)",
        epilog="example: lexdial privacy object '+353 85 000 0164'",
    )
    a.add_argument("number")
    a.add_argument("--at")
    a.set_defaults(func=cmd_privacy_object)

    p = sub.add_parser("reassigned", help="Reassigned Numbers Database answers")
    s = p.add_subparsers(dest="reassigned_cmd", required=True)
    a = s.add_parser(
        "record",
        help="record an RND answer for a number",
        epilog="example: lexdial reassigned record '+1 614 555 0101' --result no "
        "--checked-on 2026-11-30",
    )
    a.add_argument("number")
    a.add_argument("--result", required=True, choices=["no", "yes", "no_data"])
    a.add_argument("--checked-on", required=True)
    a.add_argument("--at")
    a.set_defaults(func=cmd_reassigned_record)

    p = sub.add_parser("keys", help="encryption keys")
    s = p.add_subparsers(dest="keys_cmd", required=True)
    a = s.add_parser(
        "rotate",
        help="new data key; re-encrypt every stored value",
        epilog="example: lexdial keys rotate",
    )
    a.add_argument("--at")
    a.set_defaults(func=cmd_keys_rotate)

    p = sub.add_parser("users", help="users, roles and training attestations")
    s = p.add_subparsers(dest="users_cmd", required=True)
    a = s.add_parser(
        "add",
        help="add a user",
        epilog="example: lexdial users add ana@firm.example --name 'Ana Diaz' --role agent",
    )
    a.add_argument("email")
    a.add_argument("--name", required=True)
    a.add_argument("--role", required=True, choices=list(users.ROLES))
    a.set_defaults(func=cmd_users_add)
    a = s.add_parser(
        "attest",
        help="record completed training",
        epilog="example: lexdial users attest 3 --course 'TCPA/DNC 2026' --on 2026-11-20",
    )
    a.add_argument("user_id", type=int)
    a.add_argument("--course", required=True)
    a.add_argument("--on", required=True)
    a.add_argument("--valid-days", type=int, default=365)
    a.set_defaults(func=cmd_users_attest)
