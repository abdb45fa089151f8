"""The contact directory page (``/contacts/search``) over HTTP: every role finds its firm's
people by name, number or matter (numbers as the role may see them), firm 2 finds nothing
of firm 1's, a bad field is named next to the form, an agent's searches by number are
limited (a 429 page saying when to retry) and every search by number is audited."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from lexdial.adapters.db import tables as t
from lexdial.domain.roles import ROLES
from lexdial.entrypoints.api.number_lookups import LOOKUPS_AT_ONCE
from lexdial.service.auth import set_password
from lexdial.service.contacts import NewContact, add_contact
from lexdial.service.firms import add_firm
from lexdial.service.users import FULL_NUMBER_ROLES, OPERATOR, add_user

from .conftest import NOW, PASSWORD, Api
from .test_web_desk import _login_as
from .test_web_pages import login

QUILL = "+16145550161"
ROOK = "+16145550172"


def _people(api: Api) -> tuple[int, int]:
    """Two people of firm 1: Morgan Quill (personal injury) and Avery Rook (a debt)."""
    s, at = api.store, NOW - timedelta(days=3)
    with s.unit_of_work() as uow:
        quill = add_contact(uow, s.cipher, s.firm_id,
                            NewContact(numbers=((QUILL, "wireless"),), name="Morgan Quill",
                                       matter_type="personal_injury"),
                            at, audit=s.audit, caller=OPERATOR)  # fmt: skip
        rook = add_contact(uow, s.cipher, s.firm_id,
                           NewContact(numbers=((ROOK, "wireless"),), name="Avery Rook",
                                      matter_type="debt"),
                           at, audit=s.audit, caller=OPERATOR)  # fmt: skip
    return quill, rook


def _rows(html: str) -> list[str]:
    """The contact links of the results table, in order."""
    if 'id="results"' not in html:
        return []
    body = html.split('id="results"')[1].split("</table>")[0]
    return [part.split('"')[0] for part in body.split('<a href="')[1:]]


def _lookups(api: Api) -> list[tuple[str, str, dict[str, object]]]:
    a = t.audit_log.c
    with api.store.db.connect() as conn:
        rows = conn.execute(
            select(a.actor, a.subject, a.data).where(a.action == "contact.looked_up")
        ).all()
    return [(r[0], r[1], json.loads(r[2])) for r in rows]


@pytest.mark.parametrize("role", ROLES)
def test_every_role_finds_its_firms_people_by_name_number_and_matter(api: Api, role: str) -> None:
    quill, rook = _people(api)
    login(api.client, role)
    page = api.client.get("/contacts/search")
    assert page.status_code == 200 and 'id="directory-form"' in page.text
    assert 'id="nav-directory"' in page.text and "Traceback" not in page.text
    by_name = api.client.get("/contacts/search", params={"name": "quill"})
    assert by_name.status_code == 200, by_name.text
    assert _rows(by_name.text) == [f"/contacts/{quill}"] and "Morgan Quill" in by_name.text
    assert "personal injury" in by_name.text
    # desk roles may call the person from their desk; the others get no such button
    call_button = f'action="/contacts/{quill}/call"' in by_name.text
    assert call_button is (role in ("agent", "manager", "admin")), role
    # the number as the role may see it: whole for the roles that work with it, else masked
    if role in FULL_NUMBER_ROLES:
        assert QUILL in by_name.text
    else:
        assert QUILL not in by_name.text and "0161" not in by_name.text
        assert "masked for your role" in by_name.text
    by_number = api.client.get("/contacts/search", params={"number": "(614) 555-0172"})
    assert _rows(by_number.text) == [f"/contacts/{rook}"]
    by_matter = api.client.get("/contacts/search", params={"matter": "debt"})
    assert _rows(by_matter.text) == [f"/contacts/{rook}"]
    # every field given must match: Quill's name with Rook's matter finds no one
    both = api.client.get("/contacts/search", params={"name": "Quill", "matter": "debt"})
    assert _rows(both.text) == [] and 'id="no-results"' in both.text
    # the dashboard's one box: a number when it looks like one, else a name
    assert _rows(api.client.get("/contacts/search", params={"q": "+1 614 555 0161"}).text) == [
        f"/contacts/{quill}"
    ]
    assert _rows(api.client.get("/contacts/search", params={"q": "Avery"}).text) == [
        f"/contacts/{rook}"
    ]


def test_the_directory_page_is_not_caught_by_the_contact_page_route(api: Api) -> None:
    """``/contacts/{contact_id}`` would answer 422 ('contact_id') if it came first."""
    login(api.client, "agent")
    res = api.client.get("/contacts/search")
    assert res.status_code == 200 and "contact_id" not in res.text


def test_the_dashboard_offers_the_search_box(api: Api) -> None:
    login(api.client, "auditor")
    page = api.client.get("/campaigns")
    assert 'id="dashboard-search"' in page.text and 'action="/contacts/search"' in page.text


def test_a_search_of_firm_2_finds_nothing_of_firm_1s(api: Api) -> None:
    quill, _ = _people(api)
    s = api.store
    with s.unit_of_work() as uow:
        firm2 = add_firm(uow, s.audit, "Other Firm PLLC", NOW, "test")
        uid = add_user(uow, s.cipher, firm2, "manager@other.test", "Other Manager", "manager",
                       NOW, audit=s.audit, caller=OPERATOR)  # fmt: skip
        set_password(uow, s.audit, uid, PASSWORD, OPERATOR, NOW)
    _login_as(api.client, "manager@other.test")
    for params in ({"name": "Morgan Quill"}, {"number": QUILL}, {"matter": "personal_injury"},
                   {"q": "Quill"}):  # fmt: skip
        res = api.client.get("/contacts/search", params=params)
        assert res.status_code == 200, res.text
        assert _rows(res.text) == [] and 'id="no-results"' in res.text
        answer = res.text.split('id="results-h"')[1]  # the form echoes what was asked
        assert "Morgan" not in answer and "0161" not in answer and "injury" not in answer
        assert f"/contacts/{quill}" not in res.text


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"number": "not a number"}, "number"),
        ({"name": "a b"}, "name"),
        ({"name": " ".join(f"word{i}" for i in range(20))}, "name"),
    ],
)
def test_a_bad_field_is_named_next_to_the_form_and_nothing_is_searched(
    api: Api, params: dict[str, str], field: str
) -> None:
    _people(api)
    login(api.client, "manager")
    res = api.client.get("/contacts/search", params=params)
    assert res.status_code == 422 and res.headers["content-type"].startswith("text/html")
    error = res.text.split('id="search-error">')[1].split("</p>")[0]
    assert error.startswith(f"Not searched: {field}:"), error
    assert 'id="directory-form"' in res.text and 'id="results"' not in res.text
    assert "Traceback" not in res.text


def test_an_agents_searches_by_number_stop_at_the_limit_with_a_page_saying_when_to_retry(
    api: Api,
) -> None:
    _, rook = _people(api)
    login(api.client, "agent")
    codes = [
        api.client.get("/contacts/search", params={"number": f"+1614555{i:04d}"}).status_code
        for i in range(LOOKUPS_AT_ONCE + 2)
    ]
    assert codes == [200] * LOOKUPS_AT_ONCE + [429, 429]
    res = api.client.get("/contacts/search", params={"number": ROOK})
    assert res.status_code == 429 and res.headers["retry-after"] == "30"
    assert res.headers["content-type"].startswith("text/html")
    busy = res.text.split('id="search-busy">')[1].split("</p>")[0]
    assert "Try again in 30 seconds" in busy and "15:00 UTC" in busy  # the test clock's NOW
    assert 'id="directory-form"' in res.text and 'id="results"' not in res.text
    # the limit is on numbers only: a name still finds the person
    assert _rows(api.client.get("/contacts/search", params={"name": "Rook"}).text) == [
        f"/contacts/{rook}"
    ]
    # and it is the same bucket as the JSON API's lookups
    api_res = api.client.get("/v1/contacts", params={"number": ROOK}, headers=api.headers("agent"))
    assert api_res.status_code == 429


@pytest.mark.parametrize("role", ["admin", "manager", "compliance", "auditor"])
def test_roles_that_see_whole_numbers_are_not_limited_on_the_directory_page(
    api: Api, role: str
) -> None:
    _people(api)
    login(api.client, role)
    for i in range(LOOKUPS_AT_ONCE + 3):
        res = api.client.get("/contacts/search", params={"number": f"+1614555{i:04d}"})
        assert res.status_code == 200, res.text


def test_every_search_by_number_is_audited_found_or_not_with_the_number_masked(
    api: Api,
) -> None:
    quill, _ = _people(api)
    login(api.client, "agent")
    api.client.get("/contacts/search", params={"number": QUILL}).raise_for_status()
    api.client.get("/contacts/search", params={"number": "+16145550199"}).raise_for_status()
    api.client.get("/contacts/search", params={"name": "Quill"}).raise_for_status()  # not one
    entries = _lookups(api)
    assert [(e[1], e[2]["found"], e[2]["via"]) for e in entries] == [
        (f"contact:{quill}", True, "directory"),
        ("contact:none", False, "directory"),
    ]
    assert all(str(api.users["agent"]) in e[0] for e in entries)
    assert all("0161" not in json.dumps(e[2]) and "0199" not in json.dumps(e[2]) for e in entries)


def test_a_search_that_escapes_nothing_shows_the_words_given_as_text(api: Api) -> None:
    _people(api)
    login(api.client, "manager")
    res = api.client.get("/contacts/search", params={"name": '"><script>alert(1)</script>'})
    assert "<script>alert(1)" not in res.text and "&lt;script&gt;" in res.text
