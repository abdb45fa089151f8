"""A Twilio Access Token for the agent desk's softphone: the logged-in agent's own
Twilio Client identity, and no one else's.

Rule 1: the identity is never taken from the request: it is the ``twilio_client``
endpoint of the user behind the session or API token (their oldest one). A caller that is
not a user (lexdial itself, the command line's operator) is refused
(PermissionDeniedError); a user without such an endpoint gets NotFoundError naming the
field, so no one can mint a token for another agent's identity.
Rule 2: every token issued is audited (``desk.twilio_token_issued``) with the endpoint's id
and the token's lifetime; the identity and the token are not written to the trail (the
token is a credential; endpoints' addresses stay off the trail as in ``agent_endpoints``).
Rule 3: a user acts for their own firm only (``authorize``; the firm comes from the
session, never from the request).
Rule 4: an identity held by more than one user (written before ``agent_endpoints`` refused
that) gets no token: it would ring the other user's calls (PermissionDeniedError, saying
an administrator must give each their own).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from lexdial.errors import NotFoundError, PermissionDeniedError
from lexdial.service.users import Caller, authorize, user_in_firm

if TYPE_CHECKING:
    from lexdial.service.ports import Audit
    from lexdial.service.storage import UnitOfWork


class ClientTokenMinter(Protocol):
    """Signs Access Tokens (``adapters.telephony.twilio_tokens.TwilioTokenMinter``)."""

    @property
    def ttl_s(self) -> int: ...

    def mint(self, identity: str) -> str: ...


@dataclass(frozen=True, slots=True)
class ClientToken:
    """What the desk's softphone needs: the token, whose it is, and how long it lives."""

    token: str
    identity: str
    ttl_s: int


def issue_client_token(
    uow: UnitOfWork,
    caller: Caller,
    at: datetime,
    *,
    minter: Callable[[], ClientTokenMinter],
    audit: Audit,
    firm_id: int,
) -> ClientToken:
    """A token for the caller's own Twilio Client identity (audited). ``minter`` is built
    only once the caller is known to have an identity (its ConfigError: not configured)."""
    actor = authorize(uow, caller, "read", firm_id)
    user_id = caller.user_id
    if user_id is None:
        raise PermissionDeniedError("only a logged-in agent has a Twilio Client identity")
    user_in_firm(uow, user_id, firm_id)
    endpoint = next((e for e in uow.users.endpoints(user_id) if e.kind == "twilio_client"), None)
    if endpoint is None or not endpoint.address:
        raise NotFoundError("endpoint", "you have no twilio_client endpoint")
    if uow.users.endpoint_holders("twilio_client", endpoint.address) != [user_id]:
        raise PermissionDeniedError(
            "your Twilio Client identity is also another user's: an administrator must give "
            "each agent their own before a token is issued"
        )
    signer = minter()
    token = signer.mint(endpoint.address)
    audit.record(
        uow, at=at, actor=actor, action="desk.twilio_token_issued", subject=f"user:{user_id}",
        data={"endpoint": endpoint.id, "ttl_s": signer.ttl_s},
    )  # fmt: skip
    return ClientToken(token, endpoint.address, signer.ttl_s)
