"""The matter reference end to end on SQLite and PostgreSQL: a firm's spreadsheet with a
"Case number" column is imported, the ref is stored encrypted, the desk's screen pop shows
it and the directory finds the person by it; an erasure blanks it and unlists it."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, select

from lexdial.adapters.audit.sql import SqlAudit
from lexdial.adapters.crypto import Keyring
from lexdial.adapters.db import tables as t
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.domain.states import AgentState
from lexdial.rules.engine import Engine as RulesEngine
from lexdial.service import directory, imports
from lexdial.service.contacts import find_contact_id, number_index
from lexdial.service.desk_screen_pop import screen_pop
from lexdial.service.fakes import MemoryRegistry
from lexdial.service.privacy import erase_person, export_person
from lexdial.service.repos.desk import DeskSession
from lexdial.service.users import OPERATOR, Caller

from .conftest import NOW

pytestmark = pytest.mark.integration

REF = "2026-PI-0142"
FILE = (
    "Phone,Client name,State,Case number\n"
    f"+1 614 555 0101,Dana Quillfeather,OH,{REF}\n"
    "+1 614 555 0102,Bo Brightwater,OH,\n"
).encode()


def test_an_imported_matter_ref_shows_on_the_screen_pop_and_finds_the_person(
    store: Engine, rules: RulesEngine
) -> None:
    cipher = Keyring.generate()
    table = imports.read_table(FILE, "clients.csv")
    mapping = imports.resolve_mapping(table.headers)
    assert mapping["matter_ref"] == "Case number" and mapping["number"] == "Phone"
    with store.begin() as conn:
        uow = SqlUnitOfWork(conn)
        report = imports.import_rows(uow, cipher, SqlAudit(), 1, table, mapping, OPERATOR, NOW)
        assert report.created == 2 and not report.errors
        dana = find_contact_id(uow, 1, number_index(cipher, "+16145550101"))
        assert dana is not None
        agent = uow.users.add(1, "a@firm.test", "enc", "agent", NOW)
        uow.users.add_attestation(agent, "tcpa", date(2026, 1, 1), date(2027, 1, 1), NOW)
        uow.desk.save(DeskSession(agent, 1, None, AgentState.PREVIEW.value, None, NOW,
                                  preview_contact_id=dana))  # fmt: skip
    with store.connect() as conn:
        stored = conn.execute(select(t.contacts.c.matter_ref_enc).order_by(t.contacts.c.id))
        refs = [r[0] for r in stored]
    assert refs[0] is not None and REF not in refs[0] and refs[1] is None  # encrypted

    caller = Caller.user(agent)
    with store.begin() as conn:
        uow = SqlUnitOfWork(conn)
        pop = screen_pop(uow, rules, cipher, MemoryRegistry(), caller, NOW)
        found = directory.search(uow, cipher, SqlAudit(), caller, matter="pi 0142", at=NOW)
        by_whole = directory.search(uow, cipher, SqlAudit(), caller, matter=REF, at=NOW)
        export = export_person(uow, cipher, 1, "+16145550101")
    assert pop.kind == "preview" and pop.contact is not None
    assert (pop.contact["name"], pop.contact["matter_ref"]) == ("Dana Quillfeather", REF)
    assert [e.id for e in found] == [dana] and [e.id for e in by_whole] == [dana]
    assert export["contact"]["matter_ref"] == REF

    with store.begin() as conn:
        uow = SqlUnitOfWork(conn)
        erase_person(uow, cipher, SqlAudit(), 1, "+16145550101", OPERATOR, NOW)
        gone = directory.search(uow, cipher, SqlAudit(), caller, matter=REF, at=NOW)
        ref_enc = conn.execute(
            select(t.contacts.c.matter_ref_enc).where(t.contacts.c.id == dana)
        ).scalar_one()
    assert gone == [] and ref_enc is None
