"""Command-line faces of the evidence store: contacts, consents, opt-outs, the gate, the
audit trail, evidence bundles, privacy rights and key rotation.

Each command opens the store (``bootstrap.open_store``), runs one service in one
transaction and prints a short, number-masked result (``--json`` for scripts).
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lexdial.domain.decision import PURPOSES, RELATIONSHIPS, TECHNOLOGIES
from lexdial.domain.roles import ROLES
from lexdial.errors import LexdialError, RequestError

# each command imports the services it runs: building the parser (``lexdial --help``,
# ``lexdial decide``) must not load the database layer (tests/unit/test_cli_startup.py)
if TYPE_CHECKING:
    from lexdial.bootstrap import Store
    from lexdial.service.users import Caller


def _caller(args: argparse.Namespace) -> Caller:
    """``--user ID`` acts as that user (its role is checked); otherwise the local operator,
    who holds the key file, acts as admin and is named on the audit trail by the operating
    system's login name (``cli:operator:jdoe``), so two people at one store are told apart."""
    from lexdial.service.users import OPERATOR, Caller

    user_id = getattr(args, "user", None)
    if user_id is not None:
        return Caller.user(user_id)
    return Caller(f"{OPERATOR.label}:{_login()}"[:100], OPERATOR.role)


def _login() -> str:
    try:
        return getpass.getuser() or "unknown"
    except (OSError, KeyError):  # no login name (e.g. a container's numeric uid)
        return "unknown"


#: stores a command opened, closed by ``close_stores`` when the command ends
_OPENED: list[Store] = []


def _store(args: argparse.Namespace) -> Store:
    """The configured store, named on stderr so nobody works on the wrong one unawares;
    it acts for the firm its settings name, and ``--user`` must be of that firm."""
    from lexdial.bootstrap import open_store, store_place
    from lexdial.config import load_settings
    from lexdial.service import users
    from lexdial.service.users import Caller

    settings = load_settings(args.settings)
    store = open_store(settings)
    _OPENED.append(store)
    print(f"lexdial: {store_place(settings).describe(settings.firm_name)}", file=sys.stderr)
    user_id = getattr(args, "user", None)
    if user_id is not None:
        with store.reading() as uow:
            users.check_same_firm(uow, Caller.user(user_id), store.firm_id)
    return store


def close_stores() -> None:
    """Publish a signed checkpoint of each store's audit head if the command moved it, then
    return the connections of every store this process's commands opened."""
    if not _OPENED:
        return
    from lexdial.bootstrap import publish_checkpoint

    while _OPENED:
        store = _OPENED.pop()
        try:
            publish_checkpoint(store)
        except (LexdialError, OSError) as exc:  # the command's own result stands; say why
            print(f"lexdial: warning: no audit checkpoint published: {exc}", file=sys.stderr)
        finally:
            store.db.dispose()


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


def when(value: Any) -> str:
    """A stored instant for people, always with its zone (the store keeps UTC)."""
    if value is None:
        return "-"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        return f"{value.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    return str(value)


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
    from lexdial.service.contacts import NewContact, add_contact

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
    with store.unit_of_work() as uow:
        cid = add_contact(
            uow,
            store.cipher,
            store.firm_id,
            new,
            _now(args),
            audit=store.audit,
            caller=_caller(args),
        )
    _print(args, {"contact_id": cid}, f"contact #{cid} added")


def cmd_consent_add(args: argparse.Namespace) -> None:
    from lexdial.bootstrap import read_given_file
    from lexdial.entrypoints.render import mask_number
    from lexdial.service import consent as consent_svc

    store = _store(args)
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
            uow, store.cipher, store.audit, store.firm_id, new, _caller(args), _now(args)
        )
    _print(args, {"consent_id": cid}, f"consent #{cid} recorded for {mask_number(args.number)}")


def cmd_consent_revoke(args: argparse.Namespace) -> None:
    from lexdial.service import consent as consent_svc

    store = _store(args)
    at = _now(args)
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
            _caller(args),
            at,
        )
    _print(args, {"revocation_id": rid}, f"consent #{args.consent_id} revoked ({args.channel})")


def cmd_consent_show(args: argparse.Namespace) -> None:
    from lexdial.entrypoints.render import mask_number
    from lexdial.service import consent as consent_svc

    store = _store(args)
    with store.reading() as uow:
        rows = consent_svc.consents_for(uow, store.cipher, store.firm_id, args.number)
    lines = [f"Consents for {mask_number(args.number)}: {len(rows)}"]
    for r in rows:
        state = (
            f"REVOKED {when(r['revoked_at'])} via {r['revoked_via']}"
            if r["revoked_at"]
            else "in force"
        )
        lines.append(
            f"  #{r['id']} {r['kind']} scope={','.join(r['scope'])} given {when(r['given_at'])}"
            f" by {r['method']} ({r['disclosure_version']}, sha256 "
            f"{r['disclosure_sha256'][:12]}...) {state}"
        )
    _print(args, rows, "\n".join(lines))


