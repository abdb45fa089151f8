"""A campaign's settings as one validated value, read from JSON/TOML-shaped data.

Rule 1: every field is checked before anything is stored, and an error names the field
(``schedule.start: ...``) — a paralegal fixes a file, not a stack trace.
Rule 2: defaults are the protective, usual ones: ring 25 s (the FCC floor is 15 s), three
attempts two hours apart, opt-out key 9, weekdays 09:00-17:00 in the recipient's time.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import time
from typing import Any

from lexdial.errors import RequestError

PURPOSES = ("reminder", "notification", "informational", "marketing", "debt_collection")
MODES = ("broadcast", "preview", "progressive", "predictive")
LIVE = frozenset({"preview", "progressive", "predictive"})
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RETRYABLE = ("no_answer", "busy", "failed", "machine")
_KEYS = re.compile(r"^[0-9*#]$")
_CONFIRM = "You will not receive further calls from us at this number. Goodbye."


@dataclass(frozen=True, slots=True)
class Message:
    """What is said: text (rendered by TTS when there is no audio) and its variants."""

    text: str | None = None
    audio: str | None = None  # a WAV file recorded by the firm
    voicemail_text: str | None = None
    voicemail_audio: str | None = None
    optout_confirm_text: str = _CONFIRM
    safe_harbor_text: str | None = None


@dataclass(frozen=True, slots=True)
class Schedule:
    """When calls may be placed, in the recipient's local time (narrower than the law)."""

    days: tuple[str, ...] = DAYS[:5]
    start: time = time(9, 0)
    end: time = time(17, 0)


@dataclass(frozen=True, slots=True)
class Retry:
    max_attempts: int = 3
    delay_minutes: int = 120
    on: tuple[str, ...] = ("no_answer", "busy", "failed")


@dataclass(frozen=True, slots=True)
class Pacing:
    """How the dialler treats a failing carrier (``domain.carrier_faults``)."""

    #: carrier failures in a row (refused, 5xx, timeouts, unreachable) that pause the campaign
    max_carrier_failures: int = 10


@dataclass(frozen=True, slots=True)
class CampaignSpec:
    name: str
    purpose: str
    mode: str
    message: Message
    caller_id: str | None
    subject: str | None = None
    schedule: Schedule = field(default_factory=Schedule)
    ring_timeout_s: float = 25.0
    retry: Retry = field(default_factory=Retry)
    opt_out_key: str = "9"
    leave_voicemail: bool = True
    channels: int = 50
    pacing: Pacing = field(default_factory=Pacing)

    @property
    def technology(self) -> str:
        """What the contract calls this campaign's calls (decides which consent applies)."""
        if self.mode in LIVE:
            return "autodialed"
        return "prerecorded" if self.message.audio else "artificial_voice"

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["schedule"] = {
            "days": list(self.schedule.days),
            "start": self.schedule.start.strftime("%H:%M"),
            "end": self.schedule.end.strftime("%H:%M"),
        }
        out["retry"]["on"] = list(self.retry.on)
        return out


