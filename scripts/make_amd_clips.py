"""Regenerate tests/data/amd: the labelled clip set that answering-machine detection is
measured on (tests/unit/telephony/test_amd_clipset.py, bench/amd.py).

Every clip is what a dialler hears after the answer: 8 kHz mono, band-limited to the
telephone band (sox ``sinc 300-3400``) and stored as G.711 u-law WAV, as it arrives over
RTP. Voices, speeds, pitches, levels, pauses and noise are drawn from a seeded generator,
so the set is reproducible and no clip was shaped to suit the detector; which half of
each kind is used for tuning ("tune") and which is held out ("holdout") is drawn too. A
second batch (``TEXTS_B``, ``VARIANTS_B``, ``SPEEDS_B``, seed + 1; 20 clips) follows with
other texts, voice variants and speeds, and is held out whole.
Needs espeak-ng and sox (scripts/telephony.sh installs them).

Run: python scripts/make_amd_clips.py [--seed N] [--out tests/data/amd]
"""

from __future__ import annotations

import argparse
import csv
import random
import subprocess
import tempfile
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

RATE = 8000
SEED = 20261207
VOICES = [
    "en-us",
    "en-gb",
    "en-gb-scotland",
    "en-gb-x-rp",
    "en-029",
    "en-us-nyc",
    "en-gb-x-gbclan",
    "en-gb-x-gbcwmd",
]
VARIANTS = ["", "+f1", "+f2", "+f3", "+f4", "+m1", "+m2", "+m3", "+m4", "+m5", "+klatt"]

BRIEF = [
    "Hello?",
    "Hi.",
    "Yeah?",
    "Hello, who is this?",
    "Yes, hello?",
    "Hello.",
    "Yep?",
    "Hi there.",
    "Hello, yes?",
    "Who's calling?",
]
NAMED = [
    "This is Maria.",
    "Smith residence, this is Anna.",
    "Hello, Dan speaking.",
    "Good morning, Peter Jones.",
    "Hi, it's Karen.",
    "Hello, this is Robert Chen.",
    "Lopez here.",
    "Jenny speaking.",
    "Hello, Mike Harris.",
]
TALKATIVE = [
    "Hello? Oh hi, yes, I was just waiting for your call, go ahead.",
    "Yeah hi, this is Mark, sorry, I'm driving right now, what's up?",
    "Hello, this is Susan, I think you called me earlier about my appointment?",
    "Hi! Oh good, I was hoping you'd call back today, is this about the hearing?",
    "Hello, yes, this is Tom speaking, sorry, it's a bit loud here, who is this?",
    "Yes, hello, Linda here, I just got in the door, how can I help you?",
    "Hey, this is Carlos, I can't talk long, I'm at work, what is it about?",
    "Hello? Hello, yes, sorry, I had to find my phone, who's calling please?",
]
SHORT_MACHINE = [
    "Leave a message.",
    "Hi, leave a message.",
    "Sorry we missed you. Leave a message.",
    "You've reached Tom. Leave a message.",
    "Not here, leave a message.",
    "It's Jill, leave a message.",
]
LONG_MACHINE = [
    "Hi, you have reached the voicemail of John Smith. I am not available to take your call "
    "right now. Please leave your name, number and a brief message after the tone.",
    "Thank you for calling the law offices of Baker and Associates. Our office hours are "
    "Monday through Friday, nine to five. Please leave a message.",
    "Hey, it's Sarah. I can't get to the phone right now, but if you leave your name and "
    "number I'll call you back as soon as I can. Thanks!",
    "Hello, you've reached the Garcia family. We're not home right now. Please leave a "
    "message and we will return your call.",
    "This is Doctor Patel's office. We are closed for the day. If this is an emergency, "
    "please hang up and dial nine one one. Otherwise, leave a message.",
    "Hi, this is Kevin. I'm either on the other line or away from my desk. Leave me a "
    "message and I'll get back to you.",
    "You have reached five five five, one two three four. No one is available to take your "
    "call. Please leave a message after the tone.",
    "Hello, and thank you for calling. Nobody can come to the phone right now, so please "
    "leave a detailed message with your number.",
]
PAUSED_MACHINE = [
    ["Hi, this is John.", "I can't take your call right now.", "Please leave a message."],
    ["Hello.", "You've reached the Millers.", "Leave a message after the beep."],
    ["Hi.", "It's Amanda.", "Leave a message and I'll call you back."],
    ["Hello, this is Greg.", "Sorry I missed you.", "Leave your number."],
    ["Law office of Chen and Ruiz.", "We are closed.", "Please leave a message."],
    ["Hey.", "It's Dave.", "You know what to do."],
]
CARRIER_VM = [
    "The person you are trying to reach is not available. At the tone, please record your "
    "message. When you have finished recording, you may hang up.",
    "The wireless customer you are calling is not available. Please leave a message after "
    "the tone.",
    "Your call has been forwarded to an automated voice messaging system. Four one five, "
    "five five five, zero one nine two, is not available. At the tone, please record your "
    "message.",
]
INTERCEPT = [
    "We're sorry, the number you have dialed is not in service. Please check the number and "
    "dial again.",
    "The number you have reached has been disconnected or is no longer in service.",
    "We're sorry, your call cannot be completed as dialed. Please check the number and try again.",
    "The number you have dialed has been changed. The new number is unpublished.",
    "All circuits are busy now. Please try your call again later.",
]
BABBLE = [
    "So I told him we'd meet at the station around six, and then we could grab something to eat.",
    "The weather has been terrible all week, I don't think the game will go ahead on Saturday.",
    "Did you see the price of coffee here, it's gone up again, that's the third time this year.",
    "We should book the tickets tonight before they sell out, my sister wants to come as well.",
]

