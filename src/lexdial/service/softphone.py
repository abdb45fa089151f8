"""Who may open the agent desk's browser softphone (the WebRTC gateway's door).

Rule 1: only a user acting for themselves (a web session or their own token, not the
local operator or lexdial itself) with a ``browser`` endpoint of their own firm: the
softphone carries that user's live calls, so nobody opens it for someone else.
Rule 2: a refusal names what is missing (``endpoint`` for a user without a browser
endpoint, with the command that adds one).
"""

from __future__ import annotations

from lexdial.errors import PermissionDeniedError, RequestError
from lexdial.service.storage import UnitOfWork
from lexdial.service.users import Caller, authorize, user_in_firm


def softphone_user(uow: UnitOfWork, caller: Caller, firm_id: int | None) -> int:
    """The user id whose softphone ``caller`` may open (see the module rules)."""
    if caller.user_id is None:
        raise PermissionDeniedError("the softphone is a logged-in user's own")
    authorize(uow, caller, "read", firm_id)
    user_in_firm(uow, caller.user_id, firm_id)
    if not any(e.kind == "browser" for e in uow.users.endpoints(caller.user_id)):
        raise RequestError(
            "endpoint",
            "this user has no browser endpoint (an admin adds one: "
            f"lexdial users endpoint add {caller.user_id} --browser)",
        )
    return caller.user_id
