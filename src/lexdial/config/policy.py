"""The ``[policy]`` table: the firm's stricter-than-law choices, as the engine's ``Policy``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lexdial.config.names import refuse_unknown
from lexdial.domain.decision import PURPOSES, RELATIONSHIPS, TECHNOLOGIES
from lexdial.errors import ConfigError
from lexdial.rules.context import Policy

_POLICY_KEYS = {
    "default_region",
    "all_calls_window",
    "dialer_rules_all_purposes",
    "require_reassigned_check",
    "require_ai_disclosure",
    "scope_technologies",
    "scope_purposes",
    "spare_manual_calls_to",
}


def read_policy(raw: dict[str, Any], path: Path) -> Policy:
    refuse_unknown(raw, _POLICY_KEYS, "policy", path)
    base = Policy()
    window = raw.get("all_calls_window", base.all_calls_window)
    if window in (False, [], None):
        window = None
    elif not (
        isinstance(window, list | tuple)
        and len(window) == 2
        and all(isinstance(x, str) and len(x) == 5 and x[2] == ":" for x in window)
    ):
        raise ConfigError(f'{path}: policy.all_calls_window must be ["HH:MM", "HH:MM"]')
    else:
        window = (window[0], window[1])
    scope = _policy_scope(raw, path, base)
    flags = {}
    for key in ("dialer_rules_all_purposes", "require_reassigned_check", "require_ai_disclosure"):
        value = raw.get(key, getattr(base, key))
        if not isinstance(value, bool):
            raise ConfigError(f"{path}: policy.{key} must be true or false")
        flags[key] = value
    region = raw.get("default_region", base.default_region)
    if not (isinstance(region, str) and len(region) == 2 and region.isalpha()):
        raise ConfigError(f"{path}: policy.default_region must be a two-letter country code")
    return Policy(
        default_region=region.upper(),
        all_calls_window=window,
        dialer_rules_all_purposes=flags["dialer_rules_all_purposes"],
        require_reassigned_check=flags["require_reassigned_check"],
        require_ai_disclosure=flags["require_ai_disclosure"],
        **scope,
    )


#: settings-file key -> (Policy field, allowed values)
_SCOPE_KEYS = {
    "scope_technologies": ("policy_technologies", TECHNOLOGIES),
    "scope_purposes": ("policy_purposes", PURPOSES),
    "spare_manual_calls_to": ("policy_spares_manual_to", RELATIONSHIPS),
}


def _policy_scope(raw: dict[str, Any], path: Path, base: Policy) -> dict[str, frozenset[str]]:
    """The scope of the firm's settings (contract v1.1), each a list of vocabulary words."""
    out: dict[str, frozenset[str]] = {}
    for key, (field, allowed) in _SCOPE_KEYS.items():
        value = raw.get(key)
        if value is None:
            out[field] = getattr(base, field)
            continue
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            raise ConfigError(f"{path}: policy.{key} must be a list such as {sorted(allowed)}")
        bad = sorted(set(value) - allowed)
        if bad:
            raise ConfigError(
                f"{path}: policy.{key} has unknown values {bad} (allowed: {sorted(allowed)})"
            )
        out[field] = frozenset(value)
    return out