# A second batch, drawn with its own seed after the first set is complete (so the first 65
# clips are unchanged) from texts, voice variants, speeds and noise the detector was never
# tuned on: every clip of it is "holdout". Its make-up per kind was fixed before it was
# ever run through the detector.
SEED_B = SEED + 1
VARIANTS_B = [
    "+Andy",
    "+Annie",
    "+Alicia",
    "+Steph",
    "+Gene",
    "+Lee",
    "+Mike",
    "+Linda",
    "+Rob",
    "+Zac",
    "+grandma",
    "+grandpa",
    "+female5",
    "+male7",
    "+travis",
    "+shelby",
]
TEXTS_B = {
    "BRIEF": ["Yeah, hello?", "Hello there.", "Speaking.", "Hi, who's this?", "Mm, hello?"],
    "NAMED": ["Hello, Emma Wilson speaking.", "This is Frank.", "Hi, Rachel here.", "Nguyen."],
    "TALKATIVE": [
        "Oh hello, yes, I got your letter last week and I've been meaning to call you back.",
        "Hi, sorry, hang on, I'm just putting the kids in the car, okay, who is this?",
        "Yes hello, this is Patricia, is this the office about the claim I sent in?",
    ],
    "SHORT_MACHINE": [
        "Please leave a message.",
        "Hi, it's Ben, leave a message.",
        "Leave your message after the beep.",
    ],
    "LONG_MACHINE": [
        "Hi, you've reached Michelle at Northside Realty. I'm showing a property right now, "
        "so please leave your name and number and I'll return your call today.",
        "Hello, this is the Anderson residence. We can't come to the phone at the moment. "
        "Please leave a message after the beep and we'll call you back.",
        "Good afternoon, you have reached the claims department. All of our staff are busy. "
        "Please leave your claim number and a short message after the tone.",
    ],
    "PAUSED_MACHINE": [
        ["Hi.", "This is Laura.", "Leave a message."],
        ["Hello, you've reached Sam.", "I'm out right now.", "Please leave a message."],
        ["Thanks for calling.", "No one can take your call.", "Leave a message after the tone."],
    ],
    "CARRIER_VM": [
        "You have reached the voice mailbox of five five five, two one two, six. Please leave "
        "your message after the tone.",
    ],
    "INTERCEPT": [
        "The number you have called is not a working number. Please check the number and dial "
        "again.",
    ],
}
COUNTS_B = {
    "person_brief": 2,
    "person_named": 2,
    "person_talkative": 2,
    "person_in_noise": 2,
    "machine_short": 2,
    "machine_long": 2,
    "machine_paused": 2,
    "machine_carrier": 1,
    "machine_intercept": 1,
    "machine_in_noise": 2,
    "silence": 1,
    "noise_alone": 1,
}


@dataclass
class Clip:
    name: str
    label: str  # human | machine | nobody (no one speaks: the detector's fallback applies)
    kind: str
    audio: np.ndarray = field(repr=False)
    beep_end_s: float | None = None
    voice: str = ""
    speed: int = 0
    noise: str = "line"
    snr_db: float = 45.0


