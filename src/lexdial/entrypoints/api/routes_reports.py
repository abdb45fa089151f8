"""Evidence PDFs over HTTP: a campaign's report, the do-not-call policy, the training
roster and one number's evidence bundle.

Why these roles: the campaign report and the evidence bundle carry the audit trail's proof
(audit readers); the roster names staff (user readers); the written do-not-call policy must
be available on demand (47 CFR 64.1200(d)(1)), so any logged-in user may fetch it.
The evidence bundle's number travels in the query string, so it is never part of the
filename offered for download.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response

from lexdial.bootstrap import checkpoint_for_report, evidence_anchors
from lexdial.entrypoints.api.deps import AuditReader, Reader, UsersReader, now, store
from lexdial.service import evidence, views
from lexdial.service.report_data import campaign_data, dnc_policy_data, roster_data
from lexdial.service.report_pdf import campaign_pdf, dnc_policy_pdf, evidence_pdf, roster_pdf
from lexdial.service.report_policy import iso

router = APIRouter(tags=["reports"])
_PDF = {"content": {"application/pdf": {}}, "description": "the PDF"}


def _pdf(body: bytes, filename: str) -> Response:
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/v1/reports/campaigns/{campaign_id}.pdf", response_class=Response, responses={200: _PDF}
)
def campaign_report_pdf(request: Request, campaign_id: int, caller: AuditReader) -> Response:
    """The campaign's evidence report (settings, lint, counts, hours, abandonment, opt-outs,
    registers, audit head), with charts."""
    s = store(request)
    with s.reading() as uow:
        data = campaign_data(
            uow,
            s.rules,
            s.cipher,
            s.registry,
            firm_id=s.firm_id,
            campaign_id=campaign_id,
            at=now(request),
        )
    data["audit"]["checkpoint"] = checkpoint_for_report(s)
    return _pdf(campaign_pdf(data), f"campaign-{campaign_id}-report.pdf")


@router.get("/v1/reports/dnc-policy.pdf", response_class=Response, responses={200: _PDF})
def dnc_policy(request: Request, caller: Reader) -> Response:
    """The firm's written do-not-call policy, generated from its settings."""
    s = store(request)
    with s.reading() as uow:
        data = dnc_policy_data(
            uow, s.cipher, s.settings, s.rules, firm_id=s.firm_id, at=now(request)
        )
    return _pdf(dnc_policy_pdf(data), "dnc-policy.pdf")


@router.get("/v1/reports/roster.pdf", response_class=Response, responses={200: _PDF})
def roster(request: Request, caller: UsersReader) -> Response:
    """The staff training roster with attestation dates."""
    s = store(request)
    with s.reading() as uow:
        data = roster_data(uow, s.cipher, firm_id=s.firm_id, at=now(request))
    return _pdf(roster_pdf(data), "training-roster.pdf")


@router.get("/v1/evidence.pdf", response_class=Response, responses={200: _PDF})
def evidence_bundle_pdf(
    request: Request, caller: AuditReader, number: str = Query(min_length=3, max_length=40)
) -> Response:
    """One number's evidence bundle as PDF (the number is printed in it: the person's own).
    The download is audited, like the JSON bundle's and the dashboard's."""
    s, at = store(request), now(request)
    with s.reading() as uow:  # the bundle verifies the whole chain: no write lock held
        bundle = evidence.bundle(uow, s.cipher, s.firm_id, number, anchors=evidence_anchors(s))
        firm = views.firm_name(uow, s.firm_id)
    with s.unit_of_work() as uow:  # who took the person's evidence away, as every download
        s.audit.record(
            uow, at=at, actor=caller.label, action="evidence.exported",
            subject=f"contact:{bundle['contact_id']}", data={"via": "api", "format": "pdf"},
        )  # fmt: skip
    bundle["chain"]["checkpoint"] = checkpoint_for_report(s)
    pdf = evidence_pdf(bundle, firm=firm, generated_at=str(iso(at)))
    # an erased person's number has no contact left: its opt-outs are the evidence
    who = bundle["contact_id"] if bundle["contact_id"] is not None else "erased"
    return _pdf(pdf, f"evidence-contact-{who}.pdf")
