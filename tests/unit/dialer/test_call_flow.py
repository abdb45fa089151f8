"""The call flow transition table: every path the issue names, and illegal events."""

from __future__ import annotations

import pytest

from lexdial.domain import telephony as tel
from lexdial.domain.call import AGENT_WAIT_S, CallFlow, Command, FlowConfig, Outcome, State
from lexdial.errors import CallStateError

BROADCAST = FlowConfig()
LIVE = FlowConfig(live_agents=True)


def run(config: FlowConfig, *events: tuple[str, float, dict[str, str]]) -> tuple[CallFlow, list]:
    flow = CallFlow("c1", config)
    commands: list[Command] = []
    for kind, t, extra in events:
        commands += flow.handle(tel.CallEvent("c1", kind, t, **extra))
    return flow, commands


def ev(kind: str, t: float, **extra: str) -> tuple[str, float, dict[str, str]]:
    return (kind, t, extra)


PATHS = [
    pytest.param(
        BROADCAST,
        [ev(tel.RINGING, 1), ev(tel.NO_ANSWER, 20)],
        Outcome.NO_ANSWER,
        [],
        id="no-answer",
    ),
    pytest.param(BROADCAST, [ev(tel.BUSY, 0.5)], Outcome.BUSY, [], id="busy"),
    pytest.param(BROADCAST, [ev(tel.FAILED, 0.1)], Outcome.FAILED, [], id="failed"),
    pytest.param(
        BROADCAST,
        [
            ev(tel.RINGING, 1),
            ev(tel.ANSWERED, 6),
            ev(tel.HUMAN, 8),
            ev(tel.PLAYED, 30, prompt=tel.MESSAGE),
            ev(tel.HANGUP, 30.2),
        ],
        Outcome.HUMAN,
        [Command("play", tel.MESSAGE), Command("hangup")],
        id="person-hears-message",
    ),
    pytest.param(
        BROADCAST,
        [
            ev(tel.ANSWERED, 6),
            ev(tel.HUMAN, 8),
            ev(tel.DIGIT, 12, digit="9"),
            ev(tel.PLAYED, 15, prompt=tel.OPTOUT_CONFIRM),
            ev(tel.HANGUP, 15.1),
        ],
        Outcome.OPTED_OUT,
        [
            Command("play", tel.MESSAGE),
            Command("opt_out", "9"),
            Command("play", tel.OPTOUT_CONFIRM),
            Command("hangup"),
        ],
        id="person-presses-9",
    ),
    pytest.param(
        BROADCAST,
        [
            ev(tel.ANSWERED, 6),
            ev(tel.HUMAN, 8),
            ev(tel.DIGIT, 9, digit="1"),
            ev(tel.HANGUP, 12),
        ],
        Outcome.HUMAN,
        [Command("play", tel.MESSAGE)],
        id="other-key-ignored-then-hangs-up",
    ),
    pytest.param(
        BROADCAST,
        [
            ev(tel.ANSWERED, 6),
            ev(tel.MACHINE, 9),
            ev(tel.BEEP, 20),
            ev(tel.PLAYED, 40, prompt=tel.VOICEMAIL),
            ev(tel.HANGUP, 40.1),
        ],
        Outcome.MACHINE,
        [Command("timer", "beep", 30.0), Command("play", tel.VOICEMAIL), Command("hangup")],
        id="machine-voicemail-after-beep",
    ),
    pytest.param(
        BROADCAST,
        [
            ev(tel.ANSWERED, 6),
            ev(tel.MACHINE, 9),
            ev(tel.TIMEOUT, 39, prompt="beep"),
            ev(tel.HANGUP, 45),
        ],
        Outcome.MACHINE,
        [Command("timer", "beep", 30.0), Command("play", tel.VOICEMAIL)],
        id="machine-without-beep-gets-voicemail-after-wait",
    ),
    pytest.param(
        LIVE,
        [
            ev(tel.ANSWERED, 6),
            ev(tel.HUMAN, 8),
            ev(tel.AGENT, 8.5, detail="agent-1"),
            ev(tel.BRIDGED, 8.6, detail="agent-1"),
            ev(tel.TIMEOUT, 10, prompt="agent"),
            ev(tel.HANGUP, 200),
        ],
        Outcome.BRIDGED,
        [
            Command("find_agent"),
            Command("timer", "agent", AGENT_WAIT_S),
            Command("bridge", "agent-1"),
        ],
        id="live-agent-within-2s",
    ),
    pytest.param(
        LIVE,
        [
            ev(tel.ANSWERED, 6),
            ev(tel.HUMAN, 8),
            ev(tel.TIMEOUT, 10, prompt="agent"),
            ev(tel.AGENT, 10.5, detail="agent-1"),
            ev(tel.PLAYED, 20, prompt=tel.SAFE_HARBOR),
            ev(tel.HANGUP, 20.1),
        ],
        Outcome.ABANDONED,
        [
            Command("find_agent"),
            Command("timer", "agent", AGENT_WAIT_S),
            Command("cancel_agent"),
            Command("play", tel.SAFE_HARBOR),
            Command("release_agent", "agent-1"),
            Command("hangup"),
        ],
        id="no-agent-safe-harbor-abandoned",
    ),
    pytest.param(
        LIVE,
        [
            ev(tel.ANSWERED, 6),
            ev(tel.HUMAN, 8),
            ev(tel.TIMEOUT, 10, prompt="agent"),
            ev(tel.DIGIT, 12, digit="9"),
            ev(tel.PLAYED, 14, prompt=tel.OPTOUT_CONFIRM),
            ev(tel.HANGUP, 14.1),
        ],
        Outcome.OPTED_OUT,
        [
            Command("find_agent"),
            Command("timer", "agent", AGENT_WAIT_S),
            Command("cancel_agent"),
            Command("play", tel.SAFE_HARBOR),
            Command("opt_out", "9"),
            Command("play", tel.OPTOUT_CONFIRM),
            Command("hangup"),
        ],
        id="opt-out-from-safe-harbor",
    ),
    pytest.param(
        LIVE,
        [ev(tel.ANSWERED, 6), ev(tel.HUMAN, 8), ev(tel.HANGUP, 9)],
        Outcome.ABANDONED,
        [Command("find_agent"), Command("timer", "agent", AGENT_WAIT_S), Command("cancel_agent")],
        id="person-hangs-up-while-waiting-for-agent",
    ),
    pytest.param(
        BROADCAST,
        [
            ev(tel.ANSWERED, 6),
            ev(tel.DIGIT, 7, digit="9"),
            ev(tel.PLAYED, 9, prompt=tel.OPTOUT_CONFIRM),
            ev(tel.HANGUP, 9.1),
        ],
        Outcome.OPTED_OUT,
        [Command("opt_out", "9"), Command("play", tel.OPTOUT_CONFIRM), Command("hangup")],
        id="9-pressed-before-detection-finished",
    ),
    pytest.param(
        BROADCAST,
        [
            ev(tel.ANSWERED, 6),
            ev(tel.HUMAN, 8),
            ev(tel.PLAYED, 30, prompt=tel.MESSAGE),
            ev(tel.DIGIT, 30.1, digit="9"),
            ev(tel.HANGUP, 30.2),
        ],
        Outcome.OPTED_OUT,
        [Command("play", tel.MESSAGE), Command("hangup"), Command("opt_out", "9")],
        id="9-pressed-as-the-message-ends",
    ),
    pytest.param(
        BROADCAST,
        [
            ev(tel.ANSWERED, 6),
            ev(tel.MACHINE, 9),
            ev(tel.BEEP, 20),
            ev(tel.DIGIT, 22, digit="9"),
            ev(tel.PLAYED, 40, prompt=tel.VOICEMAIL),
            ev(tel.HANGUP, 40.1),
        ],
        Outcome.OPTED_OUT,
        [
            Command("timer", "beep", 30.0),
            Command("play", tel.VOICEMAIL),
            Command("opt_out", "9"),
            Command("hangup"),
        ],
        id="9-pressed-during-the-voicemail-by-a-person-who-picked-up",
    ),
    pytest.param(
        LIVE,
        [
            ev(tel.ANSWERED, 6),
            ev(tel.HUMAN, 8),
            ev(tel.DIGIT, 8.5, digit="9"),
            ev(tel.TIMEOUT, 9, prompt="agent"),
            ev(tel.PLAYED, 11, prompt=tel.OPTOUT_CONFIRM),
            ev(tel.HANGUP, 11.1),
        ],
        Outcome.OPTED_OUT,
        [
            Command("find_agent"),
            Command("timer", "agent", AGENT_WAIT_S),
            Command("cancel_agent"),
            Command("opt_out", "9"),
            Command("play", tel.OPTOUT_CONFIRM),
            Command("hangup"),
        ],
        id="9-pressed-while-waiting-for-an-agent",
    ),
    # a beep after a "person" verdict: it was a machine; the voicemail version starts after it
    pytest.param(
        BROADCAST,
        [
            ev(tel.ANSWERED, 6),
            ev(tel.HUMAN, 8),
            ev(tel.BEEP, 11),
            ev(tel.PLAYED, 12, prompt=tel.MESSAGE),  # the cut-off message: a late report
            ev(tel.PLAYED, 31, prompt=tel.VOICEMAIL),
            ev(tel.HANGUP, 31.1),
        ],
        Outcome.MACHINE,
        [Command("play", tel.MESSAGE), Command("play", tel.VOICEMAIL), Command("hangup")],
        id="beep-after-person-verdict-restarts-as-voicemail",
    ),
    pytest.param(
        FlowConfig(leave_voicemail=False),
        [ev(tel.ANSWERED, 6), ev(tel.HUMAN, 8), ev(tel.BEEP, 11), ev(tel.HANGUP, 11.1)],
        Outcome.MACHINE,
        [Command("play", tel.MESSAGE), Command("hangup")],
        id="beep-after-person-verdict-no-voicemail-hangs-up",
    ),
    pytest.param(
        LIVE,
        [
            ev(tel.ANSWERED, 6),
            ev(tel.HUMAN, 8),
            ev(tel.BEEP, 8.6),
            ev(tel.AGENT, 8.8, detail="a1"),
            ev(tel.TIMEOUT, 9, prompt="agent"),
            ev(tel.PLAYED, 28, prompt=tel.VOICEMAIL),
            ev(tel.HANGUP, 28.1),
        ],
        Outcome.MACHINE,
        [
            Command("find_agent"),
            Command("timer", "agent", AGENT_WAIT_S),
            Command("cancel_agent"),
            Command("play", tel.VOICEMAIL),
            Command("release_agent", "a1"),
            Command("hangup"),
        ],
        id="beep-while-waiting-for-an-agent-calls-the-wait-off-and-leaves-voicemail",
    ),
    pytest.param(
        LIVE,
        [
            ev(tel.ANSWERED, 6),
            ev(tel.HUMAN, 8),
            ev(tel.AGENT, 8.5, detail="a1"),
            ev(tel.BRIDGED, 8.6, detail="a1"),
            ev(tel.BEEP, 12),
            ev(tel.HANGUP, 20),
        ],
        Outcome.BRIDGED,
        [
            Command("find_agent"),
            Command("timer", "agent", AGENT_WAIT_S),
            Command("bridge", "a1"),
        ],
        id="beep-heard-by-a-bridged-agent-changes-nothing",
    ),
    pytest.param(
        LIVE,
        [
            ev(tel.ANSWERED, 6),
            ev(tel.HUMAN, 8),
            ev(tel.AGENT, 8.2, detail="a1"),
            ev(tel.TIMEOUT, 8.7, prompt="agent"),
            ev(tel.BRIDGED, 8.9, detail="a1"),
            ev(tel.PLAYED, 20, prompt=tel.SAFE_HARBOR),
            ev(tel.HANGUP, 20.1),
        ],
        Outcome.ABANDONED,
        [
            Command("find_agent"),
            Command("timer", "agent", AGENT_WAIT_S),
            Command("bridge", "a1"),
            Command("cancel_agent"),
            Command("release_agent", "a1"),
            Command("play", tel.SAFE_HARBOR),
            Command("hangup"),
        ],
        id="agent-assigned-but-bridged-after-the-deadline-is-abandoned-and-released",
    ),
    pytest.param(
        LIVE,
        [
            ev(tel.ANSWERED, 6),
            ev(tel.HUMAN, 8),
            ev(tel.AGENT, 8.2, detail="a1"),
            ev(tel.HANGUP, 8.4),
        ],
        Outcome.ABANDONED,
        [
            Command("find_agent"),
            Command("timer", "agent", AGENT_WAIT_S),
            Command("bridge", "a1"),
            Command("cancel_agent"),
        ],
        id="person-hangs-up-after-assignment-before-bridged-is-abandoned",
    ),
    pytest.param(
        LIVE,
        [
            ev(tel.ANSWERED, 6),
            ev(tel.HUMAN, 8),
            ev(tel.AGENT, 8.2, detail="a1"),
            ev(tel.BRIDGED, 8.3, detail="a1"),
            ev(tel.TRANSFERRED, 60, detail="cold:+12025550100"),
        ],
        Outcome.BRIDGED,
        [Command("find_agent"), Command("timer", "agent", AGENT_WAIT_S), Command("bridge", "a1")],
        id="cold-transfer-to-a-number-ends-the-call-as-bridged",
    ),
    pytest.param(
        LIVE,
        [
            ev(tel.ANSWERED, 6),
            ev(tel.HUMAN, 8),
            ev(tel.AGENT, 8.2, detail="a1"),
            ev(tel.BRIDGED, 8.3, detail="a1"),
            ev(tel.TRANSFERRED, 60, detail="warm:user:7"),
            ev(tel.BRIDGED, 61, detail="user:7"),
            ev(tel.HANGUP, 120),
        ],
        Outcome.BRIDGED,
        [Command("find_agent"), Command("timer", "agent", AGENT_WAIT_S), Command("bridge", "a1")],
        id="warm-transfer-to-an-agent-stays-bridged",
    ),
    pytest.param(
        BROADCAST,
        [ev(tel.ANSWERED, 2), ev(tel.MACHINE, 3.2, detail="intercept"), ev(tel.HANGUP, 3.3)],
        Outcome.FAILED,
        [Command("hangup")],
        id="carrier-intercept-tones-end-the-call-as-failed-with-no-voicemail",
    ),
    pytest.param(
        BROADCAST,
        [ev(tel.ANSWERED, 6), ev(tel.HUMAN, 8), ev(tel.FAILED, 12)],
        Outcome.HUMAN,
        [Command("play", tel.MESSAGE)],
        id="carrier-drops-an-answered-call",
    ),
]


