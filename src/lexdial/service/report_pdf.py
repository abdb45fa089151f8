"""The evidence PDFs a lawyer hands an auditor, laid out from the report data.

Why from data only: each function takes the dict built by ``report_data`` /
``report_policy`` / ``evidence.bundle`` and reads nothing else (no store, no clock), so a
PDF states exactly the figures a test checked and the same data gives the same bytes.
Rule: telephone numbers of the people called appear only in ``evidence_pdf`` (it is the
person's own evidence); the campaign, policy and roster PDFs identify contacts by id.
"""

from __future__ import annotations

from typing import Any

from lexdial.rules.codes import CODES
from lexdial.service.report_layout import ReportDoc, pct, when
from lexdial.service.report_pdf_records import (
    checkpoint_contradiction,
    dnc_policy_pdf,
    evidence_pdf,
    roster_pdf,
    signed_checkpoint,
    simulated_notice,
)

__all__ = ["campaign_pdf", "dnc_policy_pdf", "evidence_pdf", "roster_pdf"]


def duration(seconds: float | None) -> str:
    """Seconds as people read a delay: 0 s, 42 s, 3 min 5 s, 3 h 58 min, 2 d 4 h."""
    if seconds is None:
        return "-"
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s"
    if s < 86400:
        return f"{s // 3600} h {s % 3600 // 60} min"
    return f"{s // 86400} d {s % 86400 // 3600} h"


