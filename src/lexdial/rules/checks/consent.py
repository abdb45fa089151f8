"""Consent: does a record on file cover this call, and if not, why not?

Rule 1: a consent covers a call only if it was given before the call, is not revoked at
the call, its scope names the call's purpose, its technologies (absent = all) include the
call's, it is written when the law needs written consent, and it names this firm when the
firm is known (catalogue T1, T2, T8, T9, R1). No scope recorded = covers no purpose: the
firm must be able to prove what the person agreed to.
Rule 2: when nothing covers the call, the reasons reported are those of the consent(s)
that came closest (fewest defects): "the consent that would cover the call was revoked".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from lexdial.domain.decision import AUTOMATED, RECORDED_VOICE, RELATIONSHIPS, Consent
from lexdial.rules.checks.exempt import exempt, prepare_exempt
from lexdial.rules.context import Ctx, Fail
from lexdial.rules.model import Rule

_NAME_DROP = re.compile(r"[.,'’]+")
_NAME_JUNK = re.compile(r"[^a-z0-9 ]+")


@lru_cache(maxsize=4096)
def normalise_name(name: str) -> str:
    """Firm names compare without case, punctuation or '&'/'and' differences
    ("Hartwell & Ruiz, L.L.P." names "Hartwell and Ruiz LLP")."""
    text = _NAME_DROP.sub("", name.casefold().replace("&", " and "))
    return " ".join(_NAME_JUNK.sub(" ", text).split())


@dataclass(frozen=True, slots=True)
class ConsentVerdict:
    ok: bool
    codes: tuple[str, ...]
    message: str


def _defects(c: Consent, ctx: Ctx, t: datetime, level: str, purpose: str) -> list[str]:
    out: list[str] = []
    if c.revoked_at is not None and c.revoked_at <= t:
        out.append("CONSENT_REVOKED")
    if (
        c.scope is None
        or purpose not in c.scope
        or (c.technologies is not None and ctx.req.technology not in c.technologies)
    ):
        out.append("CONSENT_SCOPE")
    if level == "pewc" and c.kind != "express_written":
        out.append("WRITTEN_CONSENT_REQUIRED")
    firm = ctx.req.firm_name
    if firm:
        if c.sellers is None:
            if level == "pewc":
                out.append("SELLER_NOT_NAMED")
        elif normalise_name(firm) not in map(normalise_name, c.sellers):
            out.append("SELLER_NOT_NAMED")
    return out


_WORDS = {
    "CONSENT_REVOKED": "was revoked",
    "CONSENT_SCOPE": "does not cover this purpose/technology",
    "WRITTEN_CONSENT_REQUIRED": "is not prior express written consent",
    "SELLER_NOT_NAMED": "does not name this firm as the seller",
}


_NONE_ON_RECORD = ConsentVerdict(False, ("NO_CONSENT",), "no consent is on record")


def consent_verdict(
    ctx: Ctx, t: datetime, level: str, purpose: str | None = None
) -> ConsentVerdict:
    """Judge the consents on file for the call at ``t`` (memoised per decision)."""
    want = purpose or ctx.req.purpose
    key = ("consent", level, want, t)
    hit: ConsentVerdict | None = ctx.cache.get(key)
    if hit is None:
        hit = ctx.cache[key] = _verdict(ctx, t, level, want)
    return hit


def _verdict(ctx: Ctx, t: datetime, level: str, want: str) -> ConsentVerdict:
    best: list[tuple[Consent, list[str]]] = []
    undated: list[Consent] = []
    for c in ctx.req.consents:
        if c.given_at is None:  # contract v1.1: cannot prove *prior* consent
            undated.append(c)
            continue
        if c.given_at > t:
            continue  # not *prior* consent
        defects = _defects(c, ctx, t, level, want)
        if not defects:
            label = c.id or "on file"
            return ConsentVerdict(True, (), f"consent {label} covers the call")
        if not best or len(defects) < len(best[0][1]):
            best = [(c, defects)]
        elif len(defects) == len(best[0][1]):
            best.append((c, defects))
    if not best:
        if undated:
            labels = ", ".join(f"consent {c.id}" if c.id else "a consent" for c in undated)
            return ConsentVerdict(
                False,
                ("NO_CONSENT",),
                f"no consent is on record that can prove prior consent ({labels} has no "
                "date it was given)",
            )
        return _NONE_ON_RECORD
    codes: list[str] = []
    parts: list[str] = []
    for c, defects in best:
        codes.extend(x for x in defects if x not in codes)
        label = f"consent {c.id}" if c.id else "the consent on file"
        parts.append(f"{label} " + " and ".join(_WORDS[x] for x in defects))
    return ConsentVerdict(False, tuple(codes), "; ".join(parts))


def consent_covers(ctx: Ctx, t: datetime, level: str, purpose: str | None = None) -> bool:
    return consent_verdict(ctx, t, level, purpose).ok


def known_relationships(names: Any) -> frozenset[str]:
    """Relationship types a rule exempts, each checked: a misspelt one would silently
    drop the statute's exemption."""
    out = frozenset(str(n) for n in names)
    if not out <= RELATIONSHIPS:
        raise ValueError(f"exempt_relationships: unknown types {sorted(out - RELATIONSHIPS)}")
    return out


