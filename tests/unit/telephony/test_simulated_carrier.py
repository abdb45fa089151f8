"""The simulated carrier: seeded, shaped like a real carrier, and 1000 calls at once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

import pytest

from lexdial.adapters.telephony.simulated import SimProfile, SimulatedCarrier
from lexdial.domain import telephony as tel
from lexdial.domain.call import CallFlow, FlowConfig, Outcome
from lexdial.errors import TelephonyError

PROMPTS = {
    tel.MESSAGE: tel.Prompt("Hello, this is the firm. Press 9 to stop these calls.", 12.0),
    tel.VOICEMAIL: tel.Prompt("Hello, this is the firm. Call us back.", 8.0),
    tel.OPTOUT_CONFIRM: tel.Prompt("You will not be called again.", 3.0),
}


async def _drive(carrier: SimulatedCarrier, n: int) -> dict[str, CallFlow]:
    """Dial ``n`` calls at once and run each through the broadcast call flow."""
    await carrier.start()
    flows = {f"c{i}": CallFlow(f"c{i}", FlowConfig()) for i in range(n)}
    for call_id in flows:
        await carrier.dial(tel.Dial(call_id, "+16145550100", "+16145550199", 25.0, PROMPTS))
    open_calls = n
    async for event in carrier.events():
        flow = flows[event.call_id]
        for cmd in flow.handle(event):
            if cmd.action == "play":
                await carrier.play(event.call_id, str(cmd.arg))
            elif cmd.action == "hangup":
                await carrier.hangup(event.call_id)
            elif cmd.action == "timer":
                pass  # the carrier always reports the beep in the simulation
        if flow.done:
            open_calls -= 1
            if open_calls == 0:
                await carrier.close()
    return flows


def test_the_carrier_holds_1000_concurrent_calls_in_one_process() -> None:
    carrier = SimulatedCarrier(SimProfile(), seed=1, channels=1000, timescale=0.002)
    flows = asyncio.run(_drive(carrier, 1000))
    assert carrier.peak_concurrent == 1000
    assert all(f.done for f in flows.values())
    assert carrier.active == 0


def test_the_same_seed_gives_the_same_calls_and_another_seed_does_not() -> None:
    def outcomes(seed: int) -> dict[str, Outcome | None]:
        carrier = SimulatedCarrier(seed=seed, timescale=0.0005)
        return {k: f.outcome for k, f in asyncio.run(_drive(carrier, 60)).items()}

    assert outcomes(5) == outcomes(5)
    assert outcomes(5) != outcomes(6)


def test_outcome_shares_follow_the_profile() -> None:
    profile = SimProfile(human=0.5, machine=0.3, busy=0.1, failed=0.0, opt_out=0.2)
    flows = asyncio.run(_drive(SimulatedCarrier(profile, seed=2, timescale=0.0005), 800))
    counts = Counter(f.outcome for f in flows.values())
    people = counts[Outcome.HUMAN] + counts[Outcome.OPTED_OUT]
    assert 0.44 < people / 800 < 0.56
    assert 0.25 < counts[Outcome.MACHINE] / 800 < 0.35
    assert 0.07 < counts[Outcome.BUSY] / 800 < 0.13
    assert 0.13 < counts[Outcome.OPTED_OUT] / max(people, 1) < 0.27


@pytest.mark.parametrize(
    ("fate", "outcome"),
    [
        ("busy", Outcome.BUSY),
        ("failed", Outcome.FAILED),
        ("no_answer", Outcome.NO_ANSWER),
        ("human", Outcome.HUMAN),
        ("human_opt_out", Outcome.OPTED_OUT),
        ("human_hangs_up", Outcome.HUMAN),
        ("machine", Outcome.MACHINE),
    ],
)
def test_a_scripted_fate_ends_in_its_outcome(fate: str, outcome: Outcome) -> None:
    carrier = SimulatedCarrier(
        SimProfile(ring_s=(3, 5)), seed=1, timescale=0.0005, fates={"c0": fate}
    )
    flows = asyncio.run(_drive(carrier, 1))
    assert flows["c0"].outcome is outcome


def test_a_call_over_the_channel_limit_is_refused() -> None:
    async def go() -> None:
        carrier = SimulatedCarrier(channels=1, timescale=0.0005)
        await carrier.start()
        await carrier.dial(tel.Dial("a", "+16145550100", "+16145550199", 25.0, PROMPTS))
        with pytest.raises(TelephonyError, match="channels"):
            await carrier.dial(tel.Dial("b", "+16145550101", "+16145550199", 25.0, PROMPTS))
        await carrier.close()

    asyncio.run(go())


def test_acting_on_a_call_that_is_not_up_is_refused() -> None:
    async def go() -> None:
        carrier = SimulatedCarrier(timescale=0.0005)
        await carrier.start()
        with pytest.raises(TelephonyError, match="not up"):
            await carrier.play("nope", tel.MESSAGE)
        await carrier.close()

    asyncio.run(go())


async def _events(carrier: SimulatedCarrier, until: Callable[[tel.CallEvent], bool]) -> list:
    seen: list[tel.CallEvent] = []
    async for event in carrier.events():
        seen.append(event)
        if until(event):
            break
    return seen


def test_an_agents_leg_comes_up_and_a_bridge_joins_the_call_then_the_far_end_hangs_up() -> None:
    carrier = SimulatedCarrier(timescale=0.001, fates={"c1": "human"})

    async def go() -> list[tuple[str, str]]:
        await carrier.start()
        await carrier.agent_login(tel.AgentLeg("user:5", "sip", "sip:5@pbx.example"))
        [up] = await _events(carrier, lambda e: True)
        assert (up.call_id, up.kind, up.detail) == ("", tel.AGENT_UP, "user:5")
        await carrier.dial(tel.Dial("c1", "+16145550100", "+16145550199", 25.0, PROMPTS))
        await _events(carrier, lambda e: e.kind == tel.HUMAN)
        await carrier.bridge("c1", "user:5")
        with pytest.raises(TelephonyError, match="another call"):
            await carrier.bridge("c1", "user:5")  # one call per leg
        rest = await _events(carrier, lambda e: e.kind == tel.HANGUP)
        assert carrier.legs == {"user:5": ""}  # the leg is idle again
        await carrier.agent_logout("user:5")
        [down] = await _events(carrier, lambda e: True)
        assert down.kind == tel.AGENT_DOWN and carrier.legs == {}
        return [(e.kind, e.detail or "") for e in rest]

    kinds = asyncio.run(go())
    assert kinds[0] == (tel.BRIDGED, "user:5") and kinds[-1][0] == tel.HANGUP


def test_an_agent_who_never_answers_gets_agent_down() -> None:
    carrier = SimulatedCarrier(timescale=0.001, refuse_agents=frozenset({"user:5"}))

    async def go() -> tel.CallEvent:
        await carrier.start()
        await carrier.agent_login(tel.AgentLeg("user:5", "sip", "sip:5@pbx.example"))
        [event] = await _events(carrier, lambda e: True)
        return event

    event = asyncio.run(go())
    assert event.kind == tel.AGENT_DOWN and carrier.legs == {}


@pytest.mark.parametrize(
    ("target", "warm", "ends"),
    [("+12025550100", False, True), ("user:7", True, False)],
    ids=["cold-to-a-number-ends-the-call", "warm-to-an-agent-rejoins"],
)
def test_a_transfer_is_reported_and_a_cold_one_ends_the_call(
    target: str, warm: bool, ends: bool
) -> None:
    carrier = SimulatedCarrier(timescale=0.001, fates={"c1": "human"})

    async def go() -> list[tel.CallEvent]:
        await carrier.start()
        await carrier.dial(tel.Dial("c1", "+16145550100", "+16145550199", 25.0, PROMPTS))
        await _events(carrier, lambda e: e.kind == tel.HUMAN)
        await carrier.bridge("c1", "agent-1")
        await _events(carrier, lambda e: e.kind == tel.BRIDGED)
        await carrier.transfer("c1", target, warm=warm)
        last = tel.TRANSFERRED if ends else tel.BRIDGED  # warm: the new agent is joined
        return await _events(carrier, lambda e: e.kind == last)

    events = asyncio.run(go())
    assert events[0].kind == tel.TRANSFERRED
    assert events[0].detail == f"{'warm' if warm else 'cold'}:{target}"
    assert (carrier.active == 0) is ends
    if not ends:
        assert (events[-1].kind, events[-1].detail) == (tel.BRIDGED, target)
