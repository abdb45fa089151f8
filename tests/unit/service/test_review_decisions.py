"""The review queue on the in-memory unit of work: a possible revocation is queued with its
10-business-day limit, listed most urgent first, and decided once; a dismissal needs a
reason and is audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lexdial.errors import PermissionDeniedError, RequestError
from lexdial.service.fakes import ListAudit, Reversible
from lexdial.service.fakes.uow import MemoryUnitOfWork
from lexdial.service.review import add_item, dismiss, due_at, open_items
from lexdial.service.users import OPERATOR, SYSTEM, Caller

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
CIPHER = Reversible()
NUMBER = "+16145551000"


def _item(uow: MemoryUnitOfWork, audit: ListAudit, received: datetime, text: str = "stop") -> int:
    return add_item(
        uow,
        CIPHER,
        audit,
        1,
        channel="sms",
        text=text,
        number=NUMBER,
        contact_id=None,
        received_at=received,
        caller=SYSTEM,
        at=NOW,
    )


def test_a_queued_message_is_listed_with_its_limit_the_most_urgent_first() -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()
    late = _item(uow, audit, NOW, "not interested")
    early = _item(uow, audit, NOW - timedelta(days=3), "please stop")
    items = open_items(uow, CIPHER, 1, OPERATOR, NOW)
    assert [i["id"] for i in items] == [early, late]
    assert items[1]["due_at"] == due_at(NOW).isoformat()
    assert items[1]["text"] == "not interested" and items[1]["number"] == NUMBER
    assert not items[1]["overdue"] and items[1]["business_days_left"] == 10
    assert [e["action"] for e in audit.entries] == ["review.queued", "review.queued"]


def test_a_message_needs_a_number_or_a_contact_to_come_from() -> None:
    with pytest.raises(RequestError) as err:
        add_item(MemoryUnitOfWork(), CIPHER, ListAudit(), 1, channel="email", text="stop",
                 number=None, contact_id=None, received_at=NOW, caller=SYSTEM, at=NOW)  # fmt: skip
    assert err.value.field == "number"


def test_a_dismissal_needs_a_reason_and_is_audited_with_it() -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()
    item = _item(uow, audit, NOW)
    with pytest.raises(RequestError):
        dismiss(uow, audit, 1, item, "   ", OPERATOR, NOW)
    assert len(open_items(uow, CIPHER, 1, OPERATOR, NOW)) == 1
    dismiss(uow, audit, 1, item, "asked  about\nbilling", OPERATOR, NOW)
    assert open_items(uow, CIPHER, 1, OPERATOR, NOW) == []
    assert audit.entries[-1]["action"] == "review.dismissed"
    assert audit.entries[-1]["data"]["reason"] == "asked about billing"


def test_an_item_is_decided_once() -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()
    item = _item(uow, audit, NOW)
    dismiss(uow, audit, 1, item, "not a revocation", OPERATOR, NOW)
    with pytest.raises(RequestError) as err:
        dismiss(uow, audit, 1, item, "again", OPERATOR, NOW)
    assert "already decided" in str(err.value)
    assert [e["action"] for e in audit.entries].count("review.dismissed") == 1


def test_another_firms_item_is_not_found_and_only_compliance_may_decide() -> None:
    uow, audit = MemoryUnitOfWork(), ListAudit()
    item = _item(uow, audit, NOW)
    with pytest.raises(RequestError):
        dismiss(uow, audit, 2, item, "no", OPERATOR, NOW)
    with pytest.raises(PermissionDeniedError):
        dismiss(uow, audit, 1, item, "no", Caller("agent", "agent"), NOW)
    assert len(open_items(uow, CIPHER, 1, OPERATOR, NOW)) == 1
