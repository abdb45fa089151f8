"""The contact view, the users list and the compliance figures on the in-memory unit of
work: one view per contact for every face, another firm's contact, user or token is not
found, a page of the do-not-call list is 1 to 1000 entries, an opt-out confirmed from a
message is as late as the message."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from lexdial.errors import NotFoundError
from lexdial.service import compliance_view, user_directory
from lexdial.service.consent import ConsentEvidence, NewConsent, record_consent
from lexdial.service.contact_view import (
    contact_numbers,
    contact_view,
    known_contact,
    sees_full_numbers,
)
from lexdial.service.contacts import NUMBER_CTX, NewContact, add_contact, normalise, number_index
from lexdial.service.fakes import ListAudit, Reversible
from lexdial.service.fakes.uow import MemoryUnitOfWork
from lexdial.service.repos.views import (
    AttemptView,
    ConfirmedReview,
    ContactRow,
    DncView,
    NumberRow,
    QueueView,
    SuppressionRow,
    TokenView,
    UserBadge,
    UserRow,
)
from lexdial.service.users import OPERATOR, Caller

NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
CIPHER = Reversible()
FIRST, SECOND = "+16145550101", "+16145550102"


def _number(e164: str, primary: bool) -> NumberRow:
    return NumberRow(
        CIPHER.encrypt(e164, context=NUMBER_CTX), number_index(CIPHER, e164), "wireless", primary
    )


def _person(firm_id: int = 1) -> tuple[MemoryUnitOfWork, int]:
    """A contact with two numbers (the second primary), a consent on the first, an opt-out
    for the second, a place on a campaign list and one decision."""
    uow = MemoryUnitOfWork()
    new = NewContact(numbers=((FIRST, "wireless"), (SECOND, "wireless")), name="Ada Byron")
    cid = add_contact(uow, CIPHER, firm_id, new, NOW, audit=ListAudit(), caller=OPERATOR)
    evidence = ConsentEvidence("web form", "I agree.", "v1", "intake:jdoe")
    consent = NewConsent(FIRST, "express", ["reminder"], ["Firm"], NOW, evidence)
    record_consent(uow, CIPHER, ListAudit(), firm_id, consent, OPERATOR, NOW)
    views = uow.views
    views.contact_rows.append(
        (firm_id, ContactRow(cid, CIPHER.encrypt("Ada Byron", context="contacts.name"),
                             "client", None, None, None, None, None, NOW))
    )  # fmt: skip
    views.number_rows += [
        (firm_id, cid, _number(FIRST, False)),
        (firm_id, cid, _number(SECOND, True)),
    ]
    views.dnc_rows.append((firm_id, number_index(CIPHER, SECOND), DncView(7, NOW, NOW, "sms")))
    views.queues[cid] = [QueueView(3, "Reminders", "queued", None, None, 0, None)]
    views.attempts.append(
        AttemptView(1, cid, 3, NOW, "reminder", "prerecorded", "dialled", "allow", "d-1",
                    None, "us-2026.1", {"reasons": []})
    )  # fmt: skip
    return uow, cid


def test_the_contact_view_gathers_numbers_consents_opt_outs_lists_and_decisions() -> None:
    uow, cid = _person()
    view = contact_view(uow, CIPHER, 1, cid)
    assert (view.id, view.name, view.relationship) == (cid, "Ada Byron", "client")
    assert [n.e164 for n in view.numbers] == [FIRST, SECOND]  # in the order they were added
    assert [len(n.consents) for n in view.numbers] == [1, 0]
    assert [o.id for o in view.opt_outs] == [7]
    assert [q.name for q in view.queues] == ["Reminders"]
    assert [d.decision_id for d in view.decisions] == ["d-1"]


def test_another_firms_contact_is_not_found_like_a_missing_one() -> None:
    uow, cid = _person(firm_id=2)
    for ask in (
        lambda: contact_view(uow, CIPHER, 1, cid),
        lambda: contact_numbers(uow, CIPHER, 1, cid),
        lambda: known_contact(uow, 1, cid + 1),
    ):
        with pytest.raises(NotFoundError) as err:
            ask()
        assert err.value.field == "contact_id"


def test_the_numbers_to_act_on_start_with_the_primary_one() -> None:
    uow, cid = _person()
    assert [n.e164 for n in contact_numbers(uow, CIPHER, 1, cid)] == [SECOND, FIRST]
    assert normalise(SECOND) == SECOND


@pytest.mark.parametrize(
    ("role", "full"),
    [
        pytest.param("admin", True, id="admin-sees-numbers"),
        pytest.param("agent", False, id="agent-sees-them-masked"),
        pytest.param(None, False, id="a-user-gone-sees-them-masked"),
    ],
)
def test_whether_a_user_sees_numbers_whole_is_read_from_the_store(
    role: str | None, full: bool
) -> None:
    uow = MemoryUnitOfWork()
    if role is not None:
        uow.views.users[5] = UserBadge(5, "u@example.com", role)
    caller = Caller("user:5", "admin", 5)  # the role on the caller is not trusted
    assert sees_full_numbers(uow, caller) is full


def test_a_caller_without_a_user_sees_numbers_by_its_own_role() -> None:
    assert sees_full_numbers(MemoryUnitOfWork(), OPERATOR)
    assert not sees_full_numbers(MemoryUnitOfWork(), Caller("api:x", "agent"))


def test_the_users_list_decrypts_names_and_gives_training_and_tokens() -> None:
    uow = MemoryUnitOfWork()
    name = CIPHER.encrypt("Grace Hopper", context="users.name")
    uow.views.user_rows.append((1, UserRow(4, "g@example.com", name, "agent", True, NOW)))
    uow.views.user_rows.append((2, UserRow(5, "o@example.com", name, "agent", True, NOW)))
    uow.views.training[4] = [date(2027, 1, 1), date(2027, 6, 1)]
    uow.views.tokens[4] = [TokenView(9, "ci", "ld_ab", NOW, None, None)]
    [entry] = user_directory.firm_users(uow, CIPHER, 1, NOW.date())
    assert (entry.user.id, entry.name, entry.trained) == (4, "Grace Hopper", False)
    assert entry.training_expires == date(2027, 6, 1)
    assert [k.id for k in entry.tokens] == [9]


def test_another_firms_user_or_token_is_not_found() -> None:
    uow = MemoryUnitOfWork()
    uid = uow.users.add(2, "x@example.com", "n", "agent", NOW)
    token = uow.users.add_token(uid, "ci", "ld_ab", "hash", NOW)
    with pytest.raises(NotFoundError):
        user_directory.known_user(uow, 1, uid)
    user_directory.known_user(uow, 2, uid)
    with pytest.raises(NotFoundError) as err:
        user_directory.revoke_once(uow, ListAudit(), token, OPERATOR, NOW, 1)
    assert err.value.field == "token_id"
    with pytest.raises(NotFoundError):
        user_directory.revoke_once(uow, ListAudit(), token + 1, OPERATOR, NOW, 2)


@pytest.mark.parametrize(
    ("asked", "listed"),
    [pytest.param(0, 1, id="at-least-one"), pytest.param(5, 5, id="as-asked"),
     pytest.param(10**6, 1000, id="at-most-1000")],
)  # fmt: skip
def test_a_page_of_the_do_not_call_list_is_1_to_1000_entries(asked: int, listed: int) -> None:
    uow = MemoryUnitOfWork()
    uow.views.dnc_rows += [(1, f"b{i}", DncView(i, NOW, NOW, "sms")) for i in range(1, 1200)]
    rows = user_directory.suppression_list(uow, 1, asked)
    assert len(rows) == listed and rows[0] == SuppressionRow(1199, NOW, "sms", None)


def test_an_opt_out_confirmed_from_a_message_is_as_late_as_the_message() -> None:
    uow, cid = _person()
    got, decided = NOW - timedelta(hours=5), NOW - timedelta(minutes=1)
    uow.views.dnc_rows.append(
        (1, number_index(CIPHER, FIRST), DncView(8, decided, decided + timedelta(seconds=2), "sms"))
    )
    uow.views.reviews.append((1, ConfirmedReview(cid, None, got, decided)))
    delays = {o["id"]: o for o in compliance_view.opt_out_delays(uow, 1)}
    assert delays[8]["reviewed"] and delays[8]["received"] == got
    assert delays[8]["delay_s"] == 5 * 3600 - 60 + 2
    assert delays[7]["contact_id"] == cid and not delays[7]["reviewed"]
    assert delays[7]["delay_s"] == 0.0


def test_coverage_counts_contacts_whose_consent_covers_the_campaign() -> None:
    uow = MemoryUnitOfWork()
    spec = {"name": "R", "purpose": "reminder", "mode": "broadcast", "message": {"text": "-"}}
    uow.views.campaign_settings_rows.append((1, 3, "R", "draft", spec))
    uow.views.open_consents += [(1, 10, ["reminder"], None), (1, 11, ["marketing"], None)]
    uow.views.lists[3] = [(10, None), (11, ["NO_CONSENT"]), (12, None)]
    [row] = compliance_view.consent_coverage(uow, 1)
    assert (row["contacts"], row["covered"], row["blocked"]) == (3, 1, 1)
    assert row["share"] == pytest.approx(1 / 3)
