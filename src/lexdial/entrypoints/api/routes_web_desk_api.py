"""The desk page's fetch endpoints (``/desk/api/...``): what ``desk.js`` polls and sends.

Rule 1: each endpoint is one use case of the desk's services (``service.desk_*``) for the
caller's own seat, in one unit of work; the rules (who may sit, which state may go where, a
disposition before ready, the verbal opt-out at once) are all there, none here.
Rule 2: these answer JSON in the API's one error shape (``api.errors``: the field and a
message), which the page shows inline; a browser session needs its CSRF token in the
``X-CSRF-Token`` header (``deps``), as for the JSON API.
Rule 3: kept out of the OpenAPI document: they are the page's, not a public contract (the
public one is ``/v1/desk``).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Body, Request

from lexdial.entrypoints.api.deps import Reader, now, store
from lexdial.errors import RequestError
from lexdial.service import (
    desk_callbacks,
    desk_dispositions,
    desk_line_requests,
    desk_presence,
    desk_preview,
    desk_screen_pop,
    desk_session,
    desk_zones,
)
from lexdial.service.repos.desk import DeskSession

router = APIRouter(prefix="/desk/api", include_in_schema=False)


def _seat(s: DeskSession | None) -> dict[str, Any]:
    if s is None:
        return {"state": "logged_out", "version": -1, "campaign_id": None}
    return {
        "state": s.state,
        "reason": s.reason,
        "version": s.version,
        "campaign_id": s.campaign_id,
        "leg_up": s.leg_up,
        "endpoint_id": s.endpoint_id,
        "dial_contact_id": s.dial_contact_id,
    }


@router.get("/state")
def state(request: Request, caller: Reader) -> dict[str, Any]:
    """The caller's seat and its version (polled by the page every half second)."""
    with store(request).reading() as uow:
        return _seat(desk_session.desk_state(uow, caller))


@router.get("/screen")
def screen(request: Request, caller: Reader) -> dict[str, Any]:
    """The screen pop of the seat's call or preview."""
    s = store(request)
    with s.reading() as uow:
        pop = desk_screen_pop.screen_pop(uow, s.rules, s.cipher, s.registry, caller, now(request))
        zones = desk_zones.callback_zones(uow, caller)  # (for dir) the callback's zones
    return {**asdict(pop), "callback_zones": list(zones)}


@router.post("/login")
def login(
    request: Request,
    caller: Reader,
    campaign_id: Annotated[int, Body(ge=1, le=2**31 - 1, embed=True)],
    endpoint_id: Annotated[int | None, Body(ge=1, le=2**31 - 1, embed=True)] = None,
) -> dict[str, Any]:
    """Sit at the desk on ``campaign_id`` with ``endpoint_id`` (None: the simulated carrier)."""
    s = store(request)
    with s.unit_of_work() as uow:
        seat = desk_presence.login(
            uow, s.audit, caller, campaign_id, endpoint_id, now(request),
            carrier=s.settings.telephony.carrier,
        )  # fmt: skip
    return _seat(seat)


@router.post("/ready")
def ready(request: Request, caller: Reader) -> dict[str, Any]:
    s = store(request)
    with s.unit_of_work() as uow:
        return _seat(desk_presence.ready(uow, s.audit, caller, now(request)))


@router.post("/pause")
def pause(
    request: Request,
    caller: Reader,
    reason: Annotated[str, Body(max_length=100, embed=True)] = "",
) -> dict[str, Any]:
    s = store(request)
    with s.unit_of_work() as uow:
        return _seat(desk_presence.pause(uow, s.audit, caller, reason, now(request)))


@router.post("/logout")
def logout(request: Request, caller: Reader) -> dict[str, Any]:
    s = store(request)
    with s.unit_of_work() as uow:
        return _seat(desk_presence.logout(uow, s.audit, caller, now(request)))


@router.post("/hangup")
def hang_up(request: Request, caller: Reader) -> dict[str, Any]:
    s = store(request)
    with s.unit_of_work() as uow:
        return _seat(desk_line_requests.hang_up(uow, s.audit, caller, now(request)))


