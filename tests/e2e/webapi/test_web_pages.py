"""The web dashboard over HTTP: log-in by the form, each page for the roles that may see it,
masked numbers for agents, CSRF on every form, the opt-out button, the life-cycle buttons,
the evidence download, imports, log-out. (The real-browser flow: tests/e2e/browser.)"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork, transactions
from lexdial.adapters.telephony.simulated import SimulatedCarrier
from lexdial.service.campaign_lint import lint_campaign
from lexdial.service.campaigns import add_contacts, create_campaign, set_status
from lexdial.service.consent import ConsentEvidence, NewConsent, record_consent
from lexdial.service.contacts import NewContact, add_contact
from lexdial.service.dialer import Dialer
from lexdial.service.fakes import ListAudit
from lexdial.service.optout import opt_out
from lexdial.service.review import add_item, confirm
from lexdial.service.users import ALLOWED, OPERATOR, ROLES

from .conftest import FIRM, NOW, PASSWORD, Api

MESSAGE = (
    f"Hello, this is {FIRM} with a reminder of your appointment at our office this "
    "week. If you need to reschedule, please call us at 614-555-0199. To stop "
    "receiving these calls, press 9 now."
)
CAMPAIGN = {
    "name": "December reminders",
    "purpose": "reminder",
    "mode": "broadcast",
    "caller_id": "+16145550199",
    "message": {"text": MESSAGE},
    "retry": {"max_attempts": 1},
}
ALLOWED_NUMBER, NO_CONSENT_NUMBER, DNC_NUMBER = "+16145550101", "+16175550104", "+17135550105"


@dataclass
class Sample:
    campaign: int
    allowed: int  # contact ids
    no_consent: int
    dnc: int


def _sample(api: Api) -> Sample:
    """Five contacts on a started campaign, dialled on the simulated carrier: three with
    consent, one without (blocked: NO_CONSENT), one on the firm's do-not-call list."""
    s, at = api.store, NOW - timedelta(days=30)
    ids = {}
    with s.db.begin() as conn:
        for number, state in (
            (ALLOWED_NUMBER, "OH"),
            ("+16145550102", "OH"),
            ("+16145550103", "OH"),
            (NO_CONSENT_NUMBER, "MA"),
            (DNC_NUMBER, "TX"),
        ):
            new = NewContact(
                numbers=((number, "wireless"),),
                name=f"Client {number[-2:]}",
                address={"country": "US", "state": state},
                relationship="current_client",
                subscriber="consumer",
            )
            ids[number] = add_contact(
                SqlUnitOfWork(conn),
                s.cipher,
                s.firm_id,
                new,
                at,
                audit=ListAudit(),
                caller=OPERATOR,
            )
            if number != NO_CONSENT_NUMBER:
                evidence = ConsentEvidence(
                    "signed engagement letter",
                    "You may call me.",
                    "2026-06",
                    "intake desk",
                    document_ref="E-1",
                )
                consent = NewConsent(number, "express", ["reminder"], [FIRM], at, evidence)
                record_consent(
                    SqlUnitOfWork(conn), s.cipher, s.audit, s.firm_id, consent, OPERATOR, at
                )
        opt_out(
            SqlUnitOfWork(conn),
            s.cipher,
            s.audit,
            s.firm_id,
            DNC_NUMBER,
            "staff",
            "asked by phone",
            OPERATOR,
            at,
        )
        cid = create_campaign(SqlUnitOfWork(conn), s.audit, s.firm_id, CAMPAIGN, OPERATOR, at)
        add_contacts(SqlUnitOfWork(conn), s.audit, s.firm_id, cid, list(ids.values()), OPERATOR, at)
        problems = lint_campaign(
            SqlUnitOfWork(conn),
            s.rules,
            s.cipher,
            s.registry,
            firm_id=s.firm_id,
            campaign_id=cid,
            at=NOW,
        )
        set_status(SqlUnitOfWork(conn), s.audit, s.firm_id, cid, "start", OPERATOR, NOW, problems)
    carrier = SimulatedCarrier(seed=1, timescale=0.0001)

    async def dial() -> None:
        t0 = asyncio.get_running_loop().time()

        def clock():  # simulated time: an hour passes in a third of a second
            return NOW + timedelta(seconds=(asyncio.get_running_loop().time() - t0) / 1e-4)

        await Dialer(
            transactions=transactions(s.db),
            engine=s.rules,
            cipher=s.cipher,
            audit=s.audit,
            registry=s.registry,
            firm_id=s.firm_id,
            telephony=carrier,
            clock=clock,
        ).run(cid, until=NOW + timedelta(hours=1))

    asyncio.run(dial())
    return Sample(cid, ids[ALLOWED_NUMBER], ids[NO_CONSENT_NUMBER], ids[DNC_NUMBER])


