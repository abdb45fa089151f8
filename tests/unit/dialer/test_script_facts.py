"""The script facts a campaign's words show: 47 CFR 64.1200(b)(1)-(3).

(b)(1) the firm named at the start of the message (here: within the first 20 words),
(b)(2) a telephone number stated, (b)(3) an automated key-press opt-out offered, for
marketing within 2 seconds of the identification (words counted at 2.5 words/s). Each row
is what a compliance officer reading the script would say.
"""

from __future__ import annotations

import pytest

from lexdial.domain.script import WORDS_PER_SECOND, script_facts, spoken_seconds

FIRM = "Hartwell & Ruiz LLP"
NAMED = "This is Hartwell and Ruiz. "
OPT_OUT = " Press 9 to opt out."

#: neutral words (no firm, no number, no opt-out wording) to push things later in a message
_NEUTRAL = "we are calling about your case and want you to have what you need before court".split()


def filler(n: int) -> str:
    """``n`` neutral words."""
    return " ".join(_NEUTRAL[i % len(_NEUTRAL)] for i in range(n))


# --- (b)(1) the firm named at the start --------------------------------------------------

NAMING = [
    pytest.param("This is Hartwell & Ruiz LLP calling.", FIRM, True, id="full-legal-name"),
    pytest.param("This is Hartwell and Ruiz calling.", FIRM, True, id="ampersand-said-as-and"),
    pytest.param("This is Hartwell Ruiz calling.", FIRM, True, id="without-and-or-suffix"),
    pytest.param("THIS IS HARTWELL & RUIZ.", FIRM, True, id="upper-case"),
    pytest.param(
        "Hello, this is the law office of Hartwell and Ruiz.", FIRM, True, id="law-office-of"
    ),
    pytest.param(filler(19) + " Hartwell and Ruiz.", FIRM, True, id="starts-at-word-20"),
    pytest.param(filler(20) + " Hartwell and Ruiz.", FIRM, False, id="starts-at-word-21"),
    pytest.param(filler(40) + " Hartwell and Ruiz.", FIRM, False, id="named-only-at-the-end"),
    pytest.param("This is a reminder about your hearing on Monday.", FIRM, False, id="not-named"),
    pytest.param(
        "This is Hartwell and Associates calling.", FIRM, False, id="another-hartwell-firm"
    ),
    pytest.param("This is Smith & Jones LLP calling.", FIRM, False, id="a-different-firm"),
    pytest.param("This is Ruiz and Hartwell calling.", FIRM, False, id="names-reversed"),
    pytest.param("This is Hartwell calling for Ruiz.", FIRM, False, id="names-split-by-words"),
    pytest.param("This is Hartwell and Ruiz calling.", "The LLP", False, id="no-distinctive-name"),
    pytest.param(
        "You have reached Hartwell & Ruiz's office.",
        FIRM,
        True,
        id="possessive",
    ),
    pytest.param(
        "This is O\u2019Brien and Park calling.",
        "O'Brien & Park LLP",
        True,
        id="typographic-apostrophe",
    ),
]


@pytest.mark.parametrize(("text", "firm", "named"), NAMING)
def test_the_firm_counts_as_named_at_the_start_only_when_said_within_twenty_words(
    text: str, firm: str, named: bool
) -> None:
    assert script_facts(text, firm, "9").identifies_firm_at_start is named


# --- (b)(2) a telephone number to call back ----------------------------------------------

CALLBACK = [
    pytest.param("Please call us at 614-555-0199.", True, id="dashes"),
    pytest.param("Please call us at (614) 555-0199.", True, id="parentheses"),
    pytest.param("Please call us at +1 614 555 0199.", True, id="plus-one-spaces"),
    pytest.param("Please call us at 614.555.0199.", True, id="dots"),
    pytest.param("Please call us at 1-800-555-0199.", True, id="toll-free-with-1"),
    pytest.param("Please call us at 6145550199.", True, id="ten-digits-run-together"),
    pytest.param("Your hearing is on 12/01/2026.", False, id="a-date"),
    pytest.param("Your hearing is on 2026-12-01 at 10:30.", False, id="an-iso-date-and-time"),
    pytest.param("This is about case 2026-CV-1234.", False, id="a-case-number"),
    pytest.param("Please call 555-0199.", False, id="seven-digits"),
    pytest.param("Our office is at 100 Main Street, Columbus, OH 43215.", False, id="an-address"),
    pytest.param("Please call our office.", False, id="no-number"),
    pytest.param(
        "Your claim number is 1234567890.",
        False,
        id="ten-digit-reference-number",
    ),
]


@pytest.mark.parametrize(("text", "stated"), CALLBACK)
def test_a_callback_number_is_recognised_in_its_usual_forms_and_nothing_else_is(
    text: str, stated: bool
) -> None:
    assert script_facts(NAMED + text, FIRM, "9").states_callback_number is stated


# --- (b)(3) the key-press opt-out -------------------------------------------------------

