"""Asterisk's AMD() application re-implemented over 16-bit 8 kHz samples: the baseline that
bench/amd.py sets lexdial's detector beside. It is a yardstick, not product code.

Followed line by line from ``isAnsweringMachine`` in apps/app_amd.c (Asterisk 13 and later,
where ``maximum_word_length`` exists and ``dfltMaximumNumberOfWords`` is 2; Asterisk 1.4-11
had 3 and no maximum word length) and its silence detector ``ast_dsp_silence`` in
main/dsp.c: a frame is silent when the mean absolute sample value is below
``silence_threshold``; the detector returns the silence run so far (0 on a voiced frame).
Frames are 20 ms, as G.711 arrives over RTP. Two things a file cannot reproduce are left
out: the wall-clock timeout (audio time is used instead) and CNG frames (none here).
Audio that ends before a verdict is ``HANGUP``, as on a channel that hangs up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class AsteriskAmdConfig:
    """app_amd.c defaults (``dflt*``), in milliseconds where Asterisk uses them."""

    initial_silence: int = 2500
    greeting: int = 1500
    after_greeting_silence: int = 800
    total_analysis_time: int = 5000
    min_word_length: int = 100
    between_words_silence: int = 50
    maximum_number_of_words: int = 2  # 3 before Asterisk 13 (see the module doc)
    silence_threshold: int = 256
    maximum_word_length: int = 5000


@dataclass(frozen=True)
class AsteriskAmdResult:
    status: str  # HUMAN | MACHINE | NOTSURE | HANGUP (the AMDSTATUS variable)
    cause: str  # the AMDCAUSE variable, e.g. LONGGREETING-1520-1500
    decided_at_ms: int


def asterisk_amd(
    samples: npt.NDArray[np.int16], config: AsteriskAmdConfig | None = None, rate: int = 8000
) -> AsteriskAmdResult:
    """AMDSTATUS and AMDCAUSE for one answered call's received audio."""
    c = config or AsteriskAmdConfig()
    frame = rate // 50  # 20 ms
    framelength = frame * 1000 // rate
    in_initial_silence, in_greeting = True, False
    voice = silence = total = words = consecutive_voice = 0
    in_word = True  # currentState starts as STATE_IN_WORD
    dsp_total_silence = 0  # the DSP's running silence, kept between frames
    for start in range(0, len(samples) - frame + 1, frame):
        f = samples[start : start + frame].astype(np.int64)
        total += framelength
        if total >= c.total_analysis_time:
            return AsteriskAmdResult("NOTSURE", f"TOOLONG-{total}", total)
        accum = int(np.sum(np.abs(f))) // len(f)
        if accum < c.silence_threshold:
            dsp_total_silence += len(f) // (rate // 1000)
            dspsilence = dsp_total_silence
        else:
            dsp_total_silence = 0
            dspsilence = 0
        if dspsilence > 0:
            silence = dspsilence
            if silence >= c.between_words_silence:
                in_word = False
                consecutive_voice = 0
            if in_initial_silence and silence >= c.initial_silence:
                cause = f"INITIALSILENCE-{silence}-{c.initial_silence}"
                return AsteriskAmdResult("MACHINE", cause, total)
            if silence >= c.after_greeting_silence and in_greeting:
                cause = f"HUMAN-{silence}-{c.after_greeting_silence}"
                return AsteriskAmdResult("HUMAN", cause, total)
        else:
            consecutive_voice += framelength
            voice += framelength
            if consecutive_voice >= c.min_word_length and not in_word:
                words += 1
                in_word = True
            if consecutive_voice >= c.maximum_word_length:
                return AsteriskAmdResult("MACHINE", f"MAXWORDLENGTH-{consecutive_voice}", total)
            if words > c.maximum_number_of_words:
                cause = f"MAXWORDS-{words}-{c.maximum_number_of_words}"
                return AsteriskAmdResult("MACHINE", cause, total)
            if in_greeting and voice >= c.greeting:
                return AsteriskAmdResult("MACHINE", f"LONGGREETING-{voice}-{c.greeting}", total)
            if voice >= c.min_word_length:
                silence = 0
            if consecutive_voice >= c.min_word_length and not in_greeting:
                in_initial_silence, in_greeting = False, True
    return AsteriskAmdResult("HANGUP", "", total)
