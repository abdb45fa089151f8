"""The agent desk, the contact directory and the disposition list over HTTP (issue 12).

Rule 1: each route calls one use case of the desk's services (``service.desk_*``),
``service.directory`` or ``service.dispositions``; every rule (who may sit at the desk,
which transition, the disposition before ready, the gate's check of a callback) is the
service's, and each refusal maps once (``errors.py``): a bad field 422 naming it, another
firm's record 404, a role that may not 403.
Rule 2: a seat is always the caller's own: no route takes a user id. Session callers send
the CSRF token on every POST, as on every other route.
Rule 3: a search by number from a role that sees numbers masked counts against the same
per-user bucket as ``GET /v1/contacts?number=`` (``number_lookups``), then 429.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from lexdial.entrypoints.api import number_lookups
from lexdial.entrypoints.api.deps import CampaignWriter, DecisionWriter, Reader, now, store
from lexdial.entrypoints.api.id_range import BodyId
from lexdial.entrypoints.api.routes_people import utc
from lexdial.service import (
    desk_callbacks,
    desk_dispositions,
    desk_line_requests,
    desk_presence,
    desk_preview,
    desk_screen_pop,
    desk_session,
    directory,
    dispositions,
)
from lexdial.service.repos.desk import CallDisposition, DeskSession, DispositionCode
from lexdial.service.views import sees_full_numbers

router = APIRouter(prefix="/v1")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginIn(_Body):
    campaign_id: BodyId
    #: one of the caller's endpoints (``/v1/users/{id}/endpoints``); none: simulated carrier
    endpoint_id: BodyId | None = None


class PauseIn(_Body):
    reason: str


class TransferIn(_Body):
    #: "user:ID" (another agent, ready on the campaign) or an E.164 number the firm lists
    #: in ``[desk] transfer_numbers``
    target: str
    warm: bool = True


class OptOutIn(_Body):
    notes: str | None = None


class DispositionIn(_Body):
    code: str
    notes: str | None = None


class CallbackIn(_Body):
    #: when to call back, with its UTC offset
    when: datetime


class CallIn(_Body):
    contact_id: BodyId


class CodeIn(_Body):
    code: str
    label: str = Field(min_length=1)
    is_callback: bool = False


class CodeRef(_Body):
    code: str


def seat_json(s: DeskSession | None) -> dict[str, Any]:
    """A seat as the desk polls it (``version`` grows with every change)."""
    if s is None:
        return {"state": "logged_out", "version": 0, "campaign_id": None}
    return {
        "state": s.state, "reason": s.reason, "since": utc(s.since), "campaign_id": s.campaign_id,
        "attempt_id": s.attempt_id, "preview_contact_id": s.preview_contact_id,
        "dial_contact_id": s.dial_contact_id, "dial_manual": s.dial_manual,
        "leg_up": s.leg_up, "endpoint_id": s.endpoint_id, "line_request": s.line_request,
        "version": s.version,
    }  # fmt: skip


def _disposition_json(d: CallDisposition) -> dict[str, Any]:
    # the notes stay encrypted at rest and are not echoed: the agent just typed them
    return {"attempt_id": d.attempt_id, "code": d.code, "notes": d.notes_enc is not None,
            "callback_at": utc(d.callback_at) if d.callback_at else None,
            "created_at": utc(d.created_at)}  # fmt: skip


def _code_json(c: DispositionCode) -> dict[str, Any]:
    return {"code": c.code, "label": c.label, "is_callback": c.is_callback, "active": c.active,
            "sort_order": c.sort_order}  # fmt: skip


# --- the seat


@router.get("/desk", tags=["desk"])
def desk_state(request: Request, caller: Reader) -> dict[str, Any]:
    """The caller's seat: state, reason, the call on screen, line requests, ``version``."""
    s = store(request)
    with s.reading() as uow:
        return seat_json(desk_session.desk_state(uow, caller))


@router.post("/desk/login", tags=["desk"])
def desk_login(request: Request, body: LoginIn, caller: DecisionWriter) -> dict[str, Any]:
    """Sit at the desk on a running or paused live-agent campaign: paused ("logging in")
    until ``/v1/desk/ready``."""
    s = store(request)
    with s.unit_of_work() as uow:
        seat = desk_presence.login(uow, s.audit, caller, body.campaign_id, body.endpoint_id,
                                   now(request), carrier=s.settings.telephony.carrier)  # fmt: skip
    return seat_json(seat)


