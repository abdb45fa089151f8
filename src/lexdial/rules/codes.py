"""Stable reason codes (contract v1). Codes are added, never renamed or removed."""

from __future__ import annotations

CODES: dict[str, str] = {
    "INVALID_NUMBER": "not a dialable number",
    "NO_CONSENT": "consent required for this technology/line/purpose and none is on record",
    "WRITTEN_CONSENT_REQUIRED": "consent exists but the call needs prior express written consent",
    "CONSENT_SCOPE": "consent does not cover this purpose or technology",
    "CONSENT_REVOKED": "the consent that would cover the call was revoked",
    "SELLER_NOT_NAMED": "the consent does not name this firm",
    "REASSIGNED_NUMBER": "the number was reassigned after consent",
    "NATIONAL_DNC": "on the national do-not-call register with no exemption",
    "STATE_DNC": "on a state do-not-call register with no exemption",
    "INTERNAL_DNC": "on the firm's own do-not-call list",
    "TPS": "on the UK Telephone Preference Service with no exemption",
    "REGISTRY_STALE": "the registry copy is older than the law allows",
    "CALLING_HOURS": "outside the federal / national window",
    "STATE_CALLING_HOURS": "outside a state's narrower window",
    "DAY_RESTRICTED": "Sunday, weekend or holiday ban",
    "INCONVENIENT_TIME": "a time the person said is inconvenient",
    "FREQUENCY_CAP": "too many calls in a rolling window, or too soon after a refusal",
    "REG_F_7_IN_7": "Regulation F: more than 7 calls in 7 days about a debt",
    "REG_F_CONVERSATION": "Regulation F: within 7 days after a conversation about the debt",
    "ATTORNEY_REPRESENTED": "the debtor is represented by counsel",
    "TECHNOLOGY_BANNED": "a state or country bans this technology for this purpose",
    "ABANDONMENT_LIMIT": "the campaign's 30-day abandonment rate is over 3 %",
    "RING_TIMEOUT": "the campaign rings for less than 15 seconds",
    "CALLER_ID_MISSING": "the campaign sends no caller ID",
    "SAFE_HARBOR_MISSING": "a predictive/progressive campaign has no safe-harbor message",
    "SCRIPT_NONCOMPLIANT": "the script lacks identification, callback number, opt-out or "
    "a required disclosure",
    "VOICEMAIL_DISCLOSURE": "voicemail text would reveal a debt or a confidential matter",
    "GDPR_OBJECTION": "the person objected to direct marketing",
    "GDPR_ERASED": "the person's data was erased",
    "NO_LAWFUL_BASIS": "no lawful basis for processing for this purpose",
    "BAR_SOLICITATION": "lawyer solicitation rules forbid this contact",
    "BAR_WAITING_PERIOD": "a waiting period after an accident or disaster has not passed",
    # contract v1.1
    "WORKPLACE_CALLS_BARRED": "debt collection at a workplace the person or employer ruled out",
    "CEASE_COMMUNICATION": "the person asked a debt collector to stop communicating",
    "FIRM_POLICY": "a firm setting stricter than the law (policy, not law; names the setting)",
}
