"""Resources as the SDK returns them: the API's JSON with ``datetime`` values.

Connector definitions are your own documents and stay plain dicts with the API's field names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, List, Optional


def parse_time(value: Any) -> Optional[datetime]:
    """ISO 8601 from the API (``2026-01-01T00:00:00.000Z``); Python 3.9's parser needs ``+00:00``."""
    if not isinstance(value, str):
        return None
    return datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)


@dataclass
class ConnectedAccount:
    id: str
    identifier: str
    connection_name: str
    connection_id: str
    connector: str
    status: str
    authorization_type: str
    api_config: Dict[str, str]
    has_credentials: bool
    token_expires_at: Optional[datetime]
    last_used_at: Optional[datetime]
    status_updated_at: Optional[datetime]
    created_at: Optional[datetime]
    updated_at: Optional[datetime]
    #: The reference's organization and user, when the account was created with them.
    organization_id: Optional[str] = None
    user_id: Optional[str] = None

    @classmethod
    def from_wire(cls, wire: Dict[str, Any]) -> "ConnectedAccount":
        return cls(
            id=wire["id"],
            identifier=wire["identifier"],
            connection_name=wire["connection_name"],
            connection_id=wire["connection_id"],
            connector=wire["connector"],
            status=wire["status"],
            authorization_type=wire["authorization_type"],
            api_config=dict(wire.get("api_config") or {}),
            has_credentials=wire.get("has_credentials") is True,
            token_expires_at=parse_time(wire.get("token_expires_at")),
            last_used_at=parse_time(wire.get("last_used_at")),
            status_updated_at=parse_time(wire.get("status_updated_at")),
            created_at=parse_time(wire.get("created_at")),
            updated_at=parse_time(wire.get("updated_at")),
            organization_id=wire.get("organization_id"),
            user_id=wire.get("user_id"),
        )


@dataclass
class Connection:
    id: str
    name: str
    connector: str
    connector_id: str
    type: str
    enabled: bool
    settings: Dict[str, Any]
    created_at: Optional[datetime]
    updated_at: Optional[datetime]

    @classmethod
    def from_wire(cls, wire: Dict[str, Any]) -> "Connection":
        return cls(
            id=wire["id"],
            name=wire["name"],
            connector=wire["connector"],
            connector_id=wire["connector_id"],
            type=wire["type"],
            enabled=wire.get("enabled") is True,
            settings=dict(wire.get("settings") or {}),
            created_at=parse_time(wire.get("created_at")),
            updated_at=parse_time(wire.get("updated_at")),
        )


_CONNECTOR_READ_ONLY = ("id", "identifier", "is_custom", "created_at", "updated_at")


@dataclass
class Connector:
    id: str
    identifier: str
    display_name: str
    is_custom: bool
    created_at: Optional[datetime]
    updated_at: Optional[datetime]
    #: The validated definition (defaults applied), without the read-only fields above.
    definition: Dict[str, Any] = field(default_factory=dict)
    #: Only on what ``create`` and ``replace`` return: what the saved definition will run into when
    #: used, e.g. ``{"code": "UPSTREAM_ADDRESS_FORBIDDEN", "path": "/proxy_url", "message": …}``
    #: for a loopback or private proxy_url the server's egress policy refuses. It was saved anyway.
    warnings: List[Dict[str, str]] = field(default_factory=list)

    @classmethod
    def from_wire(cls, wire: Dict[str, Any], warnings: Optional[List[Dict[str, str]]] = None) -> "Connector":
        return cls(
            id=wire["id"],
            identifier=wire["identifier"],
            display_name=wire["display_name"],
            is_custom=wire.get("is_custom") is True,
            created_at=parse_time(wire.get("created_at")),
            updated_at=parse_time(wire.get("updated_at")),
            definition={k: v for k, v in wire.items() if k not in _CONNECTOR_READ_ONLY},
            warnings=list(warnings or []),
        )


@dataclass
class ApiClient:
    client_id: str
    name: str
    is_bootstrap: bool
    created_at: Optional[datetime]
    revoked_at: Optional[datetime]

    @classmethod
    def from_wire(cls, wire: Dict[str, Any]) -> "ApiClient":
        return cls(
            client_id=wire["client_id"],
            name=wire["name"],
            is_bootstrap=wire.get("is_bootstrap") is True,
            created_at=parse_time(wire.get("created_at")),
            revoked_at=parse_time(wire.get("revoked_at")),
        )


@dataclass
class AuthorizationLink:
    link: str
    expiry: Optional[datetime]
    connected_account: ConnectedAccount


@dataclass
class ConnectedAccountResponse:
    #: None only from ``verify_connected_account_user`` for an MCP client's authorization (``tpmar_…``).
    connected_account: Optional[ConnectedAccount]
    #: Only from ``get_or_create_connected_account``: whether this call created it.
    created: Optional[bool] = None
    #: Only from ``verify_connected_account_user``: where to send the browser next.
    post_user_verify_redirect_url: Optional[str] = None


@dataclass
class ConnectedAccountsPage:
    connected_accounts: List[ConnectedAccount]
    next_page_token: Optional[str]
    #: How many accounts match across all pages.
    total_size: Optional[int] = None


@dataclass
class ConnectionsPage:
    connections: List[Connection]
    next_page_token: Optional[str]


@dataclass
class ConnectorsPage:
    connectors: List[Connector]
    next_page_token: Optional[str]


@dataclass
class AppliedConnector:
    connector: Connector
    #: ``"created"`` or ``"replaced"``.
    action: str


