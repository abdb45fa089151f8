"""What the firm's IT person gets wrong when setting lexdial up, and what lexdial says.

Each case is a setting typed wrong (a database URL with a typo, a server that is down, a
database or user the server does not have, two ``lexdial init`` at once, another store's
key file, a key file from before a rotation): the command must exit with the settings'
status (3), name the bad setting and what to do, show no traceback, and change nothing.
PostgreSQL cases run on the machine's server (``LEXDIAL_TEST_PG_URL``'s), each on a
database of its own, dropped afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from tests.integration.conftest import PG_ADMIN, _pg_available

from lexdial.adapters.crypto import Keyring
from lexdial.entrypoints.cli import main

FIRM = "Hartwell & Ruiz LLP"
NUMBER = "+1 614 555 0101"
SERVER = PG_ADMIN.rsplit("/", 1)[0]


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in [k for k in os.environ if k.startswith("LEXDIAL_")]:
        monkeypatch.delenv(name)
    return tmp_path


@pytest.fixture
def pg_name() -> Iterator[str]:
    """A database name no one uses (not created: ``lexdial init`` may create it)."""
    problem = _pg_available()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL not reachable at {PG_ADMIN} ({problem})")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN} ({problem})")
    name = f"lexdial_it_{uuid.uuid4().hex[:10]}"
    try:
        yield name
    finally:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def add_contact(capsys: pytest.CaptureFixture[str], number: str = NUMBER) -> tuple[int, str]:
    code, _, err = run(
        capsys,
        "contact",
        "add",
        "--number",
        number,
        "--name",
        "Dana Client",
        "--line-type",
        "wireless",
        "--country",
        "US",
        "--state",
        "OH",
        "--relationship",
        "current_client",
    )
    return code, err


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("url", "named"),
    [
        pytest.param("postgresq://postgres@127.0.0.1:5432/x", "'postgresq'", id="scheme-typo"),
        pytest.param("mysql://root@127.0.0.1/x", "'mysql'", id="another-database"),
        pytest.param("127.0.0.1:5432/lexdial", "'(none)'", id="no-scheme"),
        pytest.param("postgresql://postgres@127.0.0.1:5432", "names no database", id="no-db"),
        pytest.param("postgresql://postgres@127.0.0.1:notaport/x", "%-encoded", id="bad-port"),
    ],
)
def test_a_database_url_lexdial_cannot_use_is_refused_naming_the_variable_and_nothing_is_made(
    folder: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    named: str,
) -> None:
    monkeypatch.setenv("LEXDIAL_DATABASE_URL", url)
    code, out, err = run(capsys, "init", "--firm", FIRM)
    assert code == 3 and out == ""
    assert "$LEXDIAL_DATABASE_URL" in err and named in err
    assert "unexpected" not in err and "Traceback" not in err
    assert list(folder.iterdir()) == []  # no settings file, no data folder, no key file


def test_a_database_server_that_is_down_is_named_with_its_reason_and_nothing_is_made(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()  # nothing listens there
    monkeypatch.setenv("LEXDIAL_DATABASE_URL", f"postgresql://postgres:s3cret@127.0.0.1:{port}/x")
    code, out, err = run(capsys, "init", "--firm", FIRM)
    assert code == 3 and out == ""
    assert (
        f"cannot connect to the database postgresql+psycopg://postgres:***@127.0.0.1:{port}/x"
        in err
    )
    assert "Connection refused" in err and "server is running" in err
    assert "s3cret" not in err and "unexpected" not in err
    assert list(folder.iterdir()) == []


def test_a_store_command_on_a_database_the_server_lacks_names_it_and_says_how_to_make_it(
    folder: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    pg_name: str,
) -> None:
    (folder / "lexdial.toml").write_text(f'[firm]\nname = "{FIRM}"\n')
    monkeypatch.setenv("LEXDIAL_DATABASE_URL", f"{SERVER}/{pg_name}")
    code, out, err = run(capsys, "audit", "verify")
    assert code == 3 and out == ""
    assert f'database "{pg_name}" does not exist' in err and "createdb" in err
    assert "unexpected" not in err
    assert not (folder / "data" / "keys.json").exists()  # no keys made for no store


def test_a_user_the_server_does_not_know_is_named_with_the_servers_reason(
    folder: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    pg_name: str,
) -> None:
    monkeypatch.setenv(
        "LEXDIAL_DATABASE_URL", f"postgresql://nobody_{pg_name}@{SERVER.split('@')[1]}/{pg_name}"
    )
    code, _, err = run(capsys, "init", "--firm", FIRM)
    assert code == 3
    assert f'role "nobody_{pg_name}" does not exist' in err and "unexpected" not in err
    assert list(folder.iterdir()) == []


def test_init_creates_the_postgresql_database_the_readme_names_when_the_server_lacks_it(
    folder: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    pg_name: str,
) -> None:
    # the README's distributed mode: export LEXDIAL_DATABASE_URL=.../lexdial, then init
    monkeypatch.setenv("LEXDIAL_DATABASE_URL", f"{SERVER}/{pg_name}")
    code, out, _ = run(capsys, "init", "--firm", FIRM, "--json")
    assert code == 0, out
    assert json.loads(out)["database"].endswith(f"/{pg_name}")
    assert add_contact(capsys)[0] == 0
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 0 and "audit trail intact" in out


INIT = """
import sys
from lexdial.entrypoints.cli import main
sys.exit(main(["init", "--firm", "Hartwell & Ruiz LLP"]))
"""


def test_two_inits_at_once_on_one_postgresql_database_make_one_store_and_refuse_the_other(
    tmp_path: Path, pg_name: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEXDIAL_")}
    env["LEXDIAL_DATABASE_URL"] = f"{SERVER}/{pg_name}"
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    places = [tmp_path / "one", tmp_path / "two"]
    for place in places:
        place.mkdir()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", INIT],
            cwd=place,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for place in places
    ]
    done = []
    for p in procs:
        _, err = p.communicate(timeout=120)
        done.append((p.returncode, err))
    codes = sorted(code for code, _ in done)
    assert codes == [0, 3], done
    loser = next(err for code, err in done if code == 3)
    assert "a lexdial store already exists at" in loser and "unexpected" not in loser
    made = [p for p in places if (p / "lexdial.toml").exists()]
    assert len(made) == 1 and (made[0] / "data" / "keys.json").exists()
    other = next(p for p in places if p not in made)
    assert not (other / "data" / "keys.json").exists()  # the loser left no keys behind
    admin = create_engine(f"{SERVER}/{pg_name}")
    with admin.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM firms")).scalar() == 1
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_folder(
    request: pytest.FixtureRequest,
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Path:
    """A store with one contact, in ``folder`` (SQLite, or a database of its own)."""
    if request.param == "postgresql":
        name = request.getfixturevalue("pg_name")
        monkeypatch.setenv("LEXDIAL_DATABASE_URL", f"{SERVER}/{name}")
    assert run(capsys, "init", "--firm", FIRM)[0] == 0
    assert add_contact(capsys)[0] == 0
    return folder


def counts(capsys: pytest.CaptureFixture[str]) -> str:
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 0
    return out.split(",")[0]  # "audit trail intact: N entries"


def test_another_stores_key_file_is_refused_before_anything_is_written_under_it(
    store_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = store_folder / "data" / "keys.json"
    own = keys.read_bytes()
    before = counts(capsys)
    Keyring.generate().save(keys)  # the key file of another store put in its place
    for argv in (["consent", "show", NUMBER], ["keys", "rotate"]):
        code, out, err = run(capsys, *argv)
        assert code == 3 and out == "", err
        assert f"the key file {keys} does not open the data of the store" in err
        assert "Restore this store's own key file" in err and "unexpected" not in err
    code, err = add_contact(capsys, "+1 614 555 0102")
    assert code == 3 and "does not open the data" in err
    assert keys.read_bytes() != own  # the wrong file was not replaced either
    keys.write_bytes(own)
    assert counts(capsys) == before  # nothing was written while the wrong keys were in
    code, out, _ = run(capsys, "consent", "show", NUMBER)
    assert code == 0 and "Consents for" in out
    assert add_contact(capsys, "+1 614 555 0102")[0] == 0  # not added while refused


def test_a_key_file_from_before_a_rotation_is_refused_and_the_rotated_one_reads_everything(
    store_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = store_folder / "data" / "keys.json"
    backup = keys.read_bytes()  # the IT person's backup, made before the rotation
    assert run(capsys, "keys", "rotate")[0] == 0
    rotated = keys.read_bytes()
    keys.write_bytes(backup)
    code, _, err = run(capsys, "consent", "show", NUMBER)
    assert code == 3 and "older than a key rotation" in err and "not in the keyring" in err
    keys.write_bytes(rotated)
    code, out, _ = run(capsys, "privacy", "export", NUMBER, "--out", "dsar")
    assert code == 0, out
    assert "Dana Client" in (store_folder / "dsar" / "export.json").read_text()


def test_a_key_file_whose_index_key_is_not_the_stores_is_refused_numbers_would_not_be_found(
    store_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = store_folder / "data" / "keys.json"
    ring = json.loads(keys.read_text())
    ring["index_key"] = json.loads(Keyring.generate().to_json())["index_key"]
    keys.write_text(json.dumps(ring))
    # an opt-out looks the number up by this index: with another index key it would miss
    code, _, err = run(capsys, "optout", NUMBER, "--channel", "staff")
    assert code == 3 and "blind index is made with another index key" in err


def old_store(folder: Path, revision: str) -> Path:
    """A store made by an older lexdial: its schema at ``revision``, its key file beside."""
    from alembic import command

    from lexdial.adapters.db.database import alembic_config, make_engine

    (folder / "data").mkdir(mode=0o700)
    database = folder / "data" / "lexdial.sqlite3"
    engine = make_engine(f"sqlite:///{database}")
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    engine.dispose()
    Keyring.generate().save(folder / "data" / "keys.json")
    (folder / "lexdial.toml").write_text(f'[firm]\nname = "{FIRM}"\n')
    return database


def test_a_store_of_an_older_schema_is_upgraded_on_open_and_says_so_once(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from lexdial.adapters.db.database import head_revision

    database = old_store(folder, "0003")
    code, _, err = run(capsys, "audit", "verify")
    assert code == 0, err
    assert f"the store at {database} was upgraded from schema 0003 to {head_revision()}" in err
    assert add_contact(capsys)[0] == 0  # the upgraded store takes new facts
    code, _, err = run(capsys, "audit", "verify")
    assert code == 0 and "upgraded" not in err  # said by the process that upgraded it only


def test_a_store_upgraded_by_a_newer_lexdial_is_refused_naming_its_revision_and_left_alone(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    database = old_store(folder, "head")
    with sqlite3.connect(database) as db:
        db.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    before = database.read_bytes()
    code, out, err = run(capsys, "consent", "show", NUMBER)
    assert code == 3 and out == ""
    assert "schema revision 0099_from_the_future, which this lexdial does not know" in err
    assert "newer lexdial" in err and "unexpected" not in err
    assert database.read_bytes() == before  # nothing migrated, nothing written


def backup(folder: Path, to: Path) -> None:
    """The README's backup of the database: sqlite3's online backup, or ``pg_dump -Fc``."""
    import sqlite3

    url = os.environ.get("LEXDIAL_DATABASE_URL")
    if url is None:
        with (
            sqlite3.connect(folder / "data" / "lexdial.sqlite3") as src,
            sqlite3.connect(to) as dst,
        ):
            src.backup(dst)
        return
    subprocess.run(["pg_dump", "-Fc", "-f", str(to), url.replace("+psycopg", "")], check=True)


def restore(folder: Path, backup_file: Path) -> None:
    """The README's restore: the file put back, or the dump into a new, empty database."""
    url = os.environ.get("LEXDIAL_DATABASE_URL")
    if url is None:
        database = folder / "data" / "lexdial.sqlite3"
        for extra in ("-wal", "-shm"):
            Path(f"{database}{extra}").unlink(missing_ok=True)
        database.write_bytes(backup_file.read_bytes())
        return
    plain = url.replace("+psycopg", "")
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = plain.rsplit("/", 1)[1]
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    subprocess.run(["pg_restore", "-d", plain, str(backup_file)], check=True)


