"""The person's evidence bundle, the written do-not-call policy and the training roster,
as PDFs (the campaign report is in ``report_pdf``; both share ``report_layout``).

Why these three together: each is a record the firm must produce on demand — the evidence
of how one person was treated (a TCPA suit), the written policy (47 CFR 64.1200(d)(1)) and
proof that staff were trained (47 CFR 64.1200(d)(2)).
Rule: the bundle's number is printed only in ``evidence_pdf``: it is the person's own
evidence. The policy and roster name no one who was called.
"""

from __future__ import annotations

import json
from typing import Any

from lexdial.service.report_layout import ReportDoc, when


def evidence_pdf(bundle: dict[str, Any], *, firm: str, generated_at: str) -> bytes:
    """``evidence.bundle`` as a PDF: consents with their disclosure text, every decision
    with its reasons, calls, opt-outs and the audit entries with their chain proof."""
    doc = ReportDoc(firm, "Evidence bundle", generated_at, simulated=bool(bundle.get("simulated")))
    chain = bundle["chain"]
    doc.title_block(
        f"Evidence for {bundle['number']} "
        + (
            f"(contact #{bundle['contact_id']})"
            if bundle["contact_id"] is not None
            else "(no contact holds it now)"
        ),
        "How the firm treated this number: consents on file, every call decision and its "
        "reasons, calls, opt-outs, and the audit entries that record them with the proof "
        "that links them to the verified chain. This document contains the person's "
        "telephone number: share it only with them or their representative.",
    )
    simulated_notice(doc)
    doc.h1("1. Audit chain")
    contradiction = checkpoint_contradiction(chain)
    doc.alert(
        f"Chain {'intact' if chain['intact'] else 'BROKEN'}: {chain['entries']} entries"
        + ("" if chain["intact"] else f" (entry {chain['bad_seq']}: {chain['problem']})")
        if contradiction is None
        else f"Chain BROKEN: {contradiction}",
        bad=not chain["intact"] or contradiction is not None,
    )
    doc.para("Head of the verified chain (seq:SHA-256):")
    doc.mono(str(chain["head"]), 7.5)
    doc.para(f"How to check: {chain['how_to_check']}.", 8.5)
    signed_checkpoint(doc, chain.get("checkpoint"))
    records = bundle.get("records")
    if records is not None:  # each row compared with what its audit entries recorded
        problems = records["problems"]
        doc.alert(
            "Records agree with the audit trail"
            if records["intact"]
            else f"RECORDS DISAGREE WITH THE AUDIT TRAIL: {len(problems)} problem(s)",
            bad=not records["intact"],
        )
        for p in problems:
            doc.para(f"{p['record']}: {p['problem']}", 8.5)
        doc.para(f"How to check: {records['how_to_check']}.", 8.5)
    doc.h1(f"2. Consents ({len(bundle['consents'])})")
    for c in bundle["consents"]:
        doc.kv(
            [
                ("Consent", f"#{c['id']} {c['kind']}"),
                (
                    "Purposes / technologies",
                    f"{_join(c['scope'])} / {_join(c['technologies']) or 'all'}",
                ),
                ("Sellers named", _join(c["sellers"])),
                ("Given", c["given_at"]),
                ("Method / captured by", f"{c['method']} / {c['captured_by']}"),
                (
                    "Document, source IP, user agent",
                    ", ".join(
                        str(v or "-")
                        for v in (c["document_ref"], c.get("source_ip"), c["user_agent"])
                    ),
                ),
                (
                    "Disclosure version / SHA-256",
                    f"{c['disclosure_version']} / {c['disclosure_sha256']}",
                ),
                (
                    "Revoked",
                    "no"
                    if not c["revoked_at"]
                    else f"{_plain(c['revoked_at'])} via {c['revoked_via']}",
                ),
            ]
        )
        if c["disclosure_text"] is None:
            doc.para("Disclosure text erased on the person's request (its SHA-256 is kept)", 8.5)
        else:
            doc.para(f'Disclosure shown, verbatim: "{c["disclosure_text"]}"', 8.5)
    if not bundle["consents"]:
        doc.para("No consent on file.")
    doc.h1(f"3. Call decisions ({len(bundle['decisions'])})")
    for d in bundle["decisions"]:
        dec = d["decision"] or {}
        reasons = dec.get("reasons") or []
        doc.para(
            f"Attempt #{d['attempt_id']} at {_plain(d['at'])}: {str(d['verdict']).upper()} "
            f"({d['status']}); {d['purpose']} by {d['technology']}; rule pack {d['rulepack']}; "
            f"time zones {_join(dec.get('time_zones'))}; decision {dec.get('decision_id')}; "
            f"{len(dec.get('checked') or [])} rules checked; input digest "
            f"{dec.get('input_digest') or '-'}.",
            8.5,
            "B",
        )
        doc.grid(
            ("Reason", "Why", "Citation"),
            [(r["code"], r["message"], r["citation"]) for r in reasons],
            (35, 90, 55),
            size=7.5,
        )
        then = d.get("facts_then")
        if then:
            registers = "; ".join(
                f"{r['list']} of {r['snapshot_on']} (loaded {_plain(r['loaded_at'])})"
                for r in then["registry_snapshots"]
            )
            doc.para(
                "At that instant the records held: consents in force "
                f"{_ids(then['consents_in_force'])}; do-not-call entries "
                f"{_ids(then['do_not_call_entries'])}; registry snapshots {registers or 'none'}.",
                8,
            )
    if bundle["decisions"] and bundle["decisions"][0].get("facts_then"):
        doc.para(f"Records at each decision: {bundle['decisions'][0]['facts_then']['what']}.", 8)
    doc.h1(f"4. Calls ({len(bundle['calls'])})")
    doc.grid(
        (
            "Attempt",
            "Outcome",
            "Ended",
            "Ring s",
            "Talk s",
            "Live",
            "Abandoned",
            "Opt-out",
            "Detail",
        ),
        [
            (
                o["attempt_id"],
                o["outcome"],
                o["at"],
                o["ring_s"],
                o["talk_s"],
                o["live_answered"],
                o["abandoned"],
                o["opted_out"],
                o["detail"],
            )
            for o in bundle["calls"]
        ],
        (14, 18, 30, 12, 12, 10, 16, 13, 55),
        size=7,
    )
    doc.h1(f"5. Do-not-call entries ({len(bundle['opt_outs'])})")
    doc.grid(
        ("Entry", "Received", "Channel"),
        [(o["id"], o["at"], o["channel"]) for o in bundle["opt_outs"]],
        (20, 60, 100),
    )
    doc.h1(f"6. Audit entries ({len(bundle['audit_entries'])})")
    for e in bundle["audit_entries"]:
        doc.para(f"#{e['seq']} {_plain(e['at'])} {e['action']} {e['subject']}", 8, "B")
        doc.para(_data(e["data"]), 7.5)
        doc.mono(f"prev {e['prev_hash']}", 6.5)
        doc.mono(f"hash {e['hash']}", 6.5)
    return doc.pdf_bytes()