@dataclass
class CreatedApiClient:
    client: ApiClient
    #: Returned this once only: store it now.
    client_secret: str


@dataclass
class McpConfig:
    id: str
    name: str
    description: str
    #: ``[{"connection_name": ..., "tools": [...]}]``; empty ``tools`` serves all of the connection's tools.
    connection_tool_mappings: List[Dict[str, Any]]
    user_verify_url: Optional[str]
    #: The Streamable HTTP URL an MCP client connects to.
    mcp_server_url: str
    created_at: Optional[datetime]
    updated_at: Optional[datetime]

    @classmethod
    def from_wire(cls, wire: Dict[str, Any]) -> "McpConfig":
        return cls(
            id=wire["id"],
            name=wire["name"],
            description=wire.get("description") or "",
            connection_tool_mappings=[{"connection_name": m["connection_name"], "tools": list(m.get("tools") or [])} for m in wire.get("connection_tool_mappings") or []],
            user_verify_url=wire.get("user_verify_url"),
            mcp_server_url=wire["mcp_server_url"],
            created_at=parse_time(wire.get("created_at")),
            updated_at=parse_time(wire.get("updated_at")),
        )


@dataclass
class McpConfigsPage:
    configs: List[McpConfig]
    next_page_token: Optional[str]


@dataclass
class McpSessionToken:
    #: Send as ``Authorization: Bearer <session_token>``. Returned once: treat it as a secret.
    session_token: str
    expires_at: Optional[datetime]
    identifier: str
    mcp_server_url: str

    @classmethod
    def from_wire(cls, wire: Dict[str, Any]) -> "McpSessionToken":
        return cls(session_token=wire["session_token"], expires_at=parse_time(wire["expires_at"]), identifier=wire["identifier"], mcp_server_url=wire["mcp_server_url"])


@dataclass
class McpConnectedAccount:
    connection_name: str
    connector: Optional[str]
    #: An account status, or ``NOT_CONNECTED`` / ``CONNECTION_NOT_FOUND``.
    status: str
    connected_account_id: Optional[str]
    authorization_link: Optional[str]
    authorization_link_expiry: Optional[datetime]

    @classmethod
    def from_wire(cls, wire: Dict[str, Any]) -> "McpConnectedAccount":
        link = wire.get("authorization_link") or {}
        return cls(
            connection_name=wire["connection_name"],
            connector=wire.get("connector"),
            status=wire["status"],
            connected_account_id=wire.get("connected_account_id"),
            authorization_link=link.get("link"),
            authorization_link_expiry=parse_time(link.get("expiry")),
        )


@dataclass
class Tool:
    """A tool in the reference's shape; ``definition`` keeps the API's field names (``input_schema``)."""

    id: str
    #: The connector's identifier.
    provider: str
    #: ``name``, ``display_name``, ``description``, ``input_schema`` (JSON Schema), maybe ``output_schema``, ``annotations``.
    definition: Dict[str, Any]
    #: The request template, output projection, origin (catalog, custom, openapi) and version.
    metadata: Dict[str, Any]
    tags: List[str]
    #: True for the server's built-in tools (read-only).
    is_default: bool
    created_at: Optional[datetime]
    updated_at: Optional[datetime]

    @property
    def name(self) -> str:
        return str(self.definition["name"])

    @classmethod
    def from_wire(cls, wire: Dict[str, Any]) -> "Tool":
        return cls(
            id=wire["id"],
            provider=wire["provider"],
            definition=dict(wire["definition"]),
            metadata=dict(wire.get("metadata") or {}),
            tags=list(wire.get("tags") or []),
            is_default=wire.get("is_default") is True,
            created_at=parse_time(wire.get("created_at")),
            updated_at=parse_time(wire.get("updated_at")),
        )


@dataclass
class ToolsPage:
    tools: List[Tool]
    #: Filled instead of ``tools`` in summary mode.
    tool_names: List[str]
    total_size: int
    next_page_token: Optional[str]


@dataclass
class ScopedTool:
    """A tool the identifier can call now, through one of its ACTIVE accounts."""

    tool: Tool
    identifier: str
    connection_name: str
    connected_account_id: str

    @classmethod
    def from_wire(cls, wire: Dict[str, Any]) -> "ScopedTool":
        return cls(Tool.from_wire(wire["tool"]), wire["identifier"], wire["connection_name"], wire["connected_account_id"])


@dataclass
class ScopedToolsPage:
    tools: List[ScopedTool]
    total_size: int
    next_page_token: Optional[str]


@dataclass
class AvailableTool:
    """A tool of one of the app's connections, with the identifier's account there (``None``: not connected)."""

    tool: Tool
    identifier: str
    connection_name: str
    connected_account_id: Optional[str]
    account_status: Optional[str]

    @classmethod
    def from_wire(cls, wire: Dict[str, Any]) -> "AvailableTool":
        return cls(Tool.from_wire(wire["tool"]), wire["identifier"], wire["connection_name"], wire.get("connected_account_id"), wire.get("account_status"))


@dataclass
class AvailableToolsPage:
    tools: List[AvailableTool]
    total_size: int
    next_page_token: Optional[str]


@dataclass
class ToolExecution:
    """What ``execute_tool`` returns: the tool's output and the id of this run."""

    data: Any
    #: This run (``ex_...``), as the request log shows it.
    execution_id: str
    #: True when the server cut an answer over its size limit; pass ``truncation_note`` on with the data.
    truncated: bool = False
    truncation_note: Optional[str] = None