def test_a_restored_backup_is_read_with_the_newest_key_file_even_after_a_later_rotation(
    store_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if os.environ.get("LEXDIAL_DATABASE_URL") and not shutil.which("pg_dump"):
        pytest.skip("pg_dump and pg_restore are not installed")
    assert run(capsys, "keys", "rotate")[0] == 0
    backup(store_folder, store_folder / "backup.db")
    assert run(capsys, "keys", "rotate")[0] == 0  # a rotation after the backup
    restore(store_folder, store_folder / "backup.db")
    code, _, err = run(capsys, "privacy", "export", NUMBER, "--out", "dsar")
    assert code == 0, err
    assert "Dana Client" in (store_folder / "dsar" / "export.json").read_text()


def test_a_restored_backup_verifies_when_nothing_happened_since_and_names_what_was_lost_else(
    store_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if os.environ.get("LEXDIAL_DATABASE_URL") and not shutil.which("pg_dump"):
        pytest.skip("pg_dump and pg_restore are not installed")
    backup(store_folder, store_folder / "backup.db")
    restore(store_folder, store_folder / "backup.db")
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 0 and "audit trail intact: 2 entries" in out
    assert add_contact(capsys, "+1 614 555 0102")[0] == 0  # entry 3: a fact the backup lacks
    restore(store_folder, store_folder / "backup.db")
    code, out, _ = run(capsys, "audit", "verify")
    # entry 3 was signed in a checkpoint, and the restored chain ends at 2: said, exit 5
    assert code == 5 and "truncated (the log ends at entry 2, but entry 3 was anchored)" in out


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, folder: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "postgresql":
        monkeypatch.setenv("LEXDIAL_DATABASE_URL", f"{SERVER}/{request.getfixturevalue('pg_name')}")
    return str(request.param)


def test_an_init_that_failed_after_making_its_tables_is_finished_by_running_init_again(
    backend: str, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "lexdial.toml").write_text(f'[firm]\nname = "{FIRM}"\n')
    # the key file cannot be made (a folder nobody may create): the tables were made first
    code, _, err = run(capsys, "init", "--key-file", "/proc/lexdial/keys.json")
    assert code == 3 and "/proc/lexdial" in err
    code, _, err = run(capsys, "audit", "verify")  # before: "restore the key file"
    assert code == 3 and "was never finished" in err and "Run lexdial init again" in err
    code, out, err = run(capsys, "init")  # before: "a lexdial store already exists"
    assert code == 0, err
    assert add_contact(capsys)[0] == 0
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 0 and "audit trail intact" in out
    code, _, err = run(capsys, "init")  # now a store with data: refused as ever
    assert code == 3 and "a lexdial store already exists" in err


def test_a_database_file_that_is_not_sqlite_is_named_not_a_crash(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "init", "--firm", FIRM)[0] == 0
    (folder / "data" / "lexdial.sqlite3").write_bytes(
        b"not a database, a file copied wrong\n" * 200
    )
    code, _, err = run(capsys, "audit", "verify")
    assert code == 3 and "cannot be read (file is not a database)" in err
    assert "unexpected" not in err
