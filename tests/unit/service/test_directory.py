"""The contact directory on the in-memory unit of work: names found word by word through
blind-index tokens (case and accents ignored, whole words only), numbers found exactly and
every number search audited with the number masked, matters by type or ref words, answers
masked per role, and never another firm's or an erased person."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lexdial.errors import RequestError
from lexdial.service import name_index
from lexdial.service.contacts import NUMBER_CTX, NewContact, add_contact
from lexdial.service.directory import search
from lexdial.service.fakes import ListAudit, Reversible
from lexdial.service.fakes.uow import MemoryUnitOfWork
from lexdial.service.repos.views import ContactRow, NumberRow, UserBadge
from lexdial.service.users import Caller

NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
CIPHER = Reversible()


def _person(
    uow: MemoryUnitOfWork, firm: int, cid: int, name: str, number: str, matter: str | None,
    *, erased: bool = False, index: bool = True,
) -> None:  # fmt: skip
    """A contact as the store holds it (the views read it; the index finds it)."""
    uow.views.contact_rows.append(
        (firm, ContactRow(cid, CIPHER.encrypt(name, context="contacts.name"), "none", None,
                          matter, None, None, NOW if erased else None, NOW))
    )  # fmt: skip
    bidx = CIPHER.blind_index(number, kind="number")
    row = NumberRow(CIPHER.encrypt(number, context=NUMBER_CTX), bidx, None, True)
    uow.views.number_rows.append((firm, cid, row))
    uow.contacts.numbers.append({"firm_id": firm, "number_bidx": bidx, "contact_id": cid})
    uow.views.live_contact_rows.append((firm, cid, erased))
    if index:
        name_index.index_contact(uow, CIPHER, firm, cid, name, matter)


def _user(uow: MemoryUnitOfWork, firm: int, role: str) -> Caller:
    uid = uow.users.add(firm, f"{role}{firm}@x.test", "n", role, NOW)
    uow.views.users[uid] = UserBadge(uid, f"{role}@x.test", role)
    return Caller.user(uid)


@pytest.fixture
def uow() -> MemoryUnitOfWork:
    uow = MemoryUnitOfWork()
    _person(uow, 1, 1, "Zoë Ashford-Brown", "+16145550101", "probate")
    _person(uow, 1, 2, "Liam Ashford", "+16145550102", "family")
    _person(uow, 1, 3, "Erased Ashford", "+16145550103", "probate", erased=True)
    _person(uow, 2, 4, "Zoe Ashford", "+16145550104", "probate")  # another firm
    return uow


def _names(found: list) -> list[str | None]:  # type: ignore[type-arg]
    return [e.name for e in found]


def test_a_name_matches_every_word_ignoring_case_and_accents(uow: MemoryUnitOfWork) -> None:
    agent, audit = _user(uow, 1, "agent"), ListAudit()
    assert _names(search(uow, CIPHER, audit, agent, name="ashford", at=NOW)) == [
        "Zoë Ashford-Brown", "Liam Ashford"
    ]  # fmt: skip
    assert _names(search(uow, CIPHER, audit, agent, name="ZOE brown", at=NOW)) == [
        "Zoë Ashford-Brown"
    ]
    assert search(uow, CIPHER, audit, agent, name="Zoe Smith", at=NOW) == []
    assert audit.entries == []  # a name search reveals no number: not a lookup


def test_a_name_is_matched_by_whole_words_only_never_a_prefix(uow: MemoryUnitOfWork) -> None:
    agent = _user(uow, 1, "agent")
    assert search(uow, CIPHER, ListAudit(), agent, name="Ash", at=NOW) == []


def test_a_number_matches_exactly_masked_for_an_agent_and_is_audited(
    uow: MemoryUnitOfWork,
) -> None:
    agent, audit = _user(uow, 1, "agent"), ListAudit()
    (hit,) = search(uow, CIPHER, audit, agent, number="(614) 555-0102", at=NOW)
    assert (hit.id, hit.name, hit.numbers_masked) == (2, "Liam Ashford", True)
    assert "+16145550102" not in hit.numbers and hit.numbers[0].startswith("+1614")
    assert search(uow, CIPHER, audit, agent, number="+1 614 555 0199", at=NOW) == []
    assert [(e["action"], e["data"]["found"]) for e in audit.entries] == [
        ("contact.looked_up", True), ("contact.looked_up", False)
    ]  # fmt: skip
    with pytest.raises(RequestError) as e:
        search(uow, CIPHER, audit, agent, number="12", at=NOW)
    assert e.value.field == "number"


def test_a_manager_sees_the_numbers_whole(uow: MemoryUnitOfWork) -> None:
    manager = _user(uow, 1, "manager")
    (hit,) = search(uow, CIPHER, ListAudit(), manager, name="liam", at=NOW)
    assert hit.numbers == ("+16145550102",) and not hit.numbers_masked


def test_a_matter_matches_its_type_and_combines_with_a_name(uow: MemoryUnitOfWork) -> None:
    agent = _user(uow, 1, "agent")
    assert [e.id for e in search(uow, CIPHER, ListAudit(), agent, matter="Probate", at=NOW)] == [1]
    assert search(uow, CIPHER, ListAudit(), agent, name="liam", matter="probate", at=NOW) == []


def test_another_firms_and_erased_people_are_never_found(uow: MemoryUnitOfWork) -> None:
    other = _user(uow, 2, "agent")
    assert [e.id for e in search(uow, CIPHER, ListAudit(), other, name="ashford", at=NOW)] == [4]
    mine = _user(uow, 1, "agent")
    assert search(uow, CIPHER, ListAudit(), mine, number="+16145550104", at=NOW) == []


def test_an_empty_or_oversized_query_is_refused_naming_the_field(uow: MemoryUnitOfWork) -> None:
    agent = _user(uow, 1, "agent")
    for kwargs, field in (({}, "name"), ({"name": "a"}, "name"),
                          ({"name": "x y", "limit": 0}, "limit")):  # fmt: skip
        with pytest.raises(RequestError) as e:
            search(uow, CIPHER, ListAudit(), agent, at=NOW, **kwargs)  # type: ignore[arg-type]
        assert e.value.field == field


def test_a_contact_added_or_backfilled_is_indexed_and_an_erased_one_forgotten() -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()
    cid = add_contact(
        uow, CIPHER, 1, NewContact(numbers=(("+16145550111", None),), name="Ada Byron"), NOW,
        audit=audit, caller=_user(uow, 1, "admin"),
    )  # fmt: skip
    assert uow.desk.tokened_contacts(1) == {cid}
    _person(uow, 1, 50, "Old Timer", "+16145550150", None, index=False)
    assert name_index.backfill(uow, CIPHER, [1]) == 1
    assert name_index.backfill(uow, CIPHER, [1]) == 0  # done once
    assert [e.id for e in search(uow, CIPHER, audit, _user(uow, 1, "agent"), name="timer",
                                 at=NOW)] == [50]  # fmt: skip
    name_index.forget_contact(uow, 1, 50)
    assert 50 not in uow.desk.tokened_contacts(1)
