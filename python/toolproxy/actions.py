"""The calls an application makes for its users, shaped like the reference SDK's ``actions``."""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

from ._account_args import _account_key, _checked_identifier, _scope
from ._encoding import decode_body, encode_body, encode_query
from ._transport import Transport, json_or_none, read_all, segment, status_of
from .errors import UpstreamHttpError, api_error_from
from .models import (
    AuthorizationLink,
    ConnectedAccount,
    ConnectedAccountResponse,
    ConnectedAccountsPage,
    Connection,
    ConnectionsPage,
    ToolExecution,
    parse_time,
)

_RESPONSE_TYPES = ("auto", "json", "text", "bytes", "stream")


class ProxyResponse:
    """The upstream API's answer, passed through the Tool Proxy unchanged.

    ``headers`` is case-insensitive (``headers.get("content-type")``, ``headers.get_all("set-cookie")``).
    ``body`` is parsed JSON for a JSON content type, ``str`` for text types, ``bytes`` otherwise,
    ``None`` when empty; with ``response_type="stream"`` it is the unread response (a file
    object: read it, then ``close()`` it).
    """

    def __init__(self, status: int, reason: str, headers: Any, body: Any) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def data(self) -> Any:
        """The body under the name the reference SDK uses."""
        return self.body

    def __repr__(self) -> str:
        return f"<ProxyResponse {self.status} {self.reason}>"


