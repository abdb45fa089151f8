"""Regenerate src/lexdial/samples/attempts.json: the demo's sample attempts.

The first twelve are the worked examples of shared/compliance/examples (copied so the
installed package is self-contained); the rest exercise rules the examples do not.
Run: python scripts/make_samples.py ../shared/compliance/examples
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

FIRM = {"name": "Hartwell & Ruiz LLP"}
FRESH = {"national_dnc": False, "state_dnc": False, "internal_dnc": False,
         "registry_synced_on": "2026-12-01"}
PEWC = {"id": "c-mkt", "kind": "express_written", "given_at": "2026-06-01T12:00:00Z",
        "scope": ["marketing"], "seller": "Hartwell & Ruiz LLP"}
CAMPAIGN = {"mode": "manual", "ring_timeout_s": 20, "caller_id": "+13125550000"}


def base(**kw: object) -> dict[str, object]:
    req: dict[str, object] = {"line_type": "wireless", "suppression": FRESH, "firm": FIRM,
                              "campaign": CAMPAIGN}
    req.update(kw)
    return req


EXTRA = [
    ("Texas: marketing call on a Sunday morning", base(
        at="2026-12-13T15:30:00Z", number="+1 512 555 0142", purpose="marketing",
        technology="manual", address={"country": "US", "state": "TX", "zip": "78701"},
        relationship={"type": "former_client", "last_transaction_on": "2026-02-01"})),
    ("Louisiana: consented marketing call on a Sunday", base(
        at="2026-12-13T16:00:00Z", number="+1 504 555 0177", purpose="marketing",
        technology="manual", consents=[PEWC], relationship={"type": "current_client"})),
    ("Pennsylvania: marketing call on Thanksgiving", base(
        at="2026-11-26T16:00:00Z", number="+1 215 555 0190", purpose="marketing",
        technology="manual", consents=[PEWC], relationship={"type": "current_client"})),
    ("Washington: prerecorded sales message", base(
        at="2026-12-02T19:00:00Z", number="+1 206 555 0111", purpose="marketing",
        technology="prerecorded", consents=[PEWC], relationship={"type": "current_client"},
        script={"identifies_firm_at_start": True, "states_callback_number": True,
                "offers_opt_out": True, "opt_out_within_2s": True})),
    ("Area code 850, Pensacola ZIP (Central time)", base(
        at="2026-12-02T13:30:00Z", number="+1 850 555 0133", purpose="marketing",
        technology="manual", address={"country": "US", "state": "FL", "zip": "32501"},
        relationship={"type": "former_client", "last_transaction_on": "2026-05-01"})),
    ("UK: live marketing call to a TPS number", base(
        at="2026-12-02T11:00:00Z", number="+44 20 7946 0000", purpose="marketing",
        technology="manual", relationship={"type": "former_client"},
        suppression={"tps_registered_on": "2025-03-01", "registry_synced_on": "2026-11-25"})),
    ("France: prospecting call in the lunch break", base(
        at="2026-12-07T12:30:00Z", number="+33 1 23 45 67 89", purpose="marketing",
        technology="manual", consents=[PEWC], relationship={"type": "prospect"})),
    ("Reg F: call two days after a conversation", base(
        at="2026-12-03T16:00:00Z", number="+1 312 555 0152", purpose="debt_collection",
        technology="manual", debt={"id": "ACME-9", "represented_by_attorney": False},
        history=[{"at": "2026-12-01T16:00:00Z", "purpose": "debt_collection",
                  "debt_id": "ACME-9", "outcome": "conversation"}])),
    ("Air-carrier accident, 40 days on", base(
        at="2026-12-21T17:00:00Z", number="+1 212 555 0188", purpose="marketing",
        technology="manual", relationship={"type": "former_client",
                                           "last_transaction_on": "2026-01-10"},
        incident={"kind": "air_carrier_accident", "occurred_on": "2026-11-10"},
        matter={"type": "personal_injury"})),
    ("Not a dialable number", base(
        at="2026-12-02T16:00:00Z", number="+1 555 555 0101", purpose="reminder",
        technology="manual")),
    ("Reminder to a client who pressed 9 last week", base(
        at="2026-12-02T16:00:00Z", number="+1 614 555 0107", purpose="reminder",
        technology="prerecorded", relationship={"type": "current_client"},
        suppression={**FRESH, "internal_dnc": True},
        consents=[{"kind": "express", "given_at": "2026-01-05", "scope": ["reminder"],
                   "seller": "Hartwell & Ruiz LLP"}])),
    ("Debt voicemail that names the debt", base(
        at="2026-12-02T16:00:00Z", number="+1 312 555 0158", purpose="debt_collection",
        technology="manual", debt={"id": "ACME-12"},
        script={"voicemail_text": "This is Dana from Hartwell & Ruiz about the balance you "
                "owe on your account. Please call 312-555-0000."})),
    ("AI voice reminder that does not say it is AI", base(
        at="2026-12-02T16:00:00Z", number="+1 614 555 0161", purpose="reminder",
        technology="interactive_voice", relationship={"type": "current_client"},
        consents=[{"kind": "express", "given_at": "2026-01-05", "scope": ["reminder"],
                   "seller": "Hartwell & Ruiz LLP"}],
        reassigned={"result": "no", "checked_on": "2026-11-30"},
        script={"identifies_firm_at_start": True, "states_callback_number": True,
                "discloses_ai": False})),
    ("Predictive campaign over the 3% abandonment line", base(
        at="2026-12-02T16:00:00Z", number="+1 614 555 0170", purpose="marketing",
        technology="autodialed", consents=[PEWC], relationship={"type": "current_client"},
        reassigned={"result": "no", "checked_on": "2026-11-30"},
        campaign={"mode": "predictive", "abandonment_rate_30d": 0.042, "ring_timeout_s": 20,
                  "caller_id": "+13125550000", "safe_harbor_message": True})),
]


def main(examples_dir: str) -> None:
    samples = []
    for path in sorted(Path(examples_dir).glob("*.json")):
        ex = json.loads(path.read_text("utf-8"))
        samples.append({"title": ex["title"], "request": ex["request"]})
    samples.extend({"title": t, "request": r} for t, r in EXTRA)
    out = Path(__file__).resolve().parent.parent / "src/lexdial/samples/attempts.json"
    out.write_text(json.dumps(samples, indent=1) + "\n", "utf-8")
    print(f"wrote {len(samples)} samples to {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/compliance/examples")