def dnc_policy_pdf(data: dict[str, Any]) -> bytes:
    """The written do-not-call policy, generated from the firm's settings and the code's
    behaviour (``report_policy.dnc_policy_data``)."""
    doc = ReportDoc(data["firm"], "Do-not-call policy", data["generated_at"])
    h = data["honouring"]
    doc.title_block(
        f"Written do-not-call policy of {data['firm']}",
        f"Kept under {data['citation']} and available to anyone on demand. Generated from "
        f"the firm's settings and the rules its dialer enforces, as in force on "
        f"{when(data['generated_at'])}.",
    )
    doc.h1("1. Scope")
    doc.para(
        "This policy covers every call the firm places with lexdial, for every purpose and "
        "technology, to every number. A request not to be called applies to the firm as a "
        "whole: all campaigns, all purposes, all staff (47 CFR 64.1200(d)(5))."
    )
    doc.h1("2. How a person asks not to be called")
    doc.para("A request is accepted on every one of these channels:")
    doc.bullets([f"{c['how']} ({c['channel']})" for c in data["channels"]])
    doc.para(
        f"A text reply of {', '.join(w.upper() for w in data['stop_words'])} is a request "
        "in itself. Other words that may mean the same go to a compliance reviewer, never "
        "ignored. The opt-out key offered in automated messages: "
        + ", ".join(data["opt_out_keys"])
        + "."
    )
    doc.h1("3. Recording and honouring a request (47 CFR 64.1200(d)(3), (d)(6))")
    doc.bullets(
        [
            "The request is recorded on the firm's own do-not-call list at the time it is made, "
            "with its channel and time."
            + (
                " It is in force immediately: in the same database transaction that receives it, "
                "not within the ten business days the rule allows."
                if h["same_transaction"]
                else ""
            ),
            "Every consent on file for the number is revoked in that transaction."
            if h["revokes_consents"]
            else "Consents are reviewed by compliance staff.",
            "Every queued call to the number, in every campaign, is cancelled in that transaction."
            if h["cancels_queued_calls"]
            else "Queued calls are cancelled by staff.",
            "Before every call, the dial-time gate checks the list under the same lock as the "
            "opt-out, so no decision made after a request can miss it.",
            f"The request is kept {_years(data)}.",
        ]
    )
    doc.grid(
        ("Rule the gate applies", "Jurisdiction", "Citation", "Applies to"),
        [
            (
                r["rule"],
                r["jurisdiction"],
                r["citation"],
                "every purpose and technology"
                if r["every_purpose"] and r["every_technology"]
                else "some purposes",
            )
            for r in data["internal_dnc_rules"]
        ],
        (30, 20, 85, 45),
        size=7.5,
    )
    doc.para(f"Rule pack in force: {data['rulepack']}.", 8.5)
    doc.h1("4. Identification and calling hours (47 CFR 64.1200(d)(4), (c)(1))")
    window = data["calling_window"]
    doc.para(
        "Every automated message names the firm at its start, gives a telephone number to "
        "call back and offers the opt-out key; a campaign whose script does not is refused "
        "before it starts. "
        + (
            f"Calls are placed only between {window[0]} and {window[1]} in the called "
            "person's local time, in every time zone they may be in."
            if window
            else "Calls respect the federal and state calling hours in the called person's "
            "local time."
        )
    )
    doc.h1("5. National and state do-not-call registers (47 CFR 64.1200(c)(2))")
    snaps = data["registry_snapshots"]
    if snaps:
        doc.grid(
            ("Register", "Snapshot of", "Loaded", "Numbers"),
            [(s["list"], s["snapshot_on"], when(s["loaded_at"]), s["count"]) for s in snaps],
        )
    else:
        doc.para("No register snapshot is recorded in the store yet.")
    doc.h1("6. Retention")
    doc.grid(
        ("Records", "Kept for", "Set by"),
        [(r["holds"], f"{r['days']} days", r["source"]) for r in data["retention"]],
        (95, 40, 45),
    )
    dnc = data["dnc_list"]
    doc.para(
        f"The firm's do-not-call list holds {dnc['entries']} request(s)"
        + (f", the oldest from {when(dnc['oldest'])}." if dnc["oldest"] else ".")
    )
    doc.h1("7. Training (47 CFR 64.1200(d)(2))")
    tr = data["training"]
    doc.para(
        "Everyone engaged in the firm's calling is informed and trained in the existence "
        "and use of this policy and the do-not-call list, and attests to it. Only an agent "
        "with a current training attestation may take live calls "
        f"({', '.join(tr['live_modes'])} campaigns). On this date {tr['agents_trained']} of "
        f"{tr['active_agents']} active agents hold a current attestation; "
        f"{tr['attestations']} attestation(s) are on file for {tr['users']} user(s). The "
        "staff training roster lists them by name."
    )
    doc.h1("8. Records")
    doc.para(
        "Every request, decision and call is recorded in a hash-chained audit trail; the "
        "evidence of how any one number was treated can be produced on demand."
        + (f" Settings file: {data['settings_file']}." if data["settings_file"] else "")
    )
    return doc.pdf_bytes()


