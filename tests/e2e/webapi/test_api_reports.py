"""Evidence PDFs over HTTP: who may fetch which, and what comes back (a PDF, with a file
name that never holds a telephone number)."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta

from pypdf import PdfReader

from lexdial.adapters.audit.sql import SqlAuditStore
from lexdial.adapters.db.uow import SqlUnitOfWork, transactions
from lexdial.adapters.telephony.simulated import SimulatedCarrier
from lexdial.domain.audit_chain import verify
from lexdial.service.consent import ConsentEvidence, NewConsent, record_consent
from lexdial.service.contacts import NewContact, add_contact
from lexdial.service.dialer import Dialer
from lexdial.service.fakes import ListAudit, MemoryRegistry
from lexdial.service.users import OPERATOR

from .conftest import FIRM, NOW, Api

NUMBER = "+16145550101"
SPEC = {
    "name": "Reminders",
    "purpose": "reminder",
    "mode": "broadcast",
    "caller_id": "+16145550199",
    "message": {"text": "Hello, this is Hartwell and Ruiz with a reminder of your appointment. "
                "Please call us at 614-555-0199. To stop these calls, press 9 now."},
}  # fmt: skip


def _text(body: bytes) -> str:
    assert body.startswith(b"%PDF-")
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)


def _dialled_campaign(api: Api) -> int:
    """One consented contact on a started campaign, dialled once on the simulated carrier."""
    s = api.store
    given = NOW - timedelta(days=30)
    with s.db.begin() as conn:
        contact = add_contact(SqlUnitOfWork(conn), s.cipher, s.firm_id, NewContact(
            numbers=((NUMBER, "wireless"),), address={"country": "US", "state": "OH"},
            relationship="current_client"), given, audit=ListAudit(), caller=OPERATOR)  # fmt: skip
        evidence = ConsentEvidence("engagement letter", "You agree we may call you.", "v1",
                                   "intake", document_ref="DMS-1")  # fmt: skip
        record_consent(SqlUnitOfWork(conn), s.cipher, s.audit, s.firm_id, NewConsent(
            NUMBER, "express", ["reminder"], [FIRM], given, evidence), OPERATOR, given)  # fmt: skip
    h = api.headers("manager")
    cid = int(api.client.post("/v1/campaigns", json=SPEC, headers=h).json()["campaign"])
    api.client.post(f"/v1/campaigns/{cid}/contacts", json={"contacts": [contact]}, headers=h)
    assert api.client.post(f"/v1/campaigns/{cid}/start", headers=h).status_code == 200

    async def go() -> None:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        carrier = SimulatedCarrier(seed=1, timescale=0.0005)
        await Dialer(
            transactions=transactions(s.db), engine=s.rules, cipher=s.cipher, audit=s.audit,
            registry=MemoryRegistry(),
            firm_id=s.firm_id, telephony=carrier,
            clock=lambda: NOW + timedelta(seconds=(loop.time() - t0) / carrier.timescale),
        ).run(cid, until=NOW + timedelta(hours=1))  # fmt: skip

    asyncio.run(go())
    return cid


def test_the_campaign_report_is_a_pdf_for_audit_readers(api: Api) -> None:
    cid = _dialled_campaign(api)
    url = f"/v1/reports/campaigns/{cid}.pdf"
    assert api.client.get(url, headers=api.headers("agent")).status_code == 403
    assert api.client.get(url, headers=api.headers("manager")).status_code == 403
    res = api.client.get(url, headers=api.headers("auditor"))
    assert res.status_code == 200, res.text
    assert res.headers["content-type"] == "application/pdf"
    assert res.headers["content-disposition"] == (
        f'attachment; filename="campaign-{cid}-report.pdf"'
    )
    body = _text(res.content)
    with api.store.db.connect() as conn:
        head = verify(SqlAuditStore(conn)).head
    for needle in (f"Campaign #{cid}: Reminders", "Calls placed 1", head.hash, FIRM,
                   "Calls outside 08:00-21:00 local (must be 0) 0"):  # fmt: skip
        assert needle in body, needle
    assert NUMBER[2:] not in body
    missing = api.client.get("/v1/reports/campaigns/999.pdf", headers=api.headers("auditor"))
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "campaign"


def test_the_dnc_policy_is_available_on_demand_to_every_role(api: Api) -> None:
    for role in ("agent", "auditor", "admin"):
        res = api.client.get("/v1/reports/dnc-policy.pdf", headers=api.headers(role))
        assert res.status_code == 200 and res.headers["content-type"] == "application/pdf"
    assert 'filename="dnc-policy.pdf"' in res.headers["content-disposition"]
    body = _text(res.content)
    assert "47 CFR 64.1200(d)(1)" in body and f"Written do-not-call policy of {FIRM}" in body
    assert api.client.get("/v1/reports/dnc-policy.pdf").status_code == 401


def test_the_roster_lists_staff_with_their_attestations_for_user_readers(api: Api) -> None:
    assert api.client.get("/v1/reports/roster.pdf", headers=api.headers("manager")).status_code \
        == 403  # fmt: skip
    res = api.client.get("/v1/reports/roster.pdf", headers=api.headers("compliance"))
    assert res.status_code == 200
    body = _text(res.content)
    assert "Agent User" in body and "TCPA basics" in body and NOW.date().isoformat() in body


def test_the_evidence_pdf_carries_the_persons_number_but_its_file_name_does_not(
    api: Api,
) -> None:
    _dialled_campaign(api)
    url = "/v1/evidence.pdf"
    params = {"number": "+1 614 555 0101"}
    assert api.client.get(url, params=params, headers=api.headers("agent")).status_code == 403
    res = api.client.get(url, params=params, headers=api.headers("auditor"))
    assert res.status_code == 200, res.text
    disposition = res.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=") and "555" not in disposition
    body = _text(res.content)
    assert NUMBER in body and "You agree we may call you." in body
    unknown = api.client.get(url, params={"number": "+1 614 555 0199"},
                             headers=api.headers("auditor"))  # fmt: skip
    assert unknown.status_code == 404 and "555" not in unknown.text