@pytest.mark.parametrize(("config", "events", "outcome", "commands"), PATHS)
def test_each_call_path_ends_in_its_outcome_with_the_right_commands(
    config: FlowConfig, events: list, outcome: Outcome, commands: list[Command]
) -> None:
    flow, issued = run(config, *events)
    assert flow.done
    assert flow.outcome is outcome
    assert issued == commands


def test_a_call_answered_by_a_person_counts_as_live_answered_and_a_machine_does_not() -> None:
    person, _ = run(BROADCAST, ev(tel.ANSWERED, 5), ev(tel.HUMAN, 7), ev(tel.HANGUP, 9))
    machine, _ = run(BROADCAST, ev(tel.ANSWERED, 5), ev(tel.MACHINE, 7), ev(tel.HANGUP, 9))
    assert person.live_answered and not machine.live_answered


def test_a_machine_first_judged_a_person_leaves_the_abandonment_denominator_at_its_beep() -> None:
    flow, _ = run(BROADCAST, ev(tel.ANSWERED, 5), ev(tel.HUMAN, 7))
    assert flow.live_answered
    flow.handle(tel.CallEvent("c1", tel.BEEP, 10))
    assert (flow.state, flow.live_answered) == (State.VOICEMAIL, False)
    assert flow.detail == "beep after a person verdict"


