"""Answering-machine detection measured on the labelled clip set in tests/data/amd.

The clips are made by scripts/make_amd_clips.py (espeak-ng voices, speeds and pitches,
sox telephone band, noise, G.711 u-law; seeded) and labelled there, not from what the
detector says. The first 65 clips are split by kind in halves: "tune" was used to choose
the detector's settings, "holdout" was not; a second batch of 20 (other texts, voice
variants, speeds and seed) is all "holdout". The targets of issue 11 are asserted per split
and over all clips; the one the detector does not reach is a strict xfail that says why and
by how much, so the figure stays visible and a change that reaches it shows up.
"""

from __future__ import annotations

import csv
import functools
import statistics
from pathlib import Path

import numpy as np
import pytest

from lexdial.adapters.telephony.amd import (
    AmdConfig,
    AmdDetector,
    AmdResult,
    classify,
    read_wav,
)
from lexdial.domain.call import INTERCEPT

ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file())
DATA = ROOT / "tests" / "data" / "amd"
RATE = 8000

with (DATA / "labels.csv").open() as f:
    LABELS = {row["name"]: row for row in csv.DictReader(f)}

PEOPLE = [n for n, r in LABELS.items() if r["label"] == "human"]
MACHINES = [n for n, r in LABELS.items() if r["label"] == "machine"]
NOBODY = [n for n, r in LABELS.items() if r["label"] == "nobody"]
BEEPS = [n for n, r in LABELS.items() if r["beep_end_s"]]
SPLITS = ["tune", "holdout", "all"]
KINDS = {  # what issue 11 asks the set to hold
    "person_brief",
    "person_talkative",
    "person_in_noise",
    "person_named",
    "machine_short",
    "machine_long",
    "machine_paused",
    "machine_carrier",
    "machine_intercept",
    "machine_in_noise",
    "noise_alone",
    "silence",
}


@functools.cache
def samples(name: str) -> np.ndarray:
    audio, rate = read_wav(DATA / f"{name}.wav")
    assert rate == RATE
    return audio


@functools.cache
def judged(name: str) -> AmdResult:
    return classify(samples(name), RATE)


def of(names: list[str], split: str) -> list[str]:
    return [n for n in names if split in ("all", LABELS[n]["split"])]


def share(names: list[str], verdict: str) -> float:
    return sum(judged(n).verdict == verdict for n in names) / len(names)


def test_the_set_holds_at_least_forty_labelled_clips_of_every_kind_the_issue_names() -> None:
    assert len(LABELS) >= 40
    assert {r["kind"] for r in LABELS.values()} == KINDS
    assert sorted(p.stem for p in DATA.glob("*.wav")) == sorted(LABELS)
    for split in ("tune", "holdout"):  # each half holds every kind
        assert {r["kind"] for r in LABELS.values() if r["split"] == split} == KINDS


def test_the_clips_are_small_8_khz_mono_files() -> None:
    total = sum(p.stat().st_size for p in DATA.glob("*.wav"))
    assert total < 5_000_000


@pytest.mark.parametrize("name", sorted(LABELS))
def test_every_clip_is_long_enough_to_be_judged_within_the_analysis_time(name: str) -> None:
    # a clip must not end before the detector could decide: the verdict comes from a
    # rule or from the analysis limit, never from the audio running out
    result, limit = judged(name), AmdConfig().total_analysis_s
    assert result.decided_at_s is not None and result.decided_at_s <= limit + 1e-9
    assert result.decided_at_s < len(samples(name)) / RATE
    assert result.reason != "notsure" or result.decided_at_s == pytest.approx(limit)


@pytest.mark.parametrize("split", SPLITS)
def test_at_least_97_percent_of_people_are_judged_people(split: str) -> None:
    assert share(of(PEOPLE, split), "human") >= 0.97


@pytest.mark.parametrize("split", SPLITS)
def test_at_least_90_percent_of_machines_are_judged_machines(split: str) -> None:
    # measured: tune 16/17, holdout 21/23, all 37/40; the misses are greetings that
    # pause longer than after_greeting_silence_s after a phrase (their beep is still found).
    # Fresh sets (make_amd_clips.py --seed 11, 12, 21, 22, 31, 32, 41, 42, 51) catch only
    # 33-36/40: the clip script draws those pauses at 0.6-1.5 s, people's at 1.5-2.5 s.
    assert share(of(MACHINES, split), "machine") >= 0.90


@pytest.mark.parametrize("split", SPLITS)
def test_the_median_person_is_judged_within_three_seconds(split: str) -> None:
    times = [judged(n).decided_at_s or 99.0 for n in of(PEOPLE, split)]
    assert statistics.median(times) <= 3.0


