"""Health, who-am-I, the decision contract over HTTP, and the rule pack."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from lexdial.api import decide_json
from lexdial.entrypoints.api.deps import DecisionWriter, Reader, store
from lexdial.errors import RequestError
from lexdial.service import views

router = APIRouter()

#: an example request for /docs (contract v1; only at, number, purpose, technology required)
EXAMPLE = {
    "at": "2026-12-01T15:15:00Z",
    "number": "+1 614 555 0101",
    "purpose": "reminder",
    "technology": "prerecorded",
    "line_type": "wireless",
    "consents": [
        {
            "kind": "express",
            "given_at": "2026-06-02",
            "scope": ["reminder"],
            "seller": "Example Law Firm LLP",
        }
    ],
}


@router.get("/health", tags=["service"])
def health() -> dict[str, str]:
    """Liveness for load balancers: no data, no login."""
    return {"status": "ok"}


@router.get("/v1/me", tags=["service"])
def me(request: Request, caller: Reader) -> dict[str, Any]:
    """The calling user: id, e-mail and role."""
    with store(request).reading() as uow:
        badge = views.who(uow, caller.user_id) if caller.user_id is not None else None
    assert badge is not None  # require() has just read this user
    return {"id": badge.id, "email": badge.email, "role": badge.role}


@router.post(
    "/v1/decisions",
    tags=["decisions"],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}, "example": EXAMPLE}},
        }
    },
)
async def post_decision(request: Request, caller: DecisionWriter) -> dict[str, Any]:
    """Judge one attempt (decision contract v1): allow, deny or defer, with every reason.

    A what-if: nothing is dialled or stored. The dial-time gate records its decisions.
    The body is read as JSON text straight into the contract's types (the fast reader).
    """
    body = await request.body()
    try:
        decision = decide_json(body, engine=store(request).rules)
    except ValueError as exc:  # not JSON text at all (JSONDecodeError, UnicodeDecodeError)
        raise RequestError("", f"the body is not JSON ({type(exc).__name__})") from None
    except OverflowError:  # the engine's search for the earliest lawful time ran past
        # 9999-12-31 (a what-if at the calendar's end; the gate's ``at`` is now): the field
        # is named, not a 500 (rules/engine.py could bound its own search)
        raise RequestError("at", "is too close to the end of the calendar (9999)") from None
    return decision.to_json()


@router.get("/v1/decisions/{decision_id}", tags=["decisions"])
def get_decision(request: Request, decision_id: str, caller: Reader) -> dict[str, Any]:
    """A decision the gate recorded before a dial, with its reasons and the attempt."""
    s = store(request)
    with s.reading() as uow:
        found = views.recorded_decision(uow, s.firm_id, decision_id)
    return {
        "attempt": found.id,
        "contact": found.contact_id,
        "campaign": found.campaign_id,
        "status": found.status,
        "decision": found.decision,
    }


@router.get("/v1/rules", tags=["rules"])
def rules(request: Request, caller: Reader, jurisdiction: str | None = None) -> dict[str, Any]:
    """The rule pack in force: every rule with its citation and effective dates."""
    pack = store(request).rules.pack
    chosen = [r for r in pack.rules if jurisdiction in (None, r.jurisdiction)]
    return {
        "version": pack.version,
        "rules": [{"id": r.id, **_plain(r.comparable())} for r in chosen],
    }


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


@router.get("/v1/rules/diff", tags=["rules"])
def rules_diff(request: Request, caller: Reader) -> dict[str, Any]:
    """What the pack in force changes against the bundled pack (a firm's reviewed pack, or
    nothing): firms must "regularly review and update their practices"."""
    from lexdial.bootstrap import rule_pack
    from lexdial.rules.diff import diff_packs

    return {k: _plain(v) for k, v in diff_packs(rule_pack(), store(request).rules.pack).items()}
