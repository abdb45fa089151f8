"""The contact service on the in-memory unit of work: numbers stored encrypted and found by
blind index, one contact per number, erased people never re-imported, every creation audited."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lexdial.errors import RequestError
from lexdial.service.contacts import NUMBER_CTX, NewContact, add_contact, find_contact_id
from lexdial.service.fakes import ListAudit, Reversible
from lexdial.service.fakes.uow import MemoryUnitOfWork
from lexdial.service.users import OPERATOR

NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
CIPHER = Reversible()
BIDX = CIPHER.blind_index("+16145550101", kind="number")


def _add(uow: MemoryUnitOfWork, audit: ListAudit, *numbers: str, firm_id: int = 1) -> int:
    new = NewContact(numbers=tuple((n, "wireless") for n in numbers), name="Dana Client")
    return add_contact(uow, CIPHER, firm_id, new, NOW, audit=audit, caller=OPERATOR)


def test_a_contact_is_stored_with_its_numbers_encrypted_and_indexed_and_audited() -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()

    cid = _add(uow, audit, "(614) 555-0101", "+1 614 555 0102")

    (first, second) = uow.contacts.numbers
    assert first["contact_id"] == cid and first["is_primary"] and not second["is_primary"]
    assert first["number_bidx"] == BIDX
    assert CIPHER.decrypt(first["number_enc"], context=NUMBER_CTX) == "+16145550101"
    assert CIPHER.decrypt(uow.contacts.contacts[cid]["name_enc"], context="contacts.name") == (
        "Dana Client"
    )
    assert find_contact_id(uow, 1, BIDX) == cid
    assert [(e["action"], e["subject"], e["data"]) for e in audit.entries] == [
        ("contact.created", f"contact:{cid}", {"numbers": 2, "relationship": "none"})
    ]


def test_a_number_already_on_file_is_refused_however_it_is_written() -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()
    _add(uow, audit, "+16145550101")

    with pytest.raises(RequestError, match="already on file") as err:
        _add(uow, audit, "+1 614 555 0199", "614-555-0101")

    assert err.value.field == "numbers[1]"
    assert len(uow.contacts.contacts) == 1 and len(uow.contacts.numbers) == 1
    assert len(audit.entries) == 1


def test_the_same_number_may_be_a_contact_of_another_firm() -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()
    mine = _add(uow, audit, "+16145550101")

    theirs = _add(uow, audit, "+16145550101", firm_id=2)

    assert theirs != mine
    assert (find_contact_id(uow, 1, BIDX), find_contact_id(uow, 2, BIDX)) == (mine, theirs)


def test_an_erased_number_may_not_be_imported_again() -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()
    uow.suppression.erasure_tombstones.add((1, BIDX))

    with pytest.raises(RequestError, match="erased"):
        _add(uow, audit, "+16145550101")

    assert uow.contacts.contacts == {} and audit.entries == []


@pytest.mark.parametrize(
    ("numbers", "field"),
    [
        pytest.param((), "numbers", id="no-number"),
        pytest.param(("12",), "numbers[0]", id="not-dialable"),
    ],
)
def test_a_contact_without_a_valid_number_is_refused_and_nothing_is_stored(
    numbers: tuple[str, ...], field: str
) -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()

    with pytest.raises(RequestError) as err:
        _add(uow, audit, *numbers)

    assert err.value.field == field
    assert uow.contacts.contacts == {} and audit.entries == []


@pytest.mark.parametrize(
    ("address", "field"),
    [
        ({"state": "ZZ"}, "address.state"),  # no such state: the gate would refuse it
        ({"country": "US", "state": "Ohio"}, "address.state"),
        ({"zip": "4321"}, "address.zip"),  # a ZIP that lost its leading zero
        ({"time_zone": "Eastern"}, "address.time_zone"),
    ],
    ids=["unknown-state", "state-spelt-out", "four-digit-zip", "not-an-iana-zone"],
)
def test_an_address_the_gate_would_refuse_is_refused_at_entry_and_nothing_is_stored(
    address: dict[str, str], field: str
) -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()
    new = NewContact(numbers=(("+16145550101", "wireless"),), name="Dana", address=address)

    with pytest.raises(RequestError) as err:
        add_contact(uow, CIPHER, 1, new, NOW, audit=audit, caller=OPERATOR)

    assert err.value.field == field
    assert not uow.contacts.contacts and not uow.contacts.numbers and not audit.entries


def test_a_foreign_postcode_and_a_territory_are_addresses_the_gate_reads() -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()
    uk = NewContact(numbers=(("+44 20 7946 0958", None),), address={"country": "GB",
                    "postcode": "SW1A 1AA"})  # fmt: skip
    pr = NewContact(numbers=(("+1 787 555 0101", None),), address={"state": "PR", "zip": "00901"})

    ids = [add_contact(uow, CIPHER, 1, c, NOW, audit=audit, caller=OPERATOR) for c in (uk, pr)]

    assert len(set(ids)) == 2