@router.post("/opt-out")
def verbal_opt_out(request: Request, caller: Reader) -> dict[str, Any]:
    """The person on the call asked not to be called: in force before this answers."""
    s = store(request)
    with s.unit_of_work() as uow:
        done = desk_dispositions.verbal_opt_out(uow, s.cipher, s.audit, caller, now(request))
    return {
        "consents_revoked": done.consents_revoked,
        "attempts_cancelled": done.attempts_cancelled,
    }


@router.post("/disposition")
def disposition(
    request: Request,
    caller: Reader,
    code: Annotated[str, Body(max_length=40, embed=True)] = "",
    notes: Annotated[str, Body(max_length=4000, embed=True)] = "",
) -> dict[str, Any]:
    s = store(request)
    with s.unit_of_work() as uow:
        d = desk_dispositions.record_disposition(
            uow, s.cipher, s.audit, caller, code, notes, now(request)
        )
    return {"attempt_id": d.attempt_id, "code": d.code}


@router.post("/callback")
def callback(
    request: Request,
    caller: Reader,
    when: Annotated[str, Body(max_length=40, embed=True)] = "",
    zone: Annotated[str, Body(max_length=64, embed=True)] = "",
) -> dict[str, Any]:
    """A callback at ``when``: a local time in ``zone`` (the person's, as the page offers
    it) or ISO 8601 with an offset; never read as UTC unless the caller says UTC. The gate
    checks the time."""
    at_time = local_time(when, zone)
    s = store(request)
    with s.unit_of_work() as uow:
        cb = desk_callbacks.schedule_callback(
            uow, s.rules, s.cipher, s.audit, s.registry, caller, at_time, now(request)
        )
    # echoed in the zone the agent wrote it in (an offset given: UTC), so the page says it
    shown = at_time.tzinfo if isinstance(at_time.tzinfo, ZoneInfo) else ZoneInfo("UTC")
    return {
        "when": cb.when.astimezone(UTC).isoformat(),
        "local": cb.when.astimezone(shown).isoformat(),
        "zone": shown.key,
        "campaign_id": cb.campaign_id,
    }


# (for dir) a callback's time as the agent wrote it: in a named zone, never silently UTC
def local_time(when: str, zone: str) -> datetime:
    """``when`` as an instant: with its own offset, else read in ``zone`` (an IANA name).
    A RequestError names ``when`` (unreadable, or a local time the zone skips) or ``zone``
    (missing for a time without offset, or not a zone)."""
    try:
        at = datetime.fromisoformat(when.strip())
    except ValueError:
        raise RequestError("when", "give a date and time, e.g. 2026-12-03T15:00") from None
    if at.tzinfo is not None:
        return at
    name = zone.strip()
    if not name:
        raise RequestError(
            "zone", "say which time zone the time is in (the person's is offered on the desk)"
        )
    try:
        tz = ZoneInfo(name)
    except (ValueError, KeyError, ZoneInfoNotFoundError):
        raise RequestError(
            "zone", "must be an IANA time zone such as 'America/Chicago', or 'UTC'"
        ) from None
    local = at.replace(tzinfo=tz)
    try:
        back = local.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    except OverflowError:  # the first or last hours of the calendar: no instant in UTC
        raise RequestError("when", "give a date and time within the next days") from None
    if back != at:
        raise RequestError("when", f"{at:%Y-%m-%d %H:%M} does not exist in {name} (the clocks "
                           "go forward then): choose another time")  # fmt: skip
    return local


@router.post("/preview/call")
def preview_call(request: Request, caller: Reader) -> dict[str, Any]:
    s = store(request)
    with s.unit_of_work() as uow:
        return _seat(desk_preview.preview_call(uow, s.audit, caller, now(request)))


@router.post("/preview/skip")
def preview_skip(request: Request, caller: Reader) -> dict[str, Any]:
    s = store(request)
    with s.unit_of_work() as uow:
        return _seat(desk_preview.preview_skip(uow, s.audit, caller, now(request)))
