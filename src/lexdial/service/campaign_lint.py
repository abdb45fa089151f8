"""The campaign lint: everything that would make every call of a campaign unlawful.

Rule 1: the set-up rules are the engine's own (ring timeout, caller ID, safe harbor,
script identification/callback/opt-out, voicemail disclosure), run on the very request
each contact's dial would send — so a state's extra script rule is found for the
campaign's contacts in that state, and the lint and the gate cannot disagree.
Rule 2: what the engine cannot see is checked here: a message to judge, a caller ID that
is a real number, a safe-harbor message that itself identifies the firm, gives a number
and offers the opt-out (47 CFR 64.1200(a)(7)(i)(B)), and trained agents for live modes.
"""

from __future__ import annotations

from datetime import datetime

from lexdial.domain.campaign_spec import LIVE
from lexdial.domain.digest import request_digest
from lexdial.domain.numbers import parse_number
from lexdial.domain.request_parse import parse_request
from lexdial.domain.script import script_facts
from lexdial.errors import RequestError
from lexdial.rules.engine import Engine
from lexdial.service.campaigns import load_campaign
from lexdial.service.gate_request import build_request
from lexdial.service.ports import Cipher, Registry
from lexdial.service.storage import UnitOfWork
from lexdial.service.users import trained_agents

#: reason codes about the campaign's set-up rather than about the person called
SETUP_CODES = frozenset(
    {
        "ABANDONMENT_LIMIT",
        "RING_TIMEOUT",
        "CALLER_ID_MISSING",
        "SAFE_HARBOR_MISSING",
        "SCRIPT_NONCOMPLIANT",
        "VOICEMAIL_DISCLOSURE",
    }
)
#: firm-policy rules about the set-up (contract v1.1: they fail as FIRM_POLICY)
FIRM_SETUP_RULES = frozenset({"firm.ring-timeout", "firm.abandonment", "firm.ai-disclosure"})


def lint_campaign(
    uow: UnitOfWork,
    engine: Engine,
    cipher: Cipher,
    registry: Registry,
    *,
    firm_id: int,
    campaign_id: int,
    at: datetime,
) -> list[str]:
    """Every problem that must be fixed before the campaign may start (empty = none)."""
    camp = load_campaign(uow, firm_id, campaign_id)
    spec = camp.spec
    firm = uow.campaigns.firm_name(firm_id)
    problems: list[str] = []
    if not spec.message.text:
        problems.append(
            "message.text: give the words of the recording so the script can be checked"
        )
    if spec.caller_id and spec.caller_id.lower() != "withheld":
        try:
            valid = parse_number(spec.caller_id, "US").valid
        except RequestError:
            valid = False
        if not valid:
            # 47 CFR 64.1601(e): a number the called party can call back during business hours
            problems.append("caller_id: is not a valid telephone number to call back")
    if spec.mode in LIVE:
        problems += _live_checks(
            uow, firm_id, spec.message.safe_harbor_text, firm, spec.opt_out_key, at
        )
    contacts = uow.campaigns.listed_contacts(campaign_id)
    if not contacts:
        problems.append("contacts: the campaign has no contacts")
    seen: set[str] = set()
    for contact_id in contacts:
        raw, _, _ = build_request(
            uow,
            cipher,
            registry,
            firm_id=firm_id,
            contact_id=int(contact_id),
            at=at,
            campaign_id=campaign_id,
            plan=None,
        )
        try:
            request = parse_request(raw)
        except RequestError as exc:
            # a contact stored before its address was checked at entry (state "ZZ", ZIP
            # "123"): name the person to correct instead of failing the lint on a field path
            problems.append(
                f"contact #{contact_id}: its stored {exc.field} {exc.message} (it was stored "
                "before addresses were checked on entry), so no call to this person can be "
                "judged"
            )
            continue
        decision = engine.decide(request, digest=request_digest(raw))
        for reason in decision.reasons:
            if reason.code in SETUP_CODES or (
                reason.code == "FIRM_POLICY" and set(reason.rules) & FIRM_SETUP_RULES
            ):
                line = f"{reason.code}: {reason.message} ({reason.citation})"
                if line not in seen:
                    seen.add(line)
                    problems.append(line)
    return problems


def _live_checks(
    uow: UnitOfWork, firm_id: int, safe_harbor: str | None, firm: str, key: str, at: datetime
) -> list[str]:
    out: list[str] = []
    if safe_harbor:
        facts = script_facts(safe_harbor, firm, key)
        if not facts.identifies_firm_at_start:
            out.append("message.safe_harbor_text: must name the firm at the start")
        if not facts.states_callback_number:
            out.append("message.safe_harbor_text: must give a telephone number to call back")
        if not facts.offers_opt_out:
            out.append(f"message.safe_harbor_text: must offer the opt-out key ({key})")
    # transitional: users.trained_agents takes a connection until the accounts area moves
    if not trained_agents(uow, firm_id, at.date()):
        out.append("agents: no active agent has a current training attestation")
    return out
