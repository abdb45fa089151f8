"""A local stand-in for Twilio that places calls: its REST API, the people it rings, and
the callbacks it delivers, signed the way Twilio signs them.

``test_twilio_contract.FakeTwilio`` only records requests; this one also *acts*: a
created call rings, is answered (or not) according to the number's ``Callee`` script, and
every callback goes to the URL the call asked for — signed over that public https URL
and delivered, as a TLS proxy or tunnel would, to the plain-HTTP address lexdial listens
on (``deliver_to``). Updates follow the Call resource's documented semantics: new TwiML
replaces what the call does; ``Status=canceled`` ends a queued or ringing call and leaves
an answered one up; ``Status=completed`` ends an in-progress call.

Agents (issue 12): a call to ``client:ID`` rings that Client identity (its ``Callee``
script, key ``client:ID``), and ``<Dial><Conference>`` puts a call in a named room. A room
takes its callback URL and events from the participant that created it (Twilio: the first
participant's ``statusCallback`` is the conference's), reports ``conference-start``,
``participant-join``/``participant-leave`` and ``conference-end``, and ends when a
participant with ``endConferenceOnExit`` leaves: the others' ``<Dial>`` then ends and their
TwiML goes on. An update with new TwiML takes a call out of its room first. The
Participants API adds a call to a room and changes a participant's ``EndConferenceOnExit``.
``hang_up(sid)`` is the person at the far end hanging up.

What it cannot show: that Twilio itself behaves so (no live account was used).
"""

from __future__ import annotations

import base64
import json
import queue
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import parse_qs, urlencode, urlsplit
from urllib.request import Request, urlopen

from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

ACCOUNT = "AC" + "5e" * 16
TOKEN = "5ca1ab1e" + "0" * 24  # never leaves 127.0.0.1


@dataclass(frozen=True)
class Callee:
    """What the person (or machine) at a number does."""

    answer: str = "human"  # human | machine | busy | no-answer | never (rings until canceled)
    press: str | None = None  # a key pressed while the message plays
    ring_s: float = 0.05


@dataclass
class Delivered:
    """One callback Twilio delivered: where, what, and lexdial's answer."""

    url: str
    params: dict[str, str]
    status: int
    body: str


@dataclass
class Call:
    sid: str
    to: str
    form: dict[str, list[str]]
    status: str = "queued"
    room: str | None = None
    updates: queue.Queue[dict[str, str]] = field(default_factory=queue.Queue)
    done: threading.Event = field(default_factory=threading.Event)

    def one(self, name: str) -> str:
        return self.form[name][0]


@dataclass
class Room:
    """A conference: its members (CallSid → EndConferenceOnExit) and its callbacks."""

    name: str
    sid: str
    callback: str
    events: frozenset[str]
    members: dict[str, bool] = field(default_factory=dict)
    sequence: int = 0