def test_an_abandoned_call_stays_abandoned_even_when_the_person_opts_out() -> None:
    flow, _ = run(
        LIVE,
        ev(tel.ANSWERED, 6),
        ev(tel.HUMAN, 8),
        ev(tel.TIMEOUT, 10, prompt="agent"),
        ev(tel.DIGIT, 12, digit="9"),
        ev(tel.HANGUP, 13),
    )
    assert flow.abandoned and flow.opted_out and flow.outcome is Outcome.OPTED_OUT


def test_durations_are_taken_from_the_carrier_timeline() -> None:
    flow, _ = run(
        BROADCAST,
        ev(tel.RINGING, 1),
        ev(tel.ANSWERED, 6),
        ev(tel.HUMAN, 8),
        ev(tel.PLAYED, 30, prompt=tel.MESSAGE),
        ev(tel.HANGUP, 31),
    )
    assert (flow.ring_s, flow.talk_s) == (6, 25)


def test_an_unanswered_call_has_a_ring_time_and_no_talk_time() -> None:
    flow, _ = run(BROADCAST, ev(tel.RINGING, 1), ev(tel.NO_ANSWER, 20))
    assert (flow.ring_s, flow.talk_s) == (20, None)


def test_a_configured_opt_out_key_replaces_9() -> None:
    flow, cmds = run(
        FlowConfig(opt_out_key="*"),
        ev(tel.ANSWERED, 1),
        ev(tel.HUMAN, 2),
        ev(tel.DIGIT, 3, digit="9"),
        ev(tel.DIGIT, 4, digit="*"),
    )
    assert flow.opted_out and flow.state is State.CONFIRMING
    assert Command("opt_out", "*") in cmds


