"""The toolproxy client, built like the reference's: environment URL, client id, client secret."""

from __future__ import annotations

from typing import Optional
from urllib.parse import urlsplit

from . import __version__
from ._transport import Transport
from .actions import Actions
from .approvals import Approvals
from .management import ApiClients, Connections, Connectors
from .mcp import Mcp
from .policies import Policies
from .tools import Tools


class ToolproxyClient:
    """Entry point of the SDK::

        client = ToolproxyClient(os.environ["TOOLPROXY_URL"], os.environ["TOOLPROXY_CLIENT_ID"], os.environ["TOOLPROXY_CLIENT_SECRET"])
        link = client.actions.get_authorization_link(connection_name="acme", identifier="user_123").link

    App access tokens are fetched on the first call and renewed before they expire. ``timeout``
    is the default time budget of every call in seconds (``None``: no limit).
    """

    def __init__(self, env_url: Optional[str], client_id: Optional[str], client_secret: Optional[str], timeout: Optional[float] = 30.0) -> None:
        base_url = _normalize_url(env_url)
        if not client_id or not client_secret:
            raise TypeError("ToolproxyClient: client_id and client_secret are required")
        transport = Transport(base_url, client_id, client_secret, timeout, f"toolproxy-python/{__version__}")
        self.env_url = base_url
        #: Authorization links, connected accounts and the Tool Proxy (``request``).
        self.actions = Actions(transport)
        self.connectors = Connectors(transport)
        self.connections = Connections(transport)
        self.api_clients = ApiClients(transport)
        #: Tools: listings, and running them as a user (also ``actions.execute_tool``).
        self.tools = Tools(transport)
        #: MCP server configs and the session tokens agents connect with.
        self.mcp = Mcp(transport)
        #: Connection and account policies (docs/policies.md).
        self.policies = Policies(transport)
        #: Calls held for a person's approval: list, approve, deny (docs/approvals.md).
        self.approvals = Approvals(transport)


def _normalize_url(env_url: Optional[str]) -> str:
    parts = urlsplit(env_url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise TypeError(f"ToolproxyClient: env_url must be an http(s) URL (got {env_url!r})")
    if parts.query or parts.fragment:
        raise TypeError("ToolproxyClient: env_url must not have a query or fragment")
    return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")
