"""MCP server configs, the session tokens agents connect with, and a user's standing on them."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence

from ._transport import Transport, segment
from .models import McpConfig, McpConfigsPage, McpConnectedAccount, McpSessionToken


def _wire_mappings(mappings: Sequence[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """``[{"connection_name": "github", "tools": [...]}]``; no ``tools`` (or empty) serves them all."""
    return [{"connection_name": m["connection_name"], "tools": list(m.get("tools") or [])} for m in mappings]


class Mcp:
    """MCP server configs (the reference's "virtual MCP servers") and their session tokens::

        config = client.mcp.create_config(name="support-agent", connection_tool_mappings=[{"connection_name": "github"}])
        token = client.mcp.create_session_token(config.id, identifier="user_123")
        # An MCP client connects to token.mcp_server_url with "Authorization: Bearer <token.session_token>".
    """

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def create_config(
        self,
        name: str,
        connection_tool_mappings: Sequence[Mapping[str, Any]],
        description: Optional[str] = None,
        user_verify_url: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> McpConfig:
        """An invalid config raises ``ToolproxyApiError`` with code ``MCP_CONFIG_INVALID`` and every problem in ``error.problems``."""
        payload: Dict[str, Any] = {"name": name, "connection_tool_mappings": _wire_mappings(connection_tool_mappings)}
        if description is not None:
            payload["description"] = description
        if user_verify_url is not None:
            payload["user_verify_url"] = user_verify_url
        return McpConfig.from_wire(self._transport.json("POST", "/api/v1/mcp/configs", body=payload, timeout=timeout)["mcp_config"])

    def get_config(self, config_id: str, timeout: Optional[float] = None) -> McpConfig:
        return McpConfig.from_wire(self._transport.json("GET", f"/api/v1/mcp/configs/{segment(config_id)}", timeout=timeout)["mcp_config"])

    def list_configs(self, page_size: Optional[int] = None, page_token: Optional[str] = None, timeout: Optional[float] = None) -> McpConfigsPage:
        wire = self._transport.json("GET", "/api/v1/mcp/configs", query={"page_size": page_size, "page_token": page_token}, timeout=timeout)
        return McpConfigsPage([McpConfig.from_wire(c) for c in wire["mcp_configs"]], wire.get("next_page_token"))

    _UNSET: Any = object()

    def update_config(
        self,
        config_id: str,
        name: Optional[str] = None,
        description: Optional[str] = None,
        connection_tool_mappings: Optional[Sequence[Mapping[str, Any]]] = None,
        user_verify_url: Any = _UNSET,
        timeout: Optional[float] = None,
    ) -> McpConfig:
        """Changes the fields given; ``user_verify_url=None`` removes it."""
        payload: Dict[str, Any] = {}
        if name is not None:
            payload["name"] = name
        if description is not None:
            payload["description"] = description
        if connection_tool_mappings is not None:
            payload["connection_tool_mappings"] = _wire_mappings(connection_tool_mappings)
        if user_verify_url is not Mcp._UNSET:
            payload["user_verify_url"] = user_verify_url
        return McpConfig.from_wire(self._transport.json("PATCH", f"/api/v1/mcp/configs/{segment(config_id)}", body=payload, timeout=timeout)["mcp_config"])

    def delete_config(self, config_id: str, timeout: Optional[float] = None) -> None:
        """Its session tokens stop working at once, and OAuth grants made for it are deleted."""
        self._transport.json("DELETE", f"/api/v1/mcp/configs/{segment(config_id)}", timeout=timeout)

    def create_session_token(
        self,
        config_id: str,
        identifier: str,
        expiry: Optional[int] = None,
        timeout: Optional[float] = None,
        policy: Optional[Dict[str, Any]] = None,
    ) -> McpSessionToken:
        """A token for one of your users and one agent run; ``expiry`` in seconds, 60 to 86400 (default 3600).
        ``policy``: the token's own policy (docs/policies.md), checked on every call on top of the
        connection's and the account's, so it can only narrow them."""
        payload: Dict[str, Any] = {"identifier": identifier}
        if expiry is not None:
            payload["expiry_seconds"] = expiry
        if policy is not None:
            payload["policy"] = policy
        return McpSessionToken.from_wire(self._transport.json("POST", f"/api/v1/mcp/configs/{segment(config_id)}/session_tokens", body=payload, timeout=timeout))

    def list_connected_accounts(self, config_id: str, identifier: str, include_auth_link: bool = False, timeout: Optional[float] = None) -> List[McpConnectedAccount]:
        """The user's status on each mapped connection; with ``include_auth_link``, a fresh link for each one not ACTIVE."""
        query = {"identifier": identifier, "include_auth_link": "true" if include_auth_link else None}
        wire = self._transport.json("GET", f"/api/v1/mcp/configs/{segment(config_id)}/connected_accounts", query=query, timeout=timeout)
        return [McpConnectedAccount.from_wire(a) for a in wire["connected_accounts"]]