@pytest.fixture
def sample(api: Api) -> Sample:
    return _sample(api)


def _field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no field {name}"
    return found.group(1)


def login(client: TestClient, role: str) -> str:
    """Log in through the form as ``role``; returns the session's CSRF token."""
    client.cookies.clear()
    form = client.get("/login?next=/compliance")
    res = client.post(
        "/login",
        data={
            "email": f"{role}@firm.test",
            "password": PASSWORD,
            "login_csrf": _field(form.text, "login_csrf"),
            "next": "/compliance",
        },
        follow_redirects=False,
    )
    assert res.status_code == 303 and res.headers["location"] == "/compliance", res.text
    return _field(client.get("/compliance").text, "csrf")


def _dnc_entries(api: Api) -> int:
    with api.store.db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.dnc_entries)).scalar_one())


def test_log_in_sets_a_strict_http_only_session_cookie(api: Api) -> None:
    form = api.client.get("/login")
    assert form.status_code == 200 and '<label for="password">' in form.text
    res = api.client.post(
        "/login",
        data={
            "email": "ADMIN@firm.test ",
            "password": PASSWORD,
            "login_csrf": _field(form.text, "login_csrf"),
        },
        follow_redirects=False,
    )
    assert res.status_code == 303 and res.headers["location"] == "/campaigns"
    cookie = next(c for c in res.headers.get_list("set-cookie") if c.startswith("lexdial_session="))
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower() and "Path=/" in cookie
    assert api.client.get("/campaigns").status_code == 200


@pytest.mark.parametrize(
    ("email", "password"), [("admin@firm.test", "wrong password!"), ("nobody@firm.test", PASSWORD)]
)
def test_wrong_credentials_get_one_generic_message_and_no_session(
    api: Api, email: str, password: str
) -> None:
    form = api.client.get("/login")
    res = api.client.post(
        "/login",
        data={"email": email, "password": password, "login_csrf": _field(form.text, "login_csrf")},
    )
    assert res.status_code == 401 and "Wrong e-mail or password." in res.text
    assert "lexdial_session" not in api.client.cookies


def test_a_log_in_without_the_forms_own_token_is_refused(api: Api) -> None:
    api.client.get("/login")
    res = api.client.post(
        "/login", data={"email": "admin@firm.test", "password": PASSWORD, "login_csrf": "forged"}
    )
    assert res.status_code == 403 and "lexdial_session" not in api.client.cookies


@pytest.mark.parametrize("target", ["https://evil.test/", "//evil.test/x", "/\\evil.test"])
def test_after_log_in_the_browser_never_leaves_the_site(api: Api, target: str) -> None:
    form = api.client.get("/login")
    res = api.client.post(
        "/login",
        data={
            "email": "admin@firm.test",
            "password": PASSWORD,
            "login_csrf": _field(form.text, "login_csrf"),
            "next": target,
        },
        follow_redirects=False,
    )
    assert res.headers["location"] == "/campaigns"


@pytest.mark.parametrize(
    "path", ["/", "/campaigns", "/campaigns/1", "/contacts/1", "/audit", "/compliance", "/imports"]
)
def test_an_anonymous_page_is_401_with_a_way_to_log_in(api: Api, path: str) -> None:
    res = api.client.get(path)
    assert res.status_code == 401 and res.headers["content-type"].startswith("text/html")
    assert f'href="/login?next={path}"' in res.text and "Please log in" in res.text


def _who_may(action: str) -> set[str]:
    return set(ALLOWED[action])


PAGES = {  # page -> the action its route requires
    "/campaigns": "read",
    "/campaigns/{c}": "read",
    "/compliance": "read",
    "/contacts/{n}": "read",
    "/audit": "audit.read",
    "/imports": "import.write",
    "/contacts/{n}/evidence.json": "audit.read",
}


