"""``lexdial report ...``: the PDFs a lawyer hands an auditor.

Each command checks the caller's role (the same actions the API routes need), gathers the
data in one read-only connection, writes the PDF (default: a fixed name in the current
directory, never one that contains a telephone number) and prints the path written.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from lexdial.entrypoints import cli_common as common

# each command imports what it runs: building the parser (``lexdial --help``) must not load
# the database layer, numpy or the PDF library (tests/unit/test_cli_startup.py)

EPILOG = """examples:
  lexdial report campaign 1                  campaign-1-report.pdf in this directory
  lexdial report campaign 1 -o audit/c1.pdf  ... or where you say
  lexdial report policy                      dnc-policy.pdf: the written do-not-call policy
  lexdial report roster                      training-roster.pdf: staff and attestations
  lexdial report evidence '+1 614 555 0101' --json
                                             evidence-contact-ID.pdf (+ .json): one person
"""


def _write(args: argparse.Namespace, default: str, pdf: bytes) -> Path:
    from lexdial.bootstrap import write_private_file

    path = Path(args.output) if args.output else Path(default)
    write_private_file(path, pdf, "--output")
    print(path.resolve())
    return path


def cmd_campaign(args: argparse.Namespace) -> None:
    from lexdial.bootstrap import checkpoint_for_report
    from lexdial.service.report_data import campaign_data
    from lexdial.service.report_pdf import campaign_pdf
    from lexdial.service.users import authorize

    store, at = common.store(args), common.now(args)
    with store.reading() as uow:
        authorize(uow, common.caller(args), "audit.read", store.firm_id)
    with store.reading() as uow:
        data = campaign_data(
            uow,
            store.rules,
            store.cipher,
            store.registry,
            firm_id=store.firm_id,
            campaign_id=args.campaign_id,
            at=at,
        )
    data["audit"]["checkpoint"] = checkpoint_for_report(store)
    _write(args, f"campaign-{args.campaign_id}-report.pdf", campaign_pdf(data))


def cmd_policy(args: argparse.Namespace) -> None:
    from lexdial.service.report_data import dnc_policy_data
    from lexdial.service.report_pdf import dnc_policy_pdf
    from lexdial.service.users import authorize

    store, at = common.store(args), common.now(args)
    with store.reading() as uow:
        authorize(uow, common.caller(args), "read", store.firm_id)
    with store.reading() as uow:
        data = dnc_policy_data(
            uow, store.cipher, store.settings, store.rules, firm_id=store.firm_id, at=at
        )
    _write(args, "dnc-policy.pdf", dnc_policy_pdf(data))


def cmd_roster(args: argparse.Namespace) -> None:
    from lexdial.service.report_data import roster_data
    from lexdial.service.report_pdf import roster_pdf
    from lexdial.service.users import authorize

    store, at = common.store(args), common.now(args)
    with store.reading() as uow:
        authorize(uow, common.caller(args), "users.read", store.firm_id)
    with store.reading() as uow:
        data = roster_data(uow, store.cipher, firm_id=store.firm_id, at=at)
    _write(args, "training-roster.pdf", roster_pdf(data))


def cmd_evidence(args: argparse.Namespace) -> None:
    from lexdial.bootstrap import checkpoint_for_report, evidence_anchors, write_private_file
    from lexdial.service import evidence, views
    from lexdial.service.report_pdf import evidence_pdf
    from lexdial.service.report_policy import iso
    from lexdial.service.users import authorize

    store, at = common.store(args), common.now(args)
    with store.reading() as uow:
        authorize(uow, common.caller(args), "audit.read", store.firm_id)
        bundle = evidence.bundle(
            uow, store.cipher, store.firm_id, args.number, anchors=evidence_anchors(store)
        )
        firm_name = views.firm_name(uow, store.firm_id)
    bundle["chain"]["checkpoint"] = checkpoint_for_report(store)
    pdf = evidence_pdf(bundle, firm=firm_name, generated_at=str(iso(at)))
    # an erased person's number has no contact left: its opt-outs are the evidence
    who = bundle["contact_id"] if bundle["contact_id"] is not None else "erased"
    path = _write(args, f"evidence-contact-{who}.pdf", pdf)
    if args.json:
        side = path.with_suffix(".json")
        write_private_file(side, json.dumps(bundle, indent=2, default=str), "--output")
        print(side.resolve())


def add_commands(sub: Any) -> None:
    """Register ``report`` and its subcommands on the main parser's subparsers."""
    p = sub.add_parser(
        "report",
        help="evidence PDFs: campaign report, do-not-call policy, training roster, evidence",
        description="Write a PDF an auditor can read: the evidence report of a campaign, the "
        "firm's written do-not-call policy (47 CFR 64.1200(d)(1)), the staff training roster, "
        "or the evidence bundle of one number. Prints the path written.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s = p.add_subparsers(dest="report_cmd", required=True)

    def output(a: argparse.ArgumentParser, default: str) -> None:
        a.add_argument("-o", "--output", metavar="FILE", help=f"where to write (default {default})")

    a = s.add_parser(
        "campaign",
        help="a campaign's evidence report (audit readers)",
        description="Settings and script lint, rule-pack versions, counts by outcome and by "
        "block reason, calling hours re-checked (calls outside any window must be 0), "
        "abandonment per 30-day period, opt-outs and time to honour each, register "
        "snapshots and the audit chain's head hash, with charts.",
        epilog="example: lexdial report campaign 1 -o audit/campaign-1.pdf",
        parents=common.options(at=True),
    )
    a.add_argument("campaign_id", type=int)
    output(a, "campaign-ID-report.pdf")
    a.set_defaults(func=cmd_campaign)
    a = s.add_parser(
        "policy",
        help="the firm's written do-not-call policy, from its settings",
        description="The written do-not-call policy 47 CFR 64.1200(d)(1) requires on demand, "
        "generated from the settings and the dialer's behaviour: opt-out channels, honouring "
        "time, retention, registers and training.",
        epilog="example: lexdial report policy -o dnc-policy.pdf",
        parents=common.options(at=True),
    )
    output(a, "dnc-policy.pdf")
    a.set_defaults(func=cmd_policy)
    a = s.add_parser(
        "roster",
        help="the staff training roster with attestation dates (user readers)",
        epilog="example: lexdial report roster",
        parents=common.options(at=True),
    )
    output(a, "training-roster.pdf")
    a.set_defaults(func=cmd_roster)
    a = s.add_parser(
        "evidence",
        help="one number's evidence bundle as PDF (and JSON with --json)",
        description="Consents with their disclosure text, every decision and its reasons, "
        "calls, opt-outs and audit entries with the chain proof. The PDF shows the number: "
        "it is the person's own evidence.",
        epilog="example: lexdial report evidence '+1 614 555 0101' --json",
        parents=common.options(json="also write the bundle as JSON beside it", at=True),
    )
    a.add_argument("number")
    output(a, "evidence-contact-ID.pdf")
    a.set_defaults(func=cmd_evidence)
