"""The one place where lexdial is wired: settings -> pack + geography + policy -> engine,
and the store, the carrier, the dialler and the web app's interfaces built on them.

Nothing is built at import time; ``default_engine`` builds once per process on first
use (reading the bundled pack and the geography file: a few tens of milliseconds). Each
function imports the adapter it wires when first called, so ``lexdial --help`` loads no
database layer, web framework or carrier library (tests/unit/test_cli_startup.py).

By concern (every name is re-exported here: ``from lexdial.bootstrap import X``):

- ``engine``: the rule engine and the rule pack;
- ``store``: where the evidence store lives, creating and opening it, ``Store``;
- ``audit``: key rotation, signed checkpoints, the audit chain's verification;
- ``sandbox``: sandboxes and the throw-away copies rehearsals dial;
- ``sandbox_clock``: a sandbox's simulated clock, the same in every process on the store;
- ``telephony``: the carriers, the SIP trunk, the simulated carrier and clock;
- ``dialer``: the dialler over a store and the agents it may seat;
- ``web``: the web app's interfaces (webhooks, public-page codes, events out);
- ``registry``: the do-not-call registers, their loading and scrubbing;
- ``files``: files a person names or receives, kept private to their owner;
- ``limits``: rate limits and the log-in throttle, per process or shared in Redis.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lexdial.bootstrap.audit import (
    checkpoint_for_report,
    evidence_anchors,
    publish_checkpoint,
    rotate_store_keys,
    verify_audit,
)
from lexdial.bootstrap.dialer import make_dialer, seat_agents
from lexdial.bootstrap.engine import build_engine, default_engine, rule_pack
from lexdial.bootstrap.files import private_folder, read_given_file, write_private_file
from lexdial.bootstrap.limits import open_limits
from lexdial.bootstrap.record_checks import (
    record_check_status,
    run_record_check,
    start_record_check,
)
from lexdial.bootstrap.registry import (
    apply_registry_changes,
    load_registry,
    open_registry,
    registry_index,
    registry_list_name,
    registry_lists,
    scrub_file,
)
from lexdial.bootstrap.sandbox import (
    SANDBOX_MARK,
    STORE_SETUP_ACTIONS,
    is_sandbox,
    mark_sandbox,
    rehearsal_store,
)
from lexdial.bootstrap.sandbox_clock import store_clock, wall_clock  # (for dist-clock)
from lexdial.bootstrap.store import (
    Store,
    StorePlace,
    data_dir,
    init_store,
    open_store,
    store_place,
)
from lexdial.bootstrap.telephony import (
    check_sip_trunk,
    is_simulated,
    open_telephony,
    simulated_carrier,
    simulated_clock,
    sip_trunk,
    twilio_unknown_call_webhooks,
    virtual_time_runner,
)
from lexdial.bootstrap.web import (
    InterfaceSettings,
    event_delivery,
    first_delivery,
    public_code_sender,
    sms_code_sender,
    twilio_signed,
)

# the types some wired functions return, for annotations (never imported at run time)
if TYPE_CHECKING:
    from lexdial.adapters.telephony.simulated import SimulatedCarrier as SimulatedCarrier
    from lexdial.adapters.virtual_time import SimulatedClock as SimulatedClock

__all__ = [
    "SANDBOX_MARK",
    "STORE_SETUP_ACTIONS",
    "InterfaceSettings",
    "Store",
    "StorePlace",
    "apply_registry_changes",
    "build_engine",
    "check_sip_trunk",
    "checkpoint_for_report",
    "data_dir",
    "default_engine",
    "event_delivery",
    "evidence_anchors",
    "first_delivery",
    "init_store",
    "is_sandbox",
    "is_simulated",
    "load_registry",
    "make_dialer",
    "mark_sandbox",
    "open_limits",
    "open_registry",
    "open_store",
    "open_telephony",
    "private_folder",
    "public_code_sender",
    "publish_checkpoint",
    "read_given_file",
    "record_check_status",
    "registry_index",
    "registry_list_name",
    "registry_lists",
    "rehearsal_store",
    "rotate_store_keys",
    "rule_pack",
    "run_record_check",
    "scrub_file",
    "seat_agents",
    "simulated_carrier",
    "simulated_clock",
    "sip_trunk",
    "sms_code_sender",
    "start_record_check",
    # (for dist-clock)
    "store_clock",
    "store_place",
    "twilio_signed",
    "twilio_unknown_call_webhooks",
    "verify_audit",
    "virtual_time_runner",
    "wall_clock",
    "write_private_file",
]
