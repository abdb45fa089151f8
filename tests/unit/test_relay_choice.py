"""Which transport relays Twilio's callbacks in the distributed mode (issue 15, item 4):
Redis when the broker is Redis or ``$LEXDIAL_REDIS_URL`` is set, else the store's
PostgreSQL; none outside the distributed mode or on a SQLite store. Nothing is connected."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from lexdial.adapters.webhook_relay_pg import CHUNK, Assembler, chunks, request_channel
from lexdial.bootstrap import distributed as dist
from lexdial.config import load_settings

PG = "postgresql://lexdial@db.internal:5432/lexdial"
AMQP = "amqp://guest@127.0.0.1:5672//"


def choice(env: dict[str, str]) -> tuple[str, str] | None:
    return dist.relay_choice(load_settings(None, env), env)


def test_a_redis_broker_carries_the_relay() -> None:
    env = {"LEXDIAL_BROKER_URL": "redis://127.0.0.1:6379/3", "LEXDIAL_DATABASE_URL": PG}
    assert choice(env) == ("redis", "redis://127.0.0.1:6379/3")


def test_an_amqp_broker_with_a_shared_redis_relays_over_that_redis() -> None:
    env = {"LEXDIAL_BROKER_URL": AMQP, "LEXDIAL_REDIS_URL": "redis://cache:6379/1",
           "LEXDIAL_DATABASE_URL": PG}  # fmt: skip
    assert choice(env) == ("redis", "redis://cache:6379/1")


def test_an_amqp_broker_without_redis_relays_over_the_stores_postgresql() -> None:
    env = {"LEXDIAL_BROKER_URL": AMQP, "LEXDIAL_DATABASE_URL": PG}
    assert choice(env) == ("postgresql", "postgresql+psycopg://lexdial@db.internal:5432/lexdial")


def test_no_relay_outside_the_distributed_mode_or_on_a_sqlite_store(tmp_path: Path) -> None:
    assert choice({"LEXDIAL_DATABASE_URL": PG}) is None
    assert choice({"LEXDIAL_BROKER_URL": AMQP, "LEXDIAL_DATA_DIR": str(tmp_path)}) is None


def test_a_worker_on_a_carrier_other_than_twilio_starts_no_listener() -> None:
    env = {"LEXDIAL_BROKER_URL": AMQP, "LEXDIAL_DATABASE_URL": PG}
    assert dist.start_listener(load_settings(None, env), env) is None  # simulated carrier


def test_a_twilio_campaign_is_refused_by_a_worker_without_a_relay() -> None:
    # nothing past the refusal is reached: a store of settings only is enough
    store: Any = SimpleNamespace(
        settings=SimpleNamespace(telephony=SimpleNamespace(carrier="twilio"))
    )
    got = dist.run_campaign(store, 7, listener=None)
    assert got["campaign"] == 7 and "webhook relay" in got["refused"]


@pytest.mark.parametrize("size", [0, 10, CHUNK - 40, CHUNK * 3 + 17])
def test_a_message_of_any_size_crosses_notify_in_chunks_under_its_8000_bytes(size: int) -> None:
    message = {"status": 200, "body": "é" * size, "id": "r1"}  # non-ASCII escaped by JSON
    parts = chunks(message)
    assert all(len(p.encode()) < 8000 for p in parts)
    assembler = Assembler()
    got = [assembler.add(p) for p in reversed(parts)]  # any order: put back by index
    assert got[-1] == message and all(g is None for g in got[:-1])
    assert len(parts) == max(1, -(-len(json.dumps(message)) // CHUNK))


def test_two_messages_chunks_interleaved_are_put_back_apart() -> None:
    a, b = chunks({"body": "a" * CHUNK * 2}), chunks({"body": "b" * CHUNK * 2})
    assembler = Assembler()
    got = [assembler.add(p) for pair in zip(a, b, strict=True) for p in pair]
    assert [g for g in got if g is not None] == [{"body": "a" * CHUNK * 2},
                                                  {"body": "b" * CHUNK * 2}]  # fmt: skip


def test_a_workers_channel_is_a_short_identifier_whatever_its_id() -> None:
    channel = request_channel("a-very-long.host.name.example-12345-" + "f" * 100)
    assert len(channel) <= 63 and channel.replace("_", "").isalnum()
    assert channel != request_channel("another-worker")
