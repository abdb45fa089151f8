"""The decision request (contract v1) as msgspec structs: its JSON shape, checked in C.

Rule 1: each struct mirrors one JSON object of the contract, field for field, with the
JSON types ``request_parse`` accepts (an id may be a string or an integer, a rate an
integer or a float) and the vocabularies of ``domain.decision`` as literals; an unknown
field is an error. A struct field is None when the document gives null or nothing, as
``request_parse`` reads them alike.
Rule 2: only ``request_fast`` uses these, as the fast first reading of a document; they
never reach the engine (the engine takes ``domain.decision``'s NamedTuples).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, TypeAlias

from msgspec import Struct

from lexdial.domain import decision as d

# The vocabularies as msgspec literals, so that C checks them; built from the domain's sets
# (one source of truth). Type checkers see plain strings.
if TYPE_CHECKING:
    Purpose: TypeAlias = str
    Technology: TypeAlias = str
    LineType: TypeAlias = str
    ConsentKind: TypeAlias = str
    Relation: TypeAlias = str
    Result: TypeAlias = str
    Outcome: TypeAlias = str
    Mode: TypeAlias = str
    IncidentKind: TypeAlias = str
    Basis: TypeAlias = str
    Subscriber: TypeAlias = str
    MatterType: TypeAlias = str
    Day: TypeAlias = str
else:

    def _vocabulary(values: frozenset[str]) -> object:
        return Literal[tuple(sorted(values))]

    Purpose = _vocabulary(d.PURPOSES)
    Technology = _vocabulary(d.TECHNOLOGIES)
    LineType = _vocabulary(d.LINE_TYPES)
    ConsentKind = _vocabulary(d.CONSENT_KINDS)
    Relation = _vocabulary(d.RELATIONSHIPS)
    Result = _vocabulary(d.REASSIGNED_RESULTS)
    Outcome = _vocabulary(d.OUTCOMES)
    Mode = _vocabulary(d.CAMPAIGN_MODES)
    IncidentKind = _vocabulary(d.INCIDENT_KINDS)
    Basis = _vocabulary(d.LAWFUL_BASES)
    Subscriber = _vocabulary(d.SUBSCRIBERS)
    MatterType = _vocabulary(d.MATTER_TYPES)
    Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

# gc=False: these structs hold only strings, numbers and other such structs (no cycles),
# and live for one request; keeping them out of the collector is measurably faster.


class _Obj(Struct, forbid_unknown_fields=True, gc=False):
    """A JSON object of the contract: an unknown field is an error (a typo)."""


class AddressDoc(_Obj):
    country: str | None = None
    state: str | None = None
    zip: str | None = None
    time_zone: str | None = None
    postcode: str | None = None


class RelationshipDoc(_Obj):
    type: Relation | None = None
    last_transaction_on: str | None = None
    inquiry_on: str | None = None
    routinely_uses_services: bool | None = None


class ConsentDoc(_Obj):
    kind: ConsentKind
    given_at: str | None = None
    id: str | int | None = None
    scope: list[Purpose] | None = None
    technologies: list[Technology] | None = None
    seller: str | list[str] | None = None
    method: str | None = None
    revoked_at: str | None = None


class SuppressionDoc(_Obj):
    national_dnc: bool | None = None
    national_dnc_registered_on: str | None = None
    state_dnc: bool | None = None
    internal_dnc: bool | None = None
    tps_registered_on: str | None = None
    registry_synced_on: str | None = None


class ReassignedDoc(_Obj):
    result: Result
    checked_on: str | None = None


class HistoryDoc(_Obj):
    at: str
    purpose: Purpose | None = None
    subject: str | None = None
    debt_id: str | int | None = None
    outcome: Outcome | None = None
    technology: Technology | None = None


class RangeDoc(_Obj):
    start: str
    end: str


class DebtDoc(_Obj):
    id: str | int | None = None
    type: str | None = None
    represented_by_attorney: bool | None = None
    represented_since: str | None = None
    inconvenient_times: list[RangeDoc] | None = None
    cease_requested_at: str | None = None
    time_barred: bool | None = None


class GdprDoc(_Obj):
    objected_at: str | None = None
    erased: bool | None = None
    lawful_basis: Basis | dict[Purpose, Basis] | None = None


class IncidentDoc(_Obj):
    kind: IncidentKind
    occurred_on: str


class CampaignDoc(_Obj):
    mode: Mode | None = None
    abandonment_rate_30d: int | float | None = None
    ring_timeout_s: int | float | None = None
    caller_id: str | None = None
    safe_harbor_message: bool | None = None


class ScriptDoc(_Obj):
    identifies_firm_at_start: bool | None = None
    states_callback_number: bool | None = None
    offers_opt_out: bool | None = None
    opt_out_within_2s: bool | None = None
    offers_dnc_list: bool | None = None
    discloses_ai: bool | None = None
    voicemail_text: str | None = None
    threatens_suit: bool | None = None


class FirmDoc(_Obj):
    name: str | None = None


class MatterDoc(_Obj):
    type: MatterType | None = None


class StatedTimeDoc(_Obj, rename={"start": "from", "end": "to"}):
    start: str
    end: str
    days: list[Day] | None = None


class PreferencesDoc(_Obj):
    shared_line: bool | None = None
    voicemail_details_ok: bool | None = None
    inconvenient_times: list[StatedTimeDoc] | None = None
    workplace_number: bool | None = None
    no_calls_at_work: bool | None = None


class RequestDoc(_Obj):
    at: str
    number: str
    purpose: Purpose
    technology: Technology
    line_type: LineType | None = None
    address: AddressDoc | None = None
    subject: str | None = None
    relationship: RelationshipDoc | None = None
    consents: list[ConsentDoc] | None = None
    suppression: SuppressionDoc | None = None
    reassigned: ReassignedDoc | None = None
    history: list[HistoryDoc] | None = None
    debt: DebtDoc | None = None
    gdpr: GdprDoc | None = None
    incident: IncidentDoc | None = None
    campaign: CampaignDoc | None = None
    script: ScriptDoc | None = None
    firm: FirmDoc | None = None
    subscriber: Subscriber | None = None
    matter: MatterDoc | None = None
    preferences: PreferencesDoc | None = None
