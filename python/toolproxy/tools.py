"""Tools: listing (all, scoped to an identifier, available to it) and running them as a user."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence

from ._account_args import _checked_identifier, _scope
from ._transport import Transport, json_or_none, read_all, segment, status_of
from .errors import ToolproxyError, tool_error_from
from .models import AvailableTool, AvailableToolsPage, ScopedTool, ScopedToolsPage, Tool, ToolExecution, ToolsPage

if TYPE_CHECKING:
    from .adapters import Toolkit

#: Tool runs wait on an upstream API: 60 s by default, as the reference's ``tool_timeout_ms``.
TOOL_TIMEOUT = 60.0


def execute_tool_body(
    tool_name: Any,
    tool_input: Optional[Mapping[str, Any]],
    identifier: Optional[str],
    connected_account_id: Optional[str],
    connection_name: Optional[str],
    connector: Optional[str],
    organization_id: Optional[str],
    user_id: Optional[str],
) -> Dict[str, Any]:
    """The body of ``POST /api/v1/execute_tool``, checked before anything is sent."""

    name = tool_name.strip() if isinstance(tool_name, str) else ""
    if not name:
        raise TypeError("execute_tool: tool_name is required")
    if tool_input is not None and not isinstance(tool_input, Mapping):
        raise TypeError("execute_tool: tool_input must be a dict")
    account_id = connected_account_id.strip() if isinstance(connected_account_id, str) else ""
    has_connection = bool((connection_name or "").strip() or (connector or "").strip())
    if not account_id and not (identifier and has_connection):
        raise TypeError("execute_tool: connected_account_id, or identifier with connection_name (or connector), is required")
    body: Dict[str, Any] = {"tool_name": name, "params": dict(tool_input or {})}
    if account_id:
        body["connected_account_id"] = account_id
    if identifier:
        body["identifier"] = _checked_identifier(identifier, "execute_tool")
    if connection_name and connection_name.strip():
        body["connection_name"] = connection_name.strip()
    if connector and connector.strip():
        body["connector"] = connector.strip()
    body.update(_scope(organization_id, user_id))
    return body


def execute_tool(transport: Transport, body: Dict[str, Any], timeout: Optional[float]) -> ToolExecution:
    deadline = transport.deadline(TOOL_TIMEOUT if timeout is None else timeout)
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    response = transport.send("POST", "/api/v1/execute_tool", headers, json.dumps(body).encode("utf-8"), True, deadline)
    parsed = json_or_none(read_all(response, deadline))
    status = status_of(response)
    if not 200 <= status < 300:
        raise tool_error_from(status, parsed, response.headers.get("retry-after"), body["tool_name"])
    if not isinstance(parsed, dict) or not isinstance(parsed.get("execution_id"), str) or "data" not in parsed:
        raise ToolproxyError("UNEXPECTED_RESPONSE", "execute_tool answered without data and execution_id (is the URL right?).")
    if parsed.get("truncated") is True:
        note = parsed.get("truncation_note")
        return ToolExecution(parsed["data"], parsed["execution_id"], True, note if isinstance(note, str) else "toolproxy cut this answer.")
    return ToolExecution(parsed["data"], parsed["execution_id"])


class Tools:
    """Tools: typed actions over connectors, built-in or your own::

        page = client.tools.list_scoped_tools("user_123", connection_names=["github"])
        result = client.tools.execute_tool("github_issue_create", {"owner": "octo", "repo": "hello", "title": "Bug"}, identifier="user_123", connector="github")
    """

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def list_tools(
        self,
        connector: Optional[str] = None,
        providers: Optional[Sequence[str]] = None,
        tool_names: Optional[Sequence[str]] = None,
        query: Optional[str] = None,
        summary: bool = False,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> ToolsPage:
        """One page of tools, with the total across pages; ``summary=True`` fills only ``tool_names``."""
        wire = self._transport.json(
            "GET",
            "/api/v1/tools",
            query={
                "connector": connector,
                "provider": list(providers) if providers else None,
                "tool_name": list(tool_names) if tool_names else None,
                "query": query,
                "summary": "true" if summary else None,
                "page_size": page_size,
                "page_token": page_token,
            },
            timeout=timeout,
        )
        return ToolsPage([Tool.from_wire(t) for t in wire["tools"]], list(wire.get("tool_names") or []), wire["total_size"], wire.get("next_page_token"))

    def get_tool(self, name: str, timeout: Optional[float] = None) -> Tool:
        return Tool.from_wire(self._transport.json("GET", f"/api/v1/tools/{segment(name)}", timeout=timeout)["tool"])

    def list_scoped_tools(
        self,
        identifier: str,
        connection_names: Optional[Sequence[str]] = None,
        providers: Optional[Sequence[str]] = None,
        tool_names: Optional[Sequence[str]] = None,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> ScopedToolsPage:
        """One page of the tools ``identifier`` can call now (its ACTIVE accounts' connections), each with its account."""
        wire = self._identifier_page("/api/v1/tools/scoped", identifier, connection_names, providers, tool_names, page_size, page_token, timeout)
        return ScopedToolsPage([ScopedTool.from_wire(t) for t in wire["tools"]], wire["total_size"], wire.get("next_page_token"))

    def list_available_tools(
        self,
        identifier: str,
        connection_names: Optional[Sequence[str]] = None,
        providers: Optional[Sequence[str]] = None,
        tool_names: Optional[Sequence[str]] = None,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> AvailableToolsPage:
        """One page of the tools of every enabled connection, with the identifier's account status there (``None``: not connected)."""
        wire = self._identifier_page("/api/v1/tools/available", identifier, connection_names, providers, tool_names, page_size, page_token, timeout)
        return AvailableToolsPage([AvailableTool.from_wire(t) for t in wire["tools"]], wire["total_size"], wire.get("next_page_token"))

    def execute_tool(
        self,
        tool_name: str,
        tool_input: Optional[Mapping[str, Any]] = None,
        identifier: Optional[str] = None,
        connected_account_id: Optional[str] = None,
        connection_name: Optional[str] = None,
        connector: Optional[str] = None,
        organization_id: Optional[str] = None,
        user_id: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> ToolExecution:
        """Runs a tool as a user; the same call as ``client.actions.execute_tool``."""
        body = execute_tool_body(tool_name, tool_input, identifier, connected_account_id, connection_name, connector, organization_id, user_id)
        return execute_tool(self._transport, body, timeout)

    def toolkit(self, identifier: str, connection_names: Optional[Sequence[str]] = None, providers: Optional[Sequence[str]] = None, tool_names: Optional[Sequence[str]] = None) -> "Toolkit":
        """Every tool ``identifier`` can call now (all pages), rendered for models and ready to answer their tool calls."""
        from .adapters import Toolkit

        scoped: List[ScopedTool] = []
        page_token: Optional[str] = None
        while True:
            page = self.list_scoped_tools(identifier, connection_names, providers, tool_names, page_size=100, page_token=page_token)
            scoped.extend(page.tools)
            page_token = page.next_page_token
            if not page_token:
                break
        return Toolkit(self, scoped, {"identifier": identifier})

    def _identifier_page(self, path: str, identifier: str, connection_names: Any, providers: Any, tool_names: Any, page_size: Any, page_token: Any, timeout: Any) -> Dict[str, Any]:
        if not isinstance(identifier, str) or not identifier:
            raise TypeError("list_scoped_tools / list_available_tools: identifier is required")
        query = {
            "identifier": identifier,
            "connection_names": list(connection_names) if connection_names else None,
            "providers": list(providers) if providers else None,
            "tool_names": list(tool_names) if tool_names else None,
            "page_size": page_size,
            "page_token": page_token,
        }
        return self._transport.json("GET", path, query=query, timeout=timeout)

