"""The desk's Twilio Access Token as a use case: the caller's own identity only, audited."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from lexdial.errors import ConfigError, NotFoundError, PermissionDeniedError
from lexdial.service.agent_endpoints import add_endpoint
from lexdial.service.fakes import ListAudit
from lexdial.service.fakes.uow import MemoryUnitOfWork
from lexdial.service.twilio_client_token import issue_client_token
from lexdial.service.users import OPERATOR, SYSTEM, Caller

NOW = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)


@dataclass
class Minter:
    """Records whose token it minted."""

    ttl_s: int = 3600
    minted: list[str] = field(default_factory=list)

    def mint(self, identity: str) -> str:
        self.minted.append(identity)
        return f"jwt-for-{identity}"


def _desk() -> tuple[MemoryUnitOfWork, int, int, int]:
    uow = MemoryUnitOfWork()
    ana, ben, admin = (
        uow.users.seed(1, "agent"),
        uow.users.seed(1, "agent"),
        uow.users.seed(1, "admin"),
    )
    for user, identity in ((ana, "ana.desk"), (ben, "ben_desk")):
        add_endpoint(uow, user, "sip", "sip:1001@pbx.example.com", NOW,
                     audit=ListAudit(), caller=OPERATOR, firm_id=1)  # fmt: skip
        add_endpoint(uow, user, "twilio_client", identity, NOW,
                     audit=ListAudit(), caller=OPERATOR, firm_id=1)  # fmt: skip
    return uow, ana, ben, admin


def _as(user: int, role: str = "agent") -> Caller:
    return Caller(f"user:{user}", role, user)


def test_an_agent_gets_a_token_for_their_own_identity_and_it_is_audited() -> None:
    uow, ana, ben, _ = _desk()
    audit, minter = ListAudit(), Minter()
    issued = issue_client_token(uow, _as(ana), NOW, minter=lambda: minter, audit=audit, firm_id=1)
    assert (issued.token, issued.identity, issued.ttl_s) == ("jwt-for-ana.desk", "ana.desk", 3600)
    issue_client_token(uow, _as(ben), NOW, minter=lambda: minter, audit=audit, firm_id=1)
    assert minter.minted == ["ana.desk", "ben_desk"]
    assert [(e["action"], e["actor"], e["subject"]) for e in audit.entries] == [
        ("desk.twilio_token_issued", f"user:{ana}", f"user:{ana}"),
        ("desk.twilio_token_issued", f"user:{ben}", f"user:{ben}"),
    ]
    assert "jwt-for" not in repr(audit.entries) and "ana.desk" not in repr(audit.entries)


def test_a_user_without_an_identity_is_refused_naming_the_endpoint_and_nothing_is_minted() -> None:
    uow, _, _, admin = _desk()
    audit, minter = ListAudit(), Minter()
    with pytest.raises(NotFoundError) as refused:
        issue_client_token(uow, _as(admin, "admin"), NOW, minter=lambda: minter, audit=audit,
                           firm_id=1)  # fmt: skip
    assert refused.value.field == "endpoint"
    assert minter.minted == [] and audit.entries == []


@pytest.mark.parametrize("caller", [OPERATOR, SYSTEM])
def test_a_caller_that_is_not_a_user_gets_no_token(caller: Caller) -> None:
    uow, *_ = _desk()
    with pytest.raises(PermissionDeniedError):
        issue_client_token(uow, caller, NOW, minter=Minter, audit=ListAudit(), firm_id=1)


def test_an_agent_acting_for_another_firm_gets_no_token() -> None:
    uow, ana, _, _ = _desk()
    with pytest.raises(PermissionDeniedError, match="does not belong to this firm"):
        issue_client_token(uow, _as(ana), NOW, minter=Minter, audit=ListAudit(), firm_id=2)


def test_the_minter_is_not_built_for_a_user_without_an_identity() -> None:
    uow, ana, _, admin = _desk()

    def unconfigured() -> Minter:
        raise ConfigError("no Twilio API key")

    with pytest.raises(NotFoundError):  # 404 first: an unconfigured server reveals nothing
        issue_client_token(uow, _as(admin, "admin"), NOW, minter=unconfigured, audit=ListAudit(),
                           firm_id=1)  # fmt: skip
    with pytest.raises(ConfigError):
        issue_client_token(uow, _as(ana), NOW, minter=unconfigured, audit=ListAudit(), firm_id=1)
