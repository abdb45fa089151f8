"""The contact page (numbers, consents, every decision and why, the opt-out button), the
evidence bundle download (the audit page: ``routes_web_audit``).

Rule 1: a number is shown whole only to roles that work with it (``FULL_NUMBER_ROLES``);
agents and auditors see it masked. The evidence bundle, which must hold the number, is for
the roles that may read the audit trail, and every download is itself audited.
Rule 2: the opt-out button is ``service.optout.opt_out`` for each of the person's numbers,
in one transaction: in force before the page reloads (47 CFR 64.1200(a)(10), (d)(3)).
Rule 3: decisions are shown in the words the engine gave, with the code's meaning and the
citation, so a person can say why a call was or was not made without reading JSON.
Rule 4: what the person told the firm (stated inconvenient times, a workplace number, no
calls at work; a debt's cease request and time-barred flag) is recorded through
``service.stated_facts`` by the roles that may write consents, audited there; a bad value
comes back on the contact page naming the contract's field (422), nothing stored.
"""

from __future__ import annotations

import json
from datetime import UTC
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Form, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import RedirectResponse

from lexdial.bootstrap import checkpoint_for_report, evidence_anchors
from lexdial.entrypoints.api.deps import (
    AuditReader,
    ConsentWriter,
    OptOutWriter,
    Reader,
    now,
    store,
)
from lexdial.entrypoints.api.web_common import page, viewer, web_router
from lexdial.entrypoints.render import mask_number
from lexdial.errors import NotFoundError, RequestError
from lexdial.service import views
from lexdial.service.consent import CHANNELS
from lexdial.service.contact_view import (
    contact_numbers,
    contact_view,
    known_contact,
    primary_first,
)
from lexdial.service.evidence import bundle
from lexdial.service.optout import opt_out
from lexdial.service.report_pdf import evidence_pdf
from lexdial.service.report_policy import iso
from lexdial.service.stated_facts import (
    DAYS,
    contact_stated_facts,
    record_debt_facts,
    set_contact_preferences,
)
from lexdial.service.users import Caller

router = web_router()
#: how a person may ask the firm, on the contact page, not to be called again
OPT_OUT_CHANNELS = ("staff", "voice", "email", "mail", "sms", "web")
assert set(OPT_OUT_CHANNELS) <= CHANNELS


@router.get("/contacts/{contact_id}")
def contact(
    request: Request, contact_id: int, caller: Reader, done: str = "", debt: str = ""
) -> Response:
    """One person: numbers, do-not-call entries, consents with evidence, what the person
    told the firm, campaigns, and every decision with its reasons."""
    notice = None
    parts = done.split("-")
    if len(parts) == 3 and parts[0] == "optout" and parts[1].isdigit() and parts[2].isdigit():
        notice = (
            f"Opt-out recorded and in force: {parts[1]} consent(s) revoked, "
            f"{parts[2]} queued call(s) cancelled."
        )
    elif done == "preferences":
        notice = "The person's stated preferences are recorded; the gate honours them now."
    elif done == "debt" and debt:
        notice = f"The facts of debt {debt} are recorded; the gate honours them now."
    return _contact_page(request, caller, contact_id, notice=notice, also=(debt,) if debt else ())