# The measurements behind the reason below re-run with bench/amd_seeds.py (fresh sets made by
# scripts/make_amd_clips.py --seed N; --late-start-wait and --long-greeting-wait patch in the
# two wait rules tried, which are not in the detector).
@pytest.mark.xfail(
    strict=True,
    reason="measured 2.90 s (tune), 3.01 s (holdout), 2.98 s (all); fresh sets, seed 11: 2.74 s, "
    "12: 2.94 s, 21: 3.06 s, 22: 2.86 s, 31: 2.92 s, 32: 3.06 s, 41: 2.80 s, 42: 2.84 s, 51: "
    "3.10 s. 27 of 85 clips are decided within 2.5 s, 43 are "
    "needed: a person is judged 1.1 s after the greeting, which starts 0.2-1.2 s after the "
    "answer and runs 0.3-1.9 s; machines with no beep or intercept in their first 5 s are "
    "judged at the 5 s greeting (a talkative person talks 3-5 s). With 0.6 s after the "
    "greeting the median is 2.50 s but only 29/40 machines are caught. A shorter wait only "
    "after a short first utterance does no better: paused greetings open with phrases as "
    "short as people's (0.3-2.0 s against 0.3-1.9 s), so 0.6 s after <= 1.2 s gives 2.78 s "
    "and 34/40 (seed 21: 32/40), 0.8 s after <= 1.2 s 2.84 s and 36/40 (holdout 20/23). "
    "A shorter wait (0.6 s) only when the first word came >= 0.7 s after the answer (a machine "
    "answers to play its greeting; a person picks up, then speaks) gives 2.84 s (31/85), "
    "fresh sets 2.68-2.96 s (all clips; seed 51's tune half 2.50 s), and loses a machine in "
    "noise whose first word is heard late (seed 12: 32/40); its 0.7 s is the clip script's "
    "own machine lead-in (0.1-0.6 s), not a measured property of voicemail. A longer wait "
    "(1.5 s) after a "
    "greeting that has run >= 2.5 s catches a second pause: 1-2 more machines on 8 of 10 sets, "
    "median unchanged, but seed 42 then judges a person a machine. A final pitch rise "
    "('Hello?') is heard at the end of 3 of 30 brief people's greetings and 3 of 15 machine "
    "greetings in noise (shipped set, seeds 11 and 12): too rare to move the median. "
    "Even judging every person 0.3 s after the greeting with every machine as today gives "
    "2.60 s (42/85; seeds 21 and 22: 2.50 s), 0.6 s gives 2.64 s: the 2.50 s above comes from "
    "machines judged people early, and the rest would have to come from machines",
)
@pytest.mark.parametrize("split", SPLITS)
def test_the_median_decision_is_at_most_2_5_seconds(split: str) -> None:
    times = [judged(n).decided_at_s or 99.0 for n in of(list(LABELS), split)]
    assert statistics.median(times) <= 2.5


@pytest.mark.parametrize("name", NOBODY)
def test_when_no_one_speaks_the_verdict_is_the_protective_fallback(name: str) -> None:
    result = judged(name)
    assert (result.verdict, result.reason) == ("human", "initial_silence")


@pytest.mark.parametrize("name", BEEPS)
def test_every_labelled_beep_is_found_where_it_ends_whatever_the_verdict(name: str) -> None:
    # a machine judged a person needs its beep found too: the voicemail restarts after it
    truth = float(LABELS[name]["beep_end_s"])
    assert judged(name).beep_end_s == pytest.approx(truth, abs=0.05)


@pytest.mark.parametrize("name", BEEPS)
def test_a_call_with_a_beep_is_decided_before_the_beep_ends(name: str) -> None:
    # a steady tone is no voice: the verdict does not wait for the gap after it (the drop
    # still starts at its end, beep_end_s)
    decided = judged(name).decided_at_s
    assert decided is not None and decided < float(LABELS[name]["beep_end_s"])


@pytest.mark.parametrize("name", [n for n in LABELS if n not in BEEPS])
def test_no_beep_is_found_where_there_is_none(name: str) -> None:
    assert judged(name).beep_end_s is None


@pytest.mark.parametrize("name", [n for n in MACHINES if LABELS[n]["kind"] == "machine_intercept"])
def test_a_carrier_intercept_is_told_by_its_special_information_tones(name: str) -> None:
    # the reason is the detail the call flow ends an intercepted call on
    assert (judged(name).verdict, judged(name).reason) == ("machine", INTERCEPT)


@pytest.mark.parametrize("name", sorted(LABELS)[::5])
def test_fed_in_rtp_packets_a_clip_gets_the_whole_clip_result(name: str) -> None:
    audio, detector = samples(name), AmdDetector()
    for i in range(0, len(audio), 160):
        detector.feed(audio[i : i + 160])
    assert detector.finish() == judged(name)