def campaign_pdf(data: dict[str, Any]) -> bytes:
    """The campaign evidence report: settings, lint, counts, windows, abandonment, opt-outs,
    registers and the audit chain's head, with charts."""
    c, s, summ = data["campaign"], data["settings"], data["summary"]
    out, ab, audit = data["outside_window"], data["abandonment"], data["audit"]
    doc = ReportDoc(
        data["firm"],
        "Campaign evidence report",
        data["generated_at"],
        simulated=bool(data.get("simulated")),
    )
    doc.title_block(
        f"Campaign #{c['id']}: {c['name']}",
        f"Evidence of how every call of this campaign was judged and placed, as of "
        f"{when(data['generated_at'])}. Contacts are identified by id; no telephone number "
        "of a person called appears in this report.",
    )
    simulated_notice(doc)
    doc.h1("1. Key figures")
    window = "-".join(out["window"])
    doc.kv(
        [
            ("Status", f"{c['status']} ({c['purpose']}, {c['mode']}, {c['technology']})"),
            (
                "Created / first call / last call",
                f"{when(c['created_at'])} / {when(c['first_call_at'])} / {when(c['last_call_at'])}",
            ),
            ("Gate decisions", summ["decisions"]),
            ("Calls placed", summ["dialled"]),
            ("Denied by the gate", summ["denied"]),
            ("Deferred by the gate", summ["deferred_decisions"]),
            ("Allowed, moved into the campaign schedule", summ["rescheduled"]),
            ("Contacts still waiting", summ["still_deferred"]),
            (f"Calls outside {window} local (must be 0)", out["count"]),
            ("Opt-outs received / honoured", f"{summ['opt_outs']} / {summ['opt_outs_honoured']}"),
            ("Abandonment, rolling 30 days", pct(ab["rolling"]["rate"])),
            ("Audit chain", _chain_word(audit) + f", {audit['entries']} entries"),
        ]
    )
    doc.alert(
        f"Calls outside any window: {out['count']} of {out['checked']} placed calls.",
        bad=bool(out["count"] or out["unverifiable"]),
    )
    doc.h1("2. Campaign settings")
    sched = s["schedule"]
    retry = s["retry"]
    doc.kv(
        [
            ("Caller ID transmitted", s["caller_id"] or "-"),
            ("Ring timeout", f"{s['ring_timeout_s']:g} s"),
            (
                "Schedule (recipient's local time)",
                f"{', '.join(sched['days'])} {sched['start']}-{sched['end']}",
            ),
            (
                "Retries",
                f"at most {retry['max_attempts']} attempts, {retry['delay_minutes']} min "
                f"apart, on {', '.join(retry['on'])}",
            ),
            ("Opt-out key", s["opt_out_key"]),
            ("Leave voicemail", s["leave_voicemail"]),
            ("Simultaneous channels", s["channels"]),
            ("Subject", s["subject"]),
        ]
    )
    msg = s["message"]
    for label, key in (
        ("Message", "text"),
        ("Voicemail message", "voicemail_text"),
        ("Safe-harbor message", "safe_harbor_text"),
        ("Opt-out confirmation", "optout_confirm_text"),
    ):
        if msg.get(key):
            doc.para(f'{label}: "{msg[key]}"', 9)
    doc.h1("3. Script and set-up lint (run now)")
    if data["lint"]:
        doc.alert(f"{len(data['lint'])} problem(s) found:", bad=True)
        doc.bullets(data["lint"], 8.5)
    else:
        doc.para(
            "No problems found: the script identifies the firm, gives a callback number and "
            "offers the opt-out, and the dialer settings pass the rules."
        )
    doc.h1("4. Rule-pack versions used")
    doc.grid(("Rule pack", "Gate decisions"), list(data["rulepacks"].items()), (1, 1))
    doc.h1("5. Outcomes and blocks")
    outcomes = summ["outcomes"]
    doc.grid(("Outcome of placed calls", "Calls"), list(outcomes.items()), (1, 1))
    if outcomes:
        doc.bar_chart("Calls by outcome", list(outcomes), list(outcomes.values()))
    blocked = summ["blocked_by_reason"]
    if blocked:
        doc.grid(
            ("Block reason", "Contacts", "Meaning"),
            [(k, v, CODES.get(k, "")) for k, v in blocked.items()],
            (45, 20, 115),
        )
    else:
        doc.para("No contact was blocked.")
    doc.h1("6. Calling hours")
    hours = data["calls_by_local_hour"]
    doc.bar_chart(
        "Calls placed by the recipient's local hour (first candidate time zone)",
        [f"{h:02d}" for h in range(24)],
        hours,
        alert=lambda i, v: bool(v) and not 8 <= i < 21,
        band=(8, 21, f"federal window {window}"),
    )
    doc.para(
        f"Every placed call was re-checked against {window} local time in every candidate "
        f"time zone stored with its decision (47 CFR 64.1200(c)(1)): {out['count']} outside, "
        f"{len(out['unverifiable'])} without a zone to check."
    )
    doc.grid(
        ("Attempt", "Placed at", "Time zone", "Local time"),
        [(h["attempt"], when(h["at"]), h["zone"], h["local"]) for h in out["calls"]],
    )
    doc.grid(
        ("Attempt", "Placed at", "Not verifiable because"),
        [(u["attempt"], when(u["at"]), u["why"]) for u in out["unverifiable"]],
    )
    _abandonment(doc, ab)
    _opt_outs(doc, data["opt_outs"])
    doc.h1("9. Do-not-call register snapshots")
    snaps = data["registry_snapshots"]
    if snaps:
        doc.grid(
            ("Register", "Snapshot of", "Loaded", "Numbers", "Manifest SHA-256"),
            [
                (
                    r["list"],
                    r["snapshot_on"],
                    when(r["loaded_at"]),
                    r["count"],
                    r["manifest_sha256"][:16] + "...",
                )
                for r in snaps
            ],
            (30, 24, 42, 22, 62),
        )
    else:
        doc.para("No register snapshot was loaded into the store before this report.")
    _audit(doc, audit)
    return doc.pdf_bytes()