@dataclass
class TwilioStandIn:
    """Twilio's Calls API on 127.0.0.1, ringing the ``callees`` (others: ``default``)."""

    deliver_to: str = ""  # http://host:port where lexdial listens (the proxy's upstream)
    callees: dict[str, Callee] = field(default_factory=dict)
    default: Callee = Callee()
    #: a create answered with this HTTP status (no call placed), e.g. 503
    create_fails_with: int | None = None
    #: the same for creates to these numbers only
    fails_for: dict[str, int] = field(default_factory=dict)
    #: seconds a create takes before its answer (beyond lexdial's timeout: a timeout)
    create_delay_s: float = 0.0
    #: seconds before a room reports a participant's join (the join itself is at once)
    join_report_delay_s: float = 0.0
    requests: list[tuple[str, str, dict[str, list[str]]]] = field(default_factory=list)
    calls: dict[str, Call] = field(default_factory=dict)
    rooms: dict[str, Room] = field(default_factory=dict)
    rooms_made: int = 0
    delivered: list[Delivered] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    # --- lifecycle --------------------------------------------------------------------

    def start(self) -> str:
        """Serve the API; its base URL (``LEXDIAL_TWILIO_API_URL``)."""
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _api(self))
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        for call in list(self.calls.values()):
            call.updates.put({"Status": "__stop__"})

    @property
    def creates(self) -> list[dict[str, list[str]]]:
        return [form for _, path, form in self.requests if path.endswith("/Calls.json")]

    @property
    def updates(self) -> list[tuple[str, dict[str, list[str]]]]:
        return [(p, f) for _, p, f in self.requests if not p.endswith("/Calls.json")]

    # --- the REST side ----------------------------------------------------------------

    def answer(self, method: str, path: str, auth: str, form: dict[str, list[str]]) -> Any:
        expected = "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
        if auth != expected:
            return 401, _error(20003, "Authenticate", 401)
        prefix = f"/2010-04-01/Accounts/{ACCOUNT}/Calls"
        rooms = f"/2010-04-01/Accounts/{ACCOUNT}/Conferences/"
        if method == "POST" and path.startswith(rooms):
            with self.lock:
                self.requests.append((method, path, form))
            return self._participants(path.removeprefix(rooms), form)
        if method != "POST" or not path.startswith(prefix):
            return 404, _error(20404, "The requested resource was not found", 404)
        with self.lock:
            self.requests.append((method, path, form))
        if path == prefix + ".json":
            return self._create(form)
        sid = path.removeprefix(prefix + "/").removesuffix(".json")
        return self._update(sid, {k: v[0] for k, v in form.items()})

    def _create(self, form: dict[str, list[str]]) -> Any:
        if self.create_delay_s:
            time.sleep(self.create_delay_s)
        failure = self.fails_for.get(form["To"][0], self.create_fails_with)
        if failure is not None:
            status = failure
            return status, _error(20500, "Internal Server Error", status)
        call = self._place(form)
        return 201, _call_body(call.sid, "queued", call.to)

    def _place(self, form: dict[str, list[str]]) -> Call:
        with self.lock:
            sid = f"CA{len(self.calls) + 1:032x}"
            call = self.calls[sid] = Call(sid, form["To"][0], form)
        callee = self.callees.get(call.to, self.default)
        threading.Thread(target=self._ring, args=(call, callee), daemon=True).start()
        return call

    def _participants(self, rest: str, form: dict[str, list[str]]) -> Any:
        """``{CF}/Participants.json`` (add a call) or ``{CF}/Participants/{CA}.json``."""
        conference, _, tail = rest.partition("/Participants")
        with self.lock:
            room = next((r for r in self.rooms.values() if r.sid == conference), None)
        if room is None:
            return 404, _error(20404, "The requested resource was not found", 404)
        fields = {k: v[0] for k, v in form.items()}
        if tail == ".json":  # a new participant: dial To, put it in the room once answered
            ends = fields.get("EndConferenceOnExit", "false")
            doc = ET.Element("Response")
            noun = ET.SubElement(ET.SubElement(doc, "Dial"), "Conference")
            noun.set("endConferenceOnExit", ends)
            noun.set("startConferenceOnEnter", fields.get("StartConferenceOnEnter", "true"))
            noun.text = room.name
            call = self._place(form | {"Twiml": [ET.tostring(doc, encoding="unicode")]})
            return 201, _participant_body(room, call.sid, ends == "true")
        sid = tail.removeprefix("/").removesuffix(".json")
        with self.lock:
            if sid not in room.members:
                return 404, _error(20404, "The requested resource was not found", 404)
            if "EndConferenceOnExit" in fields:
                room.members[sid] = fields["EndConferenceOnExit"] == "true"
            ends = room.members[sid]
        return 200, _participant_body(room, sid, ends)

    def hang_up(self, sid: str) -> None:
        """The person on call ``sid`` hangs up."""
        self.calls[sid].updates.put({"__far_hangup__": "1"})

    def _update(self, sid: str, fields: dict[str, str]) -> Any:
        call = self.calls.get(sid)
        if call is None:
            return 404, _error(20404, "The requested resource was not found", 404)
        with self.lock:
            now, wanted = call.status, fields.get("Status")
            if now in ("completed", "canceled", "busy", "no-answer", "failed"):
                return 400, _error(21220, "Call is not in-progress. Cannot redirect.", 400)
            if (wanted == "canceled" and now in ("queued", "initiated", "ringing")) or (
                wanted == "completed" and now == "in-progress"
            ):
                call.status = wanted
            status = call.status
        call.updates.put(fields)
        return 200, _call_body(sid, status, call.to)

    # --- the call's side --------------------------------------------------------------

    def callback(self, call: Call, url: str, **fields: str) -> Delivered:
        """POST ``fields`` to ``url`` as Twilio does: signed over ``url``, delivered to
        ``deliver_to`` (the public scheme and host are the proxy's)."""
        params = {
            "AccountSid": ACCOUNT,
            "ApiVersion": "2010-04-01",
            "CallSid": call.sid,
            "Direction": "outbound-api",
            "From": call.one("From"),
            "To": call.to,
            "CallStatus": call.status,
        } | fields
        return self._post(url, params)

    def _post(self, url: str, params: dict[str, str]) -> Delivered:
        signature = RequestValidator(TOKEN).compute_signature(url, params)
        parts = urlsplit(url)
        target = self.deliver_to + parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
        }
        try:
            request = Request(target, data=urlencode(params).encode(), headers=headers)
            with urlopen(request, timeout=5) as response:
                got = Delivered(url, params, response.status, response.read().decode())
        except HTTPError as exc:
            with exc:
                got = Delivered(url, params, exc.code, exc.read().decode())
        except (URLError, OSError, ValueError):  # nobody listens (any more)
            got = Delivered(url, params, 0, "")
        with self.lock:
            self.delivered.append(got)
        return got

    def _status(self, call: Call, status: str, **fields: str) -> None:
        with self.lock:
            if call.status in _FINAL and status in ("initiated", "ringing"):
                return  # cancelled before it rang (as Twilio: a final status stays final)
            call.status = status
        if "StatusCallback" in call.form:  # a participant added to a room may have none
            self.callback(call, call.one("StatusCallback"), **fields)

    def _ring(self, call: Call, callee: Callee) -> None:
        try:
            self._run(call, callee)
        finally:
            call.done.set()

    def _run(self, call: Call, callee: Callee) -> None:
        self._status(call, "initiated")
        self._status(call, "ringing")
        if call.status in _FINAL:  # cancelled while the create was answered: report the end
            self._status(call, call.status)
            return
        if callee.answer in ("busy", "no-answer"):
            time.sleep(callee.ring_s)
            self._status(call, callee.answer)
            return
        deadline = time.monotonic() + (60.0 if callee.answer == "never" else callee.ring_s)
        while time.monotonic() < deadline:
            ended = self._next(call, deadline - time.monotonic())
            if ended is not None and call.status in ("canceled", "completed"):
                self._status(call, call.status)
                return
        if callee.answer == "never":
            self._status(call, "no-answer")
            return
        self._status(call, "in-progress")
        amd = call.form.get("AsyncAmdStatusCallback")
        if amd:
            verdict = "human" if callee.answer == "human" else "machine_end_beep"
            self.callback(call, amd[0], AnsweredBy=verdict, MachineDetectionDuration="2100")
        self._follow(call, callee, ET.fromstring(call.one("Twiml")))

    def _next(self, call: Call, wait: float) -> dict[str, str] | None:
        try:
            return call.updates.get(timeout=max(wait, 0.0))
        except queue.Empty:
            return None

    def _follow(self, call: Call, callee: Callee, doc: ET.Element) -> None:
        """Carry out TwiML documents until the call ends."""
        pressed = False
        while True:
            answer = self._execute(call, callee, doc, pressed)
            if isinstance(answer, ET.Element):  # redirected while in a room
                doc = answer
                continue
            if answer == "stop":
                self._status(call, "completed", CallDuration="30")
                return
            if answer == "pressed":
                pressed = True
                answer = None
            if answer == "hangup":
                self._status(call, "completed", CallDuration="3")
                return
            update = self._next(call, 30.0)  # the hold: wait for lexdial's next command
            if update is None or update.get("Status") == "__stop__" or "__far_hangup__" in update:
                self._status(call, "completed", CallDuration="30")
                return
            if call.status == "completed":
                self._status(call, "completed", CallDuration="3")
                return
            if "Twiml" in update:
                doc = ET.fromstring(update["Twiml"])

    def _execute(
        self, call: Call, callee: Callee, doc: ET.Element, pressed: bool
    ) -> str | ET.Element | None:
        """One document: play, press, follow a Redirect (its answer is executed too)."""
        for node in doc:
            if node.tag == "Hangup":
                return "hangup"
            if node.tag == "Gather":
                has_audio = any(child.tag in ("Play", "Say") for child in node)
                if has_audio and callee.press and not pressed:
                    got = self.callback(
                        call, node.get("action", ""), Digits=callee.press, FinishedOnKey=""
                    )
                    after = self._execute(call, callee, ET.fromstring(got.body), True)
                    return after or "pressed"
                if not has_audio:
                    return None  # the silent hold: wait for an update
            elif node.tag == "Redirect" and node.text:
                time.sleep(0.05)  # the audio plays
                got = self.callback(call, node.text)
                if got.status != 200:
                    return "hangup"
                return self._execute(call, callee, ET.fromstring(got.body), pressed)
            elif node.tag == "Dial":
                room = node.find("Conference")
                if room is None:
                    return "hangup"
                left = self._in_room(call, room)
                if left is not None:
                    return left
                # the room ended: the document goes on after the <Dial>
        return "hangup"

    # --- rooms ------------------------------------------------------------------------

    def _in_room(self, call: Call, noun: ET.Element) -> str | ET.Element | None:
        """Be in the room until it ends (None), the call ends ("hangup"/"stop") or new
        TwiML takes it out (the new document)."""
        name = (noun.text or "").strip()
        ends = noun.get("endConferenceOnExit") == "true"
        starts = noun.get("startConferenceOnEnter", "true") == "true"
        with self.lock:
            room = self.rooms.get(name)
            created = room is None
            if room is None:
                self.rooms_made += 1
                events = frozenset(noun.get("statusCallbackEvent", "").split())
                room = self.rooms[name] = Room(
                    name, f"CF{self.rooms_made:032x}", noun.get("statusCallback", ""), events
                )
            room.members[call.sid] = ends
            call.room = name
        if created and starts:
            self._room_event(room, "start", None)
        if self.join_report_delay_s:
            time.sleep(self.join_report_delay_s)
        self._room_event(room, "join", call, ends, starts)
        while True:
            update = self._next(call, 30.0)
            if update is None:
                continue  # a room holds without limit
            if "__room_end__" in update:
                with self.lock:
                    call.room = None
                return None
            if update.get("Status") == "__stop__":
                self._leave(call, room)
                return "stop"
            if "__far_hangup__" in update or call.status == "completed":
                self._leave(call, room)
                return "hangup"
            if "Twiml" in update:
                self._leave(call, room)
                return ET.fromstring(update["Twiml"])

    def _leave(self, call: Call, room: Room) -> None:
        with self.lock:
            ends = room.members.pop(call.sid, False)
            call.room = None
            others = list(room.members) if ends else []
            if ends:
                room.members.clear()
                self.rooms.pop(room.name, None)
        self._room_event(room, "leave", call, ends)
        for sid in others:
            self.calls[sid].updates.put({"__room_end__": "1"})
        if ends or not room.members:
            with self.lock:
                if self.rooms.get(room.name) is room:
                    del self.rooms[room.name]
            self._room_event(room, "end", None)

    def _room_event(
        self, room: Room, event: str, call: Call | None, ends: bool = False, starts: bool = True
    ) -> None:
        """A conference status callback, when the room asked for ``event``."""
        if event not in room.events or not room.callback:
            return
        with self.lock:
            room.sequence += 1
            sequence = room.sequence
        name = {"start": "conference-start", "end": "conference-end"}.get(
            event, f"participant-{event}"
        )
        params = {
            "AccountSid": ACCOUNT,
            "ConferenceSid": room.sid,
            "FriendlyName": room.name,
            "StatusCallbackEvent": name,
            "SequenceNumber": str(sequence),
            "Timestamp": "Mon, 07 Dec 2026 05:00:00 +0000",
        }
        if call is not None:
            params |= {
                "CallSid": call.sid,
                "Muted": "false",
                "Hold": "false",
                "Coaching": "false",
                "EndConferenceOnExit": str(ends).lower(),
                "StartConferenceOnEnter": str(starts).lower(),
            }
        self._post(room.callback, params)