ILLEGAL = [
    pytest.param([], tel.HUMAN, id="human-before-answer"),
    pytest.param([], tel.PLAYED, id="played-before-answer"),
    pytest.param([ev(tel.ANSWERED, 1)], tel.ANSWERED, id="answered-twice"),
    pytest.param([ev(tel.ANSWERED, 1), ev(tel.HUMAN, 2)], tel.BUSY, id="busy-after-answer"),
    pytest.param([ev(tel.ANSWERED, 1), ev(tel.HUMAN, 2)], tel.RINGING, id="ringing-after-answer"),
    pytest.param([ev(tel.BUSY, 1)], tel.ANSWERED, id="anything-after-the-end"),
    pytest.param([ev(tel.ANSWERED, 1), ev(tel.HUMAN, 2)], tel.AGENT, id="agent-on-broadcast"),
    pytest.param([ev(tel.ANSWERED, 1)], tel.BRIDGED, id="bridged-before-a-person"),
    pytest.param([ev(tel.ANSWERED, 1), ev(tel.HUMAN, 2)], tel.TRANSFERRED, id="transfer-unbridged"),
]


@pytest.mark.parametrize(("before", "kind"), ILLEGAL)
def test_an_illegal_event_raises_and_changes_nothing(before: list, kind: str) -> None:
    flow, _ = run(BROADCAST, *before)
    snapshot = (flow.state, flow.outcome, flow.answered_at, flow.live_answered, flow.ended_at)
    with pytest.raises(CallStateError):
        flow.handle(tel.CallEvent("c1", kind, 50.0))
    assert (flow.state, flow.outcome, flow.answered_at, flow.live_answered, flow.ended_at) == (
        snapshot
    )


