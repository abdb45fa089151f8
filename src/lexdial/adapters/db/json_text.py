"""A JSON column written from text already serialised (issue 15 item 6: the gate's
decision, about 1 kB of JSON per gate, cost more CPU through ``json.dumps`` than its
INSERT).

Rule 1: ``json_text`` serialises with orjson: the same JSON value as ``json.dumps``
(compact, UTF-8 rather than ``\\u`` escapes), which every reader parses back to the same
object. It is for documents of strings, integers, booleans, nulls, lists and objects
only: orjson writes a NaN or an infinity as null where ``json.dumps`` writes ``NaN``.
Rule 2: ``JsonText`` binds that text as the column's JSON: as it is on SQLite (a text
column), wrapped for psycopg on PostgreSQL (sent as ``json``, not serialised again).
Reading the column is unchanged: it is still a ``JSON`` column for every query.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import JSON
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.types import TypeDecorator


def json_text(value: Any) -> str:
    """``value`` (strings, numbers but NaN and infinities, lists, objects) as JSON text."""
    return orjson.dumps(value).decode("utf-8")


def _as_is(text: str) -> str:
    return text


class JsonText(TypeDecorator[Any]):
    """A bind type for a ``JSON`` column whose value is given as JSON text (rule 2)."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> Any:
        if dialect.name != "postgresql":
            return None  # SQLite keeps JSON as text: the text is the stored value
        from psycopg.types.json import Json  # only a PostgreSQL engine has psycopg

        def process(text: str) -> Any:
            return Json(text, dumps=_as_is)

        return process