def parse_spec(data: Any) -> CampaignSpec:
    """Validate campaign settings; RequestError names the first bad field."""
    d = _obj(data, "", required=("name", "purpose", "mode", "message"))
    known = set(CampaignSpec.__dataclass_fields__)
    _unknown(d, known, "")
    name = _str(d["name"], "name", 200)
    purpose = _choice(d["purpose"], "purpose", PURPOSES)
    mode = _choice(d["mode"], "mode", MODES)
    m = _obj(d["message"], "message")
    _unknown(m, set(Message.__dataclass_fields__), "message.")
    msg = Message(**{k: _str(v, f"message.{k}", 4000) for k, v in m.items() if v is not None})
    if not (msg.text or msg.audio):
        raise RequestError("message", "give the message as text or as an audio file")
    sched = Schedule()
    if "schedule" in d:
        s = _obj(d["schedule"], "schedule")
        _unknown(s, {"days", "start", "end"}, "schedule.")
        listed = _list(s.get("days", DAYS[:5]), "schedule.days")
        days = tuple(_choice(x, "schedule.days", DAYS) for x in listed)
        start = _time(s.get("start", "09:00"), "schedule.start")
        end = _time(s.get("end", "17:00"), "schedule.end")
        if not days:
            raise RequestError("schedule.days", "name at least one day")
        if end <= start:
            raise RequestError("schedule.end", "must be after schedule.start")
        sched = Schedule(days, start, end)
    retry = Retry()
    if "retry" in d:
        r = _obj(d["retry"], "retry")
        _unknown(r, {"max_attempts", "delay_minutes", "on"}, "retry.")
        on = r.get("on", list(retry.on))
        retry = Retry(
            _int(r.get("max_attempts", retry.max_attempts), "retry.max_attempts", 1, 20),
            _int(r.get("delay_minutes", retry.delay_minutes), "retry.delay_minutes", 1, 10080),
            tuple(_choice(x, "retry.on", RETRYABLE) for x in _list(on, "retry.on")),
        )
    pacing = Pacing()
    if "pacing" in d:
        pc = _obj(d["pacing"], "pacing")
        _unknown(pc, set(Pacing.__dataclass_fields__), "pacing.")
        n = pc.get("max_carrier_failures", pacing.max_carrier_failures)
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 1000:
            raise RequestError(
                "pacing.max_carrier_failures",
                "must be a whole number from 1 to 1000: the carrier failures in a row "
                "(refused, 5xx, timeouts) after which the campaign pauses",
            )
        pacing = Pacing(n)
    key = _str(d.get("opt_out_key", "9"), "opt_out_key", 1)
    if not _KEYS.match(key):
        raise RequestError("opt_out_key", "must be one telephone key: 0-9, * or #")
    caller_id = d.get("caller_id")
    return CampaignSpec(
        name=name,
        purpose=purpose,
        mode=mode,
        message=msg,
        caller_id=None if caller_id is None else _str(caller_id, "caller_id", 20),
        subject=None if d.get("subject") is None else _str(d["subject"], "subject", 200),
        schedule=sched,
        ring_timeout_s=_num(d.get("ring_timeout_s", 25), "ring_timeout_s", 1, 300),
        retry=retry,
        opt_out_key=key,
        leave_voicemail=_bool(d.get("leave_voicemail", True), "leave_voicemail"),
        channels=_int(d.get("channels", 50), "channels", 1, 10000),
        pacing=pacing,
    )


def _obj(v: Any, where: str, required: tuple[str, ...] = ()) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise RequestError(where or "campaign", "must be an object")
    for key in required:
        if v.get(key) is None:
            raise RequestError(f"{where}{key}", "is required")
    return v


def _unknown(d: dict[str, Any], known: set[str], prefix: str) -> None:
    for key in d:
        if key not in known:
            # an empty or odd key is shown quoted, so the message still names it
            name = str(key) if str(key).isidentifier() else json.dumps(str(key))
            raise RequestError(f"{prefix}{name}", "is not a campaign setting")


def _str(v: Any, where: str, max_len: int) -> str:
    if not isinstance(v, str) or not v.strip():
        raise RequestError(where, "must be non-empty text")
    if len(v) > max_len:
        raise RequestError(where, f"must be at most {max_len} characters")
    return v.strip()


def _choice(v: Any, where: str, allowed: tuple[str, ...]) -> str:
    if v not in allowed:
        raise RequestError(where, "must be one of " + ", ".join(allowed))
    return str(v)


def _list(v: Any, where: str) -> list[Any]:
    if not isinstance(v, list | tuple):
        raise RequestError(where, "must be a list")
    return list(v)


def _num(v: Any, where: str, lo: float, hi: float) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not lo <= v <= hi:
        raise RequestError(where, f"must be a number from {lo:g} to {hi:g}")
    return float(v)


def _int(v: Any, where: str, lo: int, hi: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise RequestError(where, f"must be a whole number from {lo} to {hi}")
    return v


def _bool(v: Any, where: str) -> bool:
    if not isinstance(v, bool):
        raise RequestError(where, "must be true or false")
    return v


def _time(v: Any, where: str) -> time:
    if isinstance(v, str) and re.fullmatch(r"\d{2}:\d{2}", v):
        hh, mm = int(v[:2]), int(v[3:])
        if hh < 24 and mm < 60:
            return time(hh, mm)
    raise RequestError(where, "must be a local time as HH:MM")


def spec_from_json(data: dict[str, Any]) -> CampaignSpec:
    """A stored spec back from the database (it was valid when stored)."""
    return parse_spec(data)