def test_an_event_for_another_call_is_refused() -> None:
    flow = CallFlow("c1", BROADCAST)
    with pytest.raises(CallStateError, match="another call"):
        flow.handle(tel.CallEvent("c2", tel.RINGING, 1.0))
    assert flow.state is State.DIALING


def test_a_call_the_carrier_lost_is_aborted_with_what_it_had_reached() -> None:
    flow, _ = run(BROADCAST, ev(tel.ANSWERED, 5), ev(tel.HUMAN, 7))
    flow.abort(60.0, "watchdog")
    assert flow.done and flow.outcome is Outcome.HUMAN and flow.detail == "watchdog"
    never, _ = run(BROADCAST, ev(tel.RINGING, 1))
    never.abort(60.0, "watchdog")
    assert never.outcome is Outcome.FAILED


def test_an_assigned_agent_does_not_stop_the_two_second_clock_only_bridged_does() -> None:
    flow, cmds = run(LIVE, ev(tel.ANSWERED, 6), ev(tel.HUMAN, 8), ev(tel.AGENT, 8.1, detail="a1"))
    assert flow.state is State.CONNECTING and flow.agent == "a1"
    assert Command("cancel_agent") not in cmds
    flow.handle(tel.CallEvent("c1", tel.BRIDGED, 8.2, detail="a1"))
    assert (flow.state, flow.bridged_at) == (State.BRIDGED, 8.2)


def test_the_agent_wait_comes_from_the_configured_legal_limit() -> None:
    from lexdial.domain.call import agent_wait_for

    assert agent_wait_for(2.0) == AGENT_WAIT_S
    config = FlowConfig(live_agents=True, agent_wait_s=agent_wait_for(3.0))
    _, cmds = run(config, ev(tel.ANSWERED, 1), ev(tel.HUMAN, 2))
    assert Command("timer", "agent", 1.7) in cmds


def test_a_transfer_is_recorded_on_the_flow() -> None:
    flow, _ = run(
        LIVE,
        ev(tel.ANSWERED, 6),
        ev(tel.HUMAN, 8),
        ev(tel.AGENT, 8.2, detail="a1"),
        ev(tel.BRIDGED, 8.3, detail="a1"),
        ev(tel.TRANSFERRED, 60, detail="warm:user:7"),
    )
    assert flow.state is State.BRIDGED and flow.agent == "user:7"
    assert flow.transfers == ("warm:user:7",) and flow.detail == "transferred"
