"""Integer ids in paths and queries are refused by name when no table could hold them.

Rule 1: an id above 2 147 483 647 (PostgreSQL's ``integer``; SQLite's limit is 2**63)
never reaches the database: SQLite raises OverflowError, PostgreSQL a DataError, and either
would be a 500. One app-wide dependency checks every ``int`` path and query parameter of
the matched route, so a new route is covered without remembering to.
Rule 2: an id in a JSON body is a ``BodyId`` (1 to ``MAX_ID``), checked by the body's model:
``tests/e2e/webapi/test_attacker_sweep.py`` walks the OpenAPI document and fails on an
integer body field named like an id without that bound.
"""

from __future__ import annotations

import re
import types
from typing import Annotated, Any, Union, get_args, get_origin

from fastapi import Request
from pydantic import Field

from lexdial.errors import RequestError

#: the largest id an ``Integer`` column holds on every supported database
MAX_ID = 2**31 - 1
#: an id in a JSON body (rule 2): the same range, checked by the body's model
BodyId = Annotated[int, Field(ge=1, le=MAX_ID)]
_INTEGER = re.compile(r"\s*[+-]?\d+\s*")


def _is_int(annotation: Any) -> bool:
    if annotation is int:
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        return any(a is int for a in get_args(annotation))
    return False


async def ids_in_range(request: Request) -> None:
    """Dependency: 422 naming the parameter when an integer one is out of range."""
    dependant = getattr(request.scope.get("route"), "dependant", None)
    if dependant is None:
        return
    given = (
        (request.path_params, dependant.path_params),
        (request.query_params, dependant.query_params),
    )
    for values, params in given:
        for p in params:
            raw = values.get(p.alias)
            if not isinstance(raw, str) or not _is_int(p.field_info.annotation):
                continue
            if _INTEGER.fullmatch(raw) and abs(int(raw)) > MAX_ID:
                raise RequestError(p.alias, f"is out of range (at most {MAX_ID})")