@router.post("/desk/ready", tags=["desk"])
def desk_ready(request: Request, caller: DecisionWriter) -> dict[str, Any]:
    """Ready for the next call (refused while the last call has no disposition)."""
    s = store(request)
    with s.unit_of_work() as uow:
        return seat_json(desk_presence.ready(uow, s.audit, caller, now(request)))


@router.post("/desk/pause", tags=["desk"])
def desk_pause(request: Request, body: PauseIn, caller: DecisionWriter) -> dict[str, Any]:
    """Pause with a reason: break, lunch, meeting, training, technical problem, after-call
    work or other."""
    s = store(request)
    with s.unit_of_work() as uow:
        return seat_json(desk_presence.pause(uow, s.audit, caller, body.reason, now(request)))


@router.post("/desk/logout", tags=["desk"])
def desk_logout(request: Request, caller: DecisionWriter) -> dict[str, Any]:
    """Leave the desk (refused during a call)."""
    s = store(request)
    with s.unit_of_work() as uow:
        return seat_json(desk_presence.logout(uow, s.audit, caller, now(request)))


# --- the line


@router.post("/desk/hangup", tags=["desk"])
def desk_hangup(request: Request, caller: DecisionWriter) -> dict[str, Any]:
    """Ask the line to hang up the caller's call."""
    s = store(request)
    with s.unit_of_work() as uow:
        return seat_json(desk_line_requests.hang_up(uow, s.audit, caller, now(request)))


@router.post("/desk/transfer", tags=["desk"])
def desk_transfer(request: Request, body: TransferIn, caller: DecisionWriter) -> dict[str, Any]:
    """Ask the line to transfer the call, warm or cold, to another agent or to one of the
    numbers the firm lists in ``[desk] transfer_numbers``."""
    s = store(request)
    allowed = s.settings.desk.transfer_numbers
    with s.unit_of_work() as uow:
        seat = desk_line_requests.transfer(
            uow, s.cipher, s.audit, caller, body.target, body.warm, now(request), allowed=allowed
        )
    return seat_json(seat)


@router.post("/desk/opt-out", tags=["desk"])
def desk_opt_out(request: Request, body: OptOutIn, caller: DecisionWriter) -> dict[str, Any]:
    """The person on the call asked not to be called (47 CFR 64.1200(a)(10)): every number
    of theirs goes on the firm's do-not-call list now; the call's disposition is
    ``asked_not_to_call``."""
    s = store(request)
    with s.unit_of_work() as uow:
        done = desk_dispositions.verbal_opt_out(
            uow, s.cipher, s.audit, caller, now(request), notes=body.notes
        )
    return {"dnc_entry_id": done.dnc_entry_id, "consents_revoked": done.consents_revoked,
            "attempts_cancelled": done.attempts_cancelled, "contact": done.contact_id}  # fmt: skip


@router.post("/desk/disposition", status_code=201, tags=["desk"])
def desk_disposition(
    request: Request, body: DispositionIn, caller: DecisionWriter
) -> dict[str, Any]:
    """Record the disposition of the current or last call (once), notes encrypted."""
    s = store(request)
    with s.unit_of_work() as uow:
        d = desk_dispositions.record_disposition(uow, s.cipher, s.audit, caller, body.code,
                                                 body.notes, now(request))  # fmt: skip
    return _disposition_json(d)


@router.post("/desk/callback", status_code=201, tags=["desk"])
def desk_callback(request: Request, body: CallbackIn, caller: DecisionWriter) -> dict[str, Any]:
    """Schedule a callback of the last call's person: checked by the gate at that time (not
    recorded as an attempt); a defer answers the earliest lawful time (422, field "when")."""
    s = store(request)
    with s.unit_of_work() as uow:
        cb = desk_callbacks.schedule_callback(uow, s.rules, s.cipher, s.audit, s.registry,
                                              caller, body.when, now(request))  # fmt: skip
    return {"attempt_id": cb.attempt_id, "contact": cb.contact_id, "campaign_id": cb.campaign_id,
            "when": utc(cb.when), "rulepack": cb.rulepack}  # fmt: skip


