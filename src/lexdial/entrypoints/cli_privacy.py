"""Command-line faces of data-subject rights and stored data: ``privacy export|erase|purge|
object``, ``reassigned record`` (is the number still the person's) and ``keys rotate``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from lexdial.entrypoints import cli_common as common
from lexdial.errors import RequestError


def cmd_privacy_export(args: argparse.Namespace) -> None:
    from lexdial.bootstrap import private_folder, write_private_file
    from lexdial.entrypoints.render import mask_number
    from lexdial.service import privacy

    out = Path(args.out)
    _export_folder(out)
    store = common.store(args)
    with store.reading() as uow:
        data = privacy.export_person(uow, store.cipher, store.firm_id, args.number)
    files = (out / "export.json", out / "export.csv")
    for path in files:  # one person's export must never silently replace another's
        common.refuse_overwrite(path, args.force, "--out")
    private_folder(out)
    write_private_file(files[0], json.dumps(data, indent=2))
    write_private_file(files[1], privacy.export_csv(data))
    common.show(
        args,
        {"files": [str(p) for p in files]},
        f"export for {mask_number(args.number)} written to {files[0]} and {files[1]}",
    )


def _export_folder(out: Path) -> None:
    """``--out`` names a folder: ``--out ana.json`` would make a folder called ana.json."""
    if out.suffix.lower() in (".json", ".csv", ".zip", ".txt") and not out.is_dir():
        raise RequestError(
            "--out", f"{out} names a file; give a folder (export.json and export.csv go in it)"
        )


def cmd_privacy_erase(args: argparse.Namespace) -> None:
    from lexdial.entrypoints.render import mask_number
    from lexdial.service import privacy

    common.confirmed(
        args,
        f"Erase every personal detail held for {mask_number(args.number)}? "
        "This cannot be undone (the number stays suppressed).",
    )
    store = common.store(args)
    with store.unit_of_work() as uow:
        cid = privacy.erase_person(
            uow,
            store.cipher,
            store.audit,
            store.firm_id,
            args.number,
            common.caller(args),
            common.now(args),
        )
    common.show(
        args,
        {"contact_id": cid, "erased": True},
        f"contact #{cid}: personal data erased; the number stays suppressed by a tombstone",
    )


def cmd_privacy_purge(args: argparse.Namespace) -> None:
    from lexdial.service import privacy

    store = common.store(args)
    with store.unit_of_work() as uow:
        report = privacy.purge(
            uow,
            store.audit,
            common.now(args),
            store.settings.retention or {},
            common.caller(args),
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
    common.show(
        args,
        data,
        f"purge {verb}: " + ", ".join(f"{k} {v}" for k, v in data.items() if k != "dry_run"),
    )


def cmd_privacy_object(args: argparse.Namespace) -> None:
    from lexdial.service import privacy

    store = common.store(args)
    with store.unit_of_work() as uow:
        cid = privacy.record_objection(
            uow,
            store.cipher,
            store.audit,
            store.firm_id,
            args.number,
            common.caller(args),
            common.now(args),
        )
    print(f"contact #{cid}: objection to direct marketing recorded; no marketing calls from now")


def cmd_reassigned_record(args: argparse.Namespace) -> None:
    from lexdial.entrypoints.render import mask_number
    from lexdial.service import privacy

    store = common.store(args)
    with store.unit_of_work() as uow:
        rid = privacy.record_reassigned_check(
            uow,
            store.cipher,
            store.audit,
            store.firm_id,
            args.number,
            args.result,
            common.day(args.checked_on, "--checked-on"),
            common.caller(args),
            common.now(args),
        )
    print(f"Reassigned Numbers Database answer #{rid} recorded for {mask_number(args.number)}")


def cmd_keys_rotate(args: argparse.Namespace) -> None:
    from lexdial.bootstrap import rotate_store_keys

    store = common.store(args)
    count = rotate_store_keys(store, common.now(args), common.caller(args))
    print(f"keys rotated: {count} encrypted values re-encrypted with the new key")


def add_commands(sub: Any) -> None:
    """Register ``privacy``, ``reassigned`` and ``keys`` on the main parser's subparsers."""
    p = sub.add_parser("privacy", help="data-subject rights and retention")
    s = p.add_subparsers(dest="privacy_cmd", required=True)
    a = s.add_parser(
        "export",
        help="everything held about a person (JSON + CSV)",
        epilog="example: lexdial privacy export '+1 614 555 0101' --out dsar/",
        parents=common.options(json=True),
    )
    a.add_argument("number")
    a.add_argument("--out", required=True, help="folder for export.json and export.csv")
    a.add_argument("--force", action="store_true", help="replace an export already there")
    a.set_defaults(func=cmd_privacy_export)
    a = s.add_parser(
        "erase",
        help="erase a person's data, keep a suppression tombstone",
        epilog="example: lexdial privacy erase '+1 614 555 0101' --yes",
        parents=common.options(json=True, at=True),
    )
    a.add_argument("number")
    a.add_argument("--yes", action="store_true", help="do not ask for confirmation (scripts)")
    a.set_defaults(func=cmd_privacy_erase)
    a = s.add_parser(
        "purge",
        help="delete what is past its retention period",
        epilog="example: lexdial privacy purge --dry-run",
        parents=common.options(json=True, at=True),
    )
    a.add_argument("--dry-run", action="store_true")
    a.set_defaults(func=cmd_privacy_purge)

    a = s.add_parser(
        "object",
        help="record an objection to direct marketing (GDPR Art. 21)",
        epilog="example: lexdial privacy object '+1 614 555 0101'",
        parents=common.options(at=True),
    )
    a.add_argument("number")
    a.set_defaults(func=cmd_privacy_object)

    p = sub.add_parser("reassigned", help="Reassigned Numbers Database answers")
    s = p.add_subparsers(dest="reassigned_cmd", required=True)
    a = s.add_parser(
        "record",
        help="record an RND answer for a number",
        epilog="example: lexdial reassigned record '+1 614 555 0101' --result no "
        "--checked-on 2026-11-30",
        parents=common.options(at=True),
    )
    a.add_argument("number")
    a.add_argument("--result", required=True, choices=["no", "yes", "no_data"])
    a.add_argument("--checked-on", required=True)
    a.set_defaults(func=cmd_reassigned_record)

    p = sub.add_parser("keys", help="encryption keys")
    s = p.add_subparsers(dest="keys_cmd", required=True)
    a = s.add_parser(
        "rotate",
        help="new data key; re-encrypt every stored value",
        epilog="example: lexdial keys rotate",
        parents=common.options(at=True),
    )
    a.set_defaults(func=cmd_keys_rotate)