def _contact_page(
    request: Request,
    caller: Caller,
    contact_id: int,
    *,
    notice: str | None = None,
    also: tuple[str, ...] = (),
    status: int = 200,
    facts_error: str | None = None,
) -> Response:
    s = store(request)
    me = viewer(request, caller)
    with s.reading() as uow:
        view = contact_view(uow, s.cipher, s.firm_id, contact_id)
        stated = contact_stated_facts(uow, s.firm_id, contact_id, also)
    person = {
        "id": view.id,
        "name": view.name,
        "relationship": view.relationship,
        "matter_type": view.matter_type,
        "matter_ref": view.matter_ref,
        "erased_at": view.erased_at,
    }
    held = primary_first(view.numbers)
    numbers: list[dict[str, Any]] = [
        {"e164": n.e164, "bidx": n.bidx, "line_type": n.line_type, "primary": n.primary}
        for n in held
    ]
    consents = [c for n in held for c in n.consents]
    decisions = [views.as_row(v) for v in reversed(view.decisions)]  # newest first
    for n in numbers:
        n["shown"] = n["e164"] if me.sees_numbers else mask_number(n["e164"])
    return page(
        request,
        "contact.html",
        caller,
        status=status,
        person=person,
        numbers=numbers,
        consents=consents,
        dnc=view.opt_outs,
        queues=view.queues,
        decisions=decisions,
        notice=notice,
        channels=OPT_OUT_CHANNELS,
        masked=not me.sees_numbers,
        prefs=stated.preferences,
        debts=stated.debts,
        days=DAYS,
        facts_error=facts_error,
    )


@router.post("/contacts/{contact_id}/preferences")
def contact_preferences(
    request: Request,
    contact_id: int,
    caller: ConsentWriter,
    workplace_number: Annotated[str, Form()] = "",
    no_calls_at_work: Annotated[str, Form()] = "",
    days: Annotated[list[str] | None, Form()] = None,
    start: Annotated[str, Form(alias="from", max_length=10)] = "",
    end: Annotated[str, Form(alias="to", max_length=10)] = "",
    clear_times: Annotated[str, Form()] = "",
) -> Response:
    """What the person said: "not at work", "not on weekday mornings" (12 CFR 1006.6(b));
    an unticked box removes that fact, a window is added to the stated times."""
    changes: dict[str, Any] = {
        "workplace_number": True if workplace_number else None,
        "no_calls_at_work": True if no_calls_at_work else None,
    }
    if clear_times:
        changes["inconvenient_times"] = None
    window: dict[str, Any] = {}
    if start.strip() or end.strip() or days:
        window = {"from": start.strip() or None, "to": end.strip() or None}
        if days:
            window["days"] = days
    s = store(request)
    try:
        with s.unit_of_work() as uow:
            set_contact_preferences(
                uow, s.audit, s.firm_id, contact_id, changes, caller, now(request),
                add_times=[window] if window else [],
            )  # fmt: skip
    except NotFoundError:
        raise
    except RequestError as exc:  # shown on the page, next to the form, naming the field
        return _contact_page(
            request, caller, contact_id, status=422, facts_error=f"{exc.field}: {exc.message}"
        )
    return RedirectResponse(f"/contacts/{contact_id}?done=preferences", status_code=303)


@router.post("/contacts/{contact_id}/debt")
def contact_debt_facts(
    request: Request,
    contact_id: int,
    caller: ConsentWriter,
    debt_ref: Annotated[str, Form(max_length=200)] = "",
    cease_requested_at: Annotated[str, Form(max_length=40)] = "",
    time_barred: Annotated[str, Form()] = "",
) -> Response:
    """A debt's facts: the written request to stop (1006.6(c)), the time-barred flag
    (1006.26); fields left empty are not changed."""
    changes: dict[str, Any] = {}
    if cease_requested_at.strip():
        changes["cease_requested_at"] = cease_requested_at.strip()
    if time_barred in ("yes", "no"):
        changes["time_barred"] = time_barred == "yes"
    elif time_barred:
        changes["time_barred"] = time_barred  # the contract's reader names the field
    s = store(request)
    try:
        with s.unit_of_work() as uow:
            known_contact(uow, s.firm_id, contact_id)
            record_debt_facts(uow, s.audit, s.firm_id, debt_ref, changes, caller, now(request))
    except NotFoundError:
        raise
    except RequestError as exc:
        return _contact_page(
            request, caller, contact_id, status=422, facts_error=f"{exc.field}: {exc.message}"
        )
    return RedirectResponse(
        f"/contacts/{contact_id}?done=debt&debt={quote(debt_ref.strip(), safe='')}",
        status_code=303,
    )


