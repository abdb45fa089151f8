"""The firm's disposition list: what an agent may record at the end of a call (issue 12).

Rule 1: a firm's list starts as ``domain.desk.DEFAULT_DISPOSITIONS`` the first time it is
read (so a firm made before the desk existed, or by any path, has one); reading is
therefore done inside a unit of work that may write.
Rule 2: admins and managers add and retire codes (audited ``disposition.added`` /
``disposition.retired`` / ``disposition.restored``); a code is never deleted, so an old
disposition keeps its meaning; ``asked_not_to_call`` cannot be retired.
Rule 3: everyone of the firm may read the list (the desk shows it).

Functions (stable signatures, used by the API, the CLI and the HTML desk):
    codes(uow, caller, *, firm_id, active_only=False) -> list[DispositionCode]
    add_code(uow, audit, caller, *, firm_id, code, label, is_callback, at) -> DispositionCode
    set_active(uow, audit, caller, *, firm_id, code, active, at) -> DispositionCode
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from lexdial.domain.desk import (
    ASKED_NOT_TO_CALL,
    DEFAULT_DISPOSITIONS,
    check_code,
    check_label,
)
from lexdial.errors import NotFoundError, RequestError
from lexdial.service.repos.desk import DispositionCode
from lexdial.service.users import Caller, authorize

if TYPE_CHECKING:
    from lexdial.service.ports import Audit
    from lexdial.service.storage import UnitOfWork

#: who edits the list
EDIT_ACTION = "campaign.write"
EDIT_ROLES = frozenset({"admin", "manager"})


def firm_codes(uow: UnitOfWork, firm_id: int) -> list[DispositionCode]:
    """The firm's whole list, seeding the default list the first time (Rule 1)."""
    found = uow.desk.disposition_codes(firm_id)
    if found:
        return found
    for i, (code, label, is_callback) in enumerate(DEFAULT_DISPOSITIONS):
        uow.desk.add_disposition_code(
            DispositionCode(firm_id, code, label, is_callback, True, (i + 1) * 10)
        )
    return uow.desk.disposition_codes(firm_id)


def active_code(uow: UnitOfWork, firm_id: int, code: str) -> DispositionCode:
    """The firm's active code ``code``, or RequestError naming "code" with the choices."""
    listed = [c for c in firm_codes(uow, firm_id) if c.active]
    for c in listed:
        if c.code == code:
            return c
    raise RequestError(
        "code", "must be one of the firm's codes: " + ", ".join(c.code for c in listed)
    )


def codes(
    uow: UnitOfWork, caller: Caller, *, firm_id: int, active_only: bool = False
) -> list[DispositionCode]:
    """The firm's list (Rule 3), active codes only when asked."""
    authorize(uow, caller, "read", firm_id)
    found = firm_codes(uow, firm_id)
    return [c for c in found if c.active] if active_only else found


def _editor(uow: UnitOfWork, caller: Caller, firm_id: int) -> str:
    actor = authorize(uow, caller, EDIT_ACTION, firm_id)
    if caller.user_id is not None:
        role = uow.users.active_role(caller.user_id)
        if role not in EDIT_ROLES:
            from lexdial.errors import PermissionDeniedError

            raise PermissionDeniedError(
                f"a caller with role '{role}' may not edit the disposition list"
            )
    return actor


def add_code(
    uow: UnitOfWork,
    audit: Audit,
    caller: Caller,
    *,
    firm_id: int,
    code: str,
    label: str,
    is_callback: bool,
    at: datetime,
) -> DispositionCode:
    """Add a code to the firm's list, after the existing ones (Rule 2)."""
    actor = _editor(uow, caller, firm_id)
    value, text = check_code(code), check_label(label)
    existing = firm_codes(uow, firm_id)
    if any(c.code == value for c in existing):
        raise RequestError("code", f"'{value}' is already on the firm's list")
    order = max((c.sort_order for c in existing), default=0) + 10
    new = DispositionCode(firm_id, value, text, bool(is_callback), True, order)
    uow.desk.add_disposition_code(new)
    audit.record(
        uow, at=at, actor=actor, action="disposition.added", subject=f"firm:{firm_id}",
        data={"code": value, "label": text, "is_callback": new.is_callback},
    )  # fmt: skip
    return new


def set_active(
    uow: UnitOfWork,
    audit: Audit,
    caller: Caller,
    *,
    firm_id: int,
    code: str,
    active: bool,
    at: datetime,
) -> DispositionCode:
    """Retire (``active=False``) or restore a code (Rule 2)."""
    actor = _editor(uow, caller, firm_id)
    value = check_code(code)
    found = next((c for c in firm_codes(uow, firm_id) if c.code == value), None)
    if found is None:
        raise NotFoundError("code", f"no disposition code '{value}' on the firm's list")
    if not active and value == ASKED_NOT_TO_CALL:
        raise RequestError(
            "code", f"'{ASKED_NOT_TO_CALL}' cannot be retired: a verbal revocation must always "
            "be recordable (47 CFR 64.1200(a)(10))",
        )  # fmt: skip
    if found.active != active:
        uow.desk.set_disposition_code_active(firm_id, value, active)
        audit.record(
            uow, at=at, actor=actor,
            action="disposition.restored" if active else "disposition.retired",
            subject=f"firm:{firm_id}", data={"code": value},
        )  # fmt: skip
    return replace(found, active=active)
