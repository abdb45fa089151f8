"""The disclosures an agent must make on a live call, whatever the campaign's script says
(issue 12; shown by the screen pop, ``desk_screen_pop``).

Rule 1: every call: who is calling and why, at the start (47 CFR 64.1200(b), 16 CFR
310.4(d)); a debt-collection call adds the Reg F "mini-Miranda" (12 CFR 1006.18(e)).
Rule 2: each disclosure carries its code and citation, so the desk shows why it is said.

    disclosures(purpose, firm_name) -> list[dict[str, str]]
"""

from __future__ import annotations

#: what the person must hear on a live call, whatever the script says
_IDENTITY = {
    "code": "identity",
    "citation": "47 CFR 64.1200(b)(1); 16 CFR 310.4(d)(1)",
}
_PURPOSE = {"code": "purpose", "citation": "16 CFR 310.4(d)(2)-(4); 47 CFR 64.1200(b)"}
_MINI_MIRANDA = {
    "code": "mini_miranda",
    "citation": "12 CFR 1006.18(e); 15 USC 1692e(11)",
    "text": "This is a communication from a debt collector. This is an attempt to collect a "
    "debt and any information obtained will be used for that purpose.",
}


def disclosures(purpose: str | None, firm_name: str) -> list[dict[str, str]]:
    """The disclosures the agent must make on this call: who is calling and why at the
    start (47 CFR 64.1200(b), 16 CFR 310.4(d)); for debt collection the Reg F
    "mini-Miranda" (12 CFR 1006.18(e))."""
    out = [
        {**_IDENTITY, "text": f"Say your name and that you are calling for {firm_name}."},
        {**_PURPOSE, "text": "Say why you are calling before anything else."},
    ]
    if purpose == "debt_collection":
        out.append(dict(_MINI_MIRANDA))
    return out
