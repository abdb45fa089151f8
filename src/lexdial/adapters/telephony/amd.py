"""Answering-machine detection (AMD) and beep detection on received call audio.

Cadence heuristic in the style of Asterisk's ``app_amd``: a person answers with a short
greeting ("Hello?") and then waits; a machine talks on. Voice activity is frame energy
above an adaptive noise floor, above steady background noise and above background talk.
A separate beep finder looks for one steady tone so a voicemail drop can start after it
ends, and tells a carrier intercept's special information tones from it. Tones decide at
once: no voice holds a pure tone, so a beep makes the call a machine while it still sounds
(its end still starts the drop), and an intercept is told at its third tone, under a second
into the tones. Pure numpy,
streaming: feed 20 ms frames from live RTP (any chunk length is buffered) and read the
verdict when it appears. Measured on tests/data/amd with ``bench/amd.py`` (README).

Deliberate differences from Asterisk: a greeting is long by how long it runs, not by how
many words or voiced milliseconds it has (people who talk on, or say their name, say many
words); a person is judged after 1.1 s of silence, not 0.8 s, so that a recorded greeting
pausing between its phrases is not taken for a person waiting; a syllable heard through
noise counts as speech when 40 ms of it have a pitch; and when the analysis cannot tell
(nothing said for the initial-silence limit, or no rule fired within the total analysis
time), Asterisk answers ``NOTSURE``/``MACHINE``; here the verdict is
``AmdConfig.fallback`` (``"human"``). Dropping a prerecorded message on a live person is
the costly mistake for a law firm (prerecorded voice rules, third-party disclosure of a
debt or a matter); a machine treated as a person only costs an agent a few seconds.
``AmdResult.reason`` still says it was a guess.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lexdial.adapters.telephony.amd_beep import BeepDetector, Framer, level_dbfs
from lexdial.adapters.telephony.amd_config import AmdConfig, Samples, Verdict
from lexdial.adapters.telephony.amd_wav import read_wav

__all__ = [
    "AmdConfig",
    "AmdDetector",
    "AmdResult",
    "BeepDetector",
    "Samples",
    "Verdict",
    "classify",
    "read_wav",
]


@dataclass(frozen=True)
class AmdResult:
    """What the detector decided, when, why, and the metrics behind it."""

    verdict: Verdict | None
    """None only while a stream is still undecided (before ``finish``)."""
    reason: str
    """Rule that decided: ``long_greeting``, ``beep`` (a steady tone no SIT segment could
    be, decided while it sounds: usually a record prompt, whose end is ``beep_end_s``; a
    fax or modem tone too, which never gets one), ``intercept`` (SIT tones),
    ``after_greeting_silence``; the fallbacks ``initial_silence`` and ``notsure``; or
    ``pending`` while undecided."""
    decided_at_s: float | None
    beep_end_s: float | None
    """Where the first beep ends, seconds from the start of the audio: start the drop here."""
    beep_hz: float | None
    words: int
    voice_s: float
    noise_floor_dbfs: float


@dataclass
class _Cadence:
    """The talk/pause rules over voiced/unvoiced frames. A plain value, so the detector can
    replay it from the frame flags when it learns that frames it took for voice were noise."""

    t: float = 0.0
    voice_run: float = 0.0
    pitched_run: float = 0.0
    voice_total: float = 0.0
    silence_run: float = 0.0
    words: int = 0
    in_word: bool = False
    in_greeting: bool = False
    greeting_from: float = 0.0
    verdict: Verdict | None = None
    reason: str = "pending"
    decided_at: float | None = None

    def decide(self, verdict: Verdict, reason: str) -> None:
        self.verdict, self.reason, self.decided_at = verdict, reason, round(self.t, 3)

    def step(self, voiced: bool, pitched: bool, cfg: AmdConfig) -> None:
        step = cfg.frame_s
        if voiced:
            self.voice_run += step
            self.pitched_run += step if pitched else 0.0
            self.voice_total += step
            # A blip shorter than a word (a click, a voice in the background) does not
            # break the silence a person leaves after the greeting; a word does, and so
            # does a shorter run with a pitch (a syllable through noise).
            word = self.voice_run >= cfg.min_word_s or self.pitched_run >= cfg.min_pitched_s
            if word:
                self.silence_run = 0.0
            else:
                self.silence_run += step
            if word and not self.in_word:
                self.words += 1
                self.in_word = True
                if not self.in_greeting:
                    self.in_greeting, self.greeting_from = True, self.t - self.voice_run
            if self.in_greeting and self.t - self.greeting_from >= cfg.greeting_s:
                self.decide("machine", "long_greeting")
        else:
            self.silence_run += step
            if self.silence_run >= cfg.between_words_silence_s:
                self.in_word, self.voice_run, self.pitched_run = False, 0.0, 0.0
            if self.in_greeting and self.silence_run >= cfg.after_greeting_silence_s:
                self.decide("human", "after_greeting_silence")
            elif not self.in_greeting and self.silence_run >= cfg.initial_silence_s:
                self.decide(cfg.fallback, "initial_silence")


class AmdDetector:
    """Streaming human/machine decision for one answered call, plus its beep finder."""

    def __init__(self, config: AmdConfig | None = None) -> None:
        """Start a detector for one call leg."""
        self.config = cfg = config or AmdConfig()
        self.beep = BeepDetector(cfg)
        self._framer = Framer(cfg.frame_len)
        self._frames = 0
        self._t = 0.0
        self._floor: float | None = None
        self._levels: list[float] = []
        self._voiced: list[bool] = []
        self._pitched: list[bool] = []
        self._steady_n = max(2, round(cfg.steady_noise_s / cfg.frame_s))
        self._cadence = _Cadence()
        self._quietest = 0.0
        self._pitch_now = False
        self._last_frame: Samples = np.zeros(cfg.frame_len, dtype=np.int16)

    def feed(self, samples: Samples) -> Verdict | None:
        """Analyse a chunk of any length; returns the verdict once decided (it never changes)."""
        for frame in self._framer.frames(samples):
            self.beep.process_frame(frame)
            self._frames += 1
            self._t = self._frames * self.config.frame_s  # no drift from summing floats
            if self._cadence.verdict is None:
                self._analyse(frame)
        return self._cadence.verdict

    def finish(self) -> AmdResult:
        """End of stream: close a tone still sounding and apply the fallback if undecided."""
        self.beep.finish()
        if self._cadence.verdict is None:
            self._cadence.t = self._t
            self._cadence.decide(self.config.fallback, "notsure")
        return self.result()

    def result(self) -> AmdResult:
        """The verdict so far with its metrics (``verdict`` None while undecided)."""
        c = self._cadence
        return AmdResult(
            verdict=c.verdict,
            reason=c.reason,
            decided_at_s=c.decided_at,
            beep_end_s=self.beep.end_s,
            beep_hz=self.beep.hz,
            words=c.words,
            voice_s=round(c.voice_total, 3),
            noise_floor_dbfs=round(self._floor if self._floor is not None else -120.0, 1),
        )

    def _periodic(self, previous: Samples, frame: Samples) -> bool:
        """The last 40 ms repeat at a pitch period (voiced speech, see ``periodicity``)."""
        cfg = self.config
        x = np.concatenate([previous, frame]).astype(np.float64)
        x -= x.mean()
        n = len(x)
        spec = np.fft.rfft(x, 2 * n)
        ac = np.fft.irfft(spec * np.conj(spec))[:n]
        lo, hi = cfg.sample_rate // 400, cfg.sample_rate * 16 // 1000
        if ac[0] <= 0 or hi >= n:
            return False
        lags = np.arange(lo, hi + 1)
        # unbiased: each lag overlaps n - lag samples
        r = ac[lo : hi + 1] / ac[0] * n / (n - lags)
        return float(r.max()) >= cfg.periodicity

    def _is_voice(self, level: float, frame: Samples) -> bool:
        cfg = self.config
        floor = min(level, cfg.noise_floor_cap_dbfs) if self._floor is None else self._floor
        # Background talk (babble) is speech too, but quieter than the person on the line:
        # its level is one the last 2 s stay above most of the time (a low percentile).
        recent = self._levels[-cfg.babble_frames :]
        # too little heard yet to tell a background from the greeting itself
        enough = len(recent) >= cfg.babble_min_frames
        babble = float(np.percentile(recent, cfg.babble_percentile)) if enough else floor
        voiced = level >= max(
            floor + cfg.voice_margin_db, babble + cfg.babble_margin_db, cfg.min_voice_dbfs
        )
        # A pitched blip is the speaker only where it clears background talk (which has a
        # pitch too) by the full voice margin.
        previous, self._last_frame = self._last_frame, frame
        self._pitch_now = (
            voiced and level >= babble + cfg.voice_margin_db and self._periodic(previous, frame)
        )
        # Fall at once to a quieter frame, rise slowly: the floor follows pauses, not words.
        self._floor = min(level, floor + cfg.noise_rise_db_per_s * cfg.frame_s)
        return voiced

    def _relearn_steady_noise(self) -> bool:
        """Frames whose level has held within ``steady_noise_db`` for ``steady_noise_s`` are
        background (a hiss, a fan, traffic), not a voice: speech rises and falls with every
        syllable. Make their level the floor and take back the voice they were counted as.
        Returns True when earlier frames changed from voice to noise."""
        cfg, n = self.config, self._steady_n
        recent = self._levels[-n:]
        if len(recent) < n or max(recent) - min(recent) > cfg.steady_noise_db:
            return False
        if max(recent) > self._quietest + cfg.steady_near_min_db:
            return False  # a held vowel is steady too, but louder than the pauses around it
        self._floor = min(recent)
        if not any(self._voiced[-n:]):
            return False
        self._voiced[-n:] = [False] * n
        self._pitched[-n:] = [False] * n
        return True

    def _analyse(self, frame: Samples) -> None:
        cfg = self.config
        if self.beep.intercept_s is not None or self.beep.end_s or self.beep.decisive_tone:
            # a carrier intercept, or a record prompt (even with no greeting before it)
            self._cadence.t = self._t
            intercept = self.beep.intercept_s is not None
            self._cadence.decide("machine", "intercept" if intercept else "beep")
            return
        level = level_dbfs(frame)
        self._levels.append(level)
        self._quietest = min(self._quietest, level)
        self._voiced.append(self._is_voice(level, frame))
        self._pitched.append(self._pitch_now)
        if self._relearn_steady_noise():
            self._cadence = _Cadence()  # replay every frame with the corrected flags
            for i, (voiced, pitched) in enumerate(zip(self._voiced, self._pitched, strict=True)):
                self._cadence.t = (i + 1) * cfg.frame_s
                self._cadence.step(voiced, pitched, cfg)
                if self._cadence.verdict is not None:  # cannot be: it was undecided
                    break
        else:
            self._cadence.t = self._t
            self._cadence.step(self._voiced[-1], self._pitched[-1], cfg)
        if self._cadence.verdict is None and self._t >= cfg.total_analysis_s - 1e-9:
            self._cadence.decide(cfg.fallback, "notsure")


def classify(samples: Samples, rate: int = 8000, config: AmdConfig | None = None) -> AmdResult:
    """Run the streaming detector over a whole clip (verdict, timing, beep end, metrics)."""
    cfg = config or AmdConfig(sample_rate=rate)
    if cfg.sample_rate != rate:
        raise ValueError(f"config is for {cfg.sample_rate} Hz, audio is {rate} Hz")
    detector = AmdDetector(cfg)
    detector.feed(samples)
    return detector.finish()
