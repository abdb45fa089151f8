"""`lexdial serve` in the distributed mode: a started campaign goes to the workers, never
dialled in the web process; on a live store the simulated carrier is refused before
anything is enqueued."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

import pytest

from lexdial.bootstrap import init_store, mark_sandbox
from lexdial.config import load_settings
from lexdial.entrypoints.api.runner import CampaignRunner
from lexdial.entrypoints.api.runner_distributed import DistributedRunner, make_runner

pytestmark = pytest.mark.integration


def _store(tmp_path: Path, broker: bool) -> object:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "lexdial.toml"
    extra = '[distributed]\nbroker_url = "redis://127.0.0.1:6379/15"\n' if broker else ""
    path.write_text('[firm]\nname = "Hartwell & Ruiz LLP"\n' + extra, "utf-8")
    env = {"LEXDIAL_DATA_DIR": str(tmp_path / "data")}
    return init_store(load_settings(path, env), env)


def _start(runner: DistributedRunner, campaign_id: int) -> None:
    async def go() -> None:
        runner.start(campaign_id)
        await runner.close()  # waits for the enqueue, off the loop

    asyncio.run(go())


def test_serve_uses_the_distributed_runner_only_when_a_broker_is_set(tmp_path: Path) -> None:
    now = lambda: datetime.now(UTC)  # noqa: E731
    embedded = _store(tmp_path / "a", broker=False)
    distributed = _store(tmp_path / "b", broker=True)
    assert type(make_runner(embedded, now)) is CampaignRunner  # type: ignore[arg-type]
    assert type(make_runner(distributed, now)) is DistributedRunner  # type: ignore[arg-type]


def test_a_live_store_on_the_simulated_carrier_is_refused_and_nothing_is_enqueued(
    tmp_path: Path,
) -> None:
    store = _store(tmp_path, broker=True)
    runner = DistributedRunner(store, lambda: datetime.now(UTC))  # type: ignore[arg-type]
    with mock.patch("lexdial.bootstrap.distributed.enqueue") as enqueue:
        _start(runner, 7)
    assert runner.refused == {7} and not enqueue.called


def test_a_sandbox_campaign_is_enqueued_for_the_workers_not_dialled_here(tmp_path: Path) -> None:
    store = _store(tmp_path, broker=True)
    mark_sandbox(store)  # type: ignore[arg-type]
    runner = DistributedRunner(store, lambda: datetime.now(UTC))  # type: ignore[arg-type]
    with mock.patch("lexdial.bootstrap.distributed.enqueue") as enqueue:
        _start(runner, 7)
    assert runner.refused == set() and runner.tasks == {}  # no dialling task in this process
    enqueue.assert_called_once_with(runner.app, 7)
