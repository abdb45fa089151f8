"""What an attacker with a user of one firm (or of the other firm of the same store) tried
against the API and the web app, and what each attempt now meets (session 9's sweep).

Each test sends the attacking request over HTTP to the app (the test client, a real store)
and checks both the answer and that nothing was written.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.entrypoints.api.deps import JSON_BODY, SMALL_BODY, UPLOAD_BODY
from lexdial.entrypoints.api.id_range import MAX_ID
from lexdial.entrypoints.api.number_lookups import LOOKUPS_AT_ONCE
from lexdial.service.auth import issue_token
from lexdial.service.firms import add_firm
from lexdial.service.users import OPERATOR, add_user

from .conftest import FIRM, NOW, Api
from .test_api_people import CONTACT, NUMBER

HUGE = 2**64
CONSENTED = {"kind": "express", "given_at": "2026-06-02", "scope": ["reminder"], "seller": FIRM}


def _count(api: Api, table: Any) -> int:
    with api.store.db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _firm2_admin(api: Api) -> tuple[dict[str, str], int]:
    """Another firm of the same store: its admin's bearer header and its agent's user id."""
    s = api.store
    with s.db.begin() as conn:
        uow = SqlUnitOfWork(conn)
        firm2 = add_firm(uow, s.audit, "Other Firm PLLC", NOW, "test")
        admin = add_user(uow, s.cipher, firm2, "admin@other.test", "O", "admin", NOW,
                         audit=s.audit, caller=OPERATOR)  # fmt: skip
        agent = add_user(uow, s.cipher, firm2, "agent@other.test", "O", "agent", NOW,
                         audit=s.audit, caller=OPERATOR)  # fmt: skip
        token = issue_token(uow, s.audit, admin, "t", OPERATOR, NOW).token
    return {"Authorization": f"Bearer {token}"}, agent


# --- a Twilio Client identity is one user's: no one else may hold it (or get its token)


def _identity(api: Api, user_id: int, address: str, headers: dict[str, str]) -> Any:
    body = {"kind": "twilio_client", "address": address}
    return api.client.post(f"/v1/users/{user_id}/endpoints", json=body, headers=headers)


def test_another_firms_admin_cannot_give_their_agent_our_agents_twilio_identity(
    api: Api,
) -> None:
    # firm 1's agent takes live calls as "dana.desk": the dialler rings client:dana.desk,
    # and every device holding a token for that identity would ring and could answer
    mine = _identity(api, api.users["agent"], "dana.desk", api.headers("admin"))
    assert mine.status_code == 201, mine.text
    h2, agent2 = _firm2_admin(api)
    before = _count(api, t.agent_endpoints)
    for guess in ("dana.desk", "Dana.Desk"):
        res = _identity(api, agent2, guess, h2)
        assert res.status_code == 422, res.text
        assert res.json()["error"]["field"] == "address"
    # nor within the firm: a manager's desk would ring with the agent's calls
    res = _identity(api, api.users["manager"], "DANA.desk", api.headers("admin"))
    assert res.status_code == 422 and res.json()["error"]["field"] == "address"
    assert _count(api, t.agent_endpoints) == before
    # an identity of its own is still fine
    assert _identity(api, agent2, "robin.desk", h2).status_code == 201


def test_an_identity_two_users_already_hold_gets_no_token_until_one_lets_it_go(api: Api) -> None:
    assert _identity(api, api.users["agent"], "dana.desk", api.headers("admin")).status_code == 201
    _, agent2 = _firm2_admin(api)
    with api.store.db.begin() as conn:  # written before the check existed
        dup = SqlUnitOfWork(conn).users.add_endpoint(agent2, "twilio_client", "dana.desk", NOW)
    res = api.client.get("/desk/twilio/token", headers=api.headers("agent"))
    assert res.status_code == 403, res.text
    assert "another user" in res.json()["error"]["message"]
    with api.store.db.begin() as conn:
        SqlUnitOfWork(conn).users.remove_endpoint(dup)
    # the identity is the agent's alone again: the token is refused only for want of the
    # Twilio API key settings in this test (503 names them), not for the identity
    res = api.client.get("/desk/twilio/token", headers=api.headers("agent"))
    assert res.status_code == 503, res.text


# --- JSON text that is not Unicode (a lone UTF-16 surrogate) is named, never stored

SURROGATE_BODIES = [
    ("POST", "/v1/contacts", '{"numbers": [{"number": "+16145550177"}], "name": "Ana \\ud800"}',
     "name"),
    ("POST", "/v1/contacts", '{"numbers": [{"number": "+1614555\\udc000177"}]}',
     "numbers.0.number"),
    ("POST", "/v1/review", '{"channel": "email", "text": "stop \\ud83d calling"}', "text"),
    ("POST", "/v1/optouts", '{"number": "+16145550101", "channel": "staff", '
     '"evidence": "\\udfff"}', "evidence"),
    ("POST", "/v1/campaigns", '{"name": "\\ud800"}', "name"),
    ("POST", "/v1/decisions", '{"at": "2026-12-02T15:00:00Z", "number": "+16145550101", '
     '"purpose": "remi\\ud800nder", "technology": "manual"}', "purpose"),
    ("POST", "/v1/users/1/tokens", '{"name": "\\ud800"}', "name"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body", "field"), SURROGATE_BODIES)
def test_a_lone_surrogate_in_a_json_body_is_a_422_naming_the_field_and_nothing_is_written(
    api: Api, method: str, path: str, body: str, field: str
) -> None:
    tables = (t.contacts, t.review_items, t.dnc_entries, t.campaigns, t.api_tokens)
    before = [_count(api, x) for x in tables]
    headers = {**api.headers("admin"), "content-type": "application/json"}
    res = api.client.request(method, path, content=body, headers=headers)
    assert res.status_code == 422, res.text
    assert res.json()["error"]["field"] == field
    assert [_count(api, x) for x in tables] == before


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16-le", "utf-16", "utf-32"])
def test_a_lone_surrogate_written_raw_in_any_encoding_json_reads_is_refused_too(
    api: Api, encoding: str
) -> None:
    # json.loads reads UTF-16/32, and UTF-8 with "surrogatepass": no escape needed
    text = '{"numbers": [{"number": "+16145550177"}], "name": "Ana \ud800"}'
    body = text.encode(encoding, "surrogatepass")
    headers = {**api.headers("admin"), "content-type": "application/json"}
    res = api.client.post("/v1/contacts", content=body, headers=headers)
    assert res.status_code == 422, res.text
    assert res.json()["error"]["field"] == "name"
    assert _count(api, t.contacts) == 0
    # the same document, Unicode throughout, in UTF-16 is read as before
    good = text.replace("\ud800", "B").encode("utf-16")
    assert api.client.post("/v1/contacts", content=good, headers=headers).status_code == 201


def test_an_agents_surrogate_no_longer_breaks_the_firms_review_queue(api: Api) -> None:
    # before: the text was stored (inside a JSON envelope) and every later listing was a 500
    bad = '{"channel": "email", "text": "stop \\ud800 calling me", "number": "+16145550101"}'
    headers = {**api.headers("agent"), "content-type": "application/json"}
    assert api.client.post("/v1/review", content=bad, headers=headers).status_code == 422
    listed = api.client.get("/v1/review", headers=api.headers("compliance"))
    assert listed.status_code == 200 and listed.json() == []


def test_a_surrogate_pair_is_unicode_and_is_accepted(api: Api) -> None:
    body = '{"numbers": [{"number": "+16145550177"}], "name": "Ana \\ud83d\\ude00 Client"}'
    headers = {**api.headers("admin"), "content-type": "application/json"}
    res = api.client.post("/v1/contacts", content=body, headers=headers)
    assert res.status_code == 201, res.text
    page = api.client.get(f"/v1/contacts/{res.json()['contact']}", headers=api.headers("admin"))
    assert page.json()["name"] == "Ana \N{GRINNING FACE} Client"


# --- stated preferences answer "is this number on file?": counted for masked roles


def test_an_agent_cannot_probe_masked_digits_through_stated_preferences(api: Api) -> None:
    assert api.client.post("/v1/contacts", json=CONTACT, headers=api.headers("admin")).is_success
    h = api.headers("agent")

    def probe(number: str, headers: dict[str, str]) -> int:
        body = {"number": number}
        return api.client.put("/v1/contacts/preferences", json=body, headers=headers).status_code

    codes = [probe(f"+1614555{i:04d}", h) for i in range(200, 200 + LOOKUPS_AT_ONCE + 3)]
    assert set(codes[:LOOKUPS_AT_ONCE]) == {404} and codes[LOOKUPS_AT_ONCE:] == [429] * 3
    # the bucket is the one every exact-number lookup of the agent draws on
    assert probe(NUMBER, h) == 429
    assert api.client.get("/v1/contacts", params={"number": NUMBER}, headers=h).status_code == 429
    # roles that see numbers whole are not limited
    manager = api.headers("manager")
    full = [probe(f"+1614555{i:04d}", manager) for i in range(300, 300 + LOOKUPS_AT_ONCE + 3)]
    assert set(full) == {404}


# --- dates at the calendar's edges and ids no table holds: named, never a 500


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:00-14:00"])
def test_a_callback_at_the_calendars_edge_is_refused_naming_when(api: Api, when: str) -> None:
    res = api.client.post("/v1/desk/callback", json={"when": when}, headers=api.headers("agent"))
    assert res.status_code == 422, res.text
    assert res.json()["error"]["field"] == "when"


@pytest.mark.parametrize(
    ("when", "zone"), [("0001-01-01T00:00", "Asia/Tokyo"), ("9999-12-31T23:59", "America/Denver")]
)
def test_the_desk_pages_callback_at_the_calendars_edge_is_refused_naming_when(
    api: Api, when: str, zone: str
) -> None:
    body = {"when": when, "zone": zone}
    res = api.client.post("/desk/api/callback", json=body, headers=api.headers("agent"))
    assert res.status_code == 422, res.text
    assert res.json()["error"]["field"] == "when"


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PUT", "/v1/debts/D-1", {"cease_requested_at": "0001-01-01T00:00:00+14:00"},
         "debt.cease_requested_at"),
        ("POST", "/v1/decisions", {"at": "0001-01-01T00:00:00+01:00", "number": NUMBER,
                                   "purpose": "reminder", "technology": "manual"}, "at"),
        # 07:00 in Ohio on the calendar's last day: the earliest lawful time is past it
        ("POST", "/v1/decisions", {"at": "9999-12-31T12:00:00Z", "number": NUMBER,
                                   "purpose": "reminder", "technology": "prerecorded",
                                   "line_type": "wireless", "consents": [CONSENTED]}, "at"),
        ("POST", "/v1/users/{agent}/attestations",
         {"course": "TCPA", "on": "9999-12-01", "valid_days": 365}, "valid_days"),
        ("POST", "/v1/users/{agent}/attestations",
         {"course": "TCPA", "on": "2026-12-01", "valid_days": HUGE}, "valid_days"),
        ("POST", "/v1/campaigns/1/contacts", {"contacts": [HUGE]}, "contacts"),
        ("POST", "/v1/desk/login", {"campaign_id": HUGE}, "campaign_id"),
        ("POST", "/v1/desk/call", {"contact_id": -1}, "contact_id"),
        ("POST", "/v1/review", {"channel": "email", "text": "stop", "contact": HUGE}, "contact"),
    ],
)  # fmt: skip
def test_an_out_of_range_value_in_a_body_is_a_422_naming_the_field(
    api: Api, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    path = path.replace("{agent}", str(api.users["agent"]))
    before = _count(api, t.training_attestations), _count(api, t.campaign_contacts)
    res = api.client.request(method, path, json=body, headers=api.headers("admin"))
    assert res.status_code == 422, res.text
    assert res.json()["error"]["field"] == field
    assert (_count(api, t.training_attestations), _count(api, t.campaign_contacts)) == before


def test_every_id_in_a_json_body_is_bounded_to_what_a_table_holds(api: Api) -> None:
    """A route audit: an integer body field named like an id (``*_id``, ``contact``,
    ``contacts``' items) carries ``maximum`` <= MAX_ID in the published schema."""
    doc = api.client.get("/openapi.json").json()
    schemas = doc["components"]["schemas"]

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        ref = node.get("$ref")
        return schemas[ref.rsplit("/", 1)[1]] if ref else node

    def ints(node: dict[str, Any]) -> list[dict[str, Any]]:
        node = resolve(node)
        options = node.get("anyOf") or [node]
        return [o for o in map(resolve, options) if o.get("type") == "integer"]

    checked, unbounded = 0, []
    for path, ops in doc["paths"].items():
        for op in ops.values():
            content = op.get("requestBody", {}).get("content", {})
            schema = resolve(content.get("application/json", {}).get("schema", {}))
            for name, prop in schema.get("properties", {}).items():
                if name.endswith("_id") or name in ("contact", "contacts"):
                    prop = resolve(prop)
                    for found in ints(prop.get("items", prop)):
                        checked += 1
                        if found.get("maximum", MAX_ID + 1) > MAX_ID:
                            unbounded.append(f"{path} {name}")
    assert checked >= 4 and not unbounded, unbounded


@pytest.mark.parametrize("chosen", ["99999999999999999999", "\N{SUPERSCRIPT TWO}", "-1", "x"])
def test_the_import_pages_campaign_field_must_be_one_offered(api: Api, chosen: str) -> None:
    h = api.headers("admin")
    csv = b"name,phone\nAlex Example,+16145550150\n"
    up = api.client.post("/imports", files={"file": ("a.csv", csv, "text/csv")}, headers=h,
                         follow_redirects=False)  # fmt: skip
    assert up.status_code == 303, up.text
    key = up.headers["location"]
    res = api.client.post(key, data={"campaign": chosen}, headers=h)
    assert res.status_code == 422 and "campaign" in res.text, res.text[:300]
    assert _count(api, t.contacts) == 0
    # the upload was not consumed: the same file imports with no campaign chosen
    assert api.client.post(key, data={"campaign": ""}, headers=h).status_code == 200
    assert _count(api, t.contacts) == 1


@pytest.mark.parametrize(
    "target",
    ["user:\N{SUPERSCRIPT TWO}", "user:99999999999999999999", "user:\N{ARABIC-INDIC DIGIT ONE}"],
)
def test_a_transfer_to_a_user_id_no_table_holds_is_refused_naming_the_target(
    api: Api, target: str
) -> None:
    from .test_desk_api import Desk  # the desk's running campaign and a call handed over

    desk = Desk(api.client, api.store, api.tokens)
    desk.ok("/v1/desk/login", campaign_id=desk.campaign)
    desk.ok("/v1/desk/ready")
    desk.hand_call(api.users["agent"])
    desk.refused("/v1/desk/transfer", 422, "target", target=target)
    seat = api.client.get("/v1/desk", headers=api.headers("agent")).json()
    assert seat["state"] == "on_call" and seat["line_request"] is None


# --- taking a person's data away leaves a trace, on every face


def _exports(api: Api) -> list[tuple[str, str, str, dict[str, Any]]]:
    a = t.audit_log.c
    query = (
        select(a.action, a.actor, a.subject, a.data)
        .where(a.action.in_(("evidence.exported", "privacy.exported")))
        .order_by(a.seq)
    )
    with api.store.db.connect() as conn:
        return [(r[0], r[1], r[2], json.loads(r[3])) for r in conn.execute(query)]


def test_the_evidence_pdf_and_the_privacy_export_over_the_api_are_audited(api: Api) -> None:
    cid = api.client.post("/v1/contacts", json=CONTACT, headers=api.headers("admin")).json()
    cid = cid["contact"]
    auditor = f"user:{api.users['auditor']}"
    compliance = f"user:{api.users['compliance']}"
    pdf = api.client.get("/v1/evidence.pdf", params={"number": NUMBER},
                         headers=api.headers("auditor"))  # fmt: skip
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    for fmt in ("json", "csv"):
        res = api.client.post("/v1/privacy/export", json={"number": NUMBER, "format": fmt},
                              headers=api.headers("compliance"))  # fmt: skip
        assert res.status_code == 200, res.text
    assert _exports(api) == [
        ("evidence.exported", auditor, f"contact:{cid}", {"via": "api", "format": "pdf"}),
        ("privacy.exported", compliance, f"contact:{cid}", {"via": "api", "format": "json"}),
        ("privacy.exported", compliance, f"contact:{cid}", {"via": "api", "format": "csv"}),
    ]
    # a number no contact holds exports nothing, and so records nothing
    miss = api.client.post("/v1/privacy/export", json={"number": "+16145550177"},
                           headers=api.headers("compliance"))  # fmt: skip
    assert miss.status_code == 404 and len(_exports(api)) == 3


# --- a body is read (and JSON parsed) before the caller is known: only imports may be big


def test_a_big_json_body_is_refused_before_it_is_parsed_but_an_import_file_is_not(
    api: Api,
) -> None:
    # 3 MB of empty objects: parsed, they were hundreds of MB of Python objects, for a 401
    flood = b"[" + b"{}," * 1_000_000 + b"{}]"
    json_h = {"content-type": "application/json"}
    assert api.client.post("/v1/contacts", content=flood, headers=json_h).status_code == 413
    signed_in = {**api.headers("admin"), **json_h}
    res = api.client.post("/v1/campaigns/1/contacts", content=flood, headers=signed_in)
    assert res.status_code == 413
    # in the API's one error shape, naming the body and the route's cap (it was plain text)
    assert res.json()["error"] == {
        "type": "UploadTooLargeError",
        "code": "upload_too_large",
        "message": "the request body is too large (2 MB at most on this route)",
        "field": "body",
    }
    # an import file over the JSON cap is still read: 120 000 rows, about 3.4 MB
    rows = b"name,phone\n" + b"Alex Example,+16145550150\n" * 120_000
    assert len(rows) > JSON_BODY
    res = api.client.post("/v1/imports/preview", files={"file": ("big.csv", rows, "text/csv")},
                          headers=api.headers("admin"))  # fmt: skip
    assert res.status_code == 422, res.text[:300]  # read whole, then refused by name
    assert res.json()["error"]["field"] == "file" and "rows" in res.json()["error"]["message"]


def _chunks(body: bytes) -> Iterator[bytes]:
    for i in range(0, len(body), 65536):
        yield body[i : i + 65536]


@pytest.mark.parametrize(
    ("path", "headers", "size", "cap"),
    [
        pytest.param("/v1/contacts", {}, JSON_BODY + 1, "2 MB", id="api-json"),
        pytest.param("/v1/nothing-here", {}, JSON_BODY + 1, "2 MB", id="api-no-such-route"),
        pytest.param("/v1/imports/preview", {}, UPLOAD_BODY + 1, "21 MB", id="api-import"),
        pytest.param("/webhooks/sms", {}, SMALL_BODY + 1, "64 KB", id="webhook"),
    ],
)
@pytest.mark.parametrize("chunked", [False, True], ids=["with-length", "chunked"])
def test_a_body_over_its_routes_cap_is_the_apis_json_error_never_plain_text(
    api: Api, path: str, headers: dict[str, str], size: int, cap: str, chunked: bool
) -> None:
    body = b"x" * size
    sent = _chunks(body) if chunked else body
    res = api.client.post(path, content=sent, headers={**api.headers("admin"), **headers})
    assert res.headers["content-type"] == "application/json"
    if chunked and path == "/v1/nothing-here":  # no length said, no route reads it
        assert res.status_code == 404 and res.json()["error"]["code"] == "not_found"
        return
    error = res.json()["error"]
    assert res.status_code == 413
    assert error["code"] == "upload_too_large" and error["field"] == "body"
    assert f"({cap} at most on this route)" in error["message"]


def test_a_body_over_a_web_pages_cap_is_an_error_page(api: Api) -> None:
    big = b"x" * (SMALL_BODY + 1)
    form = {"content-type": "application/x-www-form-urlencoded"}
    res = api.client.post("/login", content=big, headers=form)
    assert res.status_code == 413 and res.headers["content-type"].startswith("text/html")
    assert "the request body is too large (64 KB at most on this route)" in res.text
    assert "Too large" in res.text and "Content-Security-Policy" in res.headers
