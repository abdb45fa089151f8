"""The contact directory page (``/contacts/search``) and the nav's search box.

Rule 1: the search is ``service.directory.search``: by name (every word must match a whole
word of the name: names are encrypted and found through a keyed index, so there is no
prefix search), by number (exact, after E.164 normalisation) or by matter. The page only
reads the form and shows what the service found, numbers masked for roles that see them
masked.
Rule 2: a search by number by a role that sees numbers masked is limited per user and
audited (``number_lookups``, the same bucket the JSON API's lookups use), so the hidden
digits cannot be guessed back from this page either.
Rule 3: the nav's one box (``q``) is a number when it looks like one (digits with at most
``+ ( ) - . /`` and spaces, seven digits or more), else a name.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Query, Request, Response

from lexdial.entrypoints.api import number_lookups
from lexdial.entrypoints.api.deps import Reader, store
from lexdial.entrypoints.api.web_common import page, viewer, web_router
from lexdial.errors import RequestError
from lexdial.service import directory

router = web_router()
NUMBER_LIKE = re.compile(r"^\+?[\d\s().\-/]+$")
#: the most results a page shows
LIMIT = 50


def split_query(q: str) -> tuple[str, str]:
    """The nav box's text as (name, number): one of them is empty."""
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
    if q and not (name or number or matter):
        name, number = split_query(q)
    name, number, matter = name.strip(), number.strip(), matter.strip()
    asked = bool(name or number or matter)
    results: list[directory.Found] = []
    error = None
    status = 200
    if asked:
        me = viewer(request, caller)
        if number and not me.sees_numbers:
            number_lookups.take(request, caller)  # 429 once the user's bucket is empty
        s = store(request)
        try:
            with s.unit_of_work() as uow:  # a lookup by number is audited: a write
                results = directory.search(
                    uow, s.cipher, s.audit, caller, name=name or None, number=number or None,
                    matter=matter or None, limit=LIMIT, at=request.app.state.clock(),
                )  # fmt: skip
        except RequestError as exc:  # shown next to the form, naming the field
            error, status = f"{exc.field}: {exc.message}", 422
    return page(
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
        limit=LIMIT,
    )
