"""The evaluators, one per rule kind. A pack rule's ``kind`` names one of these.

Adding a state's rule is a data edit when its kind exists here; a new kind is one small
function plus an entry in ``KINDS``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lexdial.rules.checks import bar, consent, dnc, frequency, hours, privacy, regf, setup
from lexdial.rules.context import Check

Prepare = Callable[[dict[str, Any], str | None], Any]


def _none(_params: dict[str, Any], _subdiv: str | None) -> None:
    return None


#: kinds whose answer cannot change with the instant judged (only with the facts): the
#: earliest-allowed search need not re-evaluate them, they passed at ``at`` already
TIMELESS = frozenset(
    {
        "ring_timeout",
        "abandonment",
        "safe_harbor",
        "caller_id",
        "script",
        "voicemail_content",
        "internal_dnc",
        "gdpr_erased",
        "solicitation",
        "reassigned_number",
        "workplace_calls",
        "time_barred_threat",
    }
)

#: kind -> the request fact it reads; when that fact is absent the rule has nothing to
#: judge and is not applicable (kinds not listed always apply: absent facts are protective)
NEEDS = {
    "ring_timeout": "campaign",
    "abandonment": "campaign",
    "safe_harbor": "campaign",
    "caller_id": "campaign",
    "script": "script",
    "voicemail_content": "script",
    "internal_dnc": "suppression",
    "state_dnc": "suppression",
    "tps": "suppression",
    "gdpr_erased": "gdpr",
    "gdpr_objection": "gdpr",
    "lawful_basis": "gdpr",
    "waiting_period": "incident",
    "attorney_represented": "debt",
    "regf_7in7": "history",
    "regf_conversation": "history",
    "frequency_cap": "history",
    "exempt_call_cap": "history",
    "refusal_wait": "history",
    "reassigned_number": "reassigned",
    "cease_communication": "debt",
    "time_barred_threat": "script",
}

#: kind -> (evaluator, params preparer)
KINDS: dict[str, tuple[Check, Prepare]] = {
    "calling_window": (hours.check_window, hours.prepare_windows),
    "day_ban": (hours.check_day_ban, hours.prepare_day_ban),
    "inconvenient_times": (hours.check_inconvenient, _none),
    "consent_required": (consent.check_consent_required, consent.prepare_consent),
    "reassigned_number": (consent.check_reassigned, _none),
    "national_dnc": (dnc.check_national_dnc, dnc.prepare_dnc),
    "state_dnc": (dnc.check_state_dnc, dnc.prepare_dnc),
    "internal_dnc": (dnc.check_internal_dnc, _none),
    "registry_fresh": (dnc.check_registry_fresh, dnc.prepare_dnc),
    "tps": (dnc.check_tps, dnc.prepare_dnc),
    "frequency_cap": (frequency.check_cap, frequency.prepare_cap),
    "exempt_call_cap": (frequency.check_exempt_cap, frequency.prepare_cap),
    "regf_7in7": (frequency.check_regf_7in7, frequency.prepare_cap),
    "regf_conversation": (frequency.check_regf_conversation, _none),
    "refusal_wait": (frequency.check_refusal_wait, frequency.prepare_cap),
    "ring_timeout": (setup.check_ring_timeout, _none),
    "abandonment": (setup.check_abandonment, _none),
    "safe_harbor": (setup.check_safe_harbor, _none),
    "caller_id": (setup.check_caller_id, _none),
    "script": (setup.check_script, setup.prepare_script),
    "voicemail_content": (setup.check_voicemail, setup.prepare_voicemail),
    "gdpr_erased": (privacy.check_erased, _none),
    "gdpr_objection": (privacy.check_objection, _none),
    "lawful_basis": (privacy.check_lawful_basis, _none),
    "solicitation": (bar.check_solicitation, bar.prepare_bar),
    "waiting_period": (bar.check_waiting_period, bar.prepare_bar),
    "technology_ban": (bar.check_technology_ban, bar.prepare_ban),
    "attorney_represented": (bar.check_represented, _none),
    "revoke_all": (consent.check_revoke_all, _none),
    "workplace_calls": (regf.check_workplace, _none),
    "cease_communication": (regf.check_cease, _none),
    "time_barred_threat": (regf.check_time_barred, _none),
}