def _abandonment(doc: ReportDoc, ab: dict[str, Any]) -> None:
    doc.h1("7. Abandonment (47 CFR 64.1200(a)(7))")
    limit = ab["limit"] * 100
    periods = ab["periods"]
    doc.para(
        f"Abandoned calls over calls answered by a live person, for each successive 30-day "
        f"period from the first call, and over the 30 days before this report. Limit: "
        f"{limit:g} %."
    )
    doc.grid(
        ("Period", "Live answered", "Abandoned", "Rate", "Within limit"),
        [
            (
                f"{when(p['start'])[:10]} to {when(p['end'])[:10]}"
                + ("" if p["complete"] else " (running)"),
                p["live"],
                p["abandoned"],
                pct(p["rate"]),
                "NO" if p["over_limit"] else "yes",
            )
            for p in periods
        ],
        (60, 28, 25, 35, 30),
    )
    r, worst = ab["rolling"], ab["worst_rolling"]
    doc.kv(
        [
            (
                "Rolling 30 days to the report",
                f"{pct(r['rate'])} ({r['abandoned']} of {r['live']})",
            ),
            (
                "Worst rolling 30-day window",
                "-"
                if worst is None
                else f"{pct(worst['rate'])} ({worst['abandoned']} of {worst['live']}), "
                f"ending {when(worst['end'])}",
            ),
        ]
    )
    labels = [f"P{i + 1}" for i in range(len(periods))] + ["30d"]
    rates = [(p["rate"] or 0.0) * 100 for p in periods] + [(r["rate"] or 0.0) * 100]
    doc.bar_chart(
        "Abandonment rate per period and rolling 30 days (%)",
        labels,
        rates,
        value_text=lambda v: f"{v:.1f}%",
        limit=(limit, f"{limit:g} % limit"),
        alert=lambda i, v: v > limit,
        height=40,
        label_zero=True,
    )


def _opt_outs(doc: ReportDoc, opt_outs: list[dict[str, Any]]) -> None:
    doc.h1("8. Opt-outs and time to honour")
    doc.para(
        "Every do-not-call request for a number on this campaign's list. The request is "
        "recorded in the transaction that receives it (a key press during the call "
        "included), so it is in force from receipt. Time to honour runs from receipt to the "
        "next gate decision for that number, which must deny: it is how long until the "
        "request was next put to the test, not a delay in recording it. A call placed after "
        "receipt is a breach and is named."
    )
    if not opt_outs:
        doc.para("No opt-out was received for a number on this campaign's list.")
        return
    doc.grid(
        (
            "Entry",
            "Contact",
            "Channel",
            "Received",
            "In force after",
            "Next decision (denied)",
            "Time to honour",
            "Result",
        ),
        [
            (
                o["entry"],
                o["contact"],
                o["channel"],
                when(o["received_at"]),
                duration(o["in_force_after_s"]),
                "no later attempt"
                if o["next_denial"] is None
                else f"#{o['next_denial']['attempt']} at {when(o['next_denial']['at'])}",
                duration(o["time_to_honour_s"]),
                o["status"],
            )
            for o in opt_outs
        ],
        (11, 13, 17, 28, 15, 34, 20, 42),
        size=7,
    )


def _chain_word(audit: dict[str, Any]) -> str:
    """'intact' only when the chain holds and agrees with the signed checkpoint shown."""
    chain = {
        "head": f"{audit['head_seq']}:{audit['head_hash']}",
        "checkpoint": audit.get("checkpoint"),
    }
    return "intact" if audit["ok"] and checkpoint_contradiction(chain) is None else "BROKEN"


def _audit(doc: ReportDoc, audit: dict[str, Any]) -> None:
    doc.h1("10. Audit chain")
    contradiction = checkpoint_contradiction(
        {"head": f"{audit['head_seq']}:{audit['head_hash']}", "checkpoint": audit.get("checkpoint")}
    )
    doc.alert(
        f"Audit chain {'intact' if audit['ok'] else 'BROKEN'}: {audit['entries']} entries"
        + ("" if audit["ok"] else f"; first bad entry {audit['bad_seq']}: {audit['detail']}")
        if contradiction is None
        else f"Audit chain BROKEN: {contradiction}",
        bad=not audit["ok"] or contradiction is not None,
    )
    doc.para(f"Head of the verified chain: entry {audit['head_seq']}, SHA-256:")
    doc.mono(audit["head_hash"])
    doc.para(
        "Keep this head. Later, 'lexdial audit verify --anchor SEQ:HASH' with the anchor "
        "below proves no entry up to it was edited, removed or rewritten:"
    )
    doc.mono(audit["anchor"], 7.5)
    signed_checkpoint(doc, audit.get("checkpoint"))
