"""What a message's words show, as the contract's ``script`` facts (pure).

Rule 1: the campaign lint reads the text the recipient will hear and derives the facts
the engine's script rules judge (47 CFR 64.1200(b)(1)-(3)): the firm named at the start,
a callback number stated, a key-press opt-out offered, and — for marketing — offered
within 2 seconds of the identification. A person can still be wrong about their own
script; the text cannot.
Rule 2: speech time is estimated from words at a steady speaking rate. That is an
estimate, so the 2-second test is applied to the words between the end of the firm's
name and the start of the opt-out offer, with no allowance added.
"""

from __future__ import annotations

import re
from typing import NamedTuple

#: words per second of a recorded or synthesised message (~150 words per minute)
WORDS_PER_SECOND = 2.5
#: "at the start": the firm must be named within the first this-many words
START_WORDS = 20
_PHONE = re.compile(r"(?<!\d)(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?!\d)")
_WORD = re.compile(r"[A-Za-z0-9'&]+")
_LEGAL_SUFFIX = {"llp", "llc", "pc", "pllc", "pa", "ltd", "inc", "the", "of", "and", "&"}
_OPT_OUT = re.compile(
    r"\bpress(?:ing)?\s+(?P<key>[0-9*#])\b[^.]{0,80}?"
    r"\b(?:opt[\s-]*out|stop|no longer|not (?:to )?receive|remove|do[\s-]*not[\s-]*call|"
    r"unsubscribe|no more)"
    r"|\b(?:opt[\s-]*out|stop (?:these|receiving|future)|no longer (?:receive|wish)|"
    r"remove (?:you|your number)|unsubscribe|do[\s-]*not[\s-]*call)[^.]{0,80}?"
    r"\bpress(?:ing)?\s+(?P<key2>[0-9*#])\b",
    re.IGNORECASE,
)


class ScriptFacts(NamedTuple):
    identifies_firm_at_start: bool
    states_callback_number: bool
    offers_opt_out: bool
    opt_out_within_2s: bool
    #: seconds between the end of the identification and the start of the opt-out offer
    opt_out_gap_s: float | None


def _words(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(0).lower(), m.start(), m.end()) for m in _WORD.finditer(text)]


def firm_name_end(text: str, firm_name: str, within: int = START_WORDS) -> int | None:
    """Index (in words) just after the firm's distinctive name, if it is said early enough.

    "Hartwell & Ruiz LLP" is found as "Hartwell and Ruiz" or "Hartwell Ruiz": the suffix and
    connecting words are not what a listener recognises a firm by.
    """
    core = [w for w, _, _ in _words(firm_name) if w not in _LEGAL_SUFFIX]
    if not core:
        return None
    spoken = [w for w, _, _ in _words(text)][: within + len(core) * 2]
    for i in range(min(within, len(spoken))):
        j, k = i, 0
        while j < len(spoken) and k < len(core):
            if spoken[j] == core[k]:
                k += 1
            elif spoken[j] not in _LEGAL_SUFFIX or k == 0:
                break
            j += 1
        if k == len(core):
            return j
    return None


def script_facts(text: str, firm_name: str, opt_out_key: str) -> ScriptFacts:
    """The contract's script facts for a message of ``text`` from ``firm_name``."""
    ident_end = firm_name_end(text, firm_name)
    words = _words(text)
    offer = None
    for m in _OPT_OUT.finditer(text):
        if (m.group("key") or m.group("key2")) == opt_out_key:
            offer = m
            break
    gap: float | None = None
    if offer is not None and ident_end is not None:
        offer_word = sum(1 for _, start, _ in words if start < offer.start())
        gap = max(0, offer_word - ident_end) / WORDS_PER_SECOND
    return ScriptFacts(
        identifies_firm_at_start=ident_end is not None,
        states_callback_number=_PHONE.search(text) is not None,
        offers_opt_out=offer is not None,
        opt_out_within_2s=gap is not None and gap <= 2.0,
        opt_out_gap_s=gap,
    )


def spoken_seconds(text: str) -> float:
    """How long ``text`` takes to say at ``WORDS_PER_SECOND`` (for prompts without audio)."""
    return round(len(_words(text)) / WORDS_PER_SECOND, 2)
