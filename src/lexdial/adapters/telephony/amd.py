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

import itertools
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

Verdict = Literal["human", "machine"]
Samples = npt.NDArray[np.int16]

_EPS = 1e-12  # keeps log10 finite on digital silence


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
    by 0.1 s and takes it from the 2 s an agent has (``domain.call.AGENT_WAIT_S``)."""
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


_WAVE_FORMAT_MULAW = 7


def _ulaw_to_linear(codes: npt.NDArray[np.uint8]) -> Samples:
    """G.711 u-law decoding (ITU-T G.711, the bias-33 segment formula)."""
    u = ~codes.astype(np.int32) & 0xFF
    magnitude = (((u & 0x0F) << 3) + 0x84) << ((u >> 4) & 0x07)
    return np.where(u & 0x80, 0x84 - magnitude, magnitude - 0x84).astype(np.int16)


def _read_ulaw_wav(data: bytes, path: Path | str) -> tuple[Samples, int] | None:
    """Samples of a mono G.711 u-law WAV (as sox writes it), or None for another format.
    The stdlib ``wave`` module reads PCM only; a call's audio arrives as u-law."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    pos, fmt, rate = 12, None, 0
    while pos + 8 <= len(data):
        kind, size = data[pos : pos + 4], int.from_bytes(data[pos + 4 : pos + 8], "little")
        body = data[pos + 8 : pos + 8 + size]
        if kind == b"fmt ":
            fmt, channels = int.from_bytes(body[0:2], "little"), body[2]
            rate = int.from_bytes(body[4:8], "little")
            if fmt != _WAVE_FORMAT_MULAW:
                return None
            if channels != 1:
                raise ValueError(f"{path}: need mono audio")
        elif kind == b"data" and fmt == _WAVE_FORMAT_MULAW:
            return _ulaw_to_linear(np.frombuffer(body, dtype=np.uint8)), rate
        pos += 8 + size + (size & 1)  # chunks are word-aligned
    return None


def read_wav(path: Path | str) -> tuple[Samples, int]:
    """Read a mono 16-bit PCM or G.711 u-law wav file; returns the samples (16-bit linear)
    and the sample rate."""
    ulaw = _read_ulaw_wav(Path(path).read_bytes(), path)
    if ulaw is not None:
        return ulaw
    with wave.open(str(path), "rb") as wav:
        if wav.getnchannels() != 1 or wav.getsampwidth() != 2:
            raise ValueError(f"{path}: need mono 16-bit PCM")
        data = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
        return data.astype(np.int16), wav.getframerate()


def _level_dbfs(frame: Samples) -> float:
    x = frame.astype(np.float64) / 32768.0
    return float(10.0 * np.log10(np.mean(x * x) + _EPS))


class _Framer:
    """Cuts arbitrary chunks into whole frames; the remainder waits for the next chunk."""

    def __init__(self, frame_len: int) -> None:
        self._len = frame_len
        self._pending: Samples = np.zeros(0, dtype=np.int16)

    def frames(self, samples: Samples) -> list[Samples]:
        chunk = np.asarray(samples)
        if chunk.ndim != 1 or chunk.dtype != np.int16:
            raise TypeError("expected a 1-D numpy int16 array of mono samples")
        data = np.concatenate([self._pending, chunk])
        whole = len(data) // self._len * self._len
        self._pending = data[whole:]
        return [data[i : i + self._len] for i in range(0, whole, self._len)]


