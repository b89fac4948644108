"""Policies: what calls a connection allows, narrowed per connected account (docs/policies.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Mapping, Optional

from ._transport import Transport, segment
from .models import parse_time


@dataclass(frozen=True)
class StoredPolicy:
    """A connection's or an account's policy document (snake_case JSON, as the API takes it); ``None`` when none is set."""

    policy: Optional[Dict[str, Any]]
    updated_at: Optional[datetime]

    @classmethod
    def from_wire(cls, wire: Dict[str, Any]) -> "StoredPolicy":
        return cls(policy=wire.get("policy"), updated_at=parse_time(wire.get("updated_at")))


@dataclass(frozen=True)
class EffectivePolicy:
    """Every layer a call on the account is checked against (a call must pass each)."""

    connection_name: str
    connected_account_id: str
    connection_policy: Optional[Dict[str, Any]]
    account_policy: Optional[Dict[str, Any]]
    layers: List[Dict[str, Any]]


def _connection_path(name: str) -> str:
    return f"/api/v1/connections/{segment(name)}/policy"


def _account_path(account_id: str) -> str:
    return f"/api/v1/connected_accounts/{segment(account_id)}/policy"


class Policies:
    """Connection and account policies::

        client.policies.set_connection_policy("github", {"read_only": True, "paths": {"deny": ["/admin/**"]}})

    An invalid document raises ``ToolproxyApiError`` with code ``POLICY_INVALID``; an account policy
    that would widen its connection's, ``POLICY_WIDENS``; each with every problem in ``error.problems``.
    """

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def get_connection_policy(self, connection_name: str, timeout: Optional[float] = None) -> StoredPolicy:
        return StoredPolicy.from_wire(self._transport.json("GET", _connection_path(connection_name), timeout=timeout))

    def set_connection_policy(self, connection_name: str, policy: Mapping[str, Any], timeout: Optional[float] = None) -> StoredPolicy:
        """Replaces the connection's policy."""
        return StoredPolicy.from_wire(self._transport.json("PUT", _connection_path(connection_name), body=dict(policy), timeout=timeout))

    def delete_connection_policy(self, connection_name: str, timeout: Optional[float] = None) -> None:
        self._transport.json("DELETE", _connection_path(connection_name), timeout=timeout)

    def get_account_policy(self, connected_account_id: str, timeout: Optional[float] = None) -> StoredPolicy:
        return StoredPolicy.from_wire(self._transport.json("GET", _account_path(connected_account_id), timeout=timeout))

    def set_account_policy(self, connected_account_id: str, policy: Mapping[str, Any], timeout: Optional[float] = None) -> StoredPolicy:
        """Replaces the account's policy; it may only narrow its connection's."""
        return StoredPolicy.from_wire(self._transport.json("PUT", _account_path(connected_account_id), body=dict(policy), timeout=timeout))

    def delete_account_policy(self, connected_account_id: str, timeout: Optional[float] = None) -> None:
        self._transport.json("DELETE", _account_path(connected_account_id), timeout=timeout)

    def get_effective_policy(self, connected_account_id: str, timeout: Optional[float] = None) -> EffectivePolicy:
        wire = self._transport.json("GET", f"/api/v1/connected_accounts/{segment(connected_account_id)}/effective_policy", timeout=timeout)
        return EffectivePolicy(
            connection_name=wire["connection_name"],
            connected_account_id=wire["connected_account_id"],
            connection_policy=wire.get("connection_policy"),
            account_policy=wire.get("account_policy"),
            layers=list(wire["layers"]),
        )