def prepare_consent(params: dict[str, Any], _subdiv: str | None) -> dict[str, Any]:
    return {
        "level": params.get("level", "pec"),
        "exempt_relationships": known_relationships(params.get("exempt_relationships", ())),
        "ebr_exempt": bool(params.get("ebr_exempt", False)),
        "ebr_months": int(params.get("ebr_months", 18)),
        "inquiry_months": int(params.get("inquiry_months", 3)),
        "exempt": prepare_exempt(params),
        "on_fail_code": params.get("on_fail_code"),
        "only_matters": frozenset(params.get("only_matters", ())),
        # an accident or disaster points to an injury claim, not to every matter type
        "incident_matters": bool(
            set(params.get("only_matters", ())) & {"claims_management", "personal_injury"}
        ),
    }


def check_consent_required(rule: Rule, ctx: Ctx, t: datetime) -> Fail | None:
    """The call needs consent of ``level`` (pec / pewc) covering its purpose."""
    p = rule.prepared
    if (
        p["only_matters"]
        and ctx.req.matter_type not in p["only_matters"]
        and (ctx.req.incident is None or not p["incident_matters"])
    ):
        return None
    rel = ctx.req.relationship
    if rel is not None and rel.type in p["exempt_relationships"]:
        return None
    if p["ebr_exempt"]:
        from lexdial.rules.checks.dnc import ebr_status

        if ebr_status(ctx, t, p["ebr_months"], p["inquiry_months"])[0]:
            return None
    if p["exempt"] is not None and exempt(p["exempt"], ctx, t):
        return None  # outside the statute's definition of the regulated call
    verdict = consent_verdict(ctx, t, p["level"])
    if verdict.ok:
        return None
    codes = (p["on_fail_code"],) if p["on_fail_code"] else verdict.codes
    need = "prior express written consent" if p["level"] == "pewc" else "prior express consent"
    return Fail(codes, f"{rule.summary}: needs {need}; {verdict.message}.")


def _needs_tcpa_consent(ctx: Ctx) -> bool:
    """Robocalls to a wireless line, and recorded voices to a residential line, rely on
    consent under the TCPA; only those calls can lose the reassigned-number safe harbor."""
    tech = ctx.req.technology
    if ctx.line_type == "wireless":
        return tech in AUTOMATED
    return tech in RECORDED_VOICE and ctx.subscriber == "consumer"


def check_reassigned(rule: Rule, ctx: Ctx, t: datetime) -> Fail | None:
    """Reassigned Numbers Database: 'yes' or 'no data' means no safe harbor (N1)."""
    if not _needs_tcpa_consent(ctx):
        return None
    r = ctx.req.reassigned
    if r is not None and r.result == "yes":
        return Fail(
            (rule.code,),
            "The Reassigned Numbers Database reports the number was "
            "permanently disconnected after consent was given: do not call.",
        )
    # contract v1.1: no check, or a check with no data, only means the safe harbor of
    # 64.1200(m) cannot be claimed; a firm may still demand a definite answer
    if ctx.policy.require_reassigned_check and ctx.req.consents:
        got = "none is on record" if r is None else "the check on record has no data"
        return Fail(
            ("FIRM_POLICY",),
            "Firm policy (setting policy.require_reassigned_check), not law: a definite "
            "Reassigned Numbers Database answer is required before an automated call that "
            f"relies on consent; {got}.",
        )
    return None


def check_revoke_all(rule: Rule, ctx: Ctx, t: datetime) -> Fail | None:
    """A revocation of consent reaches this caller's later robocalls and robotexts (47 CFR
    64.1200(a)(10)), until the person gives consent again after it.

    ``params.reach`` says how far: ``all`` (the "revoke-all" clause: every robocall, for
    unrelated matters too) or ``same_purpose`` (the rest of 64.1200(a)(10) while that clause
    is waived: the robocalls of the purposes the revoked consent covered; a revoked consent
    with no scope on record is read as covering every purpose, protective)."""
    same_purpose = rule.params.get("reach", "all") == "same_purpose"
    purpose = ctx.req.purpose

    def reaches(c: Consent) -> bool:
        return not same_purpose or c.scope is None or purpose in c.scope

    revoked = [c.revoked_at for c in ctx.req.consents if c.revoked_at is not None and reaches(c)]
    last = max((x for x in revoked if x <= t), default=None)
    if last is None:
        return None
    if any(
        c.given_at is not None
        and last < c.given_at <= t
        and (c.revoked_at is None or c.revoked_at > t)
        and reaches(c)
        for c in ctx.req.consents
    ):
        return None  # consent given again after the revocation (judged by the consent rules)
    reach = (
        f"every automated call and text from this firm about {purpose}"
        if same_purpose
        else "every automated call and text from this firm"
    )
    return Fail(
        (rule.code,),
        f"{rule.summary}: the person revoked a consent on {last:%Y-%m-%d}, which revokes {reach}.",
    )
