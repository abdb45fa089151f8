"""The distributed mode's guarantees inside one process, on PostgreSQL: a sandbox is marked
in the database itself (refused on a store holding evidence), a live store is never dialled
by the simulated carrier, and the same ``run_campaign`` task delivered twice at once dials
every contact once."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from lexdial.bootstrap import is_sandbox, mark_sandbox, open_store
from lexdial.bootstrap.distributed import claimable, run_campaign
from lexdial.config import load_settings
from lexdial.errors import ConfigError

from .conftest import Cluster, attempts, make_store, start

pytestmark = pytest.mark.integration


def test_a_postgresql_store_becomes_a_sandbox_only_by_a_mark_in_its_own_database(
    tmp_path: Path, pg_db: str
) -> None:
    store, env = make_store(tmp_path, pg_db, "q")
    assert not is_sandbox(store)
    (store.data_dir / "SANDBOX").parent.mkdir(parents=True, exist_ok=True)
    (store.data_dir / "SANDBOX").write_text("a file beside the keys proves nothing here")
    assert not is_sandbox(store)  # a folder's mark never makes a server database a sandbox
    mark_sandbox(store)
    mark_sandbox(store)  # twice changes nothing
    again = open_store(load_settings(Path(env["LEXDIAL_SETTINGS"]), env), env)
    try:
        assert is_sandbox(again)  # another process opening the database sees the mark
    finally:
        again.db.dispose()
        store.db.dispose()


def test_a_postgresql_store_holding_evidence_is_refused_as_a_sandbox(
    cluster: Cluster, tmp_path: Path, pg_db: str
) -> None:
    live, _ = make_store(tmp_path / "live", _other_db(pg_db, cluster), "q")
    try:
        _add_evidence(live)
        with pytest.raises(ConfigError, match="holds evidence"):
            mark_sandbox(live)
        assert not is_sandbox(live)
    finally:
        live.db.dispose()


def test_a_live_postgresql_store_is_never_dialled_by_the_simulated_carrier(
    cluster: Cluster, tmp_path: Path, pg_db: str
) -> None:
    live, _ = make_store(tmp_path / "live", _other_db(pg_db, cluster), "q")
    try:
        _add_evidence(live)
        other = Cluster(tmp_path, cluster.env, live, cluster.token, cluster.zone)
        cid2, _ = other.campaign(5)
        start(live, cid2)
        result = run_campaign(live, cid2, timescale=0.02)
        assert "never dials a live store" in result["refused"]
        assert attempts(live, cid2) == []
        assert other.counts(cid2) == {"pending": 6}  # the 5 and the evidence contact
    finally:
        live.db.dispose()


def test_the_same_task_delivered_twice_at_once_dials_every_contact_once(
    cluster: Cluster,
) -> None:
    cid, _ = cluster.campaign(120)
    start(cluster.store, cid)
    assert claimable(cluster.store, cluster.clock()) == [cid]
    results: list[dict[str, Any]] = []
    barrier = threading.Barrier(2)

    def deliver() -> None:
        barrier.wait()
        results.append(run_campaign(cluster.store, cid, timescale=0.02))

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(300)
    refused = [r for r in results if "refused" in r]
    ran = [r for r in results if "gated" in r]
    assert len(refused) == 1 and "being dialled by another process" in refused[0]["refused"]
    assert len(ran) == 1 and ran[0]["gated"] == 120
    rows = attempts(cluster.store, cid)
    per_contact = Counter(r.contact_id for r in rows)
    assert len(per_contact) == 120 and set(per_contact.values()) == {1}
    _inside_window(rows, cluster.zone[2])
    assert all(cluster.started <= r.at <= cluster.clock() for r in rows)  # the sandbox's clock
    assert cluster.counts(cid).get("pending", 0) == 0
    assert claimable(cluster.store, cluster.clock()) == []  # nothing left: nobody enqueues
    with cluster.store.reading() as uow:
        assert uow.reports.verify_audit().ok


def _inside_window(rows: list[Any], zone: str) -> None:
    """Every call was placed inside the campaign's schedule in the contact's zone."""
    for r in rows:
        local = r.at.astimezone(ZoneInfo(zone)).time()
        assert local.hour * 60 + local.minute >= 8 * 60 + 30, r
        assert local.hour * 60 + local.minute < 20 * 60 + 30, r


def _other_db(pg_db: str, cluster: Cluster) -> str:
    """A second database for the test (dropped with the cluster's fixture server-side)."""
    import uuid

    from sqlalchemy import create_engine, text
    from tests.integration.conftest import PG_ADMIN

    name = f"lexdial_dist_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    cluster.cleanup.append(name)
    return f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"


def _add_evidence(store: Any) -> None:
    from lexdial.service.contacts import NewContact, add_contact
    from lexdial.service.users import OPERATOR

    with store.unit_of_work() as uow:
        add_contact(uow, store.cipher, store.firm_id,
                    NewContact(numbers=(("+16145550111", "wireless"),),
                               address={"country": "US", "state": "OH"}),
                    datetime.now(UTC) - timedelta(days=1), audit=store.audit,
                    caller=OPERATOR)  # fmt: skip
