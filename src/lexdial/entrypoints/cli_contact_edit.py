"""``lexdial contact edit``: correct what was stored wrongly about a contact (the service is
``service.contacts_edit``; its errors are shown under the option the user typed)."""

from __future__ import annotations

import argparse
from typing import Any

from lexdial.domain.decision import RELATIONSHIPS
from lexdial.entrypoints import cli_common as common
from lexdial.errors import RequestError

#: ``contact edit`` options -> the service's field (an empty value clears the field)
_EDIT_FIELDS = (
    ("name", "name"),
    ("relationship", "relationship"),
    ("subscriber", "subscriber"),
    ("matter_type", "matter_type"),
    ("matter_ref", "matter_ref"),
    ("last_transaction_on", "last_transaction_on"),
    ("inquiry_on", "inquiry_on"),
)
_ADDRESS_PARTS = ("country", "state", "zip", "postcode", "time_zone")
#: the service's field -> the option the user typed (its errors are shown in those words)
_OPTION_OF = {
    "line_type": "--line-type",
    "line_types": "--number",
    "changes": "contact edit",
    **{f: "--" + f.replace("_", "-") for f, _ in _EDIT_FIELDS},
}


def _edit_changes(args: argparse.Namespace) -> dict[str, Any]:
    changes: dict[str, Any] = {
        field: getattr(args, opt) for opt, field in _EDIT_FIELDS if getattr(args, opt) is not None
    }
    address = {k: getattr(args, k) for k in _ADDRESS_PARTS if getattr(args, k) is not None}
    if address:
        changes["address"] = address
    if args.number is not None and args.line_type is None:
        raise RequestError(
            "--number",
            "names the number whose --line-type changes; a number itself is not edited (a new "
            "number is a new contact number with its own consents: 'lexdial contact add')",
        )
    if args.line_type is not None:
        if args.number is not None:
            changes["line_types"] = {args.number: args.line_type}
        else:
            changes["line_type"] = args.line_type
    return changes


def cmd_contact_edit(args: argparse.Namespace) -> None:
    from lexdial.service.contacts_edit import edit_contact

    store = common.store(args)
    try:
        with store.unit_of_work() as uow:
            changed = edit_contact(
                uow,
                store.cipher,
                store.firm_id,
                args.contact_id,
                _edit_changes(args),
                common.now(args),
                audit=store.audit,
                caller=common.caller(args),
            )
    except RequestError as exc:
        # the service names the stored field (address.state); the user typed --state
        option = (
            "--" + exc.field[8:].replace("_", "-")
            if exc.field.startswith("address.")
            else _OPTION_OF.get(exc.field)
        )
        if option is None or type(exc) is not RequestError:
            raise
        if option == "contact edit":
            raise RequestError("", "give at least one option to change") from None
        raise RequestError(option, exc.message) from None
    text = (
        f"contact #{args.contact_id} corrected: {', '.join(changed)}"
        if changed
        else f"contact #{args.contact_id} already holds these values: nothing changed"
    )
    common.show(args, {"contact_id": args.contact_id, "changed": changed}, text)


def add_contact_edit(s: Any) -> None:
    """Register ``edit`` on the ``contact`` subparsers."""
    a = s.add_parser(
        "edit",
        help="correct a contact's name, address, relationship, matter or line type",
        description="Correct what was stored wrongly; each value is checked as 'contact add' "
        "checks it, and an empty value ('') clears the field. A number itself is not edited: "
        "a new number is a new contact number with its own consents. Consents and opt-outs "
        "are not changed.",
        epilog="example: lexdial contact edit 1 --state OH --zip 43215",
        parents=common.options(json=True),
    )
    a.add_argument("contact_id", type=int, metavar="ID")
    a.add_argument("--name")
    a.add_argument("--country")
    a.add_argument("--state")
    a.add_argument("--zip")
    a.add_argument("--postcode")
    a.add_argument("--time-zone")
    a.add_argument("--relationship", choices=sorted(RELATIONSHIPS))
    a.add_argument("--subscriber")
    a.add_argument("--matter-type")
    a.add_argument("--matter-ref")
    a.add_argument("--last-transaction-on")
    a.add_argument("--inquiry-on")
    a.add_argument("--line-type", help="the line type of the contact's number")
    a.add_argument(
        "--number", help="which of the contact's numbers --line-type is for (if several)"
    )
    a.set_defaults(func=cmd_contact_edit)