class Actions:
    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def get_authorization_link(
        self,
        connection_name: str,
        identifier: str,
        redirect_url: Optional[str] = None,
        user_verify_url: Optional[str] = None,
        timeout: Optional[float] = None,
        organization_id: Optional[str] = None,
        user_id: Optional[str] = None,
    ) -> AuthorizationLink:
        """A single-use, expiring link to the hosted authorization page for this user.

        Creates the connected account (PENDING_AUTH) if it does not exist yet::

            link = client.actions.get_authorization_link(connection_name="acme", identifier="user_123").link

        ``redirect_url``: where the browser goes after success (its origin must be allowed).
        ``user_verify_url`` (OAUTH): your page that confirms who authorized; see
        ``verify_connected_account_user``. ``organization_id`` / ``user_id``: set on a new account;
        an existing one must have the same.
        """
        payload: Dict[str, Any] = {**_account_key(connection_name, identifier, "get_authorization_link"), **_scope(organization_id, user_id)}
        if redirect_url:
            payload["redirect_url"] = redirect_url
        if user_verify_url:
            payload["user_verify_url"] = user_verify_url
        wire = self._transport.json("POST", "/api/v1/connected_accounts/magic_link", body=payload, timeout=timeout)
        return AuthorizationLink(link=wire["link"], expiry=parse_time(wire["expiry"]), connected_account=ConnectedAccount.from_wire(wire["connected_account"]))

    def verify_connected_account_user(self, auth_request_id: str, identifier: str, timeout: Optional[float] = None) -> ConnectedAccountResponse:
        """Confirms which of your users authorized (after a link made with ``user_verify_url``).

        The account becomes ACTIVE; ``post_user_verify_redirect_url`` is on the returned object.
        """
        wire = self._transport.json("POST", "/api/v1/connected_accounts/user/verify", body={"auth_request_id": auth_request_id, "identifier": identifier}, timeout=timeout)
        # An MCP client's authorization (auth_request_id ``tpmar_…``) has no account: the user goes on to its consent page.
        account = ConnectedAccount.from_wire(wire["connected_account"]) if wire.get("connected_account") else None
        return ConnectedAccountResponse(account, post_user_verify_redirect_url=wire.get("post_user_verify_redirect_url"))

    def request(
        self,
        connection_name: str,
        identifier: str,
        path: str,
        method: str = "GET",
        query_params: Optional[Mapping[str, Any]] = None,
        body: Any = None,
        form_data: Optional[Mapping[str, Any]] = None,
        raw_body: Any = None,
        headers: Optional[Mapping[str, str]] = None,
        timeout: Optional[float] = None,
        throw_on_error: bool = False,
        response_type: str = "auto",
    ) -> ProxyResponse:
        """Calls the upstream API as this user through the Tool Proxy.

        ``path`` is relative to the connector's ``proxy_url``. Returns the upstream status, headers
        and body **whatever the status**: an upstream 404 is data, not a failure of the call
        (``throw_on_error=True`` raises ``UpstreamHttpError`` instead, as the reference SDK does).
        Refusals of our own (``ACCOUNT_NOT_ACTIVE``, ``INVALID_PATH``, ...) always raise
        ``ToolproxyApiError``.

        - ``query_params``: lists repeat the key, dicts nest with brackets, None is left out.
        - ``body``: JSON. ``form_data``: a dict, sent urlencoded; multipart when a value is a file
          tuple ``(filename, bytes_or_file[, content_type])``. ``raw_body``: ``str``/``bytes`` as
          they are, or a file object / iterable of bytes, streamed. Give at most one.
        - ``timeout``: seconds for the whole call (default the client's, 30).
        """
        for name, value in (("connection_name", connection_name), ("identifier", identifier), ("path", path)):
            if not isinstance(value, str) or not value.strip():
                raise TypeError(f"request: {name} is required")
        _checked_identifier(identifier, "request")
        if response_type not in _RESPONSE_TYPES:
            raise TypeError(f"request: response_type must be one of {', '.join(_RESPONSE_TYPES)}")
        data, content_type, replayable = encode_body(body, form_data, raw_body)

        sent: Dict[str, str] = {}
        for name, value in (headers or {}).items():
            if name.lower() not in ("connection_name", "connection-name", "identifier", "authorization"):
                sent[name] = value
        if content_type and not any(name.lower() == "content-type" for name in sent):
            sent["Content-Type"] = content_type
        # Set last, so caller headers cannot point the call at another account.
        sent["connection_name"] = connection_name.strip()
        sent["identifier"] = identifier

        target = path if path.startswith("/") else f"/{path}"
        query = encode_query(query_params or {})
        if query:
            target = f"{target}{'&' if '?' in target else '?'}{query}"

        deadline = self._transport.deadline(timeout)
        response = self._transport.send(method.upper(), f"/proxy{target}", sent, data, replayable, deadline)
        status = status_of(response)
        if response.headers.get("x-toolproxy-error"):
            raise api_error_from(status, json_or_none(read_all(response, deadline)))
        if response_type == "stream":
            result = ProxyResponse(status, response.reason, response.headers, response)
        else:
            payload = read_all(response, deadline)
            result = ProxyResponse(status, response.reason, response.headers, decode_body(payload, response.headers.get("content-type", ""), response_type))
        if throw_on_error and not result.ok:
            raise UpstreamHttpError(result)
        return result

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
        """Runs a tool as this user: the input is checked against its ``input_schema``, the request
        built from its template goes through the Tool Proxy with the user's credentials.

        Returns ``ToolExecution(data, execution_id)``; a refusal or an upstream failure raises
        ``ToolExecutionError`` (``ToolUnauthorizedError`` on 401, ``ToolForbiddenError`` on 403,
        ``ToolRateLimitError`` on 429) with ``code`` and, for bad input, every problem. Default
        timeout 60 s::

            result = client.actions.execute_tool("github_issue_create", {"owner": "octo", "repo": "hello", "title": "Bug"}, identifier="user_123", connector="github")
        """
        from .tools import execute_tool, execute_tool_body

        body = execute_tool_body(tool_name, tool_input, identifier, connected_account_id, connection_name, connector, organization_id, user_id)
        return execute_tool(self._transport, body, timeout)

    def get_or_create_connected_account(
        self,
        connection_name: str,
        identifier: str,
        authorization_details: Optional[Mapping[str, Any]] = None,
        timeout: Optional[float] = None,
        organization_id: Optional[str] = None,
        user_id: Optional[str] = None,
    ) -> ConnectedAccountResponse:
        """The user's connected account, created PENDING_AUTH if absent (atomically on the server)."""
        key = {**_account_key(connection_name, identifier, "get_or_create_connected_account"), **_scope(organization_id, user_id)}
        wire = self._transport.json("POST", "/api/v1/connected_accounts/get_or_create", body=key, timeout=timeout)
        if authorization_details is not None:
            # As the reference does: details given to get-or-create replace the stored credentials.
            updated = self.update_connected_account(authorization_details, connection_name=connection_name, identifier=identifier, timeout=timeout)
            return ConnectedAccountResponse(updated.connected_account, created=wire["created"])
        return ConnectedAccountResponse(ConnectedAccount.from_wire(wire["connected_account"]), created=wire["created"])

    def get_connected_account(
        self,
        connection_name: Optional[str] = None,
        identifier: Optional[str] = None,
        connected_account_id: Optional[str] = None,
        timeout: Optional[float] = None,
        organization_id: Optional[str] = None,
        user_id: Optional[str] = None,
    ) -> ConnectedAccountResponse:
        """One account, by id or by connection name and identifier (in that organization/user when
        given). Credentials are never returned."""
        path = _account_path(connection_name, identifier, connected_account_id)
        wire = self._transport.json("GET", path, query=_scope(organization_id, user_id), timeout=timeout)
        return ConnectedAccountResponse(ConnectedAccount.from_wire(wire["connected_account"]))

    def list_connected_accounts(
        self,
        connection_name: Optional[str] = None,
        identifier: Optional[str] = None,
        status: Optional[str] = None,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
        timeout: Optional[float] = None,
        connector: Optional[str] = None,
        organization_id: Optional[str] = None,
        user_id: Optional[str] = None,
    ) -> ConnectedAccountsPage:
        """One page of accounts; pass ``next_page_token`` back as ``page_token`` for the next.
        ``total_size`` counts every page."""
        query = {"connection_name": connection_name, "connector": connector, "identifier": identifier, "status": status, "page_size": page_size, "page_token": page_token}
        wire = self._transport.json("GET", "/api/v1/connected_accounts", query={**query, **_scope(organization_id, user_id)}, timeout=timeout)
        return _page(wire)

    def search_connected_accounts(
        self,
        query: str,
        connection_name: Optional[str] = None,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
        timeout: Optional[float] = None,
        organization_id: Optional[str] = None,
        user_id: Optional[str] = None,
    ) -> ConnectedAccountsPage:
        """Accounts whose identifier, connection name or connector contains ``query``
        (case-insensitive, at least 3 characters)::

            page = client.actions.search_connected_accounts("@example.com")
        """
        params = {"query": query, "connection_name": connection_name, "page_size": page_size, "page_token": page_token}
        wire = self._transport.json("GET", "/api/v1/connected_accounts/search", query={**params, **_scope(organization_id, user_id)}, timeout=timeout)
        return _page(wire)

    def create_connected_account(
        self,
        connection_name: str,
        identifier: str,
        authorization_details: Optional[Mapping[str, Any]] = None,
        timeout: Optional[float] = None,
        organization_id: Optional[str] = None,
        user_id: Optional[str] = None,
    ) -> ConnectedAccountResponse:
        """Creates an account: ACTIVE at once with ``authorization_details``
        (``{"static_auth": {"details": {"api_key": "..."}}}``), else PENDING_AUTH."""
        payload: Dict[str, Any] = {**_account_key(connection_name, identifier, "create_connected_account"), **_scope(organization_id, user_id)}
        if authorization_details is not None:
            payload["authorization_details"] = _wire_details(authorization_details)
        wire = self._transport.json("POST", "/api/v1/connected_accounts", body=payload, timeout=timeout)
        return ConnectedAccountResponse(ConnectedAccount.from_wire(wire["connected_account"]))

    def update_connected_account(
        self,
        authorization_details: Mapping[str, Any],
        connection_name: Optional[str] = None,
        identifier: Optional[str] = None,
        connected_account_id: Optional[str] = None,
        timeout: Optional[float] = None,
        organization_id: Optional[str] = None,
        user_id: Optional[str] = None,
    ) -> ConnectedAccountResponse:
        """Replaces the account's credentials (and per-account fields); it becomes ACTIVE
        (a DISCONNECTED one is connected again)."""
        path = _account_path(connection_name, identifier, connected_account_id)
        body = {"authorization_details": _wire_details(authorization_details)}
        wire = self._transport.json("PATCH", path, query=_scope(organization_id, user_id), body=body, timeout=timeout)
        return ConnectedAccountResponse(ConnectedAccount.from_wire(wire["connected_account"]))

    def delete_connected_account(
        self,
        connection_name: Optional[str] = None,
        identifier: Optional[str] = None,
        connected_account_id: Optional[str] = None,
        timeout: Optional[float] = None,
        organization_id: Optional[str] = None,
        user_id: Optional[str] = None,
    ) -> None:
        """Deletes the account and its stored credentials; an OAuth grant is revoked at the provider."""
        path = _account_path(connection_name, identifier, connected_account_id)
        self._transport.json("DELETE", path, query=_scope(organization_id, user_id), timeout=timeout)

    def disconnect_connected_account(
        self,
        connection_name: Optional[str] = None,
        identifier: Optional[str] = None,
        connected_account_id: Optional[str] = None,
        timeout: Optional[float] = None,
        organization_id: Optional[str] = None,
        user_id: Optional[str] = None,
    ) -> ConnectedAccountResponse:
        """Disconnects the account: its credentials are deleted and an OAuth grant revoked; it stays,
        ``DISCONNECTED`` (proxy calls get ``ACCOUNT_DISCONNECTED``), until a new authorization link
        connects it again::

            client.actions.disconnect_connected_account(connection_name="acme", identifier="user_123")
        """
        path = _account_path(connection_name, identifier, connected_account_id) + "/disconnect"
        wire = self._transport.json("POST", path, query=_scope(organization_id, user_id), timeout=timeout)
        return ConnectedAccountResponse(ConnectedAccount.from_wire(wire["connected_account"]))

    def list_connections(
        self,
        connector: Optional[str] = None,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> ConnectionsPage:
        """One page of connections (the ``connection_name`` values your code can use)."""
        wire = self._transport.json("GET", "/api/v1/connections", query={"connector": connector, "page_size": page_size, "page_token": page_token}, timeout=timeout)
        return ConnectionsPage([Connection.from_wire(c) for c in wire["connections"]], wire.get("next_page_token"))


def _page(wire: Dict[str, Any]) -> ConnectedAccountsPage:
    accounts = [ConnectedAccount.from_wire(a) for a in wire["connected_accounts"]]
    return ConnectedAccountsPage(accounts, wire.get("next_page_token"), wire.get("total_size"))


def _account_path(connection_name: Optional[str], identifier: Optional[str], connected_account_id: Optional[str]) -> str:
    if isinstance(connected_account_id, str) and connected_account_id.strip():
        return f"/api/v1/connected_accounts/{segment(connected_account_id.strip())}"
    name = connection_name.strip() if isinstance(connection_name, str) else ""
    if not name or not isinstance(identifier, str) or not identifier:
        raise TypeError("connected_account_id, or connection_name and identifier, are required")
    # The identifier goes as it is (never trimmed), so an account made before identifiers were
    # checked can still be read and deleted.
    return f"/api/v1/connections/{segment(name)}/connected_accounts/{segment(identifier)}"


def _wire_details(details: Mapping[str, Any]) -> Dict[str, Any]:
    static = details.get("static_auth") if isinstance(details, Mapping) else None
    if not isinstance(static, Mapping) or not isinstance(static.get("details"), Mapping):
        raise TypeError('authorization_details must be {"static_auth": {"details": {field_name: value}}}')
    return {"static_auth": {"details": dict(static["details"])}}
