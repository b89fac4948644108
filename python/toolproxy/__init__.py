"""toolproxy: the Python client (standard library only, Python 3.9+).

A snake_case mirror of the Node SDK::

    from toolproxy import ToolproxyClient
    client = ToolproxyClient(env_url, client_id, client_secret)
    result = client.actions.request(connection_name="acme", identifier="user_123", path="/v1/customers")
"""

__version__ = "0.1.0"

from .actions import Actions, ProxyResponse  # noqa: E402
from .adapters import (  # noqa: E402
    ToolCallResult,
    Toolkit,
    anthropic_tool_result,
    anthropic_tools,
    openai_chat_tool_message,
    openai_chat_tools,
    openai_responses_tool_output,
    openai_responses_tools,
    run_tool_call,
)
from .approvals import Approval, ApprovalDecision, ApprovalDetail, Approvals, ApprovalsPage  # noqa: E402
from .client import ToolproxyClient  # noqa: E402
from .errors import (  # noqa: E402
    ToolproxyApiError,
    ToolproxyConnectionError,
    ToolproxyError,
    ToolproxyTimeoutError,
    ToolExecutionError,
    ToolForbiddenError,
    ToolRateLimitError,
    ToolUnauthorizedError,
    UpstreamHttpError,
)
from .management import ApiClients, Connections, Connectors  # noqa: E402
from .mcp import Mcp  # noqa: E402
from .policies import EffectivePolicy, Policies, StoredPolicy  # noqa: E402
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
    AvailableTool,
    AvailableToolsPage,
    ScopedTool,
    ScopedToolsPage,
    Tool,
    ToolExecution,
    ToolsPage,
)
from .tools import Tools  # noqa: E402

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
    "AvailableTool",
    "AvailableToolsPage",
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
    "EffectivePolicy",
    "Mcp",
    "McpConfig",
    "McpConfigsPage",
    "McpConnectedAccount",
    "McpSessionToken",
    "Policies",
    "ProxyResponse",
    "ScopedTool",
    "ScopedToolsPage",
    "StoredPolicy",
    "Tool",
    "ToolCallResult",
    "ToolExecution",
    "ToolExecutionError",
    "ToolForbiddenError",
    "ToolRateLimitError",
    "ToolUnauthorizedError",
    "Toolkit",
    "ToolproxyApiError",
    "ToolproxyClient",
    "ToolproxyConnectionError",
    "ToolproxyError",
    "ToolproxyTimeoutError",
    "Tools",
    "ToolsPage",
    "UpstreamHttpError",
    "anthropic_tool_result",
    "anthropic_tools",
    "openai_chat_tool_message",
    "openai_chat_tools",
    "openai_responses_tool_output",
    "openai_responses_tools",
    "run_tool_call",
]