@router.post("/contacts/{contact_id}/optout")
def contact_opt_out(
    request: Request,
    contact_id: int,
    caller: OptOutWriter,
    channel: Annotated[str, Form()] = "staff",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """The person asked not to be called: every number, every campaign, at once."""
    if channel not in OPT_OUT_CHANNELS:
        raise RequestError("channel", "must be one of " + ", ".join(OPT_OUT_CHANNELS))
    s = store(request)
    at = now(request)
    evidence = note.strip() or f"recorded on the web dashboard by {caller.label}"
    revoked = cancelled = 0
    with s.unit_of_work() as uow:
        for n in contact_numbers(uow, s.cipher, s.firm_id, contact_id):
            done = opt_out(
                uow,
                s.cipher,
                s.audit,
                s.firm_id,
                n.e164,
                channel,
                evidence,
                caller,
                at,
            )
            revoked += done.consents_revoked
            cancelled += done.attempts_cancelled
    return RedirectResponse(
        f"/contacts/{contact_id}?done=optout-{revoked}-{cancelled}", status_code=303
    )


@router.get("/contacts/{contact_id}/evidence.pdf")
def evidence_pdf_download(request: Request, contact_id: int, caller: AuditReader) -> Response:
    """The first number's evidence bundle as a PDF a lawyer can hand over (audited)."""
    s = store(request)
    at = now(request)
    with s.unit_of_work() as uow:
        known_contact(uow, s.firm_id, contact_id)
        s.audit.record(
            uow,
            at=at,
            actor=caller.label,
            action="evidence.exported",
            subject=f"contact:{contact_id}",
            data={"via": "web", "format": "pdf"},
        )
    with s.reading() as uow:
        numbers = contact_numbers(uow, s.cipher, s.firm_id, contact_id)
        if not numbers:
            raise RequestError("contact", "this contact has no number left (erased?)")
        found = bundle(uow, s.cipher, s.firm_id, numbers[0].e164, anchors=evidence_anchors(s))
    found["chain"]["checkpoint"] = checkpoint_for_report(s)
    pdf = evidence_pdf(found, firm=s.settings.firm_name, generated_at=str(iso(at)))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="evidence-contact-{contact_id}.pdf"'
        },
    )


@router.get("/contacts/{contact_id}/evidence.json")
def evidence(request: Request, contact_id: int, caller: AuditReader) -> Response:
    """The evidence bundle of each of the person's numbers, as a file to keep."""
    s = store(request)
    at = now(request)
    with s.unit_of_work() as uow:  # who exported what is recorded first, in its own commit
        known_contact(uow, s.firm_id, contact_id)
        s.audit.record(
            uow,
            at=at,
            actor=caller.label,
            action="evidence.exported",
            subject=f"contact:{contact_id}",
            data={"via": "web"},
        )
    with s.reading() as uow:  # the bundle verifies the whole chain: no write lock held
        numbers = contact_numbers(uow, s.cipher, s.firm_id, contact_id)
        anchors = evidence_anchors(s)
        bundles = [bundle(uow, s.cipher, s.firm_id, n.e164, anchors=anchors) for n in numbers]
    body = {
        "contact_id": contact_id,
        "generated_at": at.astimezone(UTC),
        "generated_by": caller.label,
        "bundles": bundles,
    }
    return Response(
        json.dumps(jsonable_encoder(body), indent=2, ensure_ascii=False),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="evidence-contact-{contact_id}.json"'
        },
    )


# (for deskweb)
@router.post("/contacts/{contact_id}/call")
def contact_click_to_call(request: Request, contact_id: int, caller: Reader) -> Response:
    """Click-to-call: the caller's desk dials this person, through the same gate as every
    call (the dialler judges and records it); the desk then shows the call."""
    from lexdial.service import desk_preview  # the desk's use cases (helper "desk")

    s = store(request)
    with s.unit_of_work() as uow:
        desk_preview.click_to_call(uow, s.audit, caller, contact_id, now(request))
    return RedirectResponse("/desk", status_code=303)
