"""Which strings may stand for a person's name (a contact's or a user's).

Rule 1: the reason a name is refused never quotes it (a name is personal data, and an
error message ends up in logs and import reports).
"""

from __future__ import annotations

import unicodedata

#: characters that reorder the text around them (bidi embeddings, overrides, isolates):
#: in a name they make a dashboard, a report or an evidence bundle show other letters than
#: those stored ("Trojan Source", CVE-2021-42574); no person's name needs one
_REORDERING = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def name_problem(value: str) -> str | None:
    """Why ``value`` cannot be a person's name, or None; the reason never quotes it. A
    control character (a line break, NUL, ...) or a reordering one is refused; joiners
    and direction marks, which names in some scripts need, are kept. The one check for
    every name lexdial stores: contacts (``add_contact``, the import, the CRM webhook) and
    users (``add_user``), so all refuse the same names."""
    if any(c in _REORDERING for c in value):
        return "holds a character that reorders the text shown (a bidi override or isolate)"
    if any(unicodedata.category(c) == "Cc" for c in value):
        return "holds a line break or control character"
    return None
