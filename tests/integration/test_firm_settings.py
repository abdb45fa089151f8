"""`[firm] name` and `[firm] id`: a renamed firm is a rename, not a new empty firm."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select, text

from lexdial.adapters.db import tables as t
from lexdial.adapters.db.database import alembic_config, make_engine, migrate
from lexdial.adapters.db.uow import SqlUnitOfWork
from lexdial.bootstrap import Store, open_store
from lexdial.config import Settings, load_settings
from lexdial.errors import ConfigError
from lexdial.rules.context import Policy
from lexdial.service.contacts import NewContact, add_contact, find_contact_id, number_index
from lexdial.service.firms import add_firm
from lexdial.service.users import OPERATOR

pytestmark = pytest.mark.integration
NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
NUMBER = "+16145550101"


def _open(tmp_path: Path, name: str, firm_id: int | None = None) -> Store:
    settings = Settings(policy=Policy(), firm_name=name, firm_id=firm_id)
    return open_store(settings, {"LEXDIAL_DATA_DIR": str(tmp_path / "data")}, now=NOW, create=True)


def _firms(store: Store) -> list[tuple[int, str]]:
    with store.db.connect() as conn:
        return [(int(i), str(n)) for i, n in conn.execute(select(t.firms.c.id, t.firms.c.name))]


def test_changing_the_firm_name_renames_the_firm_and_keeps_its_contacts(tmp_path: Path) -> None:
    old = _open(tmp_path, "Hartwell & Ruiz LLP")
    with old.db.begin() as conn:
        add_contact(SqlUnitOfWork(conn), old.cipher, old.firm_id,
                    NewContact(numbers=((NUMBER, None),)), NOW,
                    audit=old.audit, caller=OPERATOR)  # fmt: skip
    old.db.dispose()
    new = _open(tmp_path, "Hartwell, Ruiz & Diaz LLP")
    assert new.firm_id == old.firm_id
    assert _firms(new) == [(old.firm_id, "Hartwell, Ruiz & Diaz LLP")]
    with new.db.connect() as conn:
        uow = SqlUnitOfWork(conn)
        assert find_contact_id(uow, new.firm_id, number_index(new.cipher, NUMBER)) is not None
        entry = conn.execute(
            select(t.audit_log.c.action, t.audit_log.c.data).where(
                t.audit_log.c.action == "firm.renamed"
            )
        ).one()
    assert "Hartwell & Ruiz LLP" in entry.data and "Hartwell, Ruiz & Diaz LLP" in entry.data
    new.db.dispose()


def test_a_store_with_several_firms_needs_the_settings_to_name_which(tmp_path: Path) -> None:
    first = _open(tmp_path, "Hartwell & Ruiz LLP")
    with first.db.begin() as conn:
        second = add_firm(SqlUnitOfWork(conn), first.audit, "Other Firm PLLC", NOW, "test")
    first.db.dispose()
    with pytest.raises(ConfigError, match=r"several .*\[firm\] id"):
        _open(tmp_path, "A Third Name LLP")
    assert _open(tmp_path, "Other Firm PLLC").firm_id == second  # the exact name is explicit
    chosen = _open(tmp_path, "Other Firm (renamed) PLLC", firm_id=second)
    assert chosen.firm_id == second
    assert dict(_firms(chosen))[second] == "Other Firm (renamed) PLLC"
    with pytest.raises(ConfigError, match="no such firm"):
        _open(tmp_path, "Hartwell & Ruiz LLP", firm_id=7)
    with pytest.raises(ConfigError, match="already firm #1"):
        _open(tmp_path, "Hartwell & Ruiz LLP", firm_id=second)
    assert len(_firms(chosen)) == 2  # nothing was created on the way
    chosen.db.dispose()


def test_the_settings_file_names_the_firm_by_id(tmp_path: Path) -> None:
    path = tmp_path / "lexdial.toml"
    path.write_text('[firm]\nname = "Other Firm PLLC"\nid = 2\n', "utf-8")
    assert load_settings(path).firm_id == 2
    path.write_text('[firm]\nname = "Other Firm PLLC"\nid = "two"\n', "utf-8")
    with pytest.raises(ConfigError, match=r"firm\.id"):
        load_settings(path)


def test_consents_and_rnd_answers_on_file_keep_their_firm_through_the_migration(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003")
        conn.execute(text("insert into firms (id, name, created_at) values (1, 'F', '2026-01-01')"))
        conn.execute(text("insert into contacts (id, firm_id, relationship, created_at) "
                          "values (7, 1, 'none', '2026-01-01')"))  # fmt: skip
        conn.execute(text(
            "insert into consents (contact_id, number_bidx, kind, scope, sellers, given_at, "
            "method, disclosure_text, disclosure_version, disclosure_sha256, captured_by, "
            "evidence_sha256, created_at) values (7, 'b', 'express', '[]', '[]', '2026-01-01', "
            "'m', 'd', 'v', 's', 'c', 'e', '2026-01-01')"))  # fmt: skip
        rnd = ("insert into reassigned_checks (number_bidx, result, checked_on, created_at) "
               "values ('b', 'no', '2026-01-01', '2026-01-02')")  # fmt: skip
        conn.execute(text(rnd))
    migrate(engine)
    with engine.connect() as conn:
        assert conn.execute(select(t.consents.c.firm_id)).scalars().all() == [1]
        assert conn.execute(select(t.reassigned_checks.c.firm_id)).scalars().all() == [1]
    engine.dispose()