class Synth:
    """espeak-ng and sox behind small numpy helpers, with a seeded choice of voice."""

    def __init__(self, rng: random.Random, tmp: Path, variants: list[str] = VARIANTS) -> None:
        self.rng, self.tmp, self.n, self.variants = rng, tmp, 0, variants

    def voice(self) -> str:
        return self.rng.choice(VOICES) + self.rng.choice(self.variants)

    def say(self, text: str, voice: str, speed: int, pitch: int) -> np.ndarray:
        self.n += 1
        raw, tel = self.tmp / f"r{self.n}.wav", self.tmp / f"t{self.n}.wav"
        subprocess.run(
            ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(raw), text],
            check=True,
        )
        # the telephone band, then the recording's own lead/trail trimmed to 10 ms
        subprocess.run(
            [
                "sox",
                "-G",
                "-D",
                str(raw),
                "-r",
                str(RATE),
                "-c",
                "1",
                "-b",
                "16",
                str(tel),
                "sinc",
                "300-3400",
                "silence",
                "1",
                "0.01",
                "0.5%",
                "reverse",
                "silence",
                "1",
                "0.01",
                "0.5%",
                "reverse",
            ],
            check=True,
        )
        return _read(tel)


def _read(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return data.astype(np.float64) / 32768.0


def _rms(x: np.ndarray) -> float:
    loud = x[np.abs(x) > 1e-4]
    return float(np.sqrt(np.mean(loud**2))) if len(loud) else 0.0


def _silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * RATE))


def _tone(hz: float, seconds: float, level: float) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    ramp = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.005)  # 5 ms edges: no click
    return level * np.sin(2 * np.pi * hz * t) * ramp


def _sit(rng: random.Random) -> np.ndarray:
    """Special information tones (ITU-T E.180 / Telcordia): three segments, low to high,
    short (274 ms) or long (380 ms), then the announcement."""
    lows, mids = (913.8, 985.2), (1370.6, 1428.5)
    parts = []
    for hz in (rng.choice(lows), rng.choice(mids), 1776.7):
        parts.append(_tone(hz, rng.choice((0.274, 0.380)), 0.3))
    return np.concatenate([*parts, _silence(rng.uniform(0.1, 0.4))])


def _noise(kind: str, n: int, nrng: np.random.Generator, babble: np.ndarray) -> np.ndarray:
    if kind == "babble":
        start = int(nrng.integers(0, max(1, len(babble) - n)))
        out = np.resize(babble[start:], n)
    else:
        white = nrng.standard_normal(n + 1)
        spec = np.fft.rfft(white)
        f = np.fft.rfftfreq(n + 1, 1 / RATE)
        f[0] = f[1]
        shape = {"white": 1.0, "pink": 1 / np.sqrt(f), "brown": 1 / f}[kind]
        band = (f >= 300.0) & (f <= 3400.0)  # through the handset and the codec, as speech
        out = np.fft.irfft(spec * shape * band, n + 1)[:n]
    return out / (np.sqrt(np.mean(out**2)) + 1e-12)


