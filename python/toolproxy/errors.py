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