OFFERS = [
    pytest.param("Press 9 to opt out.", "9", True, id="press-9-to-opt-out"),
    pytest.param("To stop these calls, press 9.", "9", True, id="to-stop-these-calls-press-9"),
    pytest.param("Press 9 to no longer receive these calls.", "9", True, id="no-longer-receive"),
    pytest.param("Press 9 to be removed from our list.", "9", True, id="press-9-to-be-removed"),
    pytest.param("To opt out, press 9.", "9", True, id="to-opt-out-press-9"),
    pytest.param("You may opt out at any time by pressing 9.", "9", True, id="by-pressing-9"),
    pytest.param("Press 9 to be added to our do-not-call list.", "9", True, id="do-not-call-list"),
    pytest.param("Press 9 to unsubscribe.", "9", True, id="unsubscribe"),
    pytest.param(
        "If you no longer wish to receive these calls, press 9.", "9", True, id="no-longer-wish"
    ),
    pytest.param("Press 0 to opt out.", "0", True, id="key-0"),
    pytest.param("Press 8 to opt out.", "9", False, id="offer-says-8-key-is-9"),
    pytest.param("Press * to opt out.", "9", False, id="offer-says-star-key-is-9"),
    pytest.param("Press 90 to opt out.", "9", False, id="two-digit-key"),
    pytest.param("Press 1 to speak with our office.", "9", False, id="no-opt-out-offered"),
    pytest.param(
        "Press 9 to hear this again. We will stop calling after three tries.",
        "9",
        False,
        id="key-and-stop-in-different-sentences",
    ),
    pytest.param(
        "If you do not wish to receive calls press 9.",
        "9",
        True,
        id="if-you-do-not-wish-to-receive-calls-press-9",
    ),
    pytest.param(
        "To be removed from our list, press 9.",
        "9",
        True,
        id="to-be-removed-press-9",
    ),
    pytest.param(
        "Press 1 to speak with our office, or press 9 to opt out.",
        "9",
        True,
        id="press-1-for-office-or-press-9-to-opt-out",
    ),
    pytest.param(
        "Press 9 to hear this message again, or press 8 to opt out.",
        "9",
        False,
        id="press-9-to-repeat-or-press-8-to-opt-out",
    ),
    pytest.param(
        "Press * to opt out.",
        "*",
        True,
        id="star-key",
    ),
    pytest.param(
        "To opt out, press #.",
        "#",
        True,
        id="hash-key",
    ),
]


@pytest.mark.parametrize(("offer", "key", "offered"), OFFERS)
def test_an_opt_out_offer_counts_only_for_the_campaigns_key(
    offer: str, key: str, offered: bool
) -> None:
    assert script_facts(NAMED + offer, FIRM, key).offers_opt_out is offered


# --- (b)(3) within 2 seconds of the identification ---------------------------------------

GAPS = [
    pytest.param(NAMED + "Press 9 to opt out.", 0.0, True, id="right-after-the-name"),
    pytest.param(NAMED + "Thank you for your time." + OPT_OUT, 2.0, True, id="5-words-is-2.0s"),
    pytest.param(
        NAMED + "Thank you for your time today." + OPT_OUT, 2.4, False, id="6-words-is-2.4s"
    ),
    pytest.param(NAMED + filler(20) + "." + OPT_OUT, 8.0, False, id="20-words-later"),
    pytest.param(NAMED + "Your hearing is on Monday.", None, False, id="no-offer"),
    pytest.param(
        "Press 9 to opt out. Your hearing is on Monday.", None, False, id="firm-not-named"
    ),
    pytest.param(
        NAMED + "Press 8 to opt out.", None, False, id="an-offer-for-another-key-has-no-gap"
    ),
    pytest.param(
        "This is Hartwell and Ruiz at 614-555-0199." + OPT_OUT,
        4.4,
        False,
        id="phone-number-between-name-and-offer",
    ),
]


@pytest.mark.parametrize(("text", "gap", "within"), GAPS)
def test_the_opt_out_must_start_within_two_seconds_after_the_firms_name(
    text: str, gap: float | None, within: bool
) -> None:
    facts = script_facts(text, FIRM, "9")
    assert facts.opt_out_within_2s is within
    assert facts.opt_out_gap_s == (None if gap is None else pytest.approx(gap))


def test_a_complete_lawful_message_shows_every_fact() -> None:
    text = (
        "Hello, this is Hartwell and Ruiz LLP. To stop these calls, press 9. We are calling "
        "to remind you of your hearing on Monday at 10 a.m. Questions? Call us at "
        "(614) 555-0199."
    )
    facts = script_facts(text, FIRM, "9")
    assert facts.identifies_firm_at_start
    assert facts.states_callback_number
    assert facts.offers_opt_out
    assert facts.opt_out_within_2s


def test_a_message_with_none_of_the_facts_shows_none() -> None:
    facts = script_facts("Your hearing is on Monday. Goodbye.", FIRM, "9")
    assert facts == (False, False, False, False, None)


# --- speech time -------------------------------------------------------------------------

SPOKEN = [
    pytest.param("", 0.0, id="empty"),
    pytest.param("...", 0.0, id="punctuation-only"),
    pytest.param("Hello.", 0.4, id="one-word"),
    pytest.param("Thank you for your time.", 2.0, id="five-words-2s"),
    pytest.param("Don't miss it, okay?", 1.6, id="contraction-is-one-word"),
    pytest.param("Hartwell & Ruiz", 1.2, id="ampersand-is-said"),
    pytest.param(filler(150), 60.0, id="150-words-a-minute"),
]


@pytest.mark.parametrize(("text", "seconds"), SPOKEN)
def test_spoken_seconds_counts_words_at_two_and_a_half_a_second(text: str, seconds: float) -> None:
    assert WORDS_PER_SECOND == 2.5
    assert spoken_seconds(text) == seconds