@pytest.mark.parametrize("role", ROLES)
def test_each_page_renders_for_the_roles_that_may_see_it(
    api: Api, sample: Sample, role: str
) -> None:
    login(api.client, role)
    for template, action in PAGES.items():
        path = template.format(c=sample.campaign, n=sample.no_consent)
        res = api.client.get(path)
        expected = 200 if role in _who_may(action) else 403
        assert res.status_code == expected, (role, path, res.text[:300])
        if not path.endswith(".json"):
            assert res.headers["content-type"].startswith("text/html"), path
            assert "<h1>" in res.text or "<h1 " in res.text, path


def test_an_agent_sees_masked_numbers_and_an_admin_the_whole_number(
    api: Api, sample: Sample
) -> None:
    login(api.client, "agent")
    page = api.client.get(f"/contacts/{sample.allowed}").text
    assert "+1614•••••01" in page and ALLOWED_NUMBER not in page and "masked for your role" in page
    assert "/evidence.json" not in page  # the bundle holds the number: not for agents
    login(api.client, "admin")
    page = api.client.get(f"/contacts/{sample.allowed}").text
    assert ALLOWED_NUMBER in page and "/evidence.json" in page


def test_the_campaign_page_shows_progress_charts_the_gauge_and_reasons(
    api: Api, sample: Sample
) -> None:
    login(api.client, "manager")
    page = api.client.get(f"/campaigns/{sample.campaign}").text
    assert page.count('<svg class="chart"') == 3 and "3 % limit" in page
    assert "Calls per hour (UTC)</h2>" in page  # the hours on the axis are UTC: say so
    assert 'id="fig-dialled">3<' in page and 'id="fig-blocked">2<' in page
    assert "consent required for this technology/line/purpose" in page  # NO_CONSENT in words
    assert "on the firm&#39;s own do-not-call list" in page
    assert f'href="/contacts/{sample.no_consent}"' in page
    assert 'id="action-pause"' in page and 'id="action-stop"' in page
    assert 'http-equiv="refresh"' not in page  # nothing dials here (dial=False)
    login(api.client, "agent")
    assert 'id="action-pause"' not in api.client.get(f"/campaigns/{sample.campaign}").text


def test_a_blocked_contact_says_why_in_plain_words(api: Api, sample: Sample) -> None:
    login(api.client, "agent")
    page = api.client.get(f"/contacts/{sample.no_consent}").text
    assert "not called" in page and "No consent is on record" in page
    assert "Consent required for this technology/line/purpose and none is on record." in page
    assert "47 U.S.C. 227" in page  # the citation is given with the reason


def test_a_form_post_without_the_csrf_token_is_refused(api: Api, sample: Sample) -> None:
    csrf = login(api.client, "manager")
    before = _dnc_entries(api)
    for data in ({}, {"csrf": "not-the-token"}):
        res = api.client.post(f"/contacts/{sample.allowed}/optout", data=data)
        assert res.status_code == 403 and "CSRF" in res.text
        res = api.client.post(f"/campaigns/{sample.campaign}/pause", data=data)
        assert res.status_code == 403
    assert api.client.post("/logout", data={}).status_code == 403
    assert _dnc_entries(api) == before
    assert (
        api.client.post(f"/campaigns/{sample.campaign}/pause", data={"csrf": csrf}).status_code
        == 200
    )


def test_the_opt_out_button_puts_the_person_on_do_not_call_at_once(
    api: Api, sample: Sample
) -> None:
    csrf = login(api.client, "agent")
    res = api.client.post(
        f"/contacts/{sample.allowed}/optout", data={"csrf": csrf, "channel": "voice"}
    )
    assert res.status_code == 200 and "Opt-out recorded and in force: 1 consent(s)" in res.text
    assert 'id="dnc"' in res.text and "voice" in res.text
    assert "revoked" in res.text
    login(api.client, "auditor")
    csrf = _field(api.client.get("/compliance").text, "csrf")
    res = api.client.post(f"/contacts/{sample.no_consent}/optout", data={"csrf": csrf})
    assert res.status_code == 403


