"""One source per vocabulary: the state enums are the stored strings, the UTC column type hands
back aware UTC, the rule pack states the legal limits, and a decision needs its request digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from conftest import build
from lexdial.adapters.db import tables as t
from lexdial.adapters.db.utc import UtcDateTime
from lexdial.domain.call import Command
from lexdial.domain.request_parse import parse_request
from lexdial.domain.states import (
    OPEN_QUEUE,
    PLACED_ATTEMPTS,
    UNDIALLED_QUEUE,
    AgentState,
    AttemptStatus,
    CampaignStatus,
    CommandKind,
    QueueStatus,
)
from lexdial.rules.engine import Engine
from lexdial.service.campaigns import TRANSITIONS

AT = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)


def test_the_attempt_statuses_are_the_strings_stored_in_call_attempts() -> None:
    assert [s.value for s in AttemptStatus] == [
        "allowed", "denied", "deferred", "rescheduled", "dialled", "completed", "queued",
        "cancelled",
    ]  # fmt: skip
    assert PLACED_ATTEMPTS == ("dialled", "completed")


def test_the_queue_statuses_are_the_strings_stored_in_campaign_contacts() -> None:
    assert [s.value for s in QueueStatus] == [
        "pending", "deferred", "retry", "dialing", "done", "blocked", "cancelled", "offered",
    ]  # fmt: skip
    assert OPEN_QUEUE == ("pending", "deferred", "retry")
    assert (*OPEN_QUEUE, "offered") == UNDIALLED_QUEUE
    assert t.campaign_contacts.c.status.server_default.arg == QueueStatus.PENDING  # type: ignore[union-attr]


def test_the_campaign_statuses_are_the_strings_stored_in_campaigns() -> None:
    assert [s.value for s in CampaignStatus] == [
        "draft", "running", "paused", "stopped", "completed",
    ]  # fmt: skip
    assert t.campaigns.c.status.server_default.arg == CampaignStatus.DRAFT  # type: ignore[union-attr]
    assert set(TRANSITIONS.values()) | {"draft"} == {s.value for s in CampaignStatus}


def test_the_agent_states_and_command_kinds_are_plain_strings_on_the_wire() -> None:
    assert [s.value for s in AgentState] == [
        "logged_out", "ready", "paused", "preview", "on_call", "wrap_up",
    ]  # fmt: skip
    assert [c.value for c in CommandKind] == [
        "play", "hangup", "find_agent", "cancel_agent", "release_agent", "bridge", "timer",
        "opt_out",
    ]  # fmt: skip
    assert Command(CommandKind.CANCEL_AGENT).action == "cancel_agent"
    assert f"{AttemptStatus.DIALLED}" == "dialled" and str(QueueStatus.DONE) == "done"


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()], ids=["sqlite", "pg"])
def test_the_utc_column_type_reads_every_stored_instant_back_as_aware_utc(dialect: object) -> None:
    col = UtcDateTime()
    naive = datetime(2026, 6, 1, 14, 0)
    assert col.process_result_value(naive, dialect) == naive.replace(tzinfo=UTC)  # type: ignore[arg-type]
    local = datetime(2026, 6, 1, 9, 0, tzinfo=timezone(timedelta(hours=-5)))
    back = col.process_result_value(local, dialect)  # type: ignore[arg-type]
    assert back == local and back is not None and back.tzinfo is UTC
    assert col.process_result_value(None, dialect) is None  # type: ignore[arg-type]


def test_the_utc_column_type_stores_naive_utc_on_sqlite_and_aware_utc_on_postgresql() -> None:
    local = datetime(2026, 6, 1, 9, 0, tzinfo=timezone(timedelta(hours=-5)))
    col = UtcDateTime()
    assert col.process_bind_param(local, sqlite.dialect()) == datetime(2026, 6, 1, 14, 0)
    on_pg = col.process_bind_param(local, postgresql.dialect())
    assert on_pg == local and on_pg is not None and on_pg.tzinfo is UTC
    assert col.process_bind_param(None, sqlite.dialect()) is None


def test_every_timestamp_column_uses_the_utc_type() -> None:
    stamps = [c for table in t.metadata.tables.values() for c in table.c if c.name.endswith("_at")]
    assert stamps and all(isinstance(c.type, UtcDateTime) for c in stamps)


def test_the_abandonment_and_ring_limits_come_from_the_rule_pack(engine: Engine) -> None:
    assert engine.pack.abandonment_limit() == 0.03  # us.abandonment
    assert engine.pack.ring_timeout_floor() == 15  # us.ring-timeout
    assert engine.pack.by_id()["us.abandonment"].params["max_rate"] == 0.03


def test_a_decision_without_the_request_digest_is_refused(engine: Engine) -> None:
    req = parse_request(build())
    with pytest.raises(ValueError, match="digest"):
        engine.decide(req, digest="")
    with pytest.raises(TypeError):
        engine.decide(req)  # type: ignore[call-arg]
