"""The time zones the desk writes a callback in (issue 12; a read for the desk page).

Rule 1: an agent hears "call me back at three" in the person's local time, so the desk
offers the person's zones, never a silent UTC: the zones the gate judged the seat's last
call in (its stored decision's ``time_zones``: the address's zone when the record has
one, else the zones of the number's area). A number whose area spans zones gives several;
the agent then chooses (the desk preselects none).
Rule 2: a read only, for the caller's own seat; nothing is changed or audited.

    callback_zones(uow, caller) -> tuple[str, ...]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lexdial.service.desk_session import seat_of

if TYPE_CHECKING:
    from lexdial.service.storage import UnitOfWork
    from lexdial.service.users import Caller


def callback_zones(uow: UnitOfWork, caller: Caller) -> tuple[str, ...]:
    """The IANA zones of the person on the seat's last call (empty: no call, none known)."""
    who = seat_of(uow, caller)
    s = uow.desk.session(who.firm_id, who.user_id)
    if s is None or s.attempt_id is None:
        return ()
    attempt = uow.attempts.stored_attempt(s.attempt_id)
    if attempt is None or attempt.firm_id != who.firm_id:
        return ()
    zones = (attempt.decision or {}).get("time_zones") or ()
    return tuple(dict.fromkeys(z for z in zones if isinstance(z, str) and z))
