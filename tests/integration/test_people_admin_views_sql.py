"""The SQL behind the contact view, the users list and the compliance figures, on SQLite
and PostgreSQL: the same answers the in-memory fakes give (tests/unit/service/
test_people_admin_views.py), read from a real store."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine

from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.service import compliance_view, user_directory
from lexdial.service.consent import ConsentEvidence, NewConsent, record_consent
from lexdial.service.contact_view import contact_numbers, contact_view
from lexdial.service.contacts import NewContact, add_contact
from lexdial.service.fakes import ListAudit, Reversible
from lexdial.service.optout import opt_out
from lexdial.service.users import OPERATOR, add_user, attest_training

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
FIRST, SECOND = "+16145550101", "+16145550102"
CIPHER = Reversible()


def _seed(store: Engine) -> tuple[int, int]:
    audit = ListAudit()
    with store.begin() as conn:
        uow = SqlUnitOfWork(conn)
        new = NewContact(numbers=((FIRST, "wireless"), (SECOND, None)), name="Ada Byron")
        cid = add_contact(uow, CIPHER, 1, new, NOW, audit=audit, caller=OPERATOR)
        evidence = ConsentEvidence("web form", "I agree.", "v1", "intake:jdoe")
        consent = NewConsent(FIRST, "express", ["reminder"], ["Firm"], NOW, evidence)
        record_consent(uow, CIPHER, audit, 1, consent, OPERATOR, NOW)
        opt_out(uow, CIPHER, audit, 1, SECOND, "sms", None, OPERATOR, NOW + timedelta(hours=1))
        uid = add_user(uow, CIPHER, 1, "g@example.com", "Grace Hopper", "agent", NOW,
                       audit=audit, caller=OPERATOR)  # fmt: skip
        attest_training(uow, uid, "TCPA basics", NOW.date(), 365, NOW, OPERATOR,
                        audit=audit, firm_id=1)  # fmt: skip
    return cid, uid


def test_the_contact_view_reads_the_store(store: Engine) -> None:
    cid, _ = _seed(store)
    with store.connect() as conn:
        view = contact_view(SqlUnitOfWork(conn), CIPHER, 1, cid)
        numbers = contact_numbers(SqlUnitOfWork(conn), CIPHER, 1, cid)
    assert (view.name, [n.e164 for n in view.numbers]) == ("Ada Byron", [FIRST, SECOND])
    assert [len(n.consents) for n in view.numbers] == [1, 0]
    assert [o.channel for o in view.opt_outs] == ["sms"] and view.queues == []
    assert [n.e164 for n in numbers] == [FIRST, SECOND] and numbers[0].primary


def test_the_users_list_and_the_do_not_call_list_read_the_store(store: Engine) -> None:
    cid, uid = _seed(store)
    with store.connect() as conn:
        uow = SqlUnitOfWork(conn)
        [user] = user_directory.firm_users(uow, CIPHER, 1, NOW.date())
        [entry] = user_directory.suppression_list(uow, 1, 0)
        delays = compliance_view.opt_out_delays(uow, 1)
        assert compliance_view.open_reviews(uow, 1) == (0, None)
        assert compliance_view.rulepack_versions(uow, 1) == []
        assert compliance_view.consent_coverage(uow, 1) == []
    assert (user.user.id, user.name, user.trained, user.tokens) == (uid, "Grace Hopper", True, [])
    assert user.training_expires == date(2027, 12, 2)
    assert entry.contact == cid and entry.channel == "sms"
    assert [(d["contact_id"], d["reviewed"]) for d in delays] == [(cid, False)]