def roster_pdf(data: dict[str, Any]) -> bytes:
    """The staff training roster: every user, role and attestation with its dates."""
    doc = ReportDoc(data["firm"], "Staff training roster", data["generated_at"])
    s = data["summary"]
    doc.title_block(
        "Staff training roster",
        f"Training attestations on file, and whether each is current on {data['as_of']} "
        "(47 CFR 64.1200(d)(2); 16 CFR 310.4(b)(3)(ii)). Only agents with a current "
        f"attestation may take live calls ({', '.join(data['live_modes'])}).",
    )
    doc.kv(
        [
            ("Users", s["users"]),
            (
                "Active agents with a current attestation",
                f"{s['agents_trained']} of {s['active_agents']}",
            ),
            ("Attestations on file", s["attestations"]),
        ]
    )
    rows: list[tuple[object, ...]] = []
    for u in data["staff"]:
        who = (u["id"], u["name"], u["email"], u["role"] + ("" if u["active"] else " (inactive)"))
        if not u["attestations"]:
            rows.append((*who, "none on file", "-", "-", "-"))
        for a in u["attestations"]:
            rows.append((*who, a["course"], a["attested_on"], a["expires_on"], a["status"]))
    doc.grid(
        ("User", "Name", "E-mail", "Role", "Course", "Attested on", "Expires on", "Status"),
        rows,
        (10, 28, 38, 20, 30, 19, 19, 16),
        size=7.5,
    )
    return doc.pdf_bytes()


