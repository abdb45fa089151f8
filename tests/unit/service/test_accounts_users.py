"""Users and roles on the in-memory unit of work: who may do what, for which firm, and who may
take live calls (``service.users``)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lexdial.errors import PermissionDeniedError, RequestError
from lexdial.service.fakes import ListAudit, Reversible
from lexdial.service.fakes.accounts import MemoryUserRepository
from lexdial.service.fakes.uow import MemoryUnitOfWork
from lexdial.service.users import (
    OPERATOR,
    SYSTEM,
    Caller,
    add_user,
    attest_training,
    authorize,
    check_agent,
    check_same_firm,
    firm_of,
    trained_agents,
    trained_on,
    user_in_firm,
)

NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
TODAY = date(2026, 12, 2)


def _uow() -> MemoryUnitOfWork:
    return MemoryUnitOfWork()


def _users(uow: MemoryUnitOfWork) -> MemoryUserRepository:
    return uow.users


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
        pytest.param("admin", "no.such.action", True, id="an-unlisted-action-is-for-admins"),
        pytest.param("manager", "no.such.action", False, id="an-unlisted-action-is-admin-only"),
    ],
)
def test_a_user_may_do_only_what_their_role_allows(role: str, action: str, allowed: bool) -> None:
    uow = _uow()
    caller = Caller.user(_users(uow).seed(1, role))
    if allowed:
        assert authorize(uow, caller, action) == caller.label
    else:
        with pytest.raises(PermissionDeniedError, match=role):
            authorize(uow, caller, action)


def test_the_role_is_read_from_the_store_on_every_check_so_a_demotion_is_immediate() -> None:
    uow = _uow()
    uid = _users(uow).seed(1, "admin")
    assert authorize(uow, Caller.user(uid), "users.write") == f"user:{uid}"
    _users(uow).rows[uid]["role"] = "agent"
    with pytest.raises(PermissionDeniedError):
        authorize(uow, Caller.user(uid), "users.write")


def test_an_unknown_or_deactivated_user_is_refused() -> None:
    uow = _uow()
    gone = _users(uow).seed(1, "admin", active=False)
    for user_id in (gone, 999):
        with pytest.raises(PermissionDeniedError, match="no active user"):
            authorize(uow, Caller.user(user_id), "read")


def test_lexdial_itself_and_the_operator_act_by_their_fixed_roles() -> None:
    uow = _uow()
    assert authorize(uow, SYSTEM, "optout.write") == "system:lexdial"
    with pytest.raises(PermissionDeniedError):
        authorize(uow, SYSTEM, "users.write")
    assert authorize(uow, OPERATOR, "keys.rotate", firm_id=7) == "cli:operator"


def test_a_user_acts_for_their_own_firm_only() -> None:
    uow = _uow()
    admin2 = Caller.user(_users(uow).seed(2, "admin"))
    assert authorize(uow, admin2, "users.write", firm_id=2) == admin2.label
    with pytest.raises(PermissionDeniedError, match="does not belong"):
        authorize(uow, admin2, "users.write", firm_id=1)
    with pytest.raises(PermissionDeniedError, match="does not belong"):
        check_same_firm(uow, admin2, 1)
    check_same_firm(uow, SYSTEM, 1)  # not a user: no firm to compare


def test_the_firm_of_a_user_is_known_and_an_unknown_user_has_none() -> None:
    uow = _uow()
    uid = _users(uow).seed(3, "agent")
    assert firm_of(uow, uid) == 3
    with pytest.raises(PermissionDeniedError):
        firm_of(uow, 42)
    assert user_in_firm(uow, uid, None) == 3
    with pytest.raises(RequestError, match="in this firm"):
        user_in_firm(uow, uid, 1)  # another firm's user is answered like an unknown one


def test_only_an_admin_adds_a_user_and_the_audit_entry_holds_no_personal_data() -> None:
    uow, audit = _uow(), ListAudit()
    manager = Caller.user(_users(uow).seed(1, "manager"))
    with pytest.raises(PermissionDeniedError, match=r"users\.write"):
        add_user(uow, Reversible(), 1, "new@firm.test", "Nia New", "agent", NOW,
                 audit=audit, caller=manager)  # fmt: skip
    assert audit.entries == []
    uid = add_user(uow, Reversible(), 1, "New@Firm.test", "Nia New", "agent", NOW,
                   audit=audit, caller=OPERATOR)  # fmt: skip
    assert [(e["actor"], e["action"], e["subject"], e["data"]) for e in audit.entries] == [
        ("cli:operator", "user.created", f"user:{uid}", {"role": "agent"})
    ]
    row = _users(uow).rows[uid]
    assert row["email"] == "new@firm.test" and row["role"] == "agent"
    assert Reversible().decrypt(row["name_enc"], context="users.name") == "Nia New"
    assert "Nia" not in str(audit.entries) and "new@" not in str(audit.entries)


@pytest.mark.parametrize(
    ("email", "role", "field"),
    [
        pytest.param("x@firm.test", "boss", "role", id="an-unknown-role"),
        pytest.param("not-an-address", "agent", "email", id="no-at-sign"),
        pytest.param("taken@firm.test", "agent", "email", id="an-e-mail-already-used"),
    ],
)
def test_a_new_user_with_a_bad_role_or_e_mail_is_refused(email: str, role: str, field: str) -> None:
    uow = _uow()
    _users(uow).seed(1, "agent", email="taken@firm.test")
    with pytest.raises(RequestError) as refused:
        add_user(uow, Reversible(), 1, email, "X", role, NOW, audit=ListAudit(), caller=OPERATOR)
    assert refused.value.field == field


def test_an_agent_without_current_training_may_not_take_live_calls() -> None:
    uow, audit = _uow(), ListAudit()
    agent = _users(uow).seed(1, "agent")
    with pytest.raises(PermissionDeniedError, match="training"):
        check_agent(uow, agent, "predictive", TODAY)
    check_agent(uow, agent, "broadcast", TODAY)  # no live person speaks
    aid = attest_training(uow, agent, "TCPA and DNC 2026", date(2026, 1, 10), 365, NOW, OPERATOR,
                          audit=audit)  # fmt: skip
    check_agent(uow, agent, "predictive", TODAY)
    assert trained_on(uow, agent, TODAY)
    assert not trained_on(uow, agent, date(2027, 1, 11))  # expired
    with pytest.raises(PermissionDeniedError, match="training"):
        check_agent(uow, agent, "preview", date(2027, 1, 11))
    assert audit.entries[0]["action"] == "training.attested"
    assert audit.entries[0]["data"]["attestation"] == aid
    assert audit.entries[0]["data"]["expires_on"] == "2027-01-10"


def test_a_training_attestation_is_refused_for_another_firms_user_or_a_bad_period() -> None:
    uow = _uow()
    other = _users(uow).seed(2, "agent")
    mine = _users(uow).seed(1, "agent")
    with pytest.raises(RequestError, match="in this firm"):
        attest_training(uow, other, "TCPA", TODAY, 365, NOW, OPERATOR, audit=ListAudit(),
                        firm_id=1)  # fmt: skip
    with pytest.raises(RequestError, match="positive"):
        attest_training(uow, mine, "TCPA", TODAY, 0, NOW, OPERATOR, audit=ListAudit())
    with pytest.raises(RequestError, match="required"):
        attest_training(uow, mine, "  ", TODAY, 30, NOW, OPERATOR, audit=ListAudit())


def test_only_the_firms_active_trained_agents_may_be_seated() -> None:
    uow = _uow()
    users = _users(uow)
    trained, untrained, away = (users.seed(1, "agent") for _ in range(3))
    manager, other_firm = users.seed(1, "manager"), users.seed(2, "agent")
    for uid in (trained, away, manager, other_firm):
        users.add_attestation(uid, "TCPA", date(2026, 1, 1), date(2026, 12, 31), NOW)
    users.rows[away]["active"] = False
    assert untrained not in trained_agents(uow, 1, TODAY)
    assert trained_agents(uow, 1, TODAY) == [trained]
    assert trained_agents(uow, 2, TODAY) == [other_firm]
    assert trained_agents(uow, 1, date(2027, 1, 1)) == []
