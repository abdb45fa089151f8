"""People over HTTP: contacts, the consent ledger, opt-outs, evidence bundles, privacy rights.

Rule 1: each route calls the same service as the CLI (``cli_people``), in one transaction,
so the API and the command line refuse the same things with the same field names.
Rule 2: an agent sees numbers masked (``render.mask_number``) and no consent source IPs;
the other roles see them in full. No number or name is put in an error message.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict

from lexdial.bootstrap import evidence_anchors
from lexdial.entrypoints.api import number_lookups
from lexdial.entrypoints.api.deps import (
    AuditReader,
    ConsentWriter,
    OptOutWriter,
    PrivacyWriter,
    Reader,
    now,
    store,
)
from lexdial.entrypoints.render import mask_number
from lexdial.errors import RequestError
from lexdial.service import consent as consent_svc
from lexdial.service import contacts, evidence, privacy, views
from lexdial.service.contact_view import ContactView, contact_view, sees_full_numbers
from lexdial.service.optout import opt_out
from lexdial.service.repos.views import AttemptView

router = APIRouter(prefix="/v1")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NumberIn(_Body):
    number: str
    line_type: str | None = None


class AddressIn(_Body):
    country: str | None = None
    state: str | None = None
    zip: str | None = None
    time_zone: str | None = None


class ContactIn(_Body):
    """A person and their numbers (``service.contacts.NewContact``)."""

    numbers: list[NumberIn]
    name: str | None = None
    address: AddressIn | None = None
    relationship: str = "none"
    last_transaction_on: date | None = None
    inquiry_on: date | None = None
    subscriber: str | None = None
    matter_type: str | None = None
    lawful_basis: str | dict[str, str] | None = None
    matter_ref: str | None = None


class ContactPatch(BaseModel):
    """Corrections to a contact (``service.contacts_edit.edit_contact``): only the fields
    given change, ``null`` clears one that may be empty; ``address`` parts are laid over
    the stored address. Other keys are passed on so the service refuses them by name (a
    ``number`` is refused saying a new number is a new contact number with its consents)."""

    model_config = ConfigDict(extra="allow")

    name: str | None = None
    address: dict[str, str | None] | None = None
    relationship: str | None = None
    subscriber: str | None = None
    matter_type: str | None = None
    matter_ref: str | None = None
    last_transaction_on: date | None = None
    inquiry_on: date | None = None
    line_type: str | None = None
    line_types: dict[str, str | None] | None = None


class EvidenceIn(_Body):
    method: str
    disclosure_text: str
    disclosure_version: str
    captured_by: str
    source_ip: str | None = None
    user_agent: str | None = None
    document_ref: str | None = None


class ConsentIn(_Body):
    """A consent with its evidence (``service.consent.NewConsent``)."""

    number: str
    kind: str
    scope: list[str]
    sellers: list[str]
    given_at: datetime
    evidence: EvidenceIn
    technologies: list[str] | None = None


class RevokeIn(_Body):
    channel: str
    revoked_at: datetime | None = None
    evidence: str | None = None


class OptOutIn(_Body):
    number: str
    channel: str
    evidence: str | None = None


class PersonIn(_Body):
    number: str


class ExportIn(PersonIn):
    format: Literal["json", "csv"] = "json"


#: whether the caller sees numbers whole (the rule lives in ``service.contact_view``)
full_view = sees_full_numbers


def utc(value: Any) -> Any:
    """``value`` with each naive datetime marked UTC (stored as UTC; SQLite drops the zone)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, dict):
        return {k: utc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [utc(v) for v in value]
    return value


def _consent(item: dict[str, Any], full: bool) -> dict[str, Any]:
    shown = dict(item)
    if not full:
        shown.pop("source_ip", None)
    return shown


@router.post("/contacts", status_code=201, tags=["contacts"])
def create_contact(request: Request, body: ContactIn, caller: ConsentWriter) -> dict[str, int]:
    """Add a person with their numbers; an erased or already-known number is refused."""
    s = store(request)
    # "already on file" answers a guess too
    number_lookups.take_if_masked(request, s, caller)
    new = contacts.NewContact(
        **body.model_dump(exclude={"numbers", "address"}),
        numbers=tuple((n.number, n.line_type) for n in body.numbers),
        address=(body.address.model_dump(exclude_none=True) or None) if body.address else None,
    )
    with s.unit_of_work() as uow:
        cid = contacts.add_contact(
            uow, s.cipher, s.firm_id, new, now(request), audit=s.audit, caller=caller
        )
    return {"contact": cid}


@router.patch("/contacts/{contact_id}", tags=["contacts"])
def edit_contact(
    request: Request, contact_id: int, body: ContactPatch, caller: ConsentWriter
) -> dict[str, Any]:
    """Correct a contact's name, address, relationship, matter or a number's line type,
    checked as at creation; the fields changed (empty: nothing differed). A number itself
    is not edited; consents and opt-outs are not changed."""
    from lexdial.service.contacts_edit import edit_contact as edit

    s = store(request)
    changes = body.model_dump(exclude_unset=True)
    if "line_types" in changes:  # "not this contact's number" answers a guess
        number_lookups.take_if_masked(request, s, caller)
    with s.unit_of_work() as uow:
        changed = edit(
            uow, s.cipher, s.firm_id, contact_id, changes, now(request), audit=s.audit,
            caller=caller,
        )  # fmt: skip
    return {"contact": contact_id, "changed": changed}


@router.get("/contacts", tags=["contacts"])
def find_contacts(request: Request, number: str, caller: Reader) -> list[dict[str, int]]:
    """The contact holding ``number`` (found by its blind index): a list of 0 or 1."""
    s = store(request)
    with s.unit_of_work() as uow:
        masked = not sees_full_numbers(uow, caller)
        if masked:  # a guessing oracle otherwise (number_lookups)
            number_lookups.take(request, caller)
        e164 = contacts.normalise(number)
        cid = contacts.find_contact_id(uow, s.firm_id, contacts.number_index(s.cipher, e164))
        if masked:
            number_lookups.record(s, uow, request, caller, e164, cid, "contacts")
    return [] if cid is None else [{"contact": cid}]


@router.get("/contacts/{contact_id}", tags=["contacts"])
def contact_page(request: Request, contact_id: int, caller: Reader) -> dict[str, Any]:
    """A contact: name, numbers (masked for agents), every consent with its evidence and
    revocation, every opt-out, and every gate decision with its reasons and outcome."""
    s = store(request)
    with s.reading() as uow:
        full = sees_full_numbers(uow, caller)
        view = contact_view(uow, s.cipher, s.firm_id, contact_id)
    return dict(utc(_page(view, full)))


def _page(view: ContactView, full: bool) -> dict[str, Any]:
    numbers: list[dict[str, Any]] = []
    consents: list[dict[str, Any]] = []
    for n in view.numbers:
        shown = n.e164 if full else mask_number(n.e164)
        numbers.append({"number": shown, "line_type": n.line_type, "primary": n.primary})
        consents.extend({"number": shown, **_consent(item, full)} for item in n.consents)
    return {
        "contact": view.id,
        "name": view.name,
        "relationship": view.relationship,
        "subscriber": view.subscriber,
        "matter_type": view.matter_type,
        "matter_ref": view.matter_ref,
        "lawful_basis": view.lawful_basis,
        "objected_at": view.objected_at,
        "erased_at": view.erased_at,
        "created_at": view.created_at,
        "numbers": numbers,
        "consents": consents,
        "opt_outs": [{"id": o.id, "at": o.at, "channel": o.channel} for o in view.opt_outs],
        "decisions": _decisions(view.decisions),
    }


def _decisions(rows: list[AttemptView]) -> list[dict[str, Any]]:
    return [
        {
            "attempt": r.id,
            "at": r.at,
            "campaign": r.campaign_id,
            "purpose": r.purpose,
            "technology": r.technology,
            "status": r.status,
            "verdict": r.verdict,
            "decision_id": r.decision_id,
            "earliest_allowed_at": r.earliest_allowed_at,
            "rulepack": r.rulepack,
            "reasons": views.reasons(r),
            "outcome": r.outcome,
        }
        for r in rows
    ]


@router.post("/consents", status_code=201, tags=["consents"])
def create_consent(request: Request, body: ConsentIn, caller: ConsentWriter) -> dict[str, int]:
    """Record a consent with its evidence for a known number; a duplicate is refused."""
    s = store(request)
    # "no contact has this number" answers a guess
    number_lookups.take_if_masked(request, s, caller)
    new = consent_svc.NewConsent(
        **body.model_dump(exclude={"evidence"}),
        evidence=consent_svc.ConsentEvidence(**body.evidence.model_dump()),
    )
    with s.unit_of_work() as uow:
        cid = consent_svc.record_consent(
            uow, s.cipher, s.audit, s.firm_id, new, caller, now(request)
        )
    return {"consent": cid}


@router.post("/consents/{consent_id}/revoke", status_code=201, tags=["consents"])
def revoke(
    request: Request, consent_id: int, body: RevokeIn, caller: ConsentWriter
) -> dict[str, int]:
    """Record that a consent was revoked (when, on which channel, the evidence); once only."""
    s, at = store(request), now(request)
    revoked_at = body.revoked_at or at
    if revoked_at.tzinfo is None:
        raise RequestError("revoked_at", "needs an offset; a naive time is ambiguous")
    if revoked_at > at:
        raise RequestError("revoked_at", "may not be in the future")
    with s.unit_of_work() as uow:
        rid = consent_svc.revoke_consent(
            uow,
            s.cipher,
            s.audit,
            s.firm_id,
            consent_id,
            body.channel,
            revoked_at,
            body.evidence,
            caller,
            at,
        )
    return {"revocation": rid, "consent": consent_id}


@router.get("/consents", tags=["consents"])
def list_consents(request: Request, number: str, caller: Reader) -> list[dict[str, Any]]:
    """Every consent on file for ``number``, with its evidence and revocation."""
    s = store(request)
    with s.unit_of_work() as uow:
        full = sees_full_numbers(uow, caller)
        if not full:  # "no contact has this number" is an answer too (number_lookups)
            number_lookups.take(request, caller)
            e164 = contacts.normalise(number)
            cid = contacts.find_contact_id(uow, s.firm_id, contacts.number_index(s.cipher, e164))
            number_lookups.record(s, uow, request, caller, e164, cid, "consents")
    with s.reading() as uow:  # the lookup's audit entry stands even if none is found
        rows = consent_svc.consents_for(uow, s.cipher, s.firm_id, number)
    return [utc(_consent(c, full)) for c in rows]


@router.post("/optouts", status_code=201, tags=["consents"])
def create_optout(request: Request, body: OptOutIn, caller: OptOutWriter) -> dict[str, Any]:
    """Honour a do-not-call request at once: the firm's do-not-call entry, every consent
    revoked, every queued call cancelled. Says what was revoked and cancelled."""
    s = store(request)
    # the answer names the contact, if there is one
    number_lookups.take_if_masked(request, s, caller)
    with s.unit_of_work() as uow:
        done = opt_out(
            uow,
            s.cipher,
            s.audit,
            s.firm_id,
            body.number,
            body.channel,
            body.evidence,
            caller,
            now(request),
        )
    return asdict(done)


@router.get("/evidence", tags=["evidence"])
def evidence_bundle(request: Request, number: str, caller: AuditReader) -> dict[str, Any]:
    """The evidence bundle for ``number``: consents, decisions, calls, opt-outs and the
    audit entries about them with the chain proof. The export itself is audited."""
    s, at = store(request), now(request)
    with s.unit_of_work() as uow:
        found: dict[str, Any] = utc(
            evidence.bundle(uow, s.cipher, s.firm_id, number, anchors=evidence_anchors(s))
        )
        s.audit.record(
            uow,
            at=at,
            actor=caller.label,
            action="evidence.exported",
            subject=f"contact:{found['contact_id']}",
            data={"via": "api"},
        )
    return found


@router.post("/privacy/export", tags=["privacy"], response_model=None)
def privacy_export(
    request: Request, body: ExportIn, caller: PrivacyWriter
) -> dict[str, Any] | Response:
    """Everything held about the person with ``number`` (GDPR Art. 15/20), as JSON or CSV;
    the export is audited (``privacy.exported``)."""
    s = store(request)
    with s.reading() as uow:
        data = privacy.export_person(uow, s.cipher, s.firm_id, body.number)
    with s.unit_of_work() as uow:  # everything held about a person left the store: by whom
        s.audit.record(
            uow, at=now(request), actor=caller.label, action="privacy.exported",
            subject=f"contact:{data['contact']['id']}",
            data={"via": "api", "format": body.format},
        )  # fmt: skip
    if body.format == "csv":
        return PlainTextResponse(privacy.export_csv(data), media_type="text/csv")
    return data


@router.post("/privacy/erase", tags=["privacy"])
def privacy_erase(request: Request, body: PersonIn, caller: PrivacyWriter) -> dict[str, Any]:
    """Erase the person's data (GDPR Art. 17); a tombstone keeps the number suppressed."""
    s = store(request)
    with s.unit_of_work() as uow:
        cid = privacy.erase_person(
            uow, s.cipher, s.audit, s.firm_id, body.number, caller, now(request)
        )
    return {"contact": cid, "erased": True}
