"""Every sandbox option: universe, quirks, faults and limits, with defaults and validation.

:class:`SandboxOptions` is immutable; :meth:`SandboxOptions.updated` returns a validated copy.
A running server swaps the whole object at once, so a request always sees one consistent set.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from typing import Any, Final

from .universe import DEFAULT_NOW

__all__ = ["QUIRK_FIELDS", "QUIRK_PRESETS", "SandboxOptions", "hash_key"]

#: Quirk presets (docs/api-contract.md#open-questions). "observed" is the default.
QUIRK_PRESETS: Final[dict[str, dict[str, Any]]] = {
    "observed": {
        "snapshot_chain_key": "chain",
        "token_balance_form": "observed",
        "tokens_snapshot_envelope": True,
        "supported_chains_envelope": False,
        "system_location": "meta",
        "native_in_post_allowances": True,
    },
    "documented": {
        "snapshot_chain_key": "chain_id",
        "token_balance_form": "documented",
        "tokens_snapshot_envelope": False,
        "supported_chains_envelope": False,
        "system_location": "meta",
        "native_in_post_allowances": False,
    },
    "legacy": {
        "snapshot_chain_key": "chain",
        "token_balance_form": "observed",
        "tokens_snapshot_envelope": True,
        "supported_chains_envelope": False,
        "system_location": "top",
        "native_in_post_allowances": True,
    },
}
QUIRK_FIELDS: Final = tuple(QUIRK_PRESETS["observed"])
_ERROR_STATUSES: Final = (500, 502, 503, 504)
_CHOICES: Final[dict[str, tuple[str, ...]]] = {
    "snapshot_chain_key": ("chain", "chain_id"),
    "token_balance_form": ("observed", "documented"),
    "system_location": ("meta", "top"),
    "snapshot_address": ("wallet", "zero", "absent"),
    "quirks": tuple(QUIRK_PRESETS),
}
_RATES: Final = (
    "error_rate",
    "drop_rate",
    "truncate_rate",
    "malformed_rate",
    "drift_rate",
    "slow_rate",
)


@dataclass(frozen=True)
class SandboxOptions:
    """All options of a sandbox. See docs/sandbox.md for each one's meaning."""

    # universe
    seed: int = 0
    now: int = DEFAULT_NOW
    # quirks (docs/api-contract.md#open-questions)
    quirks: str = "observed"
    snapshot_chain_key: str = "chain"
    token_balance_form: str = "observed"
    tokens_snapshot_envelope: bool = True
    supported_chains_envelope: bool = False
    system_location: str = "meta"
    native_in_post_allowances: bool = True
    #: v5 snapshot item ``address``: the wallet, the zero address (as on the one live item on
    #: record) or absent. Not part of the presets: the loaders re-ask such multi-wallet answers
    snapshot_address: str = "wallet"
    # auth
    api_keys: tuple[str, ...] | None = None  #: sha256 hex digests of accepted keys; None = any
    # rate limit
    rate_limit: float | None = None  #: requests per second per key; None = unlimited
    rate_burst: int | None = None  #: bucket size; None = max(1, ceil(rate_limit))
    retry_after: bool = True
    # faults
    latency: float = 0.0
    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = _ERROR_STATUSES
    drop_rate: float = 0.0
    truncate_rate: float = 0.0
    malformed_rate: float = 0.0
    drift_rate: float = 0.0
    slow_rate: float = 0.0
    slow_chunk: int = 1024
    slow_pause: float = 0.05
    fault_endpoints: tuple[str, ...] | None = None  #: None = faults apply to every endpoint
    # limits (sandbox assumptions; docs/api-contract.md#q16)
    max_url_length: int = 8192
    max_addresses: int = 50
    max_wallets: int = 200
    max_tokens: int = 1000
    recent_log_size: int = 1000

    @classmethod
    def create(cls, **options: Any) -> SandboxOptions:
        """Validated options from keyword arguments (the ``Sandbox(**options)`` form)."""
        return cls().updated(**options)

    def updated(self, **changes: Any) -> SandboxOptions:
        """A validated copy with ``changes`` applied.

        ``quirks="documented"`` (etc.) first sets every quirk field from the preset; quirk fields
        given explicitly in the same call win. ``api_keys`` takes plain keys and stores only their
        SHA-256 digests.
        """
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise TypeError(
                f"unknown sandbox option(s): {', '.join(unknown)}; "
                f"known: {', '.join(sorted(names))}"
            )
        values: dict[str, Any] = {}
        if "quirks" in changes:
            preset = changes["quirks"]
            if preset not in QUIRK_PRESETS:
                raise ValueError(
                    f"quirks must be one of {', '.join(QUIRK_PRESETS)}, got {preset!r}"
                )
            values.update(QUIRK_PRESETS[preset])
        values.update(changes)
        if "api_keys" in values and values["api_keys"] is not None:
            keys = values["api_keys"]
            keys = [keys] if isinstance(keys, str) else list(keys)
            values["api_keys"] = tuple(hash_key(k) for k in keys)
        for name in ("error_statuses", "fault_endpoints"):
            if values.get(name) is not None:
                raw = values[name]
                values[name] = tuple([raw] if isinstance(raw, (str, int)) else raw)
        result = dataclasses.replace(self, **values)
        result._validate()
        return result

    def _validate(self) -> None:
        for name, allowed in _CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ValueError(
                    f"{name} must be one of {', '.join(allowed)}, got {getattr(self, name)!r}"
                )
        for name in _RATES:
            value = getattr(self, name)
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value!r}")
        for name in ("latency", "slow_pause"):
            if float(getattr(self, name)) < 0:
                raise ValueError(f"{name} must be >= 0")
        for name in (
            "max_url_length",
            "max_addresses",
            "max_wallets",
            "max_tokens",
            "slow_chunk",
            "recent_log_size",
        ):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1")
        if self.rate_limit is not None and float(self.rate_limit) <= 0:
            raise ValueError("rate_limit must be > 0 requests per second (or None for no limit)")
        if self.rate_burst is not None and int(self.rate_burst) < 1:
            raise ValueError("rate_burst must be >= 1")
        bad = [s for s in self.error_statuses if not 500 <= int(s) <= 599]
        if bad or not self.error_statuses:
            raise ValueError(f"error_statuses must be 5xx codes, got {list(self.error_statuses)}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly view (accepted key digests are not shown, only whether keys are set)."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data["api_keys"] = None if self.api_keys is None else f"{len(self.api_keys)} key(s)"
        for name, value in data.items():
            if isinstance(value, tuple):
                data[name] = list(value)
        return data

    def faults_enabled(self) -> bool:
        return any(float(getattr(self, n)) > 0 for n in (*_RATES, "latency"))


def hash_key(key: str) -> str:
    """SHA-256 digest of an API key: the only form in which the sandbox keeps a key."""
    return hashlib.sha256(key.encode()).hexdigest()
