"""Regulation F bars on communicating at all: the workplace, a cease request, and
threats of suit on time-barred debts (12 CFR 1006.6(b)(3), 1006.6(c), 1006.26(b)).

Rule 1: each is a permanent failure (deny): only a new fact (the consumer's consent, a
withdrawn request, a script without the threat) can lift it.
Rule 2: absent facts are not guessed: a number not known to be a workplace is judged as
not one; the ``workplace_number`` fact is the firm's record of what the person said.
"""

from __future__ import annotations

from datetime import datetime

from lexdial.rules.context import Ctx, Fail
from lexdial.rules.model import Rule


def check_workplace(rule: Rule, ctx: Ctx, t: datetime) -> Fail | None:
    """No call to the consumer at work once the collector knows it is barred there."""
    pref = ctx.req.preferences
    if pref is None or not pref.workplace_number or not pref.no_calls_at_work:
        return None
    return Fail(
        (rule.code,),
        f"{rule.summary}: this number reaches the person at work and they (or their "
        f"employer) do not allow such calls there.",
    )


def check_cease(rule: Rule, ctx: Ctx, t: datetime) -> Fail | None:
    """After a written request to cease communication, no more calls about the debt."""
    debt = ctx.req.debt
    since = None if debt is None else debt.cease_requested_at
    if since is None or since > t:
        return None
    return Fail(
        (rule.code,),
        f"{rule.summary}: the consumer asked on {since:%Y-%m-%d} that the collector stop "
        f"communicating about this debt.",
    )


def check_time_barred(rule: Rule, ctx: Ctx, t: datetime) -> Fail | None:
    """A time-barred debt: the call's script must not threaten suit, and must say it
    does not (a script that leaves the question open is not cleared)."""
    debt, script = ctx.req.debt, ctx.req.script
    if debt is None or not debt.time_barred or script is None:
        return None
    if script.threatens_suit is False:
        return None
    why = (
        "the script threatens suit"
        if script.threatens_suit
        else "the script does not state that it makes no threat of suit (script.threatens_suit)"
    )
    return Fail(
        (rule.code,),
        f"{rule.summary}: the debt is time-barred and {why}.",
    )