def test_the_buttons_drive_the_campaign_life_cycle(api: Api, sample: Sample) -> None:
    csrf = login(api.client, "manager")
    url = f"/campaigns/{sample.campaign}"
    for action, status in (("pause", "paused"), ("resume", "running"), ("stop", "stopped")):
        res = api.client.post(f"{url}/{action}", data={"csrf": csrf}, follow_redirects=False)
        assert res.status_code == 303 and res.headers["location"] == url
        assert f'id="campaign-status">{status}<' in api.client.get(url).text
    res = api.client.post(f"{url}/resume", data={"csrf": csrf})
    assert res.status_code == 409 and "cannot resume" in res.text
    res = api.client.post(f"{url}/explode", data={"csrf": csrf})
    assert res.status_code == 422


def test_a_start_refused_by_the_lint_lists_every_problem(api: Api) -> None:
    with api.store.db.begin() as conn:
        cid = create_campaign(
            SqlUnitOfWork(conn), api.store.audit, api.store.firm_id, CAMPAIGN, OPERATOR, NOW
        )
    csrf = login(api.client, "compliance")
    assert "It cannot start until these are fixed" in api.client.get(f"/campaigns/{cid}").text
    res = api.client.post(f"/campaigns/{cid}/start", data={"csrf": csrf})
    assert res.status_code == 409 and "contacts: the campaign has no contacts" in res.text


def test_the_evidence_bundle_downloads_as_json_and_the_download_is_audited(
    api: Api, sample: Sample
) -> None:
    login(api.client, "auditor")
    res = api.client.get(f"/audit/evidence?contact={sample.dnc}", follow_redirects=True)
    assert res.status_code == 200 and res.headers["content-type"] == "application/json"
    assert f'filename="evidence-contact-{sample.dnc}.json"' in res.headers["content-disposition"]
    body = json.loads(res.content)
    (one,) = body["bundles"]
    assert one["number"] == DNC_NUMBER and one["opt_outs"] and one["chain"]["intact"]
    audit = api.client.get("/audit").text
    assert "Intact: all" in audit and "evidence.exported" in audit
    assert "No record check yet" in audit  # viewing the page never runs one


def test_the_audit_page_names_a_record_changed_in_the_database(api: Api, sample: Sample) -> None:
    with api.store.db.begin() as conn:
        conn.execute(t.dnc_entries.update().values(channel="web_form"))
    csrf = login(api.client, "compliance")
    assert "RECORDS CHANGED" not in api.client.get("/audit").text  # not run by viewing
    audit = api.client.post("/audit/records-check", data={"csrf": csrf}).text
    assert "Intact: all" in audit  # the chain holds: its entries were not touched
    assert "RECORDS CHANGED OUTSIDE LEXDIAL" in audit
    row = re.search(r'<table id="record-problems">.*?</table>', audit, re.S)
    assert row and "dnc_entries" in row.group(0) and "<td>channel</td>" in row.group(0)
    assert DNC_NUMBER not in audit


def test_the_compliance_page_shows_coverage_opt_outs_registries_and_the_pack(
    api: Api, sample: Sample
) -> None:
    login(api.client, "auditor")
    page = api.client.get("/compliance").text
    assert "December reminders" in page and "</meter> 60 %" in page  # 3 of 5: one never
    # consented, and the opt-out revoked the do-not-call contact's consent
    assert f'href="/contacts/{sample.dnc}"' in page and "immediate" in page
    assert "us-national" in page and "never loaded" in page
    assert api.store.rules.pack.version in page


def test_a_revocation_found_in_a_message_counts_from_when_the_message_came(
    api: Api, sample: Sample
) -> None:
    s = api.store
    with s.db.begin() as conn:
        uow = SqlUnitOfWork(conn)
        first = add_item(
            uow,
            s.cipher,
            s.audit,
            s.firm_id,
            channel="sms",
            text="please stop calling me",
            number=ALLOWED_NUMBER,
            contact_id=None,
            received_at=NOW - timedelta(hours=30),
            caller=OPERATOR,
            at=NOW,
        )
        add_item(
            uow,
            s.cipher,
            s.audit,
            s.firm_id,
            channel="email",
            text="not interested",
            number=None,
            contact_id=sample.no_consent,
            received_at=NOW,
            caller=OPERATOR,
            at=NOW,
        )
        confirm(uow, s.cipher, s.audit, s.firm_id, first, OPERATOR, NOW)
    login(api.client, "compliance")
    page = api.client.get("/compliance").text
    assert "(message reviewed)" in page and 'id="slowest">30.0 hours<' in page
    assert "1 message(s) that may be a revocation wait" in page


