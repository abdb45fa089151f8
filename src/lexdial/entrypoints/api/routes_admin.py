"""Administration over HTTP: users, training, API tokens, the audit chain, the registries.

Rule 1: each route calls the same service as the CLI (``cli_users``, ``cli_registry``).
Rule 2: a new API token is in the response that issues it and nowhere else (only its hash
is stored); the response is marked not to be cached.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import date
from typing import Annotated, Any, cast

from fastapi import APIRouter, BackgroundTasks, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from lexdial.bootstrap import (
    record_check_status,
    registry_lists,
    run_record_check,
    start_record_check,
    verify_audit,
)
from lexdial.entrypoints.api.deps import (
    AuditReader,
    Reader,
    Require,
    UsersReader,
    UsersWriter,
    now,
    store,
)
from lexdial.entrypoints.api.routes_people import utc
from lexdial.service import agent_endpoints, user_directory
from lexdial.service.auth import issue_token
from lexdial.service.users import Caller, add_user, attest_training

router = APIRouter(prefix="/v1")
#: who may start the store-wide record check (``service.record_checks``)
AuditChecker = Annotated[Caller, Depends(Require("audit.check"))]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserIn(_Body):
    email: str
    name: str = Field(min_length=1)
    role: str


class AttestationIn(_Body):
    course: str
    on: date
    valid_days: int = 365


class TokenIn(_Body):
    name: str


class EndpointIn(_Body):
    kind: str
    address: str | None = None


@router.get("/users", tags=["users"])
def list_users(request: Request, caller: UsersReader) -> list[dict[str, Any]]:
    """Every user of the firm: role, active or not, training status and API tokens."""
    s, today = store(request), now(request).date()
    with s.reading() as uow:
        entries = user_directory.firm_users(uow, s.cipher, s.firm_id, today)
    return [
        {
            "id": e.user.id,
            "email": e.user.email,
            "role": e.user.role,
            "active": e.user.active,
            "name": e.name,
            "created_at": utc(e.user.created_at),
            "training": {"current": e.trained, "expires_on": e.training_expires},
            "tokens": [utc(asdict(tok)) for tok in e.tokens],
        }
        for e in entries
    ]


@router.post("/users", status_code=201, tags=["users"])
def create_user(request: Request, body: UserIn, caller: UsersWriter) -> dict[str, Any]:
    """Add a user with a role (admin, compliance, manager, agent, auditor)."""
    s = store(request)
    with s.unit_of_work() as uow:
        uid = add_user(
            uow, s.cipher, s.firm_id, body.email, body.name, body.role, now(request),
            audit=s.audit, caller=caller,
        )  # fmt: skip
    return {"user": uid, "role": body.role}


@router.post("/users/{user_id}/attestations", status_code=201, tags=["users"])
def attest(
    request: Request, user_id: int, body: AttestationIn, caller: UsersWriter
) -> dict[str, Any]:
    """Record completed training (an agent needs a current one to take live calls)."""
    s = store(request)
    with s.unit_of_work() as uow:
        user_directory.known_user(uow, s.firm_id, user_id)
        aid = attest_training(
            uow, user_id, body.course, body.on, body.valid_days, now(request),
            caller, audit=s.audit, firm_id=s.firm_id,
        )  # fmt: skip
        expires = user_directory.attestation_expires(uow, aid)
    return {"attestation": aid, "user": user_id, "expires_on": expires}


@router.post("/users/{user_id}/tokens", status_code=201, tags=["users"])
def create_token(
    request: Request, response: Response, user_id: int, body: TokenIn, caller: UsersWriter
) -> dict[str, Any]:
    """Issue a personal API token for a user. The token is shown in this response only."""
    s = store(request)
    with s.unit_of_work() as uow:
        user_directory.known_user(uow, s.firm_id, user_id)
        new = issue_token(uow, s.audit, user_id, body.name, caller, now(request), s.firm_id)
    response.headers["Cache-Control"] = "no-store"
    return {"token_id": new.id, "user": user_id, "token": new.token}


@router.get("/users/{user_id}/endpoints", tags=["users"])
def list_endpoints(request: Request, user_id: int, caller: UsersReader) -> list[dict[str, Any]]:
    """Where the user takes live calls: SIP addresses, the browser softphone, Twilio Client
    identities."""
    s = store(request)
    with s.reading() as uow:
        found = agent_endpoints.list_endpoints(uow, user_id, caller=caller, firm_id=s.firm_id)
    return [_endpoint_json(e) for e in found]


@router.post("/users/{user_id}/endpoints", status_code=201, tags=["users"])
def create_endpoint(
    request: Request, user_id: int, body: EndpointIn, caller: UsersWriter
) -> dict[str, Any]:
    """Add an endpoint: ``kind`` sip (``address`` sip:user@host[:port]), browser (no
    address; one per user) or twilio_client (``address`` the identity)."""
    s, at = store(request), now(request)
    with s.unit_of_work() as uow:
        eid = agent_endpoints.add_endpoint(
            uow, user_id, body.kind, body.address, at,
            audit=s.audit, caller=caller, firm_id=s.firm_id,
        )  # fmt: skip
    return {"id": eid, "user": user_id, "kind": body.kind, "address": body.address,
            "created_at": utc(at)}  # fmt: skip


@router.delete("/users/{user_id}/endpoints/{endpoint_id}", tags=["users"])
def delete_endpoint(
    request: Request, user_id: int, endpoint_id: int, caller: UsersWriter
) -> dict[str, Any]:
    """Remove one of the user's endpoints."""
    s = store(request)
    with s.unit_of_work() as uow:
        gone = agent_endpoints.remove_endpoint(
            uow, endpoint_id, now(request),
            audit=s.audit, caller=caller, firm_id=s.firm_id, user_id=user_id,
        )  # fmt: skip
    return {"endpoint_id": gone.id, "user": gone.user_id, "removed": True}


