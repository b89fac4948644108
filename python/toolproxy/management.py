"""Management: connector definitions, connections and API clients."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from ._transport import Transport, segment
from .errors import ToolproxyError
from .models import ApiClient, AppliedConnector, Connection, ConnectionsPage, Connector, ConnectorsPage, CreatedApiClient

# ``type`` of ``Connectors.list`` → the server's ``filter.provider_type``.
_PROVIDER_TYPE = {"builtin": "DEFAULT", "custom": "CUSTOM", "all": "ALL"}


class Connectors:
    """Connectors, built-in (the server's catalog, read-only) and custom: how an upstream API authenticates."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def create(self, definition: Mapping[str, Any], timeout: Optional[float] = None) -> Connector:
        """Creates a connector. An invalid definition raises ``ToolproxyApiError`` with code
        ``CONNECTOR_INVALID`` and every problem in ``error.problems``; ``warnings`` says what the
        saved connector will run into (a proxy_url the server may not call)."""
        wire = self._transport.json("POST", "/api/v1/custom-providers", body=dict(definition), timeout=timeout)
        return Connector.from_wire(wire["provider"], wire.get("warnings"))

    def get(self, identifier: str, timeout: Optional[float] = None) -> Connector:
        return Connector.from_wire(self._transport.json("GET", f"/api/v1/custom-providers/{segment(identifier)}", timeout=timeout)["provider"])

    def list(
        self,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
        type: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> ConnectorsPage:
        """``type``: ``"builtin"`` (the server's catalog), ``"custom"`` or ``"all"`` (the default)."""
        if type is not None and type not in _PROVIDER_TYPE:
            raise ValueError("type must be 'builtin', 'custom' or 'all'")
        query = {"page_size": page_size, "page_token": page_token, "filter.provider_type": _PROVIDER_TYPE.get(type or "all")}
        wire = self._transport.json("GET", "/api/v1/providers", query=query, timeout=timeout)
        return ConnectorsPage([Connector.from_wire(p) for p in wire["providers"]], wire.get("next_page_token"))

    def replace(self, identifier: str, definition: Mapping[str, Any], timeout: Optional[float] = None) -> Connector:
        """Replaces the whole definition (fields left out are not kept)."""
        wire = self._transport.json("PUT", f"/api/v1/custom-providers/{segment(identifier)}", body=dict(definition), timeout=timeout)
        return Connector.from_wire(wire["provider"], wire.get("warnings"))

    def delete(self, identifier: str, timeout: Optional[float] = None) -> None:
        """Refused with ``CONNECTOR_IN_USE`` while connections use it, and ``CONNECTOR_BUILT_IN`` for a built-in one."""
        self._transport.json("DELETE", f"/api/v1/custom-providers/{segment(identifier)}", timeout=timeout)

    def apply(self, definition: Mapping[str, Any], timeout: Optional[float] = None) -> AppliedConnector:
        """Creates the connector, or replaces the one it names: the one whose ``identifier`` the
        definition gives, else the one with the same ``display_name``. Only custom connectors are
        candidates: a file named like a built-in one becomes a custom connector."""
        existing = self._find(definition, timeout)
        if existing:
            return AppliedConnector(self.replace(existing, definition, timeout), "replaced")
        return AppliedConnector(self.create(definition, timeout), "created")

    def _find(self, definition: Mapping[str, Any], timeout: Optional[float]) -> Optional[str]:
        everything: List[Connector] = []
        token: Optional[str] = None
        while True:
            page = self.list(page_size=100, page_token=token, type="custom", timeout=timeout)
            everything.extend(page.connectors)
            token = page.next_page_token
            if not token:
                break
        wanted = definition.get("identifier")
        for connector in everything:
            if isinstance(wanted, str) and connector.identifier == wanted:
                return connector.identifier
        same = [c for c in everything if c.display_name == definition.get("display_name")]
        if len(same) > 1:
            names = ", ".join(c.identifier for c in same)
            raise ToolproxyError("AMBIGUOUS_CONNECTOR", f'{len(same)} connectors are named "{definition.get("display_name")}" ({names}); add "identifier" to the definition to pick one.')
        return same[0].identifier if same else None


class Connections:
    """Connections: named, configured instances of a connector (the ``connection_name`` of every call)."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def create(self, name: str, connector: str, enabled: Optional[bool] = None, timeout: Optional[float] = None) -> Connection:
        payload: Dict[str, Any] = {"name": name, "connector": connector}
        if enabled is not None:
            payload["enabled"] = enabled
        return Connection.from_wire(self._transport.json("POST", "/api/v1/connections", body=payload, timeout=timeout)["connection"])

    def get(self, name: str, timeout: Optional[float] = None) -> Connection:
        return Connection.from_wire(self._transport.json("GET", f"/api/v1/connections/{segment(name)}", timeout=timeout)["connection"])

    def list(self, connector: Optional[str] = None, page_size: Optional[int] = None, page_token: Optional[str] = None, timeout: Optional[float] = None) -> ConnectionsPage:
        wire = self._transport.json("GET", "/api/v1/connections", query={"connector": connector, "page_size": page_size, "page_token": page_token}, timeout=timeout)
        return ConnectionsPage([Connection.from_wire(c) for c in wire["connections"]], wire.get("next_page_token"))

    def update(self, name: str, enabled: Optional[bool] = None, timeout: Optional[float] = None) -> Connection:
        """Enables or disables the connection (a disabled one refuses proxy calls)."""
        payload = {} if enabled is None else {"enabled": enabled}
        return Connection.from_wire(self._transport.json("PATCH", f"/api/v1/connections/{segment(name)}", body=payload, timeout=timeout)["connection"])

    def delete(self, name: str, timeout: Optional[float] = None) -> None:
        """Refused with ``CONNECTION_IN_USE`` while it has connected accounts."""
        self._transport.json("DELETE", f"/api/v1/connections/{segment(name)}", timeout=timeout)


class ApiClients:
    """API clients: the credentials applications use to call this server."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def create(self, name: str, timeout: Optional[float] = None) -> CreatedApiClient:
        """Creates a client; ``client_secret`` is returned this once only."""
        wire = self._transport.json("POST", "/api/v1/clients", body={"name": name}, timeout=timeout)
        return CreatedApiClient(ApiClient.from_wire(wire["client"]), wire["client_secret"])

    def list(self, timeout: Optional[float] = None) -> List[ApiClient]:
        return [ApiClient.from_wire(c) for c in self._transport.json("GET", "/api/v1/clients", timeout=timeout)["clients"]]

    def revoke(self, client_id: str, timeout: Optional[float] = None) -> None:
        """Refused with ``LAST_ACTIVE_CLIENT`` for the last active client."""
        self._transport.json("DELETE", f"/api/v1/clients/{segment(client_id)}", timeout=timeout)
