"""What a person told the firm, over HTTP (contract v1.1): stated inconvenient times and
workplace facts on a contact; a cease request and the time-barred flag on a debt.

Rule 1: the same services as the CLI (``cli_stated``), one transaction each; the body's
fields are the contract's own (``preferences.*``, ``debt.*``), validated by the contract's
reader, so an error names the same field path as ``POST /v1/decisions`` would (422).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict

from lexdial.entrypoints.api import number_lookups
from lexdial.entrypoints.api.deps import ConsentWriter, now, store
from lexdial.service.stated_facts import record_debt_facts, set_preferences

router = APIRouter(prefix="/v1")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PreferencesIn(_Body):
    """Only the fields given are changed; null removes one. ``inconvenient_times`` items:
    {"days": ["mon", ...] (absent = every day), "from": "HH:MM", "to": "HH:MM"}, local time."""

    number: str
    inconvenient_times: list[dict[str, Any]] | None = None
    workplace_number: bool | None = None
    no_calls_at_work: bool | None = None


class DebtFactsIn(_Body):
    """``cease_requested_at``: when the written request to stop arrived (12 CFR 1006.6(c));
    ``time_barred``: the limitation period has run (1006.26). Only the fields given change."""

    cease_requested_at: str | None = None
    time_barred: bool | None = None


@router.put("/contacts/preferences", tags=["contacts"])
def put_preferences(request: Request, body: PreferencesIn, caller: ConsentWriter) -> dict[str, Any]:
    """Record what the person said (e.g. "not during working hours", "not at work")."""
    s = store(request)
    # "no contact has this number" (404) answers a guess: counted for masked roles
    number_lookups.take_if_masked(request, s, caller)
    changes = body.model_dump(exclude_unset=True, exclude={"number"})
    with s.unit_of_work() as uow:
        stored = set_preferences(
            uow, s.cipher, s.audit, s.firm_id, body.number, changes, caller, now(request)
        )
    return {"preferences": stored}


@router.put("/debts/{debt_ref}", tags=["contacts"])
def put_debt_facts(
    request: Request, debt_ref: str, body: DebtFactsIn, caller: ConsentWriter
) -> dict[str, Any]:
    """Record a debt's cease request or time-barred flag; the gate reads them at dial time."""
    s = store(request)
    changes = body.model_dump(exclude_unset=True)
    with s.unit_of_work() as uow:
        stored = record_debt_facts(uow, s.audit, s.firm_id, debt_ref, changes, caller, now(request))
    return {"debt_ref": debt_ref, "debt": stored}