def _endpoint_json(e: agent_endpoints.AgentEndpoint) -> dict[str, Any]:
    return {
        "id": e.id,
        "user": e.user_id,
        "kind": e.kind,
        "address": e.address,
        "created_at": utc(e.created_at),
    }


@router.delete("/tokens/{token_id}", tags=["users"])
def delete_token(request: Request, token_id: int, caller: UsersWriter) -> dict[str, Any]:
    """Revoke an API token at once; revoking it again changes nothing."""
    s = store(request)
    with s.unit_of_work() as uow:
        revoked_at = user_directory.revoke_once(
            uow, s.audit, token_id, caller, now(request), s.firm_id
        )
    return {"token_id": token_id, "revoked_at": utc(revoked_at)}


@router.get("/audit/verify", tags=["audit"])
def audit_verify(
    request: Request, caller: AuditReader, anchor: str | None = None
) -> dict[str, Any]:
    """Walk the hash-chained audit trail: intact (and its head, to export as an anchor), or
    the first bad seq and what is wrong. With ``anchor`` (SEQ:HASH exported earlier) the
    trail must still hold that entry: this detects truncation and rewriting. Every signed
    checkpoint lexdial published pins its entry the same way, without an anchor; a
    checkpoint line whose signature fails is listed in ``checkpoint_problems``.
    ``records`` is the last comparison of every consent, decision, call outcome and
    opt-out of the store with its audit entries (``checked_at``, ``checked_by``, at audit
    entry ``head_seq``; ``running``: one under way; ``ok`` None: none yet): the caller's
    firm's mismatches named (table, id, field), other firms' counted; ``ok`` is false when
    it found any. This request does not compare them (minutes on a large store): ``POST
    /v1/audit/records-check`` starts a new comparison (admin or compliance)."""
    return _verified(request, anchor)


def _verified(request: Request, anchor: str | None = None) -> dict[str, Any]:
    """The chain verified now, with the last record check kept (never run here)."""
    s = store(request)
    result = replace(
        verify_audit(s, anchor, records=False), last_check=record_check_status(s, now(request))
    )
    return cast(dict[str, Any], utc(result.to_json(s.firm_id)))


@router.post("/audit/records-check", tags=["audit"])
def audit_records_check(
    request: Request, response: Response, background: BackgroundTasks, caller: AuditChecker
) -> dict[str, Any]:
    """Start comparing every consent, decision, call outcome and opt-out of the store with
    its audit entries (minutes on a large store): 202 with ``started: true`` and the check
    runs in the background; ``GET /v1/audit/verify``'s ``records`` then shows it running,
    and its result when done. One at a time per firm: while one runs, 200 with
    ``started: false`` and ``records.running`` (who asked, since when); nothing starts.
    Admin or compliance."""
    s = store(request)
    claim = start_record_check(s, caller, now(request))
    if claim is not None:
        background.add_task(run_record_check, s, claim, request.app.state.clock)
        response.status_code = 202
    else:
        response.status_code = 200
    return {"started": claim is not None, **_verified(request)}


@router.get("/registry", tags=["registry"])
def registry_status(request: Request, caller: Reader) -> dict[str, Any]:
    """Each loaded do-not-call list: numbers, snapshot date, age in days and whether it is
    stale (older than 31 days for US lists, 28 for the UK TPS; see REGISTRY_STALE)."""
    today = now(request).date()
    lists = [
        {
            "list": r.list,
            "count": r.count,
            "snapshot_on": r.snapshot_on,
            "age_days": r.age_days,
            "max_age_days": r.max_age_days,
            "stale": r.stale,
            "loaded_at": r.loaded_at,
            "kind": r.kind,
        }
        for r in registry_lists(store(request).data_dir, today)
    ]
    return {"today": today, "lists": lists}


@router.get("/suppression", tags=["suppression"])
def suppression(request: Request, caller: Reader, limit: int = 200) -> list[dict[str, Any]]:
    """The firm's internal do-not-call list, newest first: when, by which channel, whose.

    Only a keyed index of each number is stored with the entry, so the list names the
    contact (if any), never the number.
    """
    s = store(request)
    with s.reading() as uow:
        rows = user_directory.suppression_list(uow, s.firm_id, limit)
    return [
        {"entry": r.entry, "at": utc(r.at), "channel": r.channel, "contact": r.contact}
        for r in rows
    ]
