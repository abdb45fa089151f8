"""What a text reply to one of the firm's numbers asks for: a revocation, maybe one, or not.

Rule: an SMS reply that is one of the FCC's per-se revocation words is an opt-out; other
text a reasonable person might read as a revocation goes to review (a person decides), it is
not ignored. Pure text classification: ``service.optout`` acts on the answer.
"""

from __future__ import annotations

import re

#: 47 CFR 64.1200(a)(10) as amended by FCC 24-24: per-se revocations by text reply
STOP_WORDS = ("stop", "quit", "end", "revoke", "opt out", "cancel", "unsubscribe")
_STOP = re.compile(
    r"^\W*(?:" + "|".join(w.replace(" ", r"[\s-]*") for w in STOP_WORDS) + r")\W*$", re.IGNORECASE
)
#: phrases that may be a revocation in free text (R1: "any reasonable method") -> review
_MAYBE = re.compile(
    r"\b(?:stop|don'?t|do not|no more|never)\b.*\b(?:call|calling|text|texting|contact|message)"
    r"|\b(?:remove|take)\b.*\b(?:me|my number)\b|\bleave me alone\b|\bnot interested\b"
    r"|\b(?:opt|sign)[\s-]*out\b|\bunsubscribe\b|\bdelete my\b",
    re.IGNORECASE,
)


def classify_reply(text: str) -> str:
    """'revocation' (a stop word), 'review' (may be one: a person decides) or 'none'."""
    if _STOP.match(text.strip()):
        return "revocation"
    if _MAYBE.search(text):
        return "review"
    return "none"