def cmd_optout(args: argparse.Namespace) -> None:
    from lexdial.entrypoints.render import mask_number
    from lexdial.service.optout import opt_out

    store = _store(args)
    with store.unit_of_work() as uow:
        done = opt_out(
            uow,
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
    from lexdial.service.gate import CallPlan, gate

    store = _store(args)
    with store.unit_of_work() as uow:
        result = gate(
            uow,
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
    # rules failing under several codes give one explanation: say it once, with every code
    said: dict[tuple[str, str], list[str]] = {}
    for r in d.reasons:
        said.setdefault((r.message, r.citation), []).append(r.code)
    for (message, citation), codes in said.items():
        text += f"\n  {', '.join(codes)}: {message} [{citation}]"
    _print(args, {"attempt_id": result.attempt_id, **d.to_json()}, text)


def cmd_audit_verify(args: argparse.Namespace) -> None:
    from lexdial.bootstrap import verify_audit

    # every signed checkpoint published so far pins its entry: a truncated or rewritten
    # chain fails without anyone having exported an anchor; a tampered line fails itself
    result = verify_audit(_store(args), args.anchor, field="--anchor")
    data = {**result.to_json(), "head": result.head}
    latest = f"; {result.checkpoints} signed checkpoint(s) hold" if result.checkpoints else ""
    lines = [
        f"audit trail intact: {result.count} entries, head {result.head}{latest}"
        if result.chain_ok
        else f"AUDIT TRAIL BROKEN at seq {result.bad_seq}: {result.problem} ({result.detail})"
    ]
    lines += [f"CHECKPOINT FILE TAMPERED: {problem}" for problem in result.checkpoint_problems]
    _print(args, data, "\n".join(lines))
    if not result.ok:
        sys.exit(5)


def cmd_evidence(args: argparse.Namespace) -> None:
    from lexdial.bootstrap import write_private_file
    from lexdial.entrypoints.render import mask_number
    from lexdial.service import evidence

    store = _store(args)
    with store.reading() as uow:
        bundle = evidence.bundle(uow, store.cipher, store.firm_id, args.number)
    out = Path(args.out) if args.out else None
    text = json.dumps(bundle, indent=2, default=str)
    if out:
        _refuse_overwrite(out, args.force, "--out")
        write_private_file(out, text)
        summary = {
            "out": str(out),
            "decisions": len(bundle["decisions"]),
            "consents": len(bundle["consents"]),
        }
        _print(
            args,
            summary,
            f"evidence bundle for {mask_number(args.number)} written to {out} "
            f"({summary['decisions']} decisions, {summary['consents']} consents)",
        )
    else:
        print(text)  # the bundle is JSON already, with or without --json


def cmd_privacy_export(args: argparse.Namespace) -> None:
    from lexdial.bootstrap import private_folder, write_private_file
    from lexdial.entrypoints.render import mask_number
    from lexdial.service import privacy

    store = _store(args)
    with store.reading() as uow:
        data = privacy.export_person(uow, store.cipher, store.firm_id, args.number)
    out = Path(args.out)
    files = (out / "export.json", out / "export.csv")
    for path in files:  # one person's export must never silently replace another's
        _refuse_overwrite(path, args.force, "--out")
    private_folder(out)
    write_private_file(files[0], json.dumps(data, indent=2))
    write_private_file(files[1], privacy.export_csv(data))
    _print(
        args,
        {"files": [str(p) for p in files]},
        f"export for {mask_number(args.number)} written to {files[0]} and {files[1]}",
    )


def _refuse_overwrite(path: Path, force: bool, field: str) -> None:
    if path.exists() and not force:
        raise RequestError(field, f"{path} already exists; choose another place or add --force")


def _confirmed(args: argparse.Namespace, question: str) -> None:
    """Irreversible commands ask first; ``--yes`` answers for scripts (no terminal: refuse)."""
    if args.yes:
        return
    if not sys.stdin.isatty():
        raise RequestError("--yes", "this cannot be undone; add --yes to confirm it in a script")
    print(f"{question} [y/N] ", end="", file=sys.stderr, flush=True)
    if sys.stdin.readline().strip().lower() not in ("y", "yes"):
        raise RequestError("--yes", "not confirmed; nothing was erased")


def cmd_privacy_erase(args: argparse.Namespace) -> None:
    from lexdial.entrypoints.render import mask_number
    from lexdial.service import privacy

    _confirmed(
        args,
        f"Erase every personal detail held for {mask_number(args.number)}? "
        "This cannot be undone (the number stays suppressed).",
    )
    store = _store(args)
    with store.unit_of_work() as uow:
        cid = privacy.erase_person(
            uow, store.cipher, store.audit, store.firm_id, args.number, _caller(args), _now(args)
        )
    _print(
        args,
        {"contact_id": cid, "erased": True},
        f"contact #{cid}: personal data erased; the number stays suppressed by a tombstone",
    )


def cmd_privacy_purge(args: argparse.Namespace) -> None:
    from lexdial.service import privacy

    store = _store(args)
    with store.unit_of_work() as uow:
        report = privacy.purge(
            uow,
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
    from lexdial.service import privacy

    store = _store(args)
    with store.unit_of_work() as uow:
        cid = privacy.record_objection(
            uow, store.cipher, store.audit, store.firm_id, args.number, _caller(args), _now(args)
        )
    print(f"contact #{cid}: objection to direct marketing recorded; no marketing calls from now")


def cmd_reassigned_record(args: argparse.Namespace) -> None:
    from lexdial.entrypoints.render import mask_number
    from lexdial.service import privacy

    store = _store(args)
    with store.unit_of_work() as uow:
        rid = privacy.record_reassigned_check(
            uow,
            store.cipher,
            store.audit,
            store.firm_id,
            args.number,
            args.result,
            _day(args.checked_on, "--checked-on"),
            _caller(args),
            _now(args),
        )
    print(f"Reassigned Numbers Database answer #{rid} recorded for {mask_number(args.number)}")


def cmd_keys_rotate(args: argparse.Namespace) -> None:
    from lexdial.bootstrap import rotate_store_keys

    store = _store(args)
    count = rotate_store_keys(store, _now(args), _caller(args))
    print(f"keys rotated: {count} encrypted values re-encrypted with the new key")


def cmd_users_add(args: argparse.Namespace) -> None:
    from lexdial.service import users

    store = _store(args)
    with store.unit_of_work() as uow:
        uid = users.add_user(
            uow, store.cipher, store.firm_id, args.email, args.name, args.role, _now(args),
            audit=store.audit, caller=_caller(args),
        )  # fmt: skip
    _print(args, {"user_id": uid, "role": args.role}, f"user #{uid} added with role {args.role}")


def cmd_users_attest(args: argparse.Namespace) -> None:
    from lexdial.service import users

    store = _store(args)
    with store.unit_of_work() as uow:
        aid = users.attest_training(
            uow, args.user_id, args.course, _day(args.on, "--on"), args.valid_days, _now(args),
            _caller(args), audit=store.audit, firm_id=store.firm_id,
        )  # fmt: skip
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
        epilog="example: lexdial consent revoke 1 --channel sms --evidence STOP",
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
        epilog="example: lexdial gate 1 --purpose reminder --technology prerecorded",
    )
    a.add_argument("contact_id", type=int)
    a.add_argument("--campaign", type=int)
    a.add_argument(
        "--purpose",
        choices=sorted(PURPOSES),
        help="why the call is made (default: the campaign's, with --campaign)",
    )
    a.add_argument(
        "--technology",
        choices=sorted(TECHNOLOGIES),
        help="how it would be placed (default: the campaign's, with --campaign)",
    )
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
        epilog="example: lexdial audit verify   (the head it prints is a later --anchor)",
    )
    a.add_argument(
        "--anchor",
        help="SEQ:HASH, the head printed by an earlier 'audit verify' (catches truncation)",
    )
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=cmd_audit_verify)

    a = sub.add_parser(
        "evidence",
        help="the evidence bundle for one number (JSON)",
        epilog="example: lexdial evidence '+1 614 555 0101' --out bundle.json",
    )
    a.add_argument("number")
    a.add_argument("--out", help="write the bundle to this file (default: print it)")
    a.add_argument("--force", action="store_true", help="replace an existing --out file")
    a.add_argument("--json", action="store_true", help="with --out: the summary as JSON")
    a.set_defaults(func=cmd_evidence)

    p = sub.add_parser("privacy", help="data-subject rights and retention")
    s = p.add_subparsers(dest="privacy_cmd", required=True)
    a = s.add_parser(
        "export",
        help="everything held about a person (JSON + CSV)",
        epilog="example: lexdial privacy export '+1 614 555 0101' --out dsar/",
    )
    a.add_argument("number")
    a.add_argument("--out", required=True, help="folder for export.json and export.csv")
    a.add_argument("--force", action="store_true", help="replace an export already there")
    a.add_argument("--json", action="store_true", help="machine-readable output")
    a.set_defaults(func=cmd_privacy_export)
    a = s.add_parser(
        "erase",
        help="erase a person's data, keep a suppression tombstone",
        epilog="example: lexdial privacy erase '+1 614 555 0101' --yes",
    )
    a.add_argument("number")
    a.add_argument("--yes", action="store_true", help="do not ask for confirmation (scripts)")
    a.add_argument("--json", action="store_true", help="machine-readable output")
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
        epilog="example: lexdial privacy object '+1 614 555 0101'",
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
    a.add_argument("--role", required=True, choices=list(ROLES))
    a.add_argument("--json", action="store_true", help="machine-readable output")
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
