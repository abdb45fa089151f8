"""Exact-number lookups by roles that see numbers masked: limited per user, and audited.

Rule 1: an agent sees ``+1614•••••01`` on a contact page; if ``GET /v1/contacts?number=``
answered without limit, the hidden digits could be guessed back at a hundred tries a
second. So a caller whose role sees masked numbers (not in ``FULL_NUMBER_ROLES``) gets
``LOOKUPS_AT_ONCE`` lookups, then one more every ``REFILL_S`` seconds (a token bucket per
user, in the app's ``Limits``: per process, or Redis shared by all), then 429 with
Retry-After.
Every route that takes a number and answers differently for one on file counts too
(``take_if_masked``): creating a contact or consent, an opt-out, stated preferences.
Rule 2: every such lookup, found or not, is an audit entry (``contact.looked_up``) naming
the user, the contact found (if any) and the number masked, so a compliance officer sees
who probed which numbers. Roles that see numbers in full are neither limited nor audited
here: they read them on every page anyway.
"""

from __future__ import annotations

from fastapi import HTTPException, Request

from lexdial.bootstrap import Store
from lexdial.entrypoints.api.deps import limits as app_limits
from lexdial.entrypoints.api.deps import now
from lexdial.service.contact_view import sees_full_numbers
from lexdial.service.public_codes import RateLimiter
from lexdial.service.storage import UnitOfWork
from lexdial.service.users import Caller

#: enough to look up the people an agent is working with; far too few to guess digits
LOOKUPS_AT_ONCE = 20
#: one more lookup every this many seconds (120 an hour, sustained)
REFILL_S = 30.0


def limiter(request: Request) -> RateLimiter:
    """The app's lookup buckets (``app.state.number_lookups``), one per user."""
    found = getattr(request.app.state, "number_lookups", None)
    if not isinstance(found, RateLimiter):
        found = request.app.state.number_lookups = RateLimiter(
            LOOKUPS_AT_ONCE, REFILL_S, limits=app_limits(request), name="lookups"
        )
    return found


def take(request: Request, caller: Caller) -> None:
    """Count one lookup by ``caller`` (a masked-view role); 429 once the bucket is empty."""
    key = f"user:{caller.user_id}" if caller.user_id is not None else f"label:{caller.label}"
    if not limiter(request).allow(key, now(request).timestamp()):
        raise HTTPException(
            429,
            "too many lookups by number: your role sees numbers masked, so lookups are "
            f"limited to {LOOKUPS_AT_ONCE} at once and one every {REFILL_S:.0f} s",
            {"Retry-After": str(int(REFILL_S))},
        )


def take_if_masked(request: Request, s: Store, caller: Caller) -> None:
    """A write that names a number answers "is it on file?" (a 404, "already on file", the
    contact it names): for a role that sees numbers masked it counts against the same
    per-user bucket as an exact-number lookup (``take``)."""
    with s.reading() as uow:
        masked = not sees_full_numbers(uow, caller)
    if masked:
        take(request, caller)


def record(
    s: Store, uow: UnitOfWork, request: Request, caller: Caller, e164: str, found: int | None,
    what: str,
) -> None:  # fmt: skip
    """Audit one lookup by a masked-view role (the number masked in the trail)."""
    s.audit.record(
        uow,
        at=now(request),
        actor=caller.label,
        action="contact.looked_up",
        subject=f"contact:{found}" if found is not None else "contact:none",
        data={"via": "api", "what": what, "found": found is not None, "number": e164},
        personal=("number",),
    )
