"""Settings of answering-machine detection (``amd``) and the types it shares with the beep
finder (``amd_beep``): every tunable, with why it has the value it has."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

Verdict = Literal["human", "machine"]
Samples = npt.NDArray[np.int16]


@dataclass(frozen=True)
class AmdConfig:
    """Every tunable of the detector; defaults fit 8 kHz G.711 calls."""

    sample_rate: int = 8000
    """G.711 (PCMU/PCMA) is 8 kHz; the RTP leg decodes to this rate."""
    frame_ms: int = 20
    """One RTP packet of G.711 is 20 ms, so a frame never waits for a second packet."""
    initial_silence_s: float = 2.5
    """Nothing said this long (Asterisk's default): stop and use ``fallback``."""
    greeting_s: float = 5.0
    """A greeting that goes on this long, counted from its first word and through pauses
    shorter than ``after_greeting_silence_s``, is a machine's. Asterisk counts 1.5 s of
    voice, and calls a talkative person ("Hi, yes, this is Mark, sorry, I'm driving, what's
    up?" runs 3-5 s) a machine, the costly mistake: here only a greeting longer than people
    talk before they let the caller speak counts. Shorter recordings are caught by their
    beep; one judged a person gets the voicemail version after its beep (``domain.call``)."""
    after_greeting_silence_s: float = 1.1
    """A person stops after the greeting and waits for the caller. Asterisk waits 0.8 s, and
    a recorded greeting that pauses between its phrases ("Hello. [1 s] You've reached the
    Millers...") then reads as a person waiting: the message plays over it. People who get
    no answer wait 1.5 s or more before they say "Hello?" again; recorded phrases follow
    each other within about 0.6-1.5 s. 1.1 s is the shortest wait that judged >= 90 % of the
    tuning half's machines machines (bench/amd.py); each 0.1 s more delays every person
    by 0.1 s and takes it from the 2 s an agent has (``domain.call.AGENT_WAIT_S``). No
    shorter wait after a short first utterance either: a recorded greeting opens with one
    as short as a person's ("Hello. [pause] You've reached...", 0.3-2 s on the clip sets),
    so it costs the same machines (measured in the clip-set test's xfail reason)."""
    between_words_silence_s: float = 0.1
    """Pause that ends a word; Asterisk's 50 ms would split words at every plosive."""
    min_word_s: float = 0.1
    """Voiced runs shorter than this are clicks or line noise, not words..."""
    min_pitched_s: float = 0.04
    """...unless this much of the run is periodic (``periodicity``): a click or a burst of
    noise has no pitch, while a syllable heard through noise often clears the floor for only
    40-80 ms. Without it a greeting in noise falls apart into blips that read as the pause
    after a person's greeting."""
    total_analysis_s: float = 6.0
    """Hard limit: a verdict (possibly the fallback) always exists after 6 s of audio.
    Asterisk stops at 5 s; one second more lets a greeting that starts up to a second
    after the answer reach ``greeting_s``. Only machines wait this long: a person is
    judged at the pause after the greeting."""
    fallback: Verdict = "human"
    """Verdict when unsure; "human" so that no recorded message reaches a live person."""
    voice_margin_db: float = 9.0
    """Voice is this far above the noise floor (or the background talk level): speech on a
    quiet line is 30-50 dB up, and a person in noise still 8-20 dB; noise wanders ~5."""
    min_voice_dbfs: float = -50.0
    """Absolute voice threshold, so quantisation noise over digital silence is not voice."""
    noise_floor_cap_dbfs: float = -55.0
    """The floor starts at the first frame but not above this: a call may open mid-word."""
    noise_rise_db_per_s: float = 3.0
    """The floor drops at once to a quieter frame and creeps up slowly; over 5 s speech
    can lift it at most 15 dB, and a noisier line is learned within a few seconds."""
    steady_noise_s: float = 0.2
    """Frames whose level holds this long (within ``steady_noise_db``) near the quietest
    level heard are background noise: the floor is set there at once, and voice they were
    taken for is taken back. Without it a call answered into a hiss or street noise counts
    the noise as voice until the slow rise catches up (about 10 s) and calls it a machine."""
    steady_noise_db: float = 4.0
    """Level spread of steady noise over ``steady_noise_s``: white or pink noise varies by
    1-3 dB from one 20 ms frame to the next; speech by 5-20 dB from syllable to pause."""
    steady_near_min_db: float = 6.0
    """Steady frames must be this close to the quietest level heard: a held vowel is steady
    too, but far louder than the pauses around it."""
    babble_frames: int = 100
    """Background talk (a restaurant, a street) is speech too, only quieter than the person
    on the line: voice must also clear the ``babble_percentile`` level of the last
    ``babble_frames`` frames (2 s) by ``babble_margin_db``."""
    babble_percentile: float = 20.0
    """Low enough that a machine talking on with few pauses is not taken for background."""
    babble_min_frames: int = 25
    """The background-talk level is read only from 0.5 s of audio on: from fewer frames it
    would be the level of the first word itself."""
    periodicity: float = 0.55
    """Peak normalised autocorrelation over 2.5-16 ms (pitch 60-400 Hz) of the last 40 ms
    that marks voiced speech: a vowel repeats each pitch period (0.6-0.95 even through
    u-law and noise); white, pink and brown noise alone stay below it (99th percentile 0.26,
0.33 and 0.51 on the clip set's noise-only clips)."""
    babble_margin_db: float = 6.0
    """How far voice must clear the background-talk level; less than ``voice_margin_db``
    because that level is a percentile of the recent past, speech's own pauses included."""
    beep_min_hz: float = 400.0
    """Voicemail beeps sit between about 400 and 2000 Hz (commonly 440, 850-1400 Hz)."""
    beep_max_hz: float = 2000.0
    """Upper edge of the beep search band (see ``beep_min_hz``)."""
    beep_min_s: float = 0.3
    """Real beeps last 0.3-1 s; shorter steady partials occur in sung or held vowels."""
    beep_max_s: float = 3.0
    """A longer tone is a modem, fax answer tone or test tone, not a record prompt."""
    beep_window_ms: int = 40
    """FFT window: a ~50 Hz main lobe separates voice harmonics (100-250 Hz apart)."""
    beep_purity: float = 0.8
    """Share of 200-3800 Hz energy within ``beep_bandwidth_hz`` of the peak. A tone
    gives >0.95 even through u-law; speech spreads energy over several harmonics."""
    beep_bandwidth_hz: float = 60.0
    """Half width around the peak counted as "the tone": the Hann main lobe (~50 Hz)."""
    beep_drift_hz: float = 20.0
    """Max peak movement between windows; a beep is steady, a voice harmonic glides."""
    beep_min_dbfs: float = -45.0
    """Quietest beep taken: well above line noise, below any real record prompt."""
    tone_gap_s: float = 0.08
    """A tone is a beep only if no other tone starts within this after it ends; SIT tones
    follow each other with no gap (one or two straddling windows read as no tone)."""

    @property
    def frame_len(self) -> int:
        """Samples per analysis frame."""
        return self.sample_rate * self.frame_ms // 1000

    @property
    def frame_s(self) -> float:
        """Seconds per analysis frame."""
        return self.frame_len / self.sample_rate