class BeepDetector:
    """Finds the first steady single tone (a record-prompt beep) and where it ends, and
    tells a carrier intercept's special information tones (SIT) from a beep.

    A beep stands alone; SIT is three tones back to back, rising (ITU-T E.180: about
    914/985, 1371/1429 and 1777 Hz, 274 or 380 ms each) before "The number you have
    dialed is not in service". So a tone only counts as a beep once ``tone_gap_s`` has
    passed after it with no other tone starting; tones that follow each other are a
    sequence, and a rising sequence in the SIT band is an intercept."""

    def __init__(self, config: AmdConfig | None = None) -> None:
        """Start a detector for one call leg."""
        self.config = cfg = config or AmdConfig()
        self._framer = _Framer(cfg.frame_len)
        self._win_len = cfg.sample_rate * cfg.beep_window_ms // 1000
        self._window: Samples = np.zeros(0, dtype=np.int16)
        self._fft_len = 1 << max(9, (self._win_len - 1).bit_length())  # zero-pad: finer peak
        self._freqs = np.fft.rfftfreq(self._fft_len, 1.0 / cfg.sample_rate)
        self._band = (self._freqs >= 200.0) & (self._freqs <= 3800.0)  # no hum, no aliasing
        self._taper = np.hanning(self._win_len)
        self._frames = 0
        self._mid = 0.0
        self._run_start: float | None = None
        self._run_end = 0.0
        self._run_hz: list[float] = []
        self._pending: tuple[float, float, float] | None = None  # (end, hz, length)
        self._sequence: list[tuple[float, float]] = []  # (hz, length) of adjacent tones
        self.end_s: float | None = None
        """End of the first beep found, in seconds of audio; None until one has ended."""
        self.hz: float | None = None
        """Median frequency of that beep."""
        self.intercept_s: float | None = None
        """When special information tones (a carrier intercept) were recognised: the end of
        their second segment once a third, higher one starts (or of the last segment, if
        only two rise); None if none were heard."""

    @property
    def decisive_tone(self) -> bool:
        """A steady tone is sounding that no SIT segment could be: it has lasted
        ``beep_min_s``, no tone came right before it, and it lies outside the SIT band or
        has outlasted the longest SIT segment. No voice holds a pure tone that long, so
        the call is a machine now, before the tone ends (``end_s`` follows when it does)."""
        start = self._run_start
        if start is None or self.end_s is not None or self._sequence or self._pending:
            return False
        length = self._run_end - start + self._win_len / self.config.sample_rate
        if length < self.config.beep_min_s:
            return False
        lo, hi = _SIT_BAND
        hz = float(np.median(self._run_hz))
        return not lo <= hz <= hi or length > _SIT_SEGMENT_S[1]

    @property
    def tone_heard(self) -> bool:
        """A beep has ended, or a tone has lasted ``beep_min_s`` and is still going."""
        if self.end_s is not None:
            return True
        start = self._run_start
        return start is not None and self._run_end - start >= self.config.beep_min_s

    def feed(self, samples: Samples) -> float | None:
        """Analyse a chunk; returns the first beep's end time once it is known."""
        for frame in self._framer.frames(samples):
            self.process_frame(frame)
        return self.end_s

    def finish(self) -> float | None:
        """End of stream: a tone still sounding counts as ending here."""
        self._close_run()
        self._settle(force=True)
        return self.end_s

    def process_frame(self, frame: Samples) -> None:
        """Analyse one whole frame (``config.frame_len`` samples)."""
        cfg = self.config
        self._frames += 1
        self._window = np.concatenate([self._window, frame])[-self._win_len :]
        if self.end_s is not None or len(self._window) < self._win_len:
            return
        hz = self._tone_hz(self._window)
        # Times are window midpoints: the window that straddles a tone edge is still pure.
        mid = self._mid = self._frames * cfg.frame_s - self._win_len / cfg.sample_rate / 2
        drift = cfg.beep_drift_hz
        if hz is None or (self._run_start is not None and abs(hz - self._run_hz[-1]) > drift):
            self._close_run()
        if hz is not None:
            if self._run_start is None:
                self._run_start, self._run_hz = mid, []
                if self._pending is not None:  # another tone right after: a sequence
                    self._sequence.append(self._pending[1:])
                    self._pending = None
                    self._early_intercept(mid, hz)
            self._run_end = mid
            self._run_hz.append(hz)
        self._settle()

    def _close_run(self) -> None:
        if self._run_start is not None and self.end_s is None:
            # the run spans window midpoints: the tone itself is about one window longer
            # (a 0.3 s beep measured 0.28 s and was missed)
            length = self._run_end - self._run_start + self._win_len / self.config.sample_rate
            hz = float(np.median(self._run_hz))
            self._pending = (self._run_end, hz, length)
        self._run_start = None

    def _early_intercept(self, mid: float, hz: float) -> None:
        """SIT is known once two segments have risen and a third, higher one starts: an
        intercept is then told within about 0.8 s of its first tone, not after all three
        and the gap behind them."""
        lo, hi = _SIT_BAND
        seq = self._sequence
        if self.intercept_s is None and _is_sit(seq) and lo <= hz <= hi and hz > seq[-1][0] + 100:
            self.intercept_s = round(mid - self.config.frame_s, 3)

    def _settle(self, force: bool = False) -> None:
        """Judge the last tone once no other tone has followed it within ``tone_gap_s``."""
        if self._pending is None or self._run_start is not None:
            return
        end, hz, length = self._pending
        if not force and self._mid - end <= self.config.tone_gap_s:
            return
        self._pending = None
        cfg = self.config
        if self._sequence:
            tones = [*self._sequence, (hz, length)]
            self._sequence = []
            if self.intercept_s is None and _is_sit(tones):
                self.intercept_s = round(end, 3)
        elif cfg.beep_min_s <= length <= cfg.beep_max_s:
            self.end_s = round(end, 3)
            self.hz = round(hz, 1)

    def _tone_hz(self, window: Samples) -> float | None:
        cfg = self.config
        if _level_dbfs(window) < cfg.beep_min_dbfs:
            return None
        x = window.astype(np.float64) / 32768.0
        power = np.abs(np.fft.rfft(x * self._taper, self._fft_len)) ** 2
        power[~self._band] = 0.0
        peak = int(np.argmax(power))
        if not 0 < peak < len(power) - 1:
            return None
        # Parabolic interpolation on log power refines the peak between bins.
        a, b, c = np.log(power[peak - 1 : peak + 2] + _EPS)
        denom = a - 2 * b + c
        step = 0.5 * (a - c) / denom if denom != 0 else 0.0
        hz = float(self._freqs[peak] + step * (self._freqs[1] - self._freqs[0]))
        if not cfg.beep_min_hz <= hz <= cfg.beep_max_hz:
            return None
        near = np.abs(self._freqs - hz) <= cfg.beep_bandwidth_hz
        purity = float(power[near].sum() / (power.sum() + _EPS))
        return hz if purity >= cfg.beep_purity else None


#: SIT segment frequencies (ITU-T E.180 / Telcordia SR-2275), Hz, with room for drift
_SIT_BAND = (880.0, 1820.0)
_SIT_SEGMENT_S = (0.2, 0.45)


def _is_sit(tones: list[tuple[float, float]]) -> bool:
    """Two or more adjacent tones, each 0.2-0.45 s, in the SIT band, each higher than the
    last: the special information tones that open a carrier's intercept message."""
    if len(tones) < 2:
        return False
    lo, hi = _SIT_BAND
    shortest, longest = _SIT_SEGMENT_S
    if not all(lo <= hz <= hi and shortest <= s <= longest for hz, s in tones):
        return False
    return all(b[0] > a[0] + 100.0 for a, b in itertools.pairwise(tones))


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
        self._framer = _Framer(cfg.frame_len)
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
        level = _level_dbfs(frame)
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