def _ulaw_file(audio: np.ndarray, path: Path, tmp: Path) -> None:
    pcm = tmp / "pcm.wav"
    with wave.open(str(pcm), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
    subprocess.run(["sox", "-D", str(pcm), "-e", "u-law", "-b", "8", str(path)], check=True)


FIRST_TEXTS = {
    "BRIEF": BRIEF,
    "NAMED": NAMED,
    "TALKATIVE": TALKATIVE,
    "SHORT_MACHINE": SHORT_MACHINE,
    "LONG_MACHINE": LONG_MACHINE,
    "PAUSED_MACHINE": PAUSED_MACHINE,
    "CARRIER_VM": CARRIER_VM,
    "INTERCEPT": INTERCEPT,
}
FIRST_COUNTS = {
    "person_brief": 8,
    "person_named": 7,
    "person_talkative": 7,
    "person_in_noise": 7,
    "machine_short": 6,
    "machine_long": 7,
    "machine_in_noise": 3,
    "silence": 3,
}
#: words per minute: people, talkative people, recorded greetings
FIRST_SPEEDS = ((150, 200), (165, 215), (140, 190))
SPEEDS_B = ((125, 230), (150, 240), (125, 200))


def build(
    rng: random.Random,
    s: Synth,
    babble: np.ndarray,
    texts: dict[str, list] = FIRST_TEXTS,  # type: ignore[type-arg]
    counts: dict[str, int] = FIRST_COUNTS,
    speeds: tuple[tuple[int, int], ...] = FIRST_SPEEDS,
    first: dict[str, int] | None = None,
) -> list[Clip]:
    """The clips of one batch. The first batch (the defaults) draws exactly as it always
    has, so its clips do not change; ``first`` numbers a later batch's clips on."""
    clips: list[Clip] = []
    t, c_ = texts, counts
    person_speed, talk_speed, rec_speed = speeds

    def every(key: str, kind: str) -> list:  # type: ignore[type-arg]
        # the first batch used every text of these kinds, in order (no draw)
        return t[key] if kind not in c_ else rng.sample(t[key], c_[kind])

    def add(label: str, kind: str, audio: np.ndarray, **kw: object) -> None:
        n = sum(1 for c in clips if c.kind == kind) + 1 + (first or {}).get(kind, 0)
        clips.append(Clip(f"{kind}_{n:02d}", label, kind, audio, **kw))  # type: ignore[arg-type]

    def person(
        text: str, speed_range: tuple[int, int] | None = None
    ) -> tuple[np.ndarray, str, int]:
        v, sp = s.voice(), rng.randint(*(speed_range or person_speed))
        return s.say(text, v, sp, rng.randint(30, 75)), v, sp

    def answer(speech: np.ndarray, repeat: bool) -> np.ndarray:
        # picked up, a short pause, the greeting, then waiting for the caller; some say
        # "Hello?" again after 1.5-2.5 s of silence, as people do
        parts = [_silence(rng.uniform(0.2, 1.2)), speech, _silence(rng.uniform(1.5, 2.5))]
        if repeat:
            parts.append(s.say("Hello?", s.voice(), 170, 50))
        parts.append(_silence(1.5))
        return np.concatenate(parts)

    for text in rng.sample(t["BRIEF"], c_["person_brief"]):
        speech, v, sp = person(text)
        add("human", "person_brief", answer(speech, rng.random() < 0.4), voice=v, speed=sp)
    for text in rng.sample(t["NAMED"], c_["person_named"]):
        speech, v, sp = person(text)
        add("human", "person_named", answer(speech, rng.random() < 0.3), voice=v, speed=sp)
    for text in rng.sample(t["TALKATIVE"], c_["person_talkative"]):
        speech, v, sp = person(text, talk_speed)
        add("human", "person_talkative", answer(speech, False), voice=v, speed=sp)
    for text in rng.sample(t["BRIEF"] + t["NAMED"], c_["person_in_noise"]):
        speech, v, sp = person(text)
        kind = rng.choice(["white", "pink", "brown", "babble"])
        add(
            "human",
            "person_in_noise",
            answer(speech, rng.random() < 0.3),
            voice=v,
            speed=sp,
            noise=kind,
            snr_db=round(rng.uniform(8.0, 18.0), 1),
        )

    def machine(
        kind: str,
        segments: list[np.ndarray],
        beep: bool,
        voice: str,
        speed: int,
        noise: str = "line",
        snr: float = 45.0,
    ) -> None:
        parts = [_silence(rng.uniform(0.1, 0.6)), *segments]
        beep_end = None
        if beep:
            parts.append(_silence(rng.uniform(0.2, 0.6)))
            parts.append(
                _tone(
                    rng.choice([440.0, 850.0, 1000.0, 1400.0]),
                    rng.uniform(0.3, 0.8),
                    rng.uniform(0.2, 0.5),
                )
            )
            beep_end = sum(len(p) for p in parts) / RATE
        parts.append(_silence(1.0))
        add(
            "machine",
            kind,
            np.concatenate(parts),
            beep_end_s=beep_end,
            voice=voice,
            speed=speed,
            noise=noise,
            snr_db=snr,
        )

    def recorded(text: str) -> tuple[np.ndarray, str, int]:
        v, sp = s.voice(), rng.randint(*rec_speed)
        return s.say(text, v, sp, rng.randint(30, 70)), v, sp

    for text in rng.sample(t["SHORT_MACHINE"], c_["machine_short"]):
        audio, v, sp = recorded(text)
        machine("machine_short", [audio], True, v, sp)
    for text in rng.sample(t["LONG_MACHINE"], c_["machine_long"]):
        audio, v, sp = recorded(text)
        machine("machine_long", [audio], rng.random() < 0.8, v, sp)
    for phrases in every("PAUSED_MACHINE", "machine_paused"):
        v, sp = s.voice(), rng.randint(*rec_speed)
        segs: list[np.ndarray] = []
        for i, text in enumerate(phrases):
            if i:
                segs.append(_silence(rng.uniform(0.6, 1.5)))
            segs.append(s.say(text, v, sp, 50))
        machine("machine_paused", segs, rng.random() < 0.7, v, sp)
    for text in every("CARRIER_VM", "machine_carrier"):
        audio, v, sp = recorded(text)
        machine("machine_carrier", [audio], True, v, sp)
    for text in every("INTERCEPT", "machine_intercept"):
        audio, v, sp = recorded(text)
        machine("machine_intercept", [_sit(rng), audio], False, v, sp)
    for text in rng.sample(t["LONG_MACHINE"], c_["machine_in_noise"]):
        audio, v, sp = recorded(text)
        kind = rng.choice(["white", "pink", "babble"])
        machine("machine_in_noise", [audio], True, v, sp, kind, round(rng.uniform(10.0, 20.0), 1))

    # no one speaks: the verdict is the fallback ("human", see amd.py)
    for i in range(c_["silence"]):
        add("nobody", "silence", _silence(5.5 + i * 0.5))
    noises = ("white", "pink", "brown")
    for kind in noises if "noise_alone" not in c_ else rng.sample(noises, c_["noise_alone"]):
        add(
            "nobody",
            "noise_alone",
            _silence(6.0),
            noise=kind,
            snr_db=round(rng.uniform(-45.0, -30.0), 1),
        )  # for noise alone: its level, dBFS
    return clips


def finish(clip: Clip, rng: random.Random, nrng: np.random.Generator, babble: np.ndarray) -> None:
    """Set the speech level, add the clip's noise and light line noise (about -70 dBFS)."""
    x = clip.audio
    level = 10 ** (rng.uniform(-26.0, -14.0) / 20)  # speech RMS, dBFS
    rms = _rms(x)
    if rms > 0:
        x = x * level / rms
    x = x * min(1.0, 0.7 / (float(np.max(np.abs(x))) + 1e-12))  # noise on top: no clipping
    n = len(x)
    if clip.kind == "noise_alone":
        x = x + _noise(clip.noise, n, nrng, babble) * 10 ** (clip.snr_db / 20)
    elif clip.noise != "line":
        x = x + _noise(clip.noise, n, nrng, babble) * level * 10 ** (-clip.snr_db / 20)
    clip.audio = x + _noise("white", n, nrng, babble) * 10 ** (-70 / 20)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent.parent / "tests/data/amd")
    args = ap.parse_args()
    rng, nrng = random.Random(args.seed), np.random.default_rng(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("*.wav"):
        old.unlink()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        s = Synth(rng, tmp)
        babble_parts = [s.say(t, s.voice(), 170, 50) for t in BABBLE]
        n = max(len(b) for b in babble_parts)
        babble = sum(np.resize(b, n) for b in babble_parts)
        babble = np.tile(babble, 3)
        clips = build(rng, s, babble)
        rows = []
        split_of: dict[str, str] = {}
        by_kind: dict[str, list[Clip]] = {}
        for c in clips:
            by_kind.setdefault(c.kind, []).append(c)
        for kind_clips in by_kind.values():
            order = list(range(len(kind_clips)))
            rng.shuffle(order)
            for rank, i in enumerate(order):
                c = kind_clips[i]
                split_of[c.name] = "tune" if rank % 2 == 0 else "holdout"
        for c in clips:
            finish(c, rng, nrng, babble)
            _ulaw_file(c.audio, args.out / f"{c.name}.wav", tmp)
            rows.append(
                {
                    "name": c.name,
                    "label": c.label,
                    "kind": c.kind,
                    "split": split_of[c.name],
                    "beep_end_s": "" if c.beep_end_s is None else f"{c.beep_end_s:.3f}",
                    "seconds": f"{len(c.audio) / RATE:.2f}",
                    "voice": c.voice,
                    "speed": c.speed,
                    "noise": c.noise,
                    "snr_db": c.snr_db,
                }
            )
        # the second batch: its own generators, new texts, voices, speeds; all held out
        rng_b, nrng_b = random.Random(args.seed + 1), np.random.default_rng(args.seed + 1)
        first = {k: sum(1 for c in clips if c.kind == k) for k in COUNTS_B}
        s_b = Synth(rng_b, tmp, VARIANTS_B)
        s_b.n = s.n
        for c in build(rng_b, s_b, babble, TEXTS_B, COUNTS_B, SPEEDS_B, first):
            finish(c, rng_b, nrng_b, babble)
            _ulaw_file(c.audio, args.out / f"{c.name}.wav", tmp)
            rows.append(
                {
                    **rows[0],
                    **{
                        "name": c.name,
                        "label": c.label,
                        "kind": c.kind,
                        "split": "holdout",
                        "beep_end_s": "" if c.beep_end_s is None else f"{c.beep_end_s:.3f}",
                        "seconds": f"{len(c.audio) / RATE:.2f}",
                        "voice": c.voice,
                        "speed": c.speed,
                        "noise": c.noise,
                        "snr_db": c.snr_db,
                    },
                }
            )
    with (args.out / "labels.csv").open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print(f"{len(rows)} clips in {args.out}")


if __name__ == "__main__":
    main()