def test_log_out_ends_the_session(api: Api) -> None:
    csrf = login(api.client, "admin")
    res = api.client.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"] == "/login"
    assert "lexdial_session" not in api.client.cookies
    assert api.client.get("/campaigns").status_code == 401


def test_pages_load_nothing_from_elsewhere_and_are_never_cached_or_framed(api: Api) -> None:
    login(api.client, "admin")
    res = api.client.get("/campaigns")
    csp = res.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert res.headers["cache-control"] == "no-store" and res.headers["x-frame-options"] == "DENY"
    assert not re.search(r'(src|href)="(https?:)?//', res.text)
    css = TestClient(api.client.app).get("/static/app.css")  # no session needed
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


CSV = (
    "Mobile,Full Name,State,Line Type,Consent Type,Scope,Consent Date,Method,Disclosure,"
    "Disclosure Version,Captured By,Seller\n"
    f"+1 614 555 0141,Dana Quill,OH,wireless,express,reminder,2026-06-01T12:00:00Z,letter,"
    f"You may call me.,v3,intake:jdoe,{FIRM}\n"
    "614 555 0142,Bo Bright,OH,wireless,,,,,,,,\n"
)


def test_an_import_is_previewed_masked_then_put_on_a_campaign(api: Api) -> None:
    with api.store.db.begin() as conn:
        cid = create_campaign(
            SqlUnitOfWork(conn), api.store.audit, api.store.firm_id, CAMPAIGN, OPERATOR, NOW
        )
    csrf = login(api.client, "manager")
    res = api.client.post(
        "/imports", data={"csrf": csrf}, files={"file": ("clients.csv", CSV.encode(), "text/csv")}
    )
    assert res.status_code == 200 and "+1614•••••41" in res.text and "Dana" not in res.text
    key = res.url.path.rsplit("/", 1)[1]
    mapping = {f: _field(res.text, f) for f in ("number", "name", "seller")}
    assert mapping == {"number": "Mobile", "name": "Full Name", "seller": "Seller"}
    res = api.client.post(
        f"/imports/{key}",
        data={
            "csrf": csrf,
            "campaign": str(cid),
            **{
                f: v
                for f, v in re.findall(
                    r'type="hidden" name="(\w+)" '
                    r'value="([^"]*)"',
                    res.text,
                )
                if f != "csrf"
            },
        },
    )
    assert res.status_code == 200, res.text
    assert "2 new contact(s)" in res.text and "1 consent(s) recorded" in res.text
    assert "2 contact(s) put on campaign" in res.text
    assert api.client.get(f"/imports/{key}").status_code == 404  # used up
    login(api.client, "agent")
    assert api.client.get("/imports").status_code == 403


def test_a_file_with_a_bad_row_imports_nothing_and_names_the_row(api: Api) -> None:
    csrf = login(api.client, "compliance")
    bad = CSV + "not a number,Cy Clay,OH,wireless,,,,,,,,\n"
    res = api.client.post(
        "/imports", data={"csrf": csrf}, files={"file": ("clients.csv", bad.encode(), "text/csv")}
    )
    assert res.status_code == 200 and "1 problem(s): nothing will be imported" in res.text
    assert '<th scope="row" class="num">4</th><td>number</td>' in res.text
    assert 'id="import"' not in res.text and "not a number" not in res.text
    key = res.url.path.rsplit("/", 1)[1]
    res = api.client.post(f"/imports/{key}", data={"csrf": csrf})
    assert res.status_code == 422
    with api.store.db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.contacts)).scalar_one() == 0
    login(api.client, "manager")  # another user cannot use this upload
    assert api.client.get(f"/imports/{key}").status_code == 404


def test_the_contact_page_shows_the_matter_type_and_ref(api: Api) -> None:
    with api.store.db.begin() as conn:
        new = NewContact(numbers=(("+16145550101", None),), matter_type="personal_injury",
                         matter_ref="2026-PI-0142")  # fmt: skip
        cid = add_contact(SqlUnitOfWork(conn), api.store.cipher, api.store.firm_id, new, NOW,
                          audit=ListAudit(), caller=OPERATOR)  # fmt: skip
    login(api.client, "agent")
    page = api.client.get(f"/contacts/{cid}").text
    assert '<span id="matter">Matter: personal injury, ref 2026-PI-0142</span>' in page