@router.get("/desk/screen", tags=["desk"])
def desk_screen(request: Request, caller: Reader) -> dict[str, Any]:
    """The screen pop: the person, their consents, the gate's decision, the script and the
    disclosures the call needs, and whether a disposition is due."""
    s = store(request)
    with s.reading() as uow:
        pop = desk_screen_pop.screen_pop(uow, s.rules, s.cipher, s.registry, caller, now(request))
    return asdict(pop)


# --- preview and manual calls


@router.post("/desk/preview/call", tags=["desk"])
def desk_preview_call(request: Request, caller: DecisionWriter) -> dict[str, Any]:
    """Call the contact offered in preview (the gate runs again, recorded, at the dial)."""
    s = store(request)
    with s.unit_of_work() as uow:
        return seat_json(desk_preview.preview_call(uow, s.audit, caller, now(request)))


@router.post("/desk/preview/skip", tags=["desk"])
def desk_preview_skip(request: Request, caller: DecisionWriter) -> dict[str, Any]:
    """Pass on the contact offered in preview."""
    s = store(request)
    with s.unit_of_work() as uow:
        return seat_json(desk_preview.preview_skip(uow, s.audit, caller, now(request)))


@router.post("/desk/call", tags=["desk"])
def desk_click_to_call(request: Request, body: CallIn, caller: DecisionWriter) -> dict[str, Any]:
    """Call a contact from their page: the dialler gates it (recorded) like any call."""
    s = store(request)
    with s.unit_of_work() as uow:
        seat = desk_preview.click_to_call(uow, s.audit, caller, body.contact_id, now(request))
    return seat_json(seat)


# --- the directory


@router.get("/contacts/search", tags=["contacts"])
def search_contacts(
    request: Request,
    caller: Reader,
    name: str | None = None,
    number: str | None = None,
    matter: str | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Find contacts by name (every word, whole words), number (exact) or matter (type or
    ref words); numbers masked for roles that see them masked."""
    s = store(request)
    if number and number.strip():
        with s.reading() as uow:
            masked = not sees_full_numbers(uow, caller)
        if masked:
            number_lookups.take(request, caller)
    with s.unit_of_work() as uow:
        found = directory.search(uow, s.cipher, s.audit, caller, name=name, number=number,
                                 matter=matter, limit=limit, at=now(request))  # fmt: skip
    return [
        {"id": e.id, "name": e.name, "numbers": list(e.numbers),
         "numbers_masked": e.numbers_masked, "matter_type": e.matter_type}
        for e in found
    ]  # fmt: skip


# --- the disposition list


@router.get("/dispositions", tags=["desk"])
def list_dispositions(
    request: Request, caller: Reader, active_only: bool = False
) -> list[dict[str, Any]]:
    """The firm's disposition list (the default list the first time)."""
    s = store(request)
    with s.unit_of_work() as uow:  # the first read seeds the list
        found = dispositions.codes(uow, caller, firm_id=s.firm_id, active_only=active_only)
    return [_code_json(c) for c in found]


@router.post("/dispositions", status_code=201, tags=["desk"])
def add_disposition(request: Request, body: CodeIn, caller: CampaignWriter) -> dict[str, Any]:
    """Add a code to the firm's list (admins and managers)."""
    s = store(request)
    with s.unit_of_work() as uow:
        new = dispositions.add_code(uow, s.audit, caller, firm_id=s.firm_id, code=body.code,
                                    label=body.label, is_callback=body.is_callback,
                                    at=now(request))  # fmt: skip
    return _code_json(new)


@router.post("/dispositions/retire", tags=["desk"])
def retire_disposition(request: Request, body: CodeRef, caller: CampaignWriter) -> dict[str, Any]:
    """Retire a code: it can no longer be chosen; past dispositions keep it."""
    s = store(request)
    with s.unit_of_work() as uow:
        done = dispositions.set_active(uow, s.audit, caller, firm_id=s.firm_id, code=body.code,
                                       active=False, at=now(request))  # fmt: skip
    return _code_json(done)


@router.post("/dispositions/restore", tags=["desk"])
def restore_disposition(request: Request, body: CodeRef, caller: CampaignWriter) -> dict[str, Any]:
    """Make a retired code choosable again."""
    s = store(request)
    with s.unit_of_work() as uow:
        done = dispositions.set_active(uow, s.audit, caller, firm_id=s.firm_id, code=body.code,
                                       active=True, at=now(request))  # fmt: skip
    return _code_json(done)
