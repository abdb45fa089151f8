"""The public pages over HTTP, as a browser without JavaScript uses them: opt-out by code,
the consent form with its evidence, CSRF, rate limits and no number enumeration."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.entrypoints.api.routes_public import disclosure_text
from lexdial.entrypoints.api.routes_webhooks import InterfaceSettings
from lexdial.service.consent import consents_for
from lexdial.service.contacts import NewContact, add_contact, number_index
from lexdial.service.fakes import ListAudit
from lexdial.service.public_codes import (
    MemorySender,
    PageLimits,
    RateLimiter,
    check_code,
    issue_code,
)
from lexdial.service.users import OPERATOR

from .conftest import FIRM, NOW, Api

KNOWN = "+16145550101"
UNKNOWN = "+16145550177"
UA = "Mozilla/5.0 (pytest-browser)"


@pytest.fixture
def sms(api: Api) -> MemorySender:
    sender = MemorySender()
    api.client.app.state.code_sender = sender  # type: ignore[attr-defined]
    api.client.app.state.interfaces = InterfaceSettings()  # type: ignore[attr-defined]
    with api.store.db.begin() as conn:
        add_contact(SqlUnitOfWork(conn), api.store.cipher, api.store.firm_id,
                    NewContact(((KNOWN, "wireless"),), "Maria Ruiz"), NOW,
                        audit=ListAudit(), caller=OPERATOR)  # fmt: skip
    return sender


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden {name}"
    return found.group(1)


def _post(api: Api, path: str, page: str, **fields: str) -> Any:
    data = {"csrf": _hidden(page, "csrf"), **fields}
    return api.client.post(path, data=data, headers={"User-Agent": UA})


def _dnc(api: Api, number: str) -> list[str]:
    bidx = number_index(api.store.cipher, number)
    with api.store.db.connect() as conn:
        q = select(t.dnc_entries.c.channel).where(t.dnc_entries.c.number_bidx == bidx)
        return list(conn.execute(q).scalars())


def _request_code(api: Api, number: str) -> Any:
    page = api.client.get("/public/optout").text
    return _post(api, "/public/optout", page, step="start", number=number)


# --- opt-out -------------------------------------------------------------------------------


def test_opt_out_by_code_end_to_end(api: Api, sms: MemorySender) -> None:
    page = api.client.get("/public/optout")
    assert page.status_code == 200 and '<label for="number">' in page.text
    assert page.headers["x-frame-options"] == "DENY"
    asked = _request_code(api, "(614) 555-0101")
    assert asked.status_code == 200 and "we have sent it a 6-digit code" in asked.text
    code = sms.last_code(KNOWN)
    assert code is not None and len(code) == 6 and FIRM in sms.sent[-1][1]
    assert _dnc(api, KNOWN) == []  # nothing happens before the code comes back
    done = _post(api, "/public/optout", asked.text, step="code",
                 state=_hidden(asked.text, "state"), code=code)  # fmt: skip
    assert done.status_code == 200 and "will not call or text this number again" in done.text
    assert _dnc(api, KNOWN) == ["web"]
    assert KNOWN not in asked.text and "555" not in asked.text  # the number is sealed


def test_a_wrong_code_is_refused_and_guesses_run_out(api: Api, sms: MemorySender) -> None:
    asked = _request_code(api, KNOWN)
    state, code = _hidden(asked.text, "state"), sms.last_code(KNOWN)
    assert code is not None
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    page = asked.text
    for _ in range(5):
        res = _post(api, "/public/optout", page, step="code", state=state, code=wrong)
        assert res.status_code == 400 and "not right" in res.text
        page = res.text
    late = _post(api, "/public/optout", page, step="code", state=state, code=code)
    assert late.status_code == 400  # five wrong guesses: even the right code is refused now
    assert _dnc(api, KNOWN) == []


def test_a_known_and_an_unknown_number_get_the_same_page(api: Api, sms: MemorySender) -> None:
    def neutral(html: str) -> str:
        return re.sub(r'value="[^"]*"|ending in \d\d', "", html)

    known, unknown = _request_code(api, KNOWN), _request_code(api, UNKNOWN)
    assert known.status_code == unknown.status_code == 200
    assert neutral(known.text) == neutral(unknown.text)


def test_code_requests_are_rate_limited_per_client(api: Api, sms: MemorySender) -> None:
    codes = [_request_code(api, f"+1614555{n:04d}").status_code for n in range(200, 206)]
    assert codes == [200] * 5 + [429]


def test_code_requests_are_rate_limited_per_number(api: Api, sms: MemorySender) -> None:
    limits = PageLimits(code_ip=RateLimiter(100, 60))
    api.client.app.state.public_limits = limits  # type: ignore[attr-defined]
    codes = [_request_code(api, KNOWN).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert len(sms.sent) == 3


def test_a_post_without_the_csrf_token_or_cookie_is_forbidden(api: Api, sms: MemorySender) -> None:
    res = api.client.post("/public/optout", data={"step": "start", "number": KNOWN})
    assert res.status_code == 403
    page = api.client.get("/public/optout").text
    api.client.cookies.clear()  # a token without the browser's cookie: another site's post
    res = _post(api, "/public/optout", page, step="start", number=KNOWN)
    assert res.status_code == 403 and sms.sent == []
    consent = api.client.post("/public/consent/v1", data={"name": "X", "number": KNOWN})
    assert consent.status_code == 403


def test_a_token_for_one_form_does_not_open_another(api: Api, sms: MemorySender) -> None:
    page = api.client.get("/public/optout").text
    res = _post(api, "/public/consent/v1", page, step="form", name="A", number=KNOWN)
    assert res.status_code == 403


# --- consent -------------------------------------------------------------------------------

FORM = {"step": "form", "name": "Ana Lopez", "number": "(614) 555-0142", "agree": "yes",
        "signature": "Ana Lopez"}  # fmt: skip


def test_the_consent_page_shows_the_exact_disclosure(api: Api, sms: MemorySender) -> None:
    page = api.client.get("/public/consent/v1")
    assert page.status_code == 200
    text = disclosure_text(api.store, "v1")
    assert FIRM in text and "not a condition" in text
    assert "automatic telephone dialing system" in text and "prerecorded" in text
    assert text.replace("&", "&amp;") in page.text
    for field in ("name", "number", "agree", "signature"):
        assert f'<label for="{field}">' in page.text and f'id="{field}"' in page.text
    assert _hidden(page.text, "sha") == hashlib.sha256(text.encode()).hexdigest()
    assert "<script" not in page.text


def test_consent_is_recorded_with_its_evidence(api: Api, sms: MemorySender) -> None:
    # a firm that switched the code off (LEXDIAL_CONSENT_DOUBLE_OPT_IN=0)
    api.client.app.state.interfaces = InterfaceSettings(consent_double_opt_in=False)  # type: ignore[attr-defined]
    page = api.client.get("/public/consent/v1").text
    res = _post(api, "/public/consent/v1", page, sha=_hidden(page, "sha"), **FORM)
    assert res.status_code == 200 and "consent is recorded" in res.text
    with api.store.db.connect() as conn:
        (c,) = consents_for(
            SqlUnitOfWork(conn), api.store.cipher, api.store.firm_id, "+16145550142"
        )
    text = disclosure_text(api.store, "v1")
    assert c["disclosure_text"] == text and c["disclosure_version"] == "v1"
    assert c["disclosure_sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert c["source_ip"] == "testclient" and c["user_agent"] == UA
    assert c["kind"] == "express_written" and c["sellers"] == [FIRM]
    assert "marketing" in c["scope"] and c["captured_by"] == "public:consent-page"
    assert c["given_at"].replace(tzinfo=None) == NOW.replace(tzinfo=None)
    with api.store.db.connect() as conn:
        actions = list(conn.execute(select(t.audit_log.c.action)).scalars())
    assert "consent.recorded" in actions


@pytest.mark.parametrize(("change", "field"), [({"agree": ""}, "Tick the box"),
                                               ({"number": "12"}, "full telephone number"),
                                               ({"signature": " "}, "Type your full name"),
                                               ({"sha": "0" * 64}, "changed while")])  # fmt: skip
def test_an_incomplete_consent_records_nothing(
    api: Api, sms: MemorySender, change: dict[str, str], field: str
) -> None:
    page = api.client.get("/public/consent/v1").text
    res = _post(api, "/public/consent/v1", page, **{"sha": _hidden(page, "sha"), **FORM, **change})
    assert res.status_code == 422 and field in res.text
    with api.store.db.connect() as conn:
        assert conn.execute(select(t.consents.c.id)).first() is None


def test_double_opt_in_records_only_after_the_code(api: Api, sms: MemorySender) -> None:
    # the default: nobody can consent for a number they cannot receive a code on
    assert InterfaceSettings.from_env({}).consent_double_opt_in
    page = api.client.get("/public/consent/v1").text
    asked = _post(api, "/public/consent/v1", page, sha=_hidden(page, "sha"), **FORM)
    assert asked.status_code == 200 and "6-digit code" in asked.text
    with api.store.db.connect() as conn:
        assert conn.execute(select(t.consents.c.id)).first() is None
    code = sms.last_code("+16145550142")
    assert code is not None
    done = _post(api, "/public/consent/v1", asked.text, step="code",
                 state=_hidden(asked.text, "state"), code=code)  # fmt: skip
    assert done.status_code == 200 and "consent is recorded" in done.text
    with api.store.db.connect() as conn:
        (c,) = consents_for(
            SqlUnitOfWork(conn), api.store.cipher, api.store.firm_id, "+16145550142"
        )
    assert c["method"].endswith("double_opt_in") and c["user_agent"] == UA


def test_an_unknown_disclosure_version_is_404(api: Api, sms: MemorySender) -> None:
    assert api.client.get("/public/consent/v999").status_code == 404


def test_a_code_expires_after_ten_minutes_and_works_once(api: Api) -> None:
    s = api.store
    with s.db.begin() as conn:
        uow = SqlUnitOfWork(conn)
        code = issue_code(uow, s.cipher, "optout", KNOWN, NOW)
        assert code is not None
        assert not check_code(uow, s.cipher, "optout", KNOWN, code, NOW + timedelta(minutes=10))
        fresh = issue_code(uow, s.cipher, "optout", KNOWN, NOW + timedelta(minutes=11))
        assert fresh is not None
        assert not check_code(uow, s.cipher, "consent", KNOWN, fresh, NOW)  # other purpose
        assert check_code(uow, s.cipher, "optout", KNOWN, fresh, NOW + timedelta(minutes=12))
        assert not check_code(uow, s.cipher, "optout", KNOWN, fresh, NOW + timedelta(minutes=12))
        hashes = list(conn.execute(select(t.public_codes.c.code_hash)).scalars())
    assert code not in hashes and fresh not in hashes and all(len(h) == 64 for h in hashes)


def test_a_code_the_sms_provider_refuses_leaves_the_page_neutral(api: Api) -> None:
    from lexdial.errors import TelephonyError

    class Refusing:
        def send(self, e164: str, text: str) -> None:
            raise TelephonyError("Twilio refused the message (HTTP 400, error 21614)")

    api.client.app.state.code_sender = Refusing()  # type: ignore[attr-defined]
    page = api.client.get("/public/optout").text
    res = _post(api, "/public/optout", page, step="number", number="(614) 555-0101")
    assert res.status_code == 200 and "code" in res.text.lower()
    assert "21614" not in res.text