def _api(standin: TwilioStandIn) -> type[BaseHTTPRequestHandler]:
    class Api(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
            status, body = standin.answer(
                "POST", self.path, self.headers.get("Authorization", ""), form
            )
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up (a timeout test)

        def log_message(self, *args: object) -> None:
            pass

    return Api


#: statuses a call never leaves
_FINAL = ("completed", "canceled", "busy", "no-answer", "failed")


def _error(code: int, message: str, status: int) -> dict[str, Any]:
    return {"code": code, "message": message, "status": status,
            "more_info": f"https://www.twilio.com/docs/errors/{code}"}  # fmt: skip


def _participant_body(room: Room, call_sid: str, ends: bool) -> dict[str, Any]:
    return {
        "account_sid": ACCOUNT,
        "call_sid": call_sid,
        "conference_sid": room.sid,
        "end_conference_on_exit": ends,
        "start_conference_on_enter": True,
        "muted": False,
        "hold": False,
        "coaching": False,
        "status": "connected",
        "date_created": "Mon, 07 Dec 2026 05:00:00 +0000",
        "date_updated": "Mon, 07 Dec 2026 05:00:00 +0000",
        "uri": f"/2010-04-01/Accounts/{ACCOUNT}/Conferences/{room.sid}/Participants/"
        f"{call_sid}.json",
    }


def _call_body(sid: str, status: str, to: str) -> dict[str, Any]:
    return {
        "sid": sid,
        "account_sid": ACCOUNT,
        "api_version": "2010-04-01",
        "direction": "outbound-api",
        "status": status,
        "to": to,
        "from": "+16145550199",
        "answered_by": None,
        "date_created": "Mon, 07 Dec 2026 05:00:00 +0000",
        "date_updated": "Mon, 07 Dec 2026 05:00:00 +0000",
        "uri": f"/2010-04-01/Accounts/{ACCOUNT}/Calls/{sid}.json",
        "subresource_uris": {},
    }
