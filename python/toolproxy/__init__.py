"""toolproxy: the Python client (standard library only, Python 3.9+).

A snake_case mirror of the Node SDK::

    from toolproxy import ToolproxyClient
    client = ToolproxyClient(env_url, client_id, client_secret)
    result = client.actions.request(connection_name="acme", identifier="user_123", path="/v1/customers")
"""

__version__ = "0.1.0"

from .actions import Actions, ProxyResponse  # noqa: E402
from .approvals import Approval, ApprovalDecision, ApprovalDetail, Approvals, ApprovalsPage  # noqa: E402
from .client import ToolproxyClient  # noqa: E402
from .errors import (  # noqa: E402
    ToolproxyApiError,
    ToolproxyConnectionError,
    ToolproxyError,
    ToolproxyTimeoutError,
    UpstreamHttpError,
)
from .management import ApiClients, Connections, Connectors  # noqa: E402
from .mcp import Mcp  # noqa: E402
from .models import (  # noqa: E402
    ApiClient,
    AppliedConnector,
    AuthorizationLink,
    ConnectedAccount,
    ConnectedAccountResponse,
    ConnectedAccountsPage,
    Connection,
    ConnectionsPage,
    Connector,
    ConnectorsPage,
    CreatedApiClient,
    McpConfig,
    McpConfigsPage,
    McpConnectedAccount,
    McpSessionToken,
)

__all__ = [
    "Actions",
    "ApiClient",
    "ApiClients",
    "AppliedConnector",
    "Approval",
    "ApprovalDecision",
    "ApprovalDetail",
    "Approvals",
    "ApprovalsPage",
    "AuthorizationLink",
    "ConnectedAccount",
    "ConnectedAccountResponse",
    "ConnectedAccountsPage",
    "Connection",
    "Connections",
    "ConnectionsPage",
    "Connector",
    "Connectors",
    "ConnectorsPage",
    "CreatedApiClient",
    "Mcp",
    "McpConfig",
    "McpConfigsPage",
    "McpConnectedAccount",
    "McpSessionToken",
    "ProxyResponse",
    "ToolproxyApiError",
    "ToolproxyClient",
    "ToolproxyConnectionError",
    "ToolproxyError",
    "ToolproxyTimeoutError",
    "UpstreamHttpError",
]
