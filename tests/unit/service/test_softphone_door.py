"""Who may open the browser softphone (``service.softphone``): the user themself, with a
browser endpoint of their own firm; a refusal names what is missing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lexdial.errors import NotFoundError, PermissionDeniedError, RequestError
from lexdial.service.fakes.uow import MemoryUnitOfWork
from lexdial.service.softphone import softphone_user
from lexdial.service.users import OPERATOR, Caller

NOW = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)


def test_an_agent_with_a_browser_endpoint_opens_their_own_softphone() -> None:
    uow = MemoryUnitOfWork()
    agent = uow.users.seed(1, "agent")
    uow.users.add_endpoint(agent, "browser", None, NOW)
    assert softphone_user(uow, Caller.user(agent), 1) == agent


def test_an_agent_without_a_browser_endpoint_is_told_which_endpoint_to_add() -> None:
    uow = MemoryUnitOfWork()
    agent = uow.users.seed(1, "agent")
    uow.users.add_endpoint(agent, "sip", "sip:1001@pbx.example.com", NOW)
    with pytest.raises(RequestError) as err:
        softphone_user(uow, Caller.user(agent), 1)
    assert err.value.field == "endpoint"
    assert f"users endpoint add {agent} --browser" in err.value.message


def test_the_local_operator_has_no_softphone_of_their_own() -> None:
    with pytest.raises(PermissionDeniedError):
        softphone_user(MemoryUnitOfWork(), OPERATOR, 1)


def test_a_user_of_another_firm_is_answered_like_an_unknown_one() -> None:
    uow = MemoryUnitOfWork()
    other = uow.users.seed(2, "agent")
    uow.users.add_endpoint(other, "browser", None, NOW)
    with pytest.raises((NotFoundError, PermissionDeniedError)):
        softphone_user(uow, Caller.user(other), 1)
