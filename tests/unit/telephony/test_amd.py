"""Answering-machine and beep detection on the clips in ../shared/telephony/amd-clips.

The clips (8 kHz mono, u-law round trip, light white noise; ``synth.sh`` makes them) are
part of the shared checkout. If they are missing the clip tests fail under CI, so a broken
checkout cannot pass there, and skip on a developer machine without the shared folder.
The synthetic cases need no files.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import os
from pathlib import Path

import numpy as np
import pytest

from lexdial.adapters.telephony.amd import (
    AmdConfig,
    AmdDetector,
    AmdResult,
    BeepDetector,
    Samples,
    classify,
    read_wav,
)
from lexdial.domain.call import AGENT_DEADLINE_S, AGENT_WAIT_S

ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file())
CLIPS = (ROOT / ".." / "shared" / "telephony" / "amd-clips").resolve()
RATE = 8000

# Truth from synth.sh, not from the detector: each machine clip is greeting, then
# `beep <hz> <seconds>`, then `pad 0 1.0`, so the beep ends 1.0 s before the clip does.
MACHINE_BEEPS = {  # name: (beep hz, beep length s)
    "machine_personal": (1000.0, 0.5),
    "machine_carrier": (1400.0, 0.4),
    "machine_short_greeting": (850.0, 0.6),
    "machine_business": (1000.0, 0.5),
}
TRAILING_PAD_S = 1.0
HUMANS = ["human_hello", "human_yeah_hello", "human_hello_twice", "human_named_greeting"]
ALL_CLIPS = HUMANS + list(MACHINE_BEEPS)


def _missing(what: str) -> None:
    message = f"AMD clips missing: {what} (expected under {CLIPS})"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@functools.cache
def _read(name: str) -> tuple[Samples, int]:
    return read_wav(CLIPS / f"{name}.wav")


def clip(name: str) -> Samples:
    """The clip's samples; fails under CI and skips elsewhere when it is missing."""
    if not (CLIPS / f"{name}.wav").is_file():
        _missing(f"{name}.wav")
    samples, rate = _read(name)
    assert rate == RATE
    return samples


@functools.cache
def _classified(name: str) -> AmdResult:
    return classify(clip(name), RATE)


def beep_end_truth(name: str) -> float:
    return len(clip(name)) / RATE - TRAILING_PAD_S


def tone(hz: float, seconds: float, amplitude: float = 0.5) -> Samples:
    t = np.arange(int(seconds * RATE)) / RATE
    return (amplitude * 32767 * np.sin(2 * np.pi * hz * t)).astype(np.int16)


def line_noise(seconds: float, seed: int = 1, dbfs: float = -64.0) -> Samples:
    """White noise; -64 dBFS is the level measured in the clips' trailing padding."""
    rng = np.random.default_rng(seed)
    rms = 32768 * 10 ** (dbfs / 20)
    return rng.normal(0, rms, int(seconds * RATE)).clip(-32768, 32767).astype(np.int16)


