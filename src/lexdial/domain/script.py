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
#: a NANP number as people write it: area code and exchange start with 2-9 (47 CFR 52.15)
_PHONE = re.compile(
    r"(?<![\d-])(?:\+?1[\s.-]?)?\(?[2-9]\d{2}\)?[\s.-]?[2-9]\d{2}[\s.-]?\d{4}(?![\d-])"
)
#: a word, or a single digit (numbers are read out digit by digit)
_WORD = re.compile(r"\d|[A-Za-z][A-Za-z']*|&")
_LEGAL_SUFFIX = {"llp", "llc", "pc", "pllc", "pa", "ltd", "inc", "the", "of", "and", "&"}
_KEY_WORDS = {
    "zero": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "star": "*",
    "pound": "#",
    "hash": "#",
}
_PRESS = re.compile(
    r"\b(?:press|pressing|push|dial)\s+(?:the\s+)?(?:(?P<key>[0-9](?![0-9])|\*|#)|"
    r"(?P<word>zero|one|two|three|four|five|six|seven|eight|nine|star|pound|hash)\b)",
    re.IGNORECASE,
)
#: what an opt-out offer says; "stop" only about calls, so "press 9 to stop this message
#: and speak with a paralegal" is not mistaken for one
_OPT_OUT_WORDS = re.compile(
    r"\bopt[\s-]*out\b|\bunsubscribe\b|\bdo[\s-]*not[\s-]*call\b|\bno longer\b"
    r"|\bnot (?:wish|want|like) to (?:receive|be called|get)\b|\bnot to (?:receive|be called)\b"
    r"|\b(?:be )?removed?\b|\bstop (?:these |our |future |all |receiving |getting )*"
    r"(?:calls|messages|reminders|receiving)\b|\bno (?:more|further) (?:calls|messages)\b",
    re.IGNORECASE,
)
#: an offer lives in one clause: sentences, then "or" / ";" alternatives within them
_CLAUSES = re.compile(r"[.!?]+\s*|;\s*|,?\s+\bor\b\s+", re.IGNORECASE)


class ScriptFacts(NamedTuple):
    identifies_firm_at_start: bool
    states_callback_number: bool
    offers_opt_out: bool
    opt_out_within_2s: bool
    #: seconds between the end of the identification and the start of the opt-out offer
    opt_out_gap_s: float | None


def _normal(text: str) -> str:
    """Curly apostrophes as typed by word processors; possessives read as the name."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"(?<=[A-Za-z])'s\b", "", text)


def _words(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(0).lower(), m.start(), m.end()) for m in _WORD.finditer(_normal(text))]


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


def opt_out_offer(text: str, key: str) -> int | None:
    """Character offset where an offer of ``key`` as the opt-out starts, if one is made.

    The key and the opt-out words must share a clause: in "press 9 to repeat, or press 8 to
    opt out" the opt-out key is 8, not 9.
    """
    text = _normal(text)
    start = 0
    for sep in [*_CLAUSES.finditer(text), None]:
        end = sep.start() if sep else len(text)
        clause = text[start:end]
        if _OPT_OUT_WORDS.search(clause):
            for m in _PRESS.finditer(clause):
                pressed = m.group("key") or _KEY_WORDS[m.group("word").lower()]
                if pressed == key:
                    return start
        if sep is None:
            break
        start = sep.end()
    return None


def script_facts(text: str, firm_name: str, opt_out_key: str) -> ScriptFacts:
    """The contract's script facts for a message of ``text`` from ``firm_name``."""
    ident_end = firm_name_end(text, firm_name)
    words = _words(text)
    offer = opt_out_offer(text, opt_out_key)
    gap: float | None = None
    if offer is not None and ident_end is not None:
        offer_word = sum(1 for _, begin, _ in words if begin < offer)
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
