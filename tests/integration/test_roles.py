"""Roles and training: every service checks its caller; untrained agents take no live calls."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine

from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.errors import PermissionDeniedError
from lexdial.service.consent import revoke_consent
from lexdial.service.fakes import ListAudit, Reversible
from lexdial.service.optout import opt_out
from lexdial.service.privacy import purge
from lexdial.service.users import (
    OPERATOR,
    Caller,
    add_user,
    attest_training,
    authorize,
    check_agent,
)

pytestmark = pytest.mark.integration
NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)


def _user(store: Engine, role: str, email: str | None = None) -> Caller:
    with store.begin() as conn:
        uid = add_user(
            SqlUnitOfWork(conn),
Reversible(), 1, email or f"{role}@firm.example", "A Person", role, NOW,
            audit=ListAudit(), caller=OPERATOR,
        )  # fmt: skip
    return Caller.user(uid)


@pytest.mark.parametrize(
    ("role", "action", "allowed"),
    [
        pytest.param("auditor", "read", True, id="an-auditor-reads"),
        pytest.param("auditor", "consent.write", False, id="an-auditor-records-no-consent"),
        pytest.param("agent", "consent.write", True, id="an-agent-records-a-consent"),
        pytest.param("agent", "privacy.write", False, id="an-agent-erases-nobody"),
        pytest.param("compliance", "privacy.write", True, id="compliance-handles-privacy"),
        pytest.param("manager", "keys.rotate", False, id="a-manager-rotates-no-keys"),
        pytest.param("admin", "keys.rotate", True, id="an-admin-rotates-keys"),
        pytest.param("manager", "users.write", False, id="a-manager-adds-no-users"),
    ],
)
def test_each_role_may_do_only_what_it_is_for(
    store: Engine, role: str, action: str, allowed: bool
) -> None:
    caller = _user(store, role)
    with store.begin() as conn:
        if allowed:
            assert authorize(SqlUnitOfWork(conn), caller, action) == caller.label
        else:
            with pytest.raises(PermissionDeniedError):
                authorize(SqlUnitOfWork(conn), caller, action)


def test_services_refuse_a_caller_whose_role_does_not_allow_the_action(store: Engine) -> None:
    auditor, agent = _user(store, "auditor"), _user(store, "agent")
    with store.begin() as conn, pytest.raises(PermissionDeniedError):
        revoke_consent(
            SqlUnitOfWork(conn), Reversible(), ListAudit(), 1, 1, "sms", NOW, None, auditor, NOW
        )
    with store.begin() as conn, pytest.raises(PermissionDeniedError):
        opt_out(
            SqlUnitOfWork(conn),
            Reversible(),
            ListAudit(),
            1,
            "+1 614 555 0101",
            "staff",
            None,
            auditor,
            NOW,
        )
    with store.begin() as conn, pytest.raises(PermissionDeniedError):
        purge(SqlUnitOfWork(conn), ListAudit(), NOW, {}, agent)


def test_an_agent_without_current_training_may_not_take_live_calls(store: Engine) -> None:
    agent = _user(store, "agent")
    assert agent.user_id is not None
    with store.begin() as conn, pytest.raises(PermissionDeniedError, match="training"):
        check_agent(SqlUnitOfWork(conn), agent.user_id, "predictive", date(2026, 12, 2))
    with store.begin() as conn:
        check_agent(
            SqlUnitOfWork(conn), agent.user_id, "broadcast", date(2026, 12, 2)
        )  # no live person
        attest_training(SqlUnitOfWork(conn),
                        agent.user_id, "TCPA and DNC 2026", date(2026, 1, 10), 365, NOW,
                        OPERATOR, audit=ListAudit())  # fmt: skip
    with store.begin() as conn:
        check_agent(SqlUnitOfWork(conn), agent.user_id, "predictive", date(2026, 12, 2))
    with store.begin() as conn, pytest.raises(PermissionDeniedError, match="training"):
        check_agent(SqlUnitOfWork(conn), agent.user_id, "predictive", date(2027, 1, 11))  # expired


def test_an_unknown_caller_is_refused(store: Engine) -> None:
    with store.begin() as conn, pytest.raises(PermissionDeniedError, match="no active user"):
        authorize(SqlUnitOfWork(conn), Caller.user(999), "read")


@pytest.mark.parametrize("role", ["compliance", "manager", "agent", "auditor"])
def test_the_user_service_lets_only_an_admin_create_a_user(store: Engine, role: str) -> None:
    acting = _user(store, role)
    audit = ListAudit()
    with store.begin() as conn, pytest.raises(PermissionDeniedError, match=r"users\.write"):
        add_user(SqlUnitOfWork(conn), Reversible(), 1, "boss@firm.example", "B", "admin", NOW,
                 audit=audit, caller=acting)  # fmt: skip
    with store.begin() as conn, pytest.raises(PermissionDeniedError, match=r"users\.write"):
        attest_training(SqlUnitOfWork(conn),
                        acting.user_id or 0, "TCPA", date(2026, 1, 10), 365, NOW, acting,
                        audit=audit)  # fmt: skip
    assert audit.entries == []


def test_a_new_user_and_a_training_attestation_leave_audit_entries(store: Engine) -> None:
    audit = ListAudit()
    with store.begin() as conn:
        uid = add_user(SqlUnitOfWork(conn),
                       Reversible(), 1, "first.admin@firm.example", "Ada Admin", "admin",
                       NOW, audit=audit, caller=OPERATOR)  # fmt: skip
        attest_training(SqlUnitOfWork(conn),
                        uid, "TCPA and DNC 2026", date(2026, 1, 10), 365, NOW, OPERATOR,
                        audit=audit)  # fmt: skip
    assert [(e["actor"], e["action"], e["subject"]) for e in audit.entries] == [
        ("cli:operator", "user.created", f"user:{uid}"),
        ("cli:operator", "training.attested", f"user:{uid}"),
    ]
    assert "Ada" not in str(audit.entries) and "first.admin" not in str(audit.entries)
