"""No relayed callback lost while a relay's connection is reopened, and none applied twice:
the asking side re-sends, the owner answers each request once (``webhook_relay``'s
transports, Redis and PostgreSQL, share this).

Rule 1: the web process sends a request (an id of its own) and sends the very same
message again every ``RESEND_S`` until the answer comes or its wait ends. A copy or an
answer lost in between (a NOTIFY while a LISTEN connection is being reopened, a Redis
command cut with its connection) is then only late, not lost: the web process's bounded
wait no longer ends in the hang-up handler because of a reconnect. A failing send or
wait (the transport down for a moment) is logged and tried again at the next tick.
Rule 2: the owner applies a request once and keeps its answer: a copy of it (a re-send
whose first copy did arrive) gets the same answer again, never the callback applied a
second time (a status callback applied twice could record an outcome twice). A copy that
arrives while the first is still being applied waits for that answer.
Rule 3: the answers kept are bounded in number (``KEEP_MAX``), in size (``KEEP_BYTES``,
their JSON text) and in age (``KEEP_S``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Final

log = logging.getLogger(__name__)

#: ``webhook_relay.Message`` (spelt again: that module imports this one, for its listener)
Message = dict[str, Any]

#: how often a request is sent again while unanswered. A round trip takes ~1-5 ms (p50
#: 1.35 ms, p99 5.2 ms over PostgreSQL, ``bench/webhook_relay.py``) and a callback's
#: handling tens of ms, so a healthy owner answers before the first re-send; a lost
#: connection is listened on again after ~0.5 s (the listeners' pause), so re-sending
#: faster would only add copies: 0.3 s still gives ~15 tries within the 5 s wait, the
#: answer at most ~0.3 s after the owner listens again. A copy costs the owner a lookup.
RESEND_S: Final = 0.3
#: how long an answer is kept: an asker re-sends only during its wait (5 s), and a copy
#: reaches the owner after its first copy (each inbox is in order), behind at most the
#: backlog queued meanwhile: 60 s covers the owner stalled for most of a minute (and a
#: Redis inbox left 60 s without a push is gone anyway)
KEEP_S: Final = 60.0
#: how many answers are kept at most, so memory stays bounded whatever the traffic: a call
#: gets a handful of callbacks in its life (statuses, AMD, a gather), so 4096 a minute (~68
#: a second) is hundreds of calls at once in one worker. Most answers are a few hundred
#: bytes (an empty 204, short TwiML); a long ``<Say>`` (up to ~40 kB) is the exception
KEEP_MAX: Final = 4096
#: how many bytes of answers (their JSON text) are kept at most: the count alone would let
#: 4096 long ``<Say>`` answers hold ~160 MB; 16 MB keeps ~40 000 short answers' worth, or
#: ~400 of the longest, each asked again within seconds if at all
KEEP_BYTES: Final = 16 * 1024 * 1024


def ask(
    send: Callable[[float], None],
    take: Callable[[float], Message | None],
    wait_s: float,
    every_s: float = RESEND_S,
) -> Message | None:
    """The answer to a request, or None after ``wait_s`` (rule 1).

    ``send(left)`` sends the request (the same message each time; it may wait, at most
    ``left`` seconds, for the transport to be ready); ``take(timeout)`` waits at most
    ``timeout`` for the answer and returns it, or None.
    """
    deadline = time.monotonic() + wait_s
    sent = unsent = lost = 0  # logged once each per request: a down transport is one event
    while (left := deadline - time.monotonic()) > 0:
        try:
            send(left)
            sent += 1
        except Exception as exc:  # the transport is down for now: the next tick tries again
            unsent += 1
            if unsent == 1:
                log.warning("webhook relay: a request not sent (%s)", type(exc).__name__)
        tick = min(every_s, deadline - time.monotonic())
        if tick <= 0:
            break
        until = time.monotonic() + tick
        try:
            got = take(tick)
        except Exception as exc:  # its connection lost: wait again after the next send
            lost += 1
            if lost == 1:
                log.warning("webhook relay: waiting for an answer (%s)", type(exc).__name__)
            time.sleep(max(0.0, until - time.monotonic()))
            continue
        if got is not None:
            if sent > 1:
                log.info("webhook relay: answered after %d sends", sent)
            return got
    return None


def _key(request: Message) -> str:
    # the whole message, not its id alone: only the very same request is a copy
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()


class Once:
    """The owner's answers by request (rules 2 and 3): a copy gets the answer again."""

    def __init__(
        self,
        keep_s: float = KEEP_S,
        keep_max: int = KEEP_MAX,
        clock: Callable[[], float] = time.monotonic,
        keep_bytes: int = KEEP_BYTES,
    ) -> None:
        self._keep_s, self._keep_max, self._clock = keep_s, keep_max, clock
        self._keep_bytes, self._bytes = keep_bytes, 0
        # key -> (kept at, answer, its size in bytes), oldest first
        self._done: OrderedDict[str, tuple[float, Message, int]] = OrderedDict()
        self._busy: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._warned = False

    def __len__(self) -> int:
        with self._lock:
            return len(self._done)

    def __call__(self, request: Message, apply: Callable[[Message], Message]) -> Message:
        """``apply(request)``'s answer, applied only for the first copy of ``request``."""
        if not request.get("id"):  # an asker that never re-sends (an older web process)
            return apply(request)
        key = _key(request)
        while True:
            with self._lock:
                self._forget()
                kept = self._done.get(key)
                if kept is not None:
                    return kept[1]
                busy = self._busy.get(key)
                if busy is None:
                    mine = self._busy[key] = threading.Event()
                    break
            busy.wait()  # the first copy is being applied: its answer is kept, then taken
        try:
            answer = apply(request)
            size = len(json.dumps(answer, default=str))
            with self._lock:
                self._done[key] = (self._clock(), answer, size)
                self._bytes += size
                self._forget()
            return answer
        finally:
            with self._lock:
                del self._busy[key]
            mine.set()

    def _forget(self) -> None:
        """Answers too old to be asked again, then the oldest beyond ``keep_max``."""
        now = self._clock()
        while self._done:
            at, _, _ = next(iter(self._done.values()))
            young = now - at < self._keep_s
            full = len(self._done) > self._keep_max or self._bytes > self._keep_bytes
            if young and not full:
                return
            if young and not self._warned:
                self._warned = True  # once: the traffic, not a fault, is the cause
                log.warning(
                    "webhook relay: over %d answers or %d bytes of them in %.0f s: a late "
                    "copy of an older request may be applied again",
                    self._keep_max, self._keep_bytes, self._keep_s,
                )  # fmt: skip
            self._bytes -= self._done.popitem(last=False)[1][2]