def _ids(ids: list[int]) -> str:
    return ", ".join(f"#{i}" for i in ids) or "none"


def _join(value: Any) -> str:
    return ", ".join(str(v) for v in value) if value else ""


def _plain(value: Any) -> str:
    """An instant from the store (datetime, maybe naive UTC) or JSON (ISO text)."""
    return when(value if isinstance(value, str) else value.isoformat()) if value else "-"


def _data(text: Any) -> str:
    try:
        value = json.loads(text) if isinstance(text, str) else text
    except ValueError:
        return str(text)
    return json.dumps(value, sort_keys=True, default=str)


def _years(data: dict[str, Any]) -> str:
    """The do-not-call list's retention, against the five years (d)(6) requires."""
    days = next((r["days"] for r in data["retention"] if r["category"] == "dnc_entries"), 0)
    verdict = (
        "at least the five years 47 CFR 64.1200(d)(6) requires"
        if days >= 5 * 365
        else "SHORTER than the five years 47 CFR 64.1200(d)(6) requires: fix the settings"
    )
    return f"for {days} days ({days / 365.25:.1f} years), {verdict}"


#: what a sandbox's report says first (``ReportDoc(simulated=True)`` marks every page)
SIMULATED_NOTICE = (
    "SIMULATED: this store is a sandbox (demo, training or tests). Its calls, decisions, "
    "consents and opt-outs were made up or dialled on the simulated carrier: none of them "
    "happened, and this document is no evidence of any real call."
)


def simulated_notice(doc: ReportDoc) -> None:
    """On a sandbox's report, before anything else: what it shows never happened."""
    if doc.simulated:
        doc.alert(SIMULATED_NOTICE, bad=True)


def checkpoint_contradiction(chain: dict[str, Any]) -> str | None:
    """What the chain's head contradicts in the latest signed checkpoint printed with it
    (``chain["checkpoint"]``), or None: a chain that ends before the signed entry was
    truncated, one whose head is the signed entry with another hash was rewritten. (An
    older checkpoint is checked against the whole chain by 'lexdial audit verify'.)"""
    checkpoint = chain.get("checkpoint")
    if not checkpoint:
        return None
    seq_text, _, head_hash = str(chain["head"]).partition(":")
    head_seq, signed = int(seq_text), int(checkpoint["seq"])
    if signed > head_seq:
        return (
            f"truncated: the chain ends at entry {head_seq}, but entry {signed} was signed "
            f"at {checkpoint['at']}"
        )
    if signed == head_seq and checkpoint["head"] != head_hash:
        return (
            f"rewritten: entry {signed} is not the entry signed at {checkpoint['at']} "
            "(its hash differs)"
        )
    return None


def signed_checkpoint(doc: ReportDoc, checkpoint: dict[str, Any] | None) -> None:
    """The latest Ed25519-signed checkpoint of the chain, printed so a copy outlives the
    machine: 'lexdial audit verify' checks the chain against every published one."""
    if not checkpoint:
        doc.para("No signed checkpoint of the chain has been published yet.", 8.5)
        return
    doc.para(
        f"Latest signed checkpoint: entry {checkpoint['seq']} at {checkpoint['at']}, "
        f"Ed25519 key {checkpoint['key']} (public key in {checkpoint['public_key_file']}). "
        "Head and signature:",
        8.5,
    )
    doc.mono(checkpoint["head"], 7.5)
    doc.mono(checkpoint["sig"], 7.5)
