"""Command-line faces of what a call's lawfulness rests on: ``gate`` (decide and record one
attempt), ``audit verify`` (the hash-chained trail) and ``evidence`` (one number's bundle).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from lexdial.domain.decision import PURPOSES, TECHNOLOGIES
from lexdial.entrypoints import cli_common as common
from lexdial.entrypoints.progress import Bar
from lexdial.errors import AuditBrokenError


def cmd_gate(args: argparse.Namespace) -> None:
    from lexdial.service.gate import CallPlan, gate

    store = common.store(args)
    with store.unit_of_work() as uow:
        result = gate(
            uow,
            store.rules,
            store.cipher,
            store.audit,
            store.registry,
            firm_id=store.firm_id,
            contact_id=args.contact_id,
            at=common.now(args),
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
    common.show(args, {"attempt_id": result.attempt_id, **d.to_json()}, text)


#: numbers from which ``audit verify`` shows its progress
BAR_FROM = 2000


def cmd_audit_verify(args: argparse.Namespace) -> None:
    from lexdial.bootstrap import verify_audit

    # every signed checkpoint published so far pins its entry: a truncated or rewritten
    # chain fails without anyone having exported an anchor; a tampered line fails itself
    # and every record of every firm is compared with its audit entries (an operator's
    # command: the store's whole record, with a progress bar, as it can take a while)
    bar: Bar | None = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None and total >= BAR_FROM:  # a small store's check is over at once
            bar = Bar("comparing records with the audit trail", total)
        if bar is not None:
            bar.update(done, "numbers")

    result = verify_audit(common.store(args), args.anchor, field="--anchor", progress=progress)
    if bar is not None:
        bar.close(result.records.numbers)
    data = {**result.to_json(), "head": result.head}
    latest = f"; {result.checkpoints} signed checkpoint(s) hold" if result.checkpoints else ""
    lines = [
        f"audit trail intact: {result.count} entries, head {result.head}{latest}"
        if result.chain_ok
        else f"AUDIT TRAIL BROKEN at seq {result.bad_seq}: {result.problem} ({result.detail})"
    ]
    lines += [f"CHECKPOINT FILE TAMPERED: {problem}" for problem in result.checkpoint_problems]
    records = result.records
    lines.append(
        f"records agree with the trail: {records.numbers} numbers' consents, decisions, "
        "outcomes and opt-outs checked"
        if records.ok
        else f"RECORDS CHANGED OUTSIDE LEXDIAL: {len(records.problems)} record(s) no longer "
        "say what the audit trail recorded"
    )
    for p in records.problems:
        j = p.to_json()
        firm = f"firm {p.firm_id}" if p.firm_id is not None else "firm unknown"
        entry = f"audit entry {j['audit_seq']}" if j["audit_seq"] else "no audit entry"
        lines.append(
            f"  {j['table']} id {j['id']} ({firm}), {j['field'] or 'the whole row'}, "
            f"{entry}: {j['problem']}"
        )
    common.show(args, data, "\n".join(lines))
    if not result.ok:  # what failed is on stdout already: stderr says why the exit is 5
        raise AuditBrokenError("the audit trail fails verification (see above)")


def cmd_evidence(args: argparse.Namespace) -> None:
    from lexdial.bootstrap import evidence_anchors, write_private_file
    from lexdial.entrypoints.render import mask_number
    from lexdial.service import evidence

    store = common.store(args)
    anchors = evidence_anchors(store)
    with store.reading() as uow:
        bundle = evidence.bundle(uow, store.cipher, store.firm_id, args.number, anchors=anchors)
    out = Path(args.out) if args.out else None
    text = json.dumps(bundle, indent=2, default=str)
    if out:
        common.refuse_overwrite(out, args.force, "--out")
        write_private_file(out, text)
        summary = {
            "out": str(out),
            "decisions": len(bundle["decisions"]),
            "consents": len(bundle["consents"]),
        }
        common.show(
            args,
            summary,
            f"evidence bundle for {mask_number(args.number)} written to {out} "
            f"({summary['decisions']} decisions, {summary['consents']} consents)",
        )
    else:
        print(text)  # the bundle is JSON already, with or without --json


def add_commands(sub: Any) -> None:
    """Register ``gate``, ``audit verify`` and ``evidence`` on the main parser's subparsers."""
    a = sub.add_parser(
        "gate",
        help="decide and record one call attempt from the store",
        epilog="example: lexdial gate 1 --purpose reminder --technology prerecorded",
        parents=common.options(json=True, at=True),
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
    a.set_defaults(func=cmd_gate)

    p = sub.add_parser("audit", help="verify the hash-chained audit trail")
    s = p.add_subparsers(dest="audit_cmd", required=True)
    a = s.add_parser(
        "verify",
        help="detect edited, deleted or reordered entries",
        epilog="example: lexdial audit verify   (the head it prints is a later --anchor)",
        parents=common.options(json=True),
    )
    a.add_argument(
        "--anchor",
        help="SEQ:HASH, the head printed by an earlier 'audit verify' (catches truncation)",
    )
    a.set_defaults(func=cmd_audit_verify)

    a = sub.add_parser(
        "evidence",
        help="the evidence bundle for one number (JSON)",
        epilog="example: lexdial evidence '+1 614 555 0101' --out bundle.json",
        parents=common.options(json="with --out: the summary as JSON"),
    )
    a.add_argument("number")
    a.add_argument("--out", help="write the bundle to this file (default: print it)")
    a.add_argument("--force", action="store_true", help="replace an existing --out file")
    a.set_defaults(func=cmd_evidence)
