"""Errors of the toolproxy SDK. Match on ``code``: it is stable (docs/errors.md)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional


class ToolproxyError(Exception):
    """Every error this SDK raises is one of these."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


class ToolproxyApiError(ToolproxyError):
    """The server refused the call: its ``{"error": {"code", "message", "details"}}`` body.

    On the Tool Proxy this is raised only for responses carrying ``x-toolproxy-error``, never for
    the upstream API's own statuses.
    """

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(code, message)
        self.status = status
        self.details = details

    @property
    def problems(self) -> List[Dict[str, str]]:
        """Validation problems (``details["problems"]``), when the server listed any."""
        problems = self.details.get("problems") if isinstance(self.details, dict) else None
        return list(problems) if isinstance(problems, list) else []


class ToolproxyConnectionError(ToolproxyError):
    """The server could not be reached (DNS, refused connection, reset)."""

    def __init__(self, message: str) -> None:
        super().__init__("NETWORK_ERROR", message)


class ToolproxyTimeoutError(ToolproxyError):
    """The call took longer than its timeout."""

    def __init__(self, timeout: float) -> None:
        super().__init__("TIMEOUT", f"The call did not complete within {timeout:g} s.")
        self.timeout = timeout


class UpstreamHttpError(ToolproxyError):
    """Raised by ``actions.request(..., throw_on_error=True)`` for a non-2xx upstream status."""

    def __init__(self, response: Any) -> None:
        reason = f" {response.reason}" if response.reason else ""
        super().__init__("UPSTREAM_HTTP_ERROR", f"The upstream API answered {response.status}{reason}.")
        self.status = response.status
        self.response = response


def api_error_from(status: int, body: Any) -> ToolproxyApiError:
    """The error for a non-2xx answer of ours (management API or token endpoint)."""
    error: Optional[Any] = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and isinstance(error.get("code"), str):
        message = error.get("message")
        return ToolproxyApiError(status, error["code"], message if isinstance(message, str) else error["code"], error.get("details"))
    if isinstance(error, str):
        # POST /oauth/token answers in the RFC 6749 section 5.2 shape, with our code next to it.
        code = body.get("code") if isinstance(body.get("code"), str) else error.upper()
        description = body.get("error_description")
        return ToolproxyApiError(status, code, description if isinstance(description, str) else error)
    return ToolproxyApiError(status, "UNEXPECTED_RESPONSE", f"The server answered {status} without a toolproxy error body (is the URL right?).")


class ToolExecutionError(ToolproxyApiError):
    """``execute_tool`` was refused or the tool's upstream call failed (TOOL_INPUT_INVALID,
    TOOL_NOT_FOUND, ACCOUNT_NOT_ACTIVE, TOOL_UPSTREAM_REJECTED, TOOL_UPSTREAM_FAILED, ...).
    Match on ``code``."""

    def __init__(self, status: int, code: str, message: str, details: Any, tool_name: str) -> None:
        super().__init__(status, code, message, details)
        self.tool_name = tool_name
        execution_id = details.get("execution_id") if isinstance(details, dict) else None
        #: The run's id (``ex_...``) when the server started one, else ``None``.
        self.execution_id: Optional[str] = execution_id if isinstance(execution_id, str) else None

    @property
    def upstream_status(self) -> Optional[int]:
        """The upstream API's status when it answered the tool call with an error (``details["status"]``)."""
        status = self.details.get("status") if isinstance(self.details, dict) else None
        return status if isinstance(status, int) else None

    @property
    def upstream_body(self) -> Any:
        """The upstream API's answer (``details["body"]``), when it answered with an error."""
        return self.details.get("body") if isinstance(self.details, dict) else None


class ToolUnauthorizedError(ToolExecutionError):
    """``TOOL_UNAUTHORIZED``: the upstream API refused the user's credentials (its 401). Send the
    user a new authorization link (``actions.get_authorization_link``)."""

    @property
    def authorization_link(self) -> Optional[str]:
        """The server's ``details["authorization_link"]``: how to get a new link, when it gave one."""
        link = self.details.get("authorization_link") if isinstance(self.details, dict) else None
        return link if isinstance(link, str) else None


class ToolForbiddenError(ToolExecutionError):
    """``TOOL_FORBIDDEN``: the upstream API answered 403, a missing permission or scope."""


class ToolRateLimitError(ToolExecutionError):
    """429: the upstream API (``TOOL_RATE_LIMITED``) or a toolproxy limit asks to wait. Never retried by the SDK."""

    def __init__(self, status: int, code: str, message: str, details: Any, tool_name: str, retry_after: Optional[float]) -> None:
        super().__init__(status, code, message, details, tool_name)
        #: Seconds to wait (``Retry-After`` or ``details["retry_after_seconds"]``), when given.
        self.retry_after = retry_after


_APP_AUTH_CODES = {"UNAUTHENTICATED", "TOKEN_EXPIRED", "INVALID_CLIENT", "UNEXPECTED_RESPONSE"}


def tool_error_from(status: int, body: Any, retry_after_header: Optional[str], tool_name: str) -> ToolproxyApiError:
    """The typed error for a non-2xx answer of ``POST /api/v1/execute_tool``."""
    base = api_error_from(status, body)
    if base.code in _APP_AUTH_CODES:
        return base
    args = (status, base.code, base.message, base.details, tool_name)
    if base.code == "TOOL_UNAUTHORIZED":
        return ToolUnauthorizedError(*args)
    if base.code == "TOOL_FORBIDDEN":
        return ToolForbiddenError(*args)
    if base.code == "TOOL_RATE_LIMITED" or status == 429:
        retry_after: Optional[float] = None
        if retry_after_header and retry_after_header.strip().isdigit():
            retry_after = float(retry_after_header.strip())
        elif isinstance(base.details, dict) and isinstance(base.details.get("retry_after_seconds"), (int, float)):
            retry_after = float(base.details["retry_after_seconds"])
        return ToolRateLimitError(*args, retry_after)
    return ToolExecutionError(*args)
