"""The contact directory page (``/contacts/search``) and the dashboard's search box.

Rule 1: the search is ``service.directory.search`` (every role that may read the firm's
records; never another firm's): by name (every word must match a whole word of the name:
names are encrypted and found through a keyed index, so there is no prefix search), by
number (exact, after E.164 normalisation) or by matter (its type or its ref's words). The
page only reads the form and shows what the service found: numbers masked for roles that
see them masked.
Rule 2: a search by number by a role that sees numbers masked counts against the same
per-user bucket as the JSON API's lookups (``number_lookups``), so the hidden digits cannot
be guessed back from this page either; once it is empty the page answers 429 with the form,
a plain message and when to try again (and ``Retry-After``). The service audits every
search by number, found or not.
Rule 3: a refusal (a number that is not one, a name with no word of two letters) is shown
next to the form, naming the field, with status 422; nothing is searched.
Rule 4: the dashboard's one box (``q``) is a number when it looks like one (digits with at
most ``+ ( ) - . /`` and spaces, seven digits or more), else a name.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from fastapi import HTTPException, Query, Request, Response

from lexdial.entrypoints.api import number_lookups
from lexdial.entrypoints.api.deps import Reader, now, store
from lexdial.entrypoints.api.web_common import page, viewer, web_router, when
from lexdial.errors import RequestError
from lexdial.service import directory

router = web_router()
NUMBER_LIKE = re.compile(r"^\+?[\d\s().\-/]+$")
#: the most results a page shows
LIMIT = 50


def split_query(q: str) -> tuple[str, str]:
    """The dashboard box's text as (name, number): one of them is empty."""
    q = q.strip()
    digits = sum(ch.isdigit() for ch in q)
    if q and NUMBER_LIKE.match(q) and digits >= 7:
        return "", q
    return q, ""


@router.get("/contacts/search")
def search_page(
    request: Request,
    caller: Reader,
    q: Annotated[str, Query(max_length=200)] = "",
    name: Annotated[str, Query(max_length=200)] = "",
    number: Annotated[str, Query(max_length=40)] = "",
    matter: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """Find a person by name, number or matter; the form comes back with what was asked."""
    if q.strip() and not (name.strip() or number.strip() or matter.strip()):
        name, number = split_query(q)
    name, number, matter = name.strip(), number.strip(), matter.strip()
    asked = bool(name or number or matter)
    me = viewer(request, caller)
    results: list[directory.DirectoryEntry] = []
    error: str | None = None
    busy: str | None = None
    status = 200
    headers: dict[str, str] = {}
    if asked:
        try:
            if number and not me.sees_numbers:
                number_lookups.take(request, caller)  # 429 once the user's bucket is empty
            s = store(request)
            with s.unit_of_work() as uow:  # a search by number is audited: a write
                results = directory.search(
                    uow, s.cipher, s.audit, caller, name=name or None, number=number or None,
                    matter=matter or None, limit=LIMIT, at=now(request),
                )  # fmt: skip
        except RequestError as exc:  # shown next to the form, naming the field
            error, status = f"{exc.field}: {exc.message}", 422
        except HTTPException as exc:
            if exc.status_code != 429:
                raise
            wait = int((exc.headers or {}).get("Retry-After", number_lookups.REFILL_S))
            retry_at = when(now(request) + timedelta(seconds=wait))
            busy = (
                f"Too many searches by number for now: your role sees numbers masked, so such "
                f"searches are limited to {number_lookups.LOOKUPS_AT_ONCE} at once and one "
                f"every {number_lookups.REFILL_S:.0f} seconds. Try again in {wait} seconds "
                f"(after {retry_at}); a search by name or matter works now."
            )
            status, headers = 429, {"Retry-After": str(wait)}
    response = page(
        request,
        "directory.html",
        caller,
        status=status,
        name=name,
        number=number,
        matter=matter,
        asked=asked,
        results=results,
        error=error,
        busy=busy,
        limit=LIMIT,
    )
    response.headers.update(headers)
    return response