def test_an_unknown_contact_is_a_404_page(api: Api) -> None:
    login(api.client, "admin")
    res = api.client.get("/contacts/999")
    assert res.status_code == 404 and "No contact #999" in res.text


def test_the_pages_link_the_pdf_reports_and_the_contact_evidence_pdf_downloads(api: Api) -> None:
    h = api.headers("compliance")
    assert 'href="/v1/reports/dnc-policy.pdf"' in api.client.get("/compliance", headers=h).text
    with api.store.db.begin() as conn:
        cid = add_contact(SqlUnitOfWork(conn), api.store.cipher, api.store.firm_id,
                          NewContact(numbers=(("+16145550177", "wireless"),)), NOW,
                              audit=ListAudit(), caller=OPERATOR)  # fmt: skip
    res = api.client.get(f"/contacts/{cid}/evidence.pdf", headers=h)
    assert res.status_code == 200 and res.content.startswith(b"%PDF")
    assert (
        api.client.get(f"/contacts/{cid}/evidence.pdf", headers=api.headers("agent")).status_code
        == 403
    )


def _try_login(client: TestClient, email: str, password: str) -> int:
    form = client.get("/login")
    res = client.post(
        "/login",
        data={"email": email, "password": password,
              "login_csrf": _field(form.text, "login_csrf"), "next": "/campaigns"},
        follow_redirects=False,
    )  # fmt: skip
    return res.status_code


def test_failed_log_ins_are_audited_with_the_email_masked_and_then_throttled(api: Api) -> None:
    api.client.cookies.clear()
    for _ in range(10):
        assert _try_login(api.client, "admin@firm.test", "wrong password!") == 401
    # the eleventh try is refused even with the right password: guessing is slowed down
    assert _try_login(api.client, "admin@firm.test", PASSWORD) == 429
    with api.store.db.connect() as conn:
        rows = conn.execute(
            select(t.audit_log.c.data, t.audit_log.c.masked).where(
                t.audit_log.c.action == "user.login_failed"
            )
        ).all()
    assert len(rows) == 10 and "admin@firm.test" not in rows[0][0] and "email" in rows[0][1]


def test_an_unknown_email_is_refused_like_a_wrong_password(api: Api) -> None:
    api.client.cookies.clear()
    assert _try_login(api.client, "nobody@firm.test", PASSWORD) == 401


def test_two_open_log_in_forms_both_still_work(api: Api) -> None:
    api.client.cookies.clear()
    first = _field(api.client.get("/login").text, "login_csrf")
    api.client.get("/login")  # a second tab
    res = api.client.post(
        "/login",
        data={"email": "admin@firm.test", "password": PASSWORD, "login_csrf": first},
        follow_redirects=False,
    )
    assert res.status_code == 303


def test_an_oversized_anonymous_body_is_refused_before_it_is_read(api: Api) -> None:
    big = b"x" * (200 * 1024)
    res = api.client.post("/webhooks/sms", content=big, headers={"content-type": "text/plain"})
    assert res.status_code == 413


def test_a_new_password_ends_the_users_open_sessions(api: Api) -> None:
    from lexdial.service.auth import set_password

    login(api.client, "manager")
    assert api.client.get("/campaigns").status_code == 200
    with api.store.db.begin() as conn:
        set_password(SqlUnitOfWork(conn),
                     api.store.audit, api.users["manager"], "a brand new passphrase",
                     OPERATOR, NOW)  # fmt: skip
    assert api.client.get("/campaigns").status_code == 401


def test_an_empty_draft_shows_no_abandonment_rate_in_green_but_says_none_is_known(
    api: Api,
) -> None:
    with api.store.db.begin() as conn:
        cid = create_campaign(
            SqlUnitOfWork(conn), api.store.audit, api.store.firm_id, CAMPAIGN, OPERATOR, NOW
        )
    login(api.client, "compliance")
    page = api.client.get(f"/campaigns/{cid}").text
    para = page.split('id="abandonment"')[1].split("</p>")[0]
    assert "0.0 %" not in para and 'class="good"' not in para
    assert "No call has been answered by a person yet" in para