def speech_like(seconds: float, seed: int = 2) -> Samples:
    """Unbroken noise with a 4 Hz syllable envelope, as loud as the clips' speech; between
    syllables it dips about 20 dB, as speech does (a flat hum is background, not a voice)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    noise = np.convolve(rng.standard_normal(n), np.ones(4) / 4, mode="same")  # speech tilt
    envelope = 0.1 + 0.9 * np.abs(np.sin(2 * np.pi * 2 * np.arange(n) / RATE))
    return (noise * envelope * 0.1 * 32767).clip(-32768, 32767).astype(np.int16)


def test_the_clips_folder_holds_the_eight_documented_clips() -> None:
    if not CLIPS.is_dir():
        _missing("folder")
    assert sorted(p.stem for p in CLIPS.glob("*.wav")) == sorted(ALL_CLIPS)


@pytest.mark.parametrize("name", ALL_CLIPS, ids=ALL_CLIPS)
def test_each_clip_is_classified_as_what_it_is(name: str) -> None:
    result = _classified(name)
    assert result.verdict == name.split("_")[0], result


@pytest.mark.parametrize("name", ALL_CLIPS, ids=ALL_CLIPS)
def test_every_clip_is_decided_within_the_analysis_time_by_a_real_rule(name: str) -> None:
    result = _classified(name)
    limit = AmdConfig().total_analysis_s
    assert result.decided_at_s is not None and result.decided_at_s <= limit
    assert result.reason not in {"notsure", "initial_silence", "pending"}, result


@pytest.mark.parametrize("name", list(MACHINE_BEEPS), ids=list(MACHINE_BEEPS))
def test_the_beep_in_each_machine_clip_ends_where_it_was_synthesized(name: str) -> None:
    result = _classified(name)
    hz, _ = MACHINE_BEEPS[name]
    assert result.beep_end_s is not None, result
    assert result.beep_end_s == pytest.approx(beep_end_truth(name), abs=0.15)
    assert result.beep_hz == pytest.approx(hz, abs=15)


@pytest.mark.parametrize("name", list(MACHINE_BEEPS), ids=list(MACHINE_BEEPS))
def test_a_machine_greeting_is_detected_by_the_time_its_beep_is_heard(name: str) -> None:
    result = _classified(name)
    heard = beep_end_truth(name) + AmdConfig().tone_gap_s + 0.06  # plus the FFT window
    assert result.decided_at_s is not None and result.decided_at_s <= heard, result


@pytest.mark.parametrize("name", HUMANS, ids=HUMANS)
def test_no_beep_is_found_in_a_human_answer(name: str) -> None:
    assert _classified(name).beep_end_s is None


@pytest.mark.parametrize("name", ALL_CLIPS, ids=ALL_CLIPS)
def test_streaming_in_odd_chunk_sizes_gives_the_whole_clip_result(name: str) -> None:
    samples = clip(name)
    detector = AmdDetector()
    sizes, at = itertools.cycle([1, 7, 159, 161, 333, 1000, 19]), 0
    while at < len(samples):
        size = next(sizes)
        detector.feed(samples[at : at + size])
        at += size
    assert detector.finish() == _classified(name)


@pytest.mark.parametrize(
    "quiet",
    [
        pytest.param(np.zeros(6 * RATE, dtype=np.int16), id="digital-silence"),
        pytest.param(line_noise(6.0), id="line-noise-like-the-clips"),
        pytest.param(line_noise(6.0, dbfs=-45.0), id="a-hissy-line"),
    ],
)
def test_pure_silence_is_not_called_a_machine(quiet: Samples) -> None:
    detector = AmdDetector()
    verdict = detector.feed(quiet[: 5 * RATE])
    result = detector.result()
    assert (verdict, result.reason) == ("human", "initial_silence"), result
    assert result.decided_at_s == pytest.approx(AmdConfig().initial_silence_s)


def test_six_seconds_of_unbroken_speech_like_noise_is_a_machine() -> None:
    result = classify(np.concatenate([line_noise(0.3), speech_like(6.0)]))
    assert (result.verdict, result.reason) == ("machine", "long_greeting")
    assert result.decided_at_s is not None and result.decided_at_s <= AmdConfig().total_analysis_s


def test_a_call_that_opens_mid_word_still_counts_the_speech_as_voice() -> None:
    assert classify(speech_like(6.0)).verdict == "machine"


def test_a_pure_tone_alone_is_a_beep_and_makes_the_call_a_machine() -> None:
    audio = np.concatenate([line_noise(0.5), tone(1000, 0.5) + line_noise(0.5, 3), line_noise(1)])
    result = classify(audio)
    assert result.beep_end_s == pytest.approx(1.0, abs=0.05)
    assert result.beep_hz == pytest.approx(1000, abs=5)
    assert (result.verdict, result.reason) == ("machine", "beep")


def test_the_beep_detector_alone_reports_the_end_of_a_tone_fed_in_rtp_frames() -> None:
    audio = np.concatenate([line_noise(0.2), tone(440, 0.4), line_noise(0.6)])
    beep = BeepDetector()
    ends = [beep.feed(audio[i : i + 160]) for i in range(0, len(audio), 160)]
    assert ends[: int(0.6 * RATE / 160) - 1] == [None] * (int(0.6 * RATE / 160) - 1)
    assert beep.end_s == pytest.approx(0.6, abs=0.05)


def test_a_tone_still_sounding_when_the_stream_ends_ends_there() -> None:
    beep = BeepDetector()
    assert beep.feed(np.concatenate([line_noise(0.2), tone(1400, 0.5)])) is None
    assert beep.finish() == pytest.approx(0.7, abs=0.05)


@pytest.mark.parametrize(
    "audio",
    [
        pytest.param(tone(1000, 0.15), id="too-short"),
        pytest.param(tone(3000, 0.5), id="above-the-beep-band"),
        pytest.param(tone(1000, 4.0), id="too-long-a-fax-or-modem-tone"),
        pytest.param(tone(1000, 0.5, amplitude=0.002), id="below-the-quietest-beep"),
    ],
)
def test_tones_that_are_not_record_prompts_are_not_beeps(audio: Samples) -> None:
    beep = BeepDetector()
    beep.feed(np.concatenate([line_noise(0.2), audio, line_noise(0.5)]))
    assert beep.finish() is None


def test_a_gliding_whistle_is_not_a_beep() -> None:
    t = np.arange(int(0.6 * RATE)) / RATE
    glide = (0.5 * 32767 * np.sin(2 * np.pi * (600 * t + 500 * t * t))).astype(np.int16)
    beep = BeepDetector()
    beep.feed(np.concatenate([line_noise(0.2), glide, line_noise(0.5)]))
    assert beep.finish() is None


def test_the_verdict_never_changes_once_given() -> None:
    detector = AmdDetector()
    assert detector.feed(np.concatenate([line_noise(0.3), speech_like(6.0)])) == "machine"
    assert detector.feed(line_noise(3.0)) == "machine"


def test_the_fallback_verdict_is_configurable_and_applies_at_the_end_of_a_short_stream() -> None:
    detector = AmdDetector(AmdConfig(fallback="machine"))
    assert detector.feed(line_noise(1.0)) is None
    assert detector.result().verdict is None
    result = detector.finish()
    assert (result.verdict, result.reason, result.decided_at_s) == ("machine", "notsure", 1.0)


def test_the_config_is_frozen_and_its_silences_leave_an_agent_time() -> None:
    config = AmdConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.greeting_s = 9.0  # type: ignore[misc]
    # Asterisk's initial silence; a longer wait after the greeting than Asterisk's 0.8 s,
    # which still leaves the call flow time to find an agent within the 2 s deadline
    assert (config.initial_silence_s, config.after_greeting_silence_s) == (2.5, 1.1)
    assert config.after_greeting_silence_s + AGENT_WAIT_S + 0.2 <= AGENT_DEADLINE_S + 1e-9
    # a greeting of greeting_s that starts within a second of the answer is judged
    assert config.total_analysis_s == config.greeting_s + 1.0 and config.frame_len == 160


def test_audio_that_is_not_mono_int16_is_refused() -> None:
    with pytest.raises(TypeError):
        AmdDetector().feed(np.zeros(160, dtype=np.float32))
    with pytest.raises(TypeError):
        AmdDetector().feed(np.zeros((160, 2), dtype=np.int16))


def test_classify_refuses_a_config_for_another_sample_rate() -> None:
    with pytest.raises(ValueError, match="16000"):
        classify(np.zeros(RATE, dtype=np.int16), RATE, AmdConfig(sample_rate=16000))


def sit(
    lengths: tuple[float, float, float], hz: tuple[float, ...] = (913.8, 1370.6, 1776.7)
) -> Samples:
    return np.concatenate([tone(f, s, amplitude=0.3) for f, s in zip(hz, lengths, strict=True)])


@pytest.mark.parametrize(
    "lengths",
    [
        pytest.param((0.274, 0.274, 0.380), id="short-short-long"),
        pytest.param((0.380, 0.380, 0.380), id="long-long-long"),
        pytest.param((0.274, 0.380, 0.274), id="short-long-short"),
    ],
)
def test_special_information_tones_are_an_intercept_not_a_beep(lengths: tuple) -> None:
    audio = np.concatenate([line_noise(0.3), sit(lengths), line_noise(0.3), speech_like(3.0)])
    result = classify(audio)
    assert (result.verdict, result.reason, result.beep_end_s) == ("machine", "intercept", None)
    assert result.decided_at_s is not None and result.decided_at_s < 0.3 + sum(lengths) + 0.2


def test_one_tone_at_a_sit_frequency_alone_is_still_a_beep() -> None:
    result = classify(np.concatenate([line_noise(0.5), tone(985.2, 0.4), line_noise(1.0)]))
    assert (result.reason, result.beep_end_s) == ("beep", pytest.approx(0.9, abs=0.05))


def test_falling_tones_back_to_back_are_neither_a_beep_nor_an_intercept() -> None:
    audio = np.concatenate([line_noise(0.3), sit((0.38, 0.38, 0.38), (1776.7, 1370.6, 913.8))])
    beep = BeepDetector()
    beep.feed(np.concatenate([audio, line_noise(0.5)]))
    assert (beep.finish(), beep.intercept_s) == (None, None)


def test_a_hello_at_the_very_start_of_the_call_is_voice_not_background() -> None:
    # with no audio before it, the word itself must not be taken as the background level
    t = np.arange(int(0.6 * RATE)) / RATE
    phase = 2 * np.pi * np.cumsum(130 + 25 * np.sin(2 * np.pi * 3 * t)) / RATE
    harmonics = np.sum([np.sin(h * phase) / h**0.5 for h in range(1, 13)], axis=0)
    hello = (harmonics * np.sin(np.pi * t / 0.6) ** 0.5 * 2500).astype(np.int16)
    result = classify(np.concatenate([hello, line_noise(2.0)]))
    assert (result.verdict, result.reason) == ("human", "after_greeting_silence"), result


def test_an_intercept_is_told_before_its_third_tone_ends() -> None:
    # two rising segments and the start of a third, higher one are the SIT: the call can
    # end within a second of the first tone instead of after all three and the gap
    lengths = (0.380, 0.380, 0.380)
    audio = np.concatenate([line_noise(0.3), sit(lengths), line_noise(0.3), speech_like(3.0)])
    result = classify(audio)
    assert (result.verdict, result.reason, result.beep_end_s) == ("machine", "intercept", None)
    assert result.decided_at_s is not None
    assert 0.3 + 0.76 <= result.decided_at_s < 0.3 + 0.76 + 0.15 < 0.3 + 1.0


def test_rising_tones_that_then_fall_are_not_taken_for_an_intercept() -> None:
    audio = np.concatenate([line_noise(0.3), sit((0.3, 0.3, 0.3), (913.8, 1370.6, 1000.0))])
    beep = BeepDetector()
    beep.feed(np.concatenate([audio, line_noise(0.5)]))
    assert (beep.finish(), beep.intercept_s) == (None, None)


def test_a_beep_outside_the_sit_band_makes_the_call_a_machine_while_it_still_sounds() -> None:
    audio = np.concatenate([line_noise(0.5), tone(440, 0.8) + line_noise(0.8, 3), line_noise(1)])
    result = classify(audio)
    assert (result.verdict, result.reason) == ("machine", "beep")
    # a tone is timed by 40 ms analysis windows: the one straddling its start is pure too
    assert result.decided_at_s is not None and 0.5 + 0.3 - 0.04 <= result.decided_at_s < 0.5 + 0.4
    assert result.beep_end_s == pytest.approx(1.3, abs=0.05)  # the drop still starts at its end


def test_a_tone_in_the_sit_band_is_judged_only_once_it_outlasts_a_sit_segment() -> None:
    # 0.2-0.45 s at 880-1820 Hz could be the first of three special information tones
    audio = np.concatenate([line_noise(0.5), tone(1000, 0.8), line_noise(1)])
    result = classify(audio)
    assert (result.verdict, result.reason) == ("machine", "beep")
    assert result.decided_at_s is not None and 0.5 + 0.45 - 0.04 < result.decided_at_s < 0.5 + 0.6
    assert result.beep_end_s == pytest.approx(1.3, abs=0.05)


def test_a_fax_or_modem_tone_is_a_machine_at_once_but_no_beep_to_start_a_drop_after() -> None:
    result = classify(np.concatenate([line_noise(0.5), tone(1000, 4.0), line_noise(1)]))
    assert (result.verdict, result.beep_end_s) == ("machine", None)
    assert result.decided_at_s is not None and result.decided_at_s < 0.5 + 0.6
