"""Agents' endpoints on the in-memory unit of work: what is a valid address, who may manage
them, for which firm, what the audit trail says, and what a carrier can reach
(``service.agent_endpoints``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lexdial.errors import NotFoundError, PermissionDeniedError, RequestError
from lexdial.service.agent_endpoints import (
    add_endpoint,
    list_endpoints,
    missing_endpoints,
    remove_endpoint,
    valid_address,
)
from lexdial.service.fakes import ListAudit
from lexdial.service.fakes.uow import MemoryUnitOfWork
from lexdial.service.users import OPERATOR, Caller

NOW = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)


def _firm_with_agent() -> tuple[MemoryUnitOfWork, int]:
    uow = MemoryUnitOfWork()
    return uow, uow.users.seed(1, "agent")


@pytest.mark.parametrize(
    "address",
    [
        "sip:1001@pbx.example.com",
        "sip:ana.diaz@pbx.example.com:5061",
        "sip:1001@10.0.0.7",
        "sip:1001@[2001:db8::1]:5060",
        "sip:1001@pbx",
    ],
)
def test_a_sip_address_user_at_host_with_an_optional_port_is_accepted(address: str) -> None:
    assert valid_address("sip", address) == address


@pytest.mark.parametrize(
    "address",
    [
        None,
        "",
        "1001@pbx.example.com",
        "sips:1001@pbx.example.com",
        "sip:1001 @pbx.example.com",
        "sip:@pbx.example.com",
        "sip:1001@",
        "sip:1001@pbx.example.com:99999",
        "sip:1001@999.1.1.1",
        "sip:1001@pbx_example.com",
        "sip:" + "a" * 190 + "@pbx.example.com",
    ],
)
def test_a_malformed_sip_address_is_refused_naming_the_address_field(address: str | None) -> None:
    with pytest.raises(RequestError) as refused:
        valid_address("sip", address)
    assert refused.value.field == "address"


def test_a_twilio_client_identity_is_letters_digits_and_a_few_marks_up_to_121() -> None:
    assert valid_address("twilio_client", "ana.diaz_2-b") == "ana.diaz_2-b"
    assert valid_address("twilio_client", "a" * 121) == "a" * 121
    for bad in (None, "", "a" * 122, "ana diaz", "ana@firm"):
        with pytest.raises(RequestError) as refused:
            valid_address("twilio_client", bad)
        assert refused.value.field == "address"


def test_a_browser_endpoint_has_no_address_and_an_unknown_kind_names_the_kind_field() -> None:
    assert valid_address("browser", None) is None
    with pytest.raises(RequestError) as refused:
        valid_address("browser", "sip:1@x")
    assert refused.value.field == "address"
    with pytest.raises(RequestError) as refused:
        valid_address("pstn", "+16145550101")
    assert refused.value.field == "kind"


def test_an_admin_adds_lists_and_removes_endpoints_and_each_change_is_audited() -> None:
    uow, agent = _firm_with_agent()
    audit = ListAudit()
    sip = add_endpoint(uow, agent, "sip", "sip:1001@pbx.example.com", NOW,
                       audit=audit, caller=OPERATOR, firm_id=1)  # fmt: skip
    web = add_endpoint(uow, agent, "browser", None, NOW, audit=audit, caller=OPERATOR, firm_id=1)
    found = list_endpoints(uow, agent, caller=OPERATOR, firm_id=1)
    assert [(e.id, e.kind, e.address) for e in found] == [
        (sip, "sip", "sip:1001@pbx.example.com"),
        (web, "browser", None),
    ]
    remove_endpoint(uow, web, NOW, audit=audit, caller=OPERATOR, firm_id=1)
    assert [e.id for e in list_endpoints(uow, agent, caller=OPERATOR, firm_id=1)] == [sip]
    assert [(e["action"], e["subject"], e["data"]) for e in audit.entries] == [
        ("user.endpoint_added", f"user:{agent}", {"endpoint": sip, "kind": "sip"}),
        ("user.endpoint_added", f"user:{agent}", {"endpoint": web, "kind": "browser"}),
        ("user.endpoint_removed", f"user:{agent}", {"endpoint": web, "kind": "browser"}),
    ]
    # the address is not written to the audit trail
    assert "pbx.example.com" not in repr(audit.entries)


def test_a_user_has_one_browser_endpoint_at_most_and_no_duplicate_address() -> None:
    uow, agent = _firm_with_agent()
    add_endpoint(uow, agent, "browser", None, NOW, audit=ListAudit(), caller=OPERATOR, firm_id=1)
    with pytest.raises(RequestError) as refused:
        add_endpoint(uow, agent, "browser", None, NOW,
                     audit=ListAudit(), caller=OPERATOR, firm_id=1)  # fmt: skip
    assert refused.value.field == "kind"
    add_endpoint(uow, agent, "twilio_client", "ana", NOW,
                 audit=ListAudit(), caller=OPERATOR, firm_id=1)  # fmt: skip
    with pytest.raises(RequestError) as refused:
        add_endpoint(uow, agent, "twilio_client", "ana", NOW,
                     audit=ListAudit(), caller=OPERATOR, firm_id=1)  # fmt: skip
    assert refused.value.field == "address"


@pytest.mark.parametrize("role", ["compliance", "manager", "agent", "auditor"])
def test_only_an_admin_may_add_or_remove_an_endpoint(role: str) -> None:
    uow, agent = _firm_with_agent()
    eid = add_endpoint(uow, agent, "browser", None, NOW,
                       audit=ListAudit(), caller=OPERATOR, firm_id=1)  # fmt: skip
    who = Caller.user(uow.users.seed(1, role))
    audit = ListAudit()
    with pytest.raises(PermissionDeniedError, match=r"users\.write"):
        add_endpoint(uow, agent, "twilio_client", "ana", NOW, audit=audit, caller=who, firm_id=1)
    with pytest.raises(PermissionDeniedError, match=r"users\.write"):
        remove_endpoint(uow, eid, NOW, audit=audit, caller=who, firm_id=1)
    assert audit.entries == [] and len(uow.users.endpoints(agent)) == 1


def test_an_admin_of_the_firm_manages_endpoints_and_an_agent_may_not_list_them() -> None:
    uow, agent = _firm_with_agent()
    admin = Caller.user(uow.users.seed(1, "admin"))
    add_endpoint(uow, agent, "browser", None, NOW, audit=ListAudit(), caller=admin, firm_id=1)
    assert len(list_endpoints(uow, agent, caller=admin, firm_id=1)) == 1
    with pytest.raises(PermissionDeniedError):
        list_endpoints(uow, agent, caller=Caller.user(agent), firm_id=1)


def test_another_firms_user_or_endpoint_is_answered_as_unknown() -> None:
    uow, agent = _firm_with_agent()
    other = uow.users.seed(2, "agent")
    theirs = add_endpoint(uow, other, "browser", None, NOW,
                          audit=ListAudit(), caller=OPERATOR, firm_id=2)  # fmt: skip
    audit = ListAudit()
    with pytest.raises(NotFoundError):
        add_endpoint(uow, other, "browser", None, NOW, audit=audit, caller=OPERATOR, firm_id=1)
    with pytest.raises(NotFoundError):
        list_endpoints(uow, other, caller=OPERATOR, firm_id=1)
    with pytest.raises(NotFoundError):
        remove_endpoint(uow, theirs, NOW, audit=audit, caller=OPERATOR, firm_id=1)
    with pytest.raises(NotFoundError):
        remove_endpoint(uow, 99, NOW, audit=audit, caller=OPERATOR, firm_id=1)
    mine = add_endpoint(uow, agent, "browser", None, NOW, audit=audit, caller=OPERATOR, firm_id=1)
    with pytest.raises(NotFoundError):  # the endpoint is not this user's
        remove_endpoint(uow, mine, NOW, audit=audit, caller=OPERATOR, firm_id=1, user_id=other)
    assert len(audit.entries) == 1 and len(uow.users.endpoints(other)) == 1


def test_each_carrier_needs_its_own_kind_of_endpoint_and_the_simulated_one_none() -> None:
    uow, sip_agent = _firm_with_agent()
    twilio_agent, bare = uow.users.seed(1, "agent"), uow.users.seed(1, "agent")
    add_endpoint(uow, sip_agent, "sip", "sip:1001@pbx.example.com", NOW,
                 audit=ListAudit(), caller=OPERATOR, firm_id=1)  # fmt: skip
    add_endpoint(uow, twilio_agent, "twilio_client", "ana", NOW,
                 audit=ListAudit(), caller=OPERATOR, firm_id=1)  # fmt: skip
    browser_agent = uow.users.seed(1, "agent")
    add_endpoint(uow, browser_agent, "browser", None, NOW,
                 audit=ListAudit(), caller=OPERATOR, firm_id=1)  # fmt: skip
    agents = [sip_agent, twilio_agent, bare, browser_agent]
    # the sip carrier reaches the desk's browser softphone too: its leg is a SIP INVITE
    assert missing_endpoints(uow, agents, "sip") == {
        twilio_agent: "a SIP address or a browser softphone",
        bare: "a SIP address or a browser softphone",
    }
    assert missing_endpoints(uow, agents, "twilio") == {
        sip_agent: "a Twilio Client identity",
        bare: "a Twilio Client identity",
        browser_agent: "a Twilio Client identity",
    }
    assert missing_endpoints(uow, agents, "simulated") == {}
    # with the softphone gateway off ([desk] webrtc = false) a browser endpoint reaches no one
    assert missing_endpoints(uow, agents, "sip", softphones=False) == {
        twilio_agent: "a SIP address",
        bare: "a SIP address",
        browser_agent: "a SIP address",
    }
