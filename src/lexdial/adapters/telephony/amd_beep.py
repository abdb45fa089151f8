"""Beep and special-information-tone finding on received call audio (used by ``amd``).

A voicemail's record prompt is one steady tone; a carrier intercept opens with three rising
ones (SIT). The finder tells them apart, says where a beep ends (the voicemail drop starts
there) and, for the verdict, when a tone is sounding that only a machine makes.
"""

from __future__ import annotations

import itertools

import numpy as np

from lexdial.adapters.telephony.amd_config import AmdConfig, Samples

_EPS = 1e-12  # keeps log10 finite on digital silence


def level_dbfs(frame: Samples) -> float:
    """Mean power of a frame, dB below full scale."""
    x = frame.astype(np.float64) / 32768.0
    return float(10.0 * np.log10(np.mean(x * x) + _EPS))


class Framer:
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
        self._framer = Framer(cfg.frame_len)
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
        if level_dbfs(window) < cfg.beep_min_dbfs:
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
