"""The agent desk's use cases on the in-memory unit of work: the seat's state machine, the
disposition required before the next call, the verbal opt-out (at once, not undone by any
later disposition or callback), callbacks checked by the gate without recording an attempt,
encrypted notes, preview and click-to-call requests, and one firm never touching another's
seat."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import pytest

from lexdial.domain.desk import TRANSITIONS, DeskAction, next_state
from lexdial.domain.states import AgentState
from lexdial.errors import NotFoundError, PermissionDeniedError, RequestError
from lexdial.rules.engine import Engine
from lexdial.service import (
    desk_callbacks,
    desk_disclosures,
    desk_dispositions,
    desk_line,
    desk_line_requests,
    desk_presence,
    desk_preview,
    desk_screen_pop,
    desk_session,
)
from lexdial.service.contacts import NUMBER_CTX
from lexdial.service.fakes import ListAudit, MemoryRegistry, Reversible
from lexdial.service.fakes.uow import MemoryUnitOfWork
from lexdial.service.gate import CallPlan, gate
from lexdial.service.repos.calls import GateCampaign, GateContact, GateNumber, NewAttempt
from lexdial.service.repos.desk import DeskSession
from lexdial.service.repos.views import ContactRow, NumberRow, UserBadge
from lexdial.service.users import Caller

FIRM, OTHER_FIRM = 1, 2
NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)  # Wed 11:00 in New York
CIPHER = Reversible()
NUMBER, SECOND = "+16145550101", "+16145550102"
BIDX = CIPHER.blind_index(NUMBER, kind="number")
BIDX2 = CIPHER.blind_index(SECOND, kind="number")
SCRIPT = "Hello, this is Hartwell & Ruiz LLP calling about your appointment."


@dataclass
class World:
    uow: MemoryUnitOfWork
    audit: ListAudit
    agent: Caller
    other_agent: Caller
    stranger: Caller  # an agent of another firm
    campaign: int
    contact: int

    def actions(self) -> list[str]:
        return [e["action"] for e in self.audit.entries]


def _user(uow: MemoryUnitOfWork, firm: int, email: str, role: str) -> Caller:
    user_id = uow.users.add(firm, email, "name", role, NOW)
    uow.users.add_attestation(user_id, "tcpa", date(2026, 1, 1), date(2027, 1, 1), NOW)
    uow.views.users[user_id] = UserBadge(user_id, email, role)
    return Caller.user(user_id)


@pytest.fixture
def w() -> World:
    uow, audit = MemoryUnitOfWork(), ListAudit()
    agent = _user(uow, FIRM, "a@firm.test", "agent")
    other = _user(uow, FIRM, "b@firm.test", "agent")
    stranger = _user(uow, OTHER_FIRM, "c@other.test", "agent")
    spec = {"message": {"text": SCRIPT}}
    campaign = uow.campaigns.add(
        FIRM, "running", NOW, {"name": "reminders", "purpose": "reminder",
                               "technology": "manual", "mode": "preview", "settings": spec},
    )  # fmt: skip
    contact = 10
    uow.campaigns.contacts[contact] = FIRM
    store = uow.attempts
    store.firms[FIRM] = "Hartwell & Ruiz LLP"
    address = {"country": "US", "state": "OH", "time_zone": "America/New_York"}
    store.contacts[contact] = GateContact(
        firm_id=FIRM, relationship="current_client",
        address_enc=CIPHER.encrypt(json.dumps(address), context="contacts.address"),
    )  # fmt: skip
    store.numbers[contact] = GateNumber(
        CIPHER.encrypt(NUMBER, context=NUMBER_CTX), BIDX, "landline"
    )
    store.campaigns[campaign] = GateCampaign(
        firm_id=FIRM,
        purpose="reminder",
        technology="manual",
        mode="preview",
        caller_id="+16145550000",
    )
    store.statuses[campaign] = "running"
    uow.views.contact_rows.append(
        (FIRM, ContactRow(contact, CIPHER.encrypt("Ada Lovelace", context="contacts.name"),
                          "current_client", None, "probate", None, None, None, NOW))
    )  # fmt: skip
    for number, bidx in ((NUMBER, BIDX), (SECOND, BIDX2)):
        enc = CIPHER.encrypt(number, context=NUMBER_CTX)
        uow.views.number_rows.append((FIRM, contact, NumberRow(enc, bidx, "landline", True)))
    return World(uow, audit, agent, other, stranger, campaign, contact)


def _login(w: World, caller: Caller | None = None) -> None:
    desk_presence.login(
        w.uow, w.audit, caller or w.agent, w.campaign, None, NOW, carrier="simulated"
    )


def _on_call(w: World, engine: Engine, caller: Caller | None = None) -> int:
    """Seat the agent, ready, and have the dialler hand them a gated call."""
    who = caller or w.agent
    _login(w, who)
    desk_presence.ready(w.uow, w.audit, who, NOW)
    result = gate(
        w.uow, engine, CIPHER, w.audit, MemoryRegistry(),
        firm_id=FIRM, contact_id=w.contact, at=NOW, campaign_id=w.campaign,
    )  # fmt: skip
    assert result.decision.verdict == "allow"
    assert who.user_id is not None
    desk_line.call_assigned(w.uow, w.audit, FIRM, who.user_id, result.attempt_id, NOW)
    return result.attempt_id


def _ended(w: World, engine: Engine) -> int:
    """A call handed to the agent and ended: wrap-up."""
    attempt = _on_call(w, engine)
    assert w.agent.user_id is not None
    desk_line.call_ended(w.uow, FIRM, w.agent.user_id, attempt, NOW)
    return attempt


def _seat(w: World, caller: Caller | None = None) -> DeskSession:
    s = desk_session.desk_state(w.uow, caller or w.agent)
    assert s is not None
    return s


# --- the state machine


@pytest.mark.parametrize(
    ("state", "action", "after"),
    [
        ("logged_out", DeskAction.LOGIN, "paused"),
        ("paused", DeskAction.READY, "ready"),
        ("wrap_up", DeskAction.READY, "ready"),
        ("ready", DeskAction.PAUSE, "paused"),
        ("preview", DeskAction.PREVIEW_SKIP, "ready"),
        ("ready", DeskAction.LOGOUT, "logged_out"),
        ("wrap_up", DeskAction.LOGOUT, "logged_out"),
        ("on_call", DeskAction.READY, None),
        ("on_call", DeskAction.PAUSE, None),
        ("on_call", DeskAction.LOGOUT, None),
        ("on_call", DeskAction.LOGIN, None),
        ("on_call", DeskAction.CLICK_TO_CALL, None),
        ("wrap_up", DeskAction.LOGIN, None),
        ("logged_out", DeskAction.READY, None),
        ("ready", DeskAction.PREVIEW_CALL, None),
        ("nonsense", DeskAction.READY, None),
    ],
)
def test_a_seat_moves_only_as_the_transition_table_allows(
    state: str, action: DeskAction, after: str | None
) -> None:
    assert next_state(state, action) == (AgentState(after) if after else None)


def test_no_action_of_the_agent_leaves_a_call_in_progress() -> None:
    assert not [k for k in TRANSITIONS if k[0] == AgentState.ON_CALL]


def test_an_agent_who_logs_in_is_paused_logging_in_until_they_say_ready(w: World) -> None:
    _login(w)
    s = _seat(w)
    assert (s.state, s.reason, s.campaign_id) == ("paused", "logging in", w.campaign)
    s = desk_presence.ready(w.uow, w.audit, w.agent, NOW)
    assert (s.state, s.reason) == ("ready", None)
    s = desk_presence.pause(w.uow, w.audit, w.agent, "Lunch", NOW)
    assert (s.state, s.reason) == ("paused", "lunch")
    assert w.actions() == ["desk.login", "desk.ready", "desk.paused"]


def test_a_pause_without_a_listed_reason_is_refused_naming_the_reason(w: World) -> None:
    _login(w)
    with pytest.raises(RequestError) as e:
        desk_presence.pause(w.uow, w.audit, w.agent, "napping", NOW)
    assert e.value.field == "reason"


def test_login_is_refused_for_a_campaign_that_is_not_live_agent_or_not_running(w: World) -> None:
    broadcast = w.uow.campaigns.add(FIRM, "running", NOW, {"mode": "broadcast"})
    stopped = w.uow.campaigns.add(FIRM, "stopped", NOW, {"mode": "preview"})
    theirs = w.uow.campaigns.add(OTHER_FIRM, "running", NOW, {"mode": "preview"})
    for campaign, error in ((broadcast, RequestError), (stopped, RequestError),
                            (theirs, NotFoundError), (999, NotFoundError)):  # fmt: skip
        with pytest.raises(error) as e:
            desk_presence.login(w.uow, w.audit, w.agent, campaign, None, NOW, carrier="simulated")
        assert e.value.field == "campaign_id"  # type: ignore[attr-defined]


def test_an_untrained_agent_or_an_auditor_may_not_sit_at_the_desk(w: World) -> None:
    untrained = Caller.user(w.uow.users.add(FIRM, "u@firm.test", "n", "agent", NOW))
    auditor = Caller.user(w.uow.users.add(FIRM, "x@firm.test", "n", "auditor", NOW))
    for who in (untrained, auditor):
        with pytest.raises(PermissionDeniedError):
            desk_presence.login(w.uow, w.audit, who, w.campaign, None, NOW, carrier="simulated")


def test_a_real_carrier_needs_the_agents_own_endpoint_of_a_kind_it_reaches(w: World) -> None:
    assert w.agent.user_id is not None and w.other_agent.user_id is not None
    with pytest.raises(RequestError) as e:
        desk_presence.login(w.uow, w.audit, w.agent, w.campaign, None, NOW, carrier="sip")
    assert e.value.field == "endpoint_id"
    theirs = w.uow.users.add_endpoint(w.other_agent.user_id, "sip", "sip:b@pbx.test", NOW)
    twilio = w.uow.users.add_endpoint(w.agent.user_id, "twilio_client", "ada", NOW)
    mine = w.uow.users.add_endpoint(w.agent.user_id, "browser", None, NOW)
    for endpoint in (theirs, twilio):
        with pytest.raises(RequestError) as e:
            desk_presence.login(w.uow, w.audit, w.agent, w.campaign, endpoint, NOW, carrier="sip")
        assert e.value.field == "endpoint_id"
    s = desk_presence.login(w.uow, w.audit, w.agent, w.campaign, mine, NOW, carrier="sip")
    assert s.endpoint_id == mine


def test_a_call_in_progress_forbids_ready_pause_logout_and_another_login(
    w: World, engine: Engine
) -> None:
    _on_call(w, engine)
    for act in (
        lambda: desk_presence.ready(w.uow, w.audit, w.agent, NOW),
        lambda: desk_presence.pause(w.uow, w.audit, w.agent, "break", NOW),
        lambda: desk_presence.logout(w.uow, w.audit, w.agent, NOW),
        lambda: _login(w),
    ):
        with pytest.raises(RequestError) as e:
            act()
        assert e.value.field == "state"
    assert _seat(w).state == "on_call"


# --- dispositions


def test_ready_after_a_call_needs_its_disposition_and_a_second_one_is_refused(
    w: World, engine: Engine
) -> None:
    attempt = _on_call(w, engine)
    assert w.agent.user_id is not None
    desk_line.call_ended(w.uow, FIRM, w.agent.user_id, attempt, NOW)
    with pytest.raises(RequestError) as e:
        desk_presence.ready(w.uow, w.audit, w.agent, NOW)
    assert e.value.field == "disposition"
    with pytest.raises(RequestError) as e:
        desk_dispositions.record_disposition(w.uow, CIPHER, w.audit, w.agent, "made_up", None, NOW)
    assert e.value.field == "code" and "reached" in str(e.value)
    d = desk_dispositions.record_disposition(w.uow, CIPHER, w.audit, w.agent, "reached", None, NOW)
    assert (d.attempt_id, d.code, d.notes_enc) == (attempt, "reached", None)
    with pytest.raises(RequestError, match="already has its disposition"):
        desk_dispositions.record_disposition(
            w.uow, CIPHER, w.audit, w.agent, "no_answer", None, NOW
        )
    assert desk_presence.ready(w.uow, w.audit, w.agent, NOW).state == "ready"


def test_a_disposition_still_due_survives_logout_and_login(w: World, engine: Engine) -> None:
    attempt = _on_call(w, engine)
    assert w.agent.user_id is not None
    desk_line.call_ended(w.uow, FIRM, w.agent.user_id, attempt, NOW)
    desk_presence.logout(w.uow, w.audit, w.agent, NOW)
    _login(w)
    with pytest.raises(RequestError) as e:
        desk_presence.ready(w.uow, w.audit, w.agent, NOW)
    assert e.value.field == "disposition"


def test_notes_are_stored_encrypted_and_never_audited(w: World, engine: Engine) -> None:
    _ended(w, engine)
    secret = "Client mentioned the estate of her late husband"
    d = desk_dispositions.record_disposition(
        w.uow, CIPHER, w.audit, w.agent, "reached", secret, NOW
    )
    assert d.notes_enc is not None and secret not in d.notes_enc
    assert CIPHER.decrypt(d.notes_enc, context="call_dispositions.notes") == secret
    stored = w.uow.desk.dispositions[d.attempt_id]
    assert secret not in repr(stored)
    assert secret not in repr(w.audit.entries)


def test_a_retired_code_cannot_be_chosen(w: World, engine: Engine) -> None:
    from lexdial.service import dispositions

    manager = _user(w.uow, FIRM, "m@firm.test", "manager")
    dispositions.set_active(
        w.uow, w.audit, manager, firm_id=FIRM, code="left_message", active=False, at=NOW
    )
    _ended(w, engine)
    with pytest.raises(RequestError) as e:
        desk_dispositions.record_disposition(
            w.uow, CIPHER, w.audit, w.agent, "left_message", None, NOW
        )
    assert e.value.field == "code"


# --- the verbal opt-out


def test_a_verbal_opt_out_stops_every_later_call_to_the_persons_numbers_from_any_campaign(
    w: World, engine: Engine
) -> None:
    attempt = _on_call(w, engine)

    done = desk_dispositions.verbal_opt_out(w.uow, CIPHER, w.audit, w.agent, NOW)

    entries = w.uow.suppression.dnc_entries
    assert sorted((e["firm_id"], e["number_bidx"], e["channel"]) for e in entries) == sorted(
        [(FIRM, BIDX, "voice"), (FIRM, BIDX2, "voice")]
    )
    assert done.dnc_entry_id == next(e["id"] for e in entries if e["number_bidx"] == BIDX)
    assert w.uow.desk.dispositions[attempt].code == "asked_not_to_call"
    assert "desk.verbal_opt_out" in w.actions()
    # the gate reads the same do-not-call list (one table in the store; two fakes here)
    w.uow.attempts.suppressed |= {(e["firm_id"], e["number_bidx"]) for e in entries}
    later = w.uow.campaigns.add(FIRM, "running", NOW, {"mode": "predictive"})
    w.uow.attempts.campaigns[later] = GateCampaign(
        FIRM, "reminder", "manual", "predictive", caller_id="+16145550000"
    )
    verdicts = {
        gate(
            w.uow, engine, CIPHER, w.audit, MemoryRegistry(), firm_id=FIRM, contact_id=w.contact,
            at=NOW + timedelta(days=d), campaign_id=c,
            plan=None if c else CallPlan("reminder", "manual"),
        ).decision.verdict
        for c in (w.campaign, later, None)
        for d in (0, 1, 30)
    }  # fmt: skip
    assert "allow" not in verdicts


def test_after_a_verbal_opt_out_no_disposition_or_callback_undoes_it(
    w: World, engine: Engine
) -> None:
    _on_call(w, engine)
    desk_dispositions.verbal_opt_out(
        w.uow, CIPHER, w.audit, w.agent, NOW, notes="said: never call again"
    )
    again = desk_dispositions.verbal_opt_out(w.uow, CIPHER, w.audit, w.agent, NOW)  # idempotent
    assert len(w.uow.suppression.dnc_entries) == 2 and again.dnc_entry_id is not None
    with pytest.raises(RequestError, match="asked_not_to_call"):
        desk_dispositions.record_disposition(
            w.uow, CIPHER, w.audit, w.agent, "callback_requested", None, NOW
        )
    with pytest.raises(RequestError, match="asked not to be called") as e:
        desk_callbacks.schedule_callback(
            w.uow, engine, CIPHER, w.audit, MemoryRegistry(), w.agent, NOW + timedelta(days=1), NOW
        )
    assert e.value.field == "when"


def test_a_verbal_opt_out_needs_a_call(w: World) -> None:
    _login(w)
    with pytest.raises(RequestError) as e:
        desk_dispositions.verbal_opt_out(w.uow, CIPHER, w.audit, w.agent, NOW)
    assert e.value.field == "state"
    assert w.uow.suppression.dnc_entries == []


# --- callbacks


def _disposed(w: World, engine: Engine) -> int:
    attempt = _ended(w, engine)
    desk_dispositions.record_disposition(
        w.uow, CIPHER, w.audit, w.agent, "callback_requested", None, NOW
    )
    return attempt


def test_an_allowed_callback_makes_the_contact_due_then_without_recording_an_attempt(
    w: World, engine: Engine
) -> None:
    attempt = _disposed(w, engine)
    before = dict(w.uow.attempts.attempts)
    when = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)  # Thu 10:00 in New York

    cb = desk_callbacks.schedule_callback(
        w.uow, engine, CIPHER, w.audit, MemoryRegistry(), w.agent, when, NOW
    )

    assert (cb.attempt_id, cb.contact_id, cb.campaign_id, cb.when) == (
        attempt, w.contact, w.campaign, when
    )  # fmt: skip
    assert w.uow.attempts.attempts == before  # a check, not a call
    (q,) = [q for q in w.uow.attempts.queue.values() if q["contact_id"] == w.contact]
    assert (q["status"], q["next_at"]) == ("retry", when)
    assert w.uow.desk.dispositions[attempt].callback_at == when
    assert w.actions()[-1] == "desk.callback"


def test_a_callback_at_night_is_refused_with_the_earliest_lawful_local_time(
    w: World, engine: Engine
) -> None:
    _disposed(w, engine)
    # a collection call: Reg F's "after 8:00 a.m. and before 9:00 p.m." local time binds
    # every call (12 CFR 1006.6(b)(1)(i)): 08:00:00 itself is not after 8 (pack 2026.12.4)
    gc = w.uow.attempts.campaigns[w.campaign]
    w.uow.attempts.campaigns[w.campaign] = replace(gc, purpose="debt_collection")
    night = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)  # 02:00 in New York
    with pytest.raises(RequestError) as e:
        desk_callbacks.schedule_callback(w.uow, engine, CIPHER, w.audit, MemoryRegistry(),
                                         w.agent, night, NOW)  # fmt: skip
    assert e.value.field == "when"
    assert "earliest lawful time is 2026-12-03T08:01:00-05:00 (America/New_York)" in str(e.value)
    assert not [q for q in w.uow.attempts.queue.values() if q["contact_id"] == w.contact]


def test_a_callback_the_gate_would_deny_is_refused_naming_the_reasons(
    w: World, engine: Engine
) -> None:
    _disposed(w, engine)
    w.uow.attempts.suppressed.add((FIRM, BIDX))  # put on the do-not-call list by other means
    with pytest.raises(RequestError, match="gate would deny") as e:
        desk_callbacks.schedule_callback(w.uow, engine, CIPHER, w.audit, MemoryRegistry(),
                                         w.agent, NOW + timedelta(days=1), NOW)  # fmt: skip
    assert "DNC" in str(e.value)


def test_a_callback_needs_the_disposition_first_and_a_time_in_the_future(
    w: World, engine: Engine
) -> None:
    _ended(w, engine)
    reg = MemoryRegistry()
    with pytest.raises(RequestError) as e:
        desk_callbacks.schedule_callback(
            w.uow, engine, CIPHER, w.audit, reg, w.agent, NOW + timedelta(1), NOW
        )
    assert e.value.field == "disposition"
    for when in (NOW, NOW + timedelta(days=91), NOW.replace(tzinfo=None) + timedelta(1)):
        with pytest.raises(RequestError) as e:
            desk_callbacks.schedule_callback(
                w.uow, engine, CIPHER, w.audit, reg, w.agent, when, NOW
            )
        assert e.value.field == "when"


# --- the line, preview, click-to-call


def test_hang_up_and_transfer_are_requests_to_the_line(w: World, engine: Engine) -> None:
    _login(w, w.other_agent)
    desk_presence.ready(w.uow, w.audit, w.other_agent, NOW)
    _on_call(w, engine)
    line = ("+16145550199",)  # a firm line listed in [desk] transfer_numbers
    s = desk_line_requests.transfer(
        w.uow, CIPHER, w.audit, w.agent, f"user:{w.other_agent.user_id}", True, NOW, allowed=line
    )
    assert s.line_request == f"transfer:warm:user:{w.other_agent.user_id}"
    s = desk_line_requests.transfer(
        w.uow, CIPHER, w.audit, w.agent, "+1 (614) 555-0199", False, NOW, allowed=line
    )
    assert s.line_request == "transfer:cold:+16145550199"
    for target in ("user:999", f"user:{w.agent.user_id}", "nonsense", "+1", NUMBER):
        with pytest.raises(RequestError) as e:
            desk_line_requests.transfer(
                w.uow, CIPHER, w.audit, w.agent, target, True, NOW, allowed=line
            )
        assert e.value.field == "target"
    assert desk_line_requests.hang_up(w.uow, w.audit, w.agent, NOW).line_request == "hangup"


def test_hang_up_without_a_call_is_refused(w: World) -> None:
    _login(w)
    with pytest.raises(RequestError) as e:
        desk_line_requests.hang_up(w.uow, w.audit, w.agent, NOW)
    assert e.value.field == "state"


def test_a_preview_click_asks_the_dialler_to_call_the_offered_contact(w: World) -> None:
    _login(w)
    desk_presence.ready(w.uow, w.audit, w.agent, NOW)
    s = _seat(w)
    w.uow.desk.save(replace(s, state="preview", preview_contact_id=w.contact))
    s = desk_preview.preview_call(w.uow, w.audit, w.agent, NOW)
    assert (s.dial_contact_id, s.dial_manual) == (w.contact, False)
    with pytest.raises(RequestError):
        desk_preview.preview_skip(w.uow, w.audit, w.agent, NOW)


def test_a_preview_skip_returns_to_ready(w: World) -> None:
    _login(w)
    w.uow.desk.save(replace(_seat(w), state="preview", preview_contact_id=w.contact))
    s = desk_preview.preview_skip(w.uow, w.audit, w.agent, NOW)
    assert (s.state, s.preview_contact_id, s.dial_contact_id) == ("ready", None, None)


def test_click_to_call_needs_a_seat_with_its_line_up_and_marks_the_call_manual(
    w: World,
) -> None:
    with pytest.raises(RequestError):
        desk_preview.click_to_call(w.uow, w.audit, w.agent, w.contact, NOW)
    _login(w)
    with pytest.raises(RequestError, match="line"):
        desk_preview.click_to_call(w.uow, w.audit, w.agent, w.contact, NOW)
    assert w.agent.user_id is not None
    desk_line.leg_changed(w.uow, FIRM, w.agent.user_id, True)
    with pytest.raises(NotFoundError):
        desk_preview.click_to_call(w.uow, w.audit, w.agent, 999, NOW)
    s = desk_preview.click_to_call(w.uow, w.audit, w.agent, w.contact, NOW)
    assert (s.dial_contact_id, s.dial_manual, s.state, s.reason) == (
        w.contact, True, "paused", "manual call"
    )  # fmt: skip
    assert w.actions()[-1] == "desk.call_requested"


# --- the screen pop


def test_the_screen_pop_shows_the_person_masked_for_an_agent_with_the_stored_decision(
    w: World, engine: Engine
) -> None:
    attempt = _on_call(w, engine)
    pop = desk_screen_pop.screen_pop(w.uow, engine, CIPHER, MemoryRegistry(), w.agent, NOW)
    assert (pop.kind, pop.attempt_id, pop.state) == ("call", attempt, "on_call")
    assert pop.contact is not None and pop.contact["name"] == "Ada Lovelace"
    assert pop.contact["number_masked"] and NUMBER not in json.dumps(pop.contact)
    assert pop.contact["matter_type"] == "probate"
    assert pop.decision is not None and pop.decision["recorded"] is True
    assert pop.decision["verdict"] == "allow"
    assert pop.script == SCRIPT
    assert {d["code"] for d in pop.disclosures} == {"identity", "purpose"}
    assert pop.disposition_due


def test_a_manager_sees_the_number_whole_and_a_preview_is_a_labelled_dry_run(
    w: World, engine: Engine
) -> None:
    manager = _user(w.uow, FIRM, "m@firm.test", "manager")
    _login(w, manager)
    s = _seat(w, manager)
    w.uow.desk.save(replace(s, state="preview", preview_contact_id=w.contact))
    before = dict(w.uow.attempts.attempts)
    pop = desk_screen_pop.screen_pop(w.uow, engine, CIPHER, MemoryRegistry(), manager, NOW)
    assert pop.kind == "preview" and pop.contact is not None
    assert NUMBER in pop.contact["numbers"]
    assert pop.decision is not None and pop.decision["recorded"] is False
    assert pop.decision["verdict"] == "allow"
    assert w.uow.attempts.attempts == before


def test_the_screen_pop_shows_the_matter_ref_decrypted(w: World, engine: Engine) -> None:
    (firm, row), *rest = w.uow.views.contact_rows
    ref = CIPHER.encrypt("2026-PI-0142", context="contacts.matter_ref")
    w.uow.views.contact_rows[:] = [(firm, replace(row, matter_ref_enc=ref)), *rest]
    _on_call(w, engine)
    pop = desk_screen_pop.screen_pop(w.uow, engine, CIPHER, MemoryRegistry(), w.agent, NOW)
    assert pop.contact is not None
    assert (pop.contact["matter_type"], pop.contact["matter_ref"]) == ("probate", "2026-PI-0142")


def test_a_debt_collection_call_adds_the_mini_miranda() -> None:
    codes = [d["code"] for d in desk_disclosures.disclosures("debt_collection", "Firm")]
    assert codes == ["identity", "purpose", "mini_miranda"]


# --- firms


def test_an_agent_of_another_firm_cannot_touch_a_seat_or_a_campaign(
    w: World, engine: Engine
) -> None:
    _on_call(w, engine)
    with pytest.raises(NotFoundError):
        desk_presence.login(w.uow, w.audit, w.stranger, w.campaign, None, NOW, carrier="simulated")
    for act in (
        lambda: desk_line_requests.hang_up(w.uow, w.audit, w.stranger, NOW),
        lambda: desk_dispositions.verbal_opt_out(w.uow, CIPHER, w.audit, w.stranger, NOW),
        lambda: desk_dispositions.record_disposition(
            w.uow, CIPHER, w.audit, w.stranger, "reached", None, NOW
        ),
    ):
        with pytest.raises(RequestError):
            act()
    assert desk_session.desk_state(w.uow, w.stranger) is None
    assert _seat(w).line_request is None and w.uow.suppression.dnc_entries == []


def test_a_non_user_caller_cannot_sit_at_the_desk(w: World) -> None:
    from lexdial.service.users import OPERATOR

    with pytest.raises(PermissionDeniedError):
        desk_session.desk_state(w.uow, OPERATOR)


def test_stored_attempt_reads_back_what_the_gate_recorded(w: World, engine: Engine) -> None:
    attempt = _on_call(w, engine)
    stored = w.uow.attempts.stored_attempt(attempt)
    assert isinstance(stored, NewAttempt) and stored.contact_id == w.contact


def test_a_disposition_during_the_call_waits_for_the_hang_up(w: World, engine: Engine) -> None:
    _on_call(w, engine)
    with pytest.raises(RequestError) as e:
        desk_dispositions.record_disposition(w.uow, CIPHER, w.audit, w.agent, "reached", None, NOW)
    assert e.value.field == "state"
    desk_line_requests.hang_up(w.uow, w.audit, w.agent, NOW)
    assert desk_dispositions.record_disposition(
        w.uow, CIPHER, w.audit, w.agent, "reached", None, NOW
    ).code
