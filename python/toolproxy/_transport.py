"""The HTTP layer shared by every part of the client: base URL, bearer token, timeouts, errors.

Standard library only (urllib). Redirects are never followed: the Tool Proxy hands an upstream
3xx back as it came, and so does this SDK.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Iterable, Mapping, Optional, Union

from .errors import ToolproxyConnectionError, ToolproxyError, ToolproxyTimeoutError, api_error_from

Body = Union[bytes, Iterable[bytes], Any, None]

#: Our own refusal of the token, as opposed to anything else that answers 401.
_STALE_TOKEN_CODES = ("UNAUTHENTICATED", "TOKEN_EXPIRED")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102 - urllib API
        return None  # the 3xx itself is the answer


class Deadline:
    """A total time budget for one call (``None``: no limit)."""

    def __init__(self, timeout: Optional[float]) -> None:
        self.timeout = timeout
        self._end = None if not timeout else time.monotonic() + timeout

    def remaining(self) -> Optional[float]:
        if self._end is None:
            return None
        left = self._end - time.monotonic()
        if left <= 0:
            raise ToolproxyTimeoutError(self.timeout or 0)
        return left


def read_all(response: Any, deadline: Deadline) -> bytes:
    """The whole body, with the deadline checked between reads (each read is bounded by the socket timeout)."""
    chunks = []
    try:
        while True:
            deadline.remaining()
            chunk = response.read(65536)
            if not chunk:
                break
            chunks.append(chunk)
    except (socket.timeout, TimeoutError):
        raise ToolproxyTimeoutError(deadline.timeout or 0) from None
    finally:
        response.close()
    return b"".join(chunks)


def status_of(response: Any) -> int:
    return int(getattr(response, "status", None) or response.code)


class Transport:
    def __init__(self, base_url: str, client_id: str, client_secret: str, timeout: Optional[float], user_agent: str) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self._client_id = client_id
        self._client_secret = client_secret
        self._user_agent = user_agent
        self._opener = urllib.request.build_opener(_NoRedirect())
        self._lock = threading.Lock()
        self._token: Optional[str] = None
        self._renew_at = 0.0

    def deadline(self, timeout: Optional[float]) -> Deadline:
        return Deadline(self.timeout if timeout is None else timeout)

    # -- tokens ---------------------------------------------------------------------------------

    def _get_token(self, deadline: Deadline) -> str:
        # One token for every thread; renewed with a tenth of its lifetime (at most a minute) to spare.
        with self._lock:
            if self._token is not None and time.monotonic() < self._renew_at:
                return self._token
            form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": self._client_id, "client_secret": self._client_secret})
            request = urllib.request.Request(
                f"{self.base_url}/oauth/token",
                data=form.encode(),
                method="POST",
                headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json", "User-Agent": self._user_agent},
            )
            response = self._open(request, deadline)
            body = json_or_none(read_all(response, deadline))
            if not 200 <= status_of(response) < 300:
                raise api_error_from(status_of(response), body)
            if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
                raise ToolproxyError("UNEXPECTED_RESPONSE", "The token endpoint answered without an access_token.")
            expires_in = body.get("expires_in")
            lifetime = float(expires_in) if isinstance(expires_in, (int, float)) and expires_in > 0 else 300.0
            self._token = body["access_token"]
            self._renew_at = time.monotonic() + lifetime - min(60.0, lifetime / 10)
            return self._token

    def _invalidate(self, token: str) -> None:
        with self._lock:
            if self._token == token:
                self._token = None

    # -- requests -------------------------------------------------------------------------------

    def _open(self, request: urllib.request.Request, deadline: Deadline) -> Any:
        try:
            return self._opener.open(request, timeout=deadline.remaining() or socket.getdefaulttimeout())
        except urllib.error.HTTPError as error:
            return error  # a non-2xx answer is still an answer
        except (socket.timeout, TimeoutError):
            raise ToolproxyTimeoutError(deadline.timeout or 0) from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, (socket.timeout, TimeoutError)):
                raise ToolproxyTimeoutError(deadline.timeout or 0) from None
            raise ToolproxyConnectionError(f"Could not reach the toolproxy server at {self.base_url} ({error.reason}).") from None
        except (ConnectionError, OSError) as error:
            raise ToolproxyConnectionError(f"Could not reach the toolproxy server at {self.base_url} ({error}).") from None

    def send(self, method: str, path: str, headers: Mapping[str, str], body: Body, replayable: bool, deadline: Deadline) -> Any:
        """One authenticated request; the response comes back unread.

        When the server says our token is no longer good (it restarted with a rotated key, or the
        token expired early) a new token is fetched and a replayable request is sent once more.
        """
        for attempt in (0, 1):
            token = self._get_token(deadline)
            all_headers: Dict[str, str] = {"User-Agent": self._user_agent}
            all_headers.update(headers)
            all_headers["Authorization"] = f"Bearer {token}"
            request = urllib.request.Request(f"{self.base_url}{path}", data=body, method=method, headers=all_headers)
            response = self._open(request, deadline)
            code = response.headers.get("x-toolproxy-error")
            if status_of(response) == 401 and code in _STALE_TOKEN_CODES and replayable and attempt == 0:
                response.close()
                self._invalidate(token)
                continue
            return response
        raise AssertionError("unreachable")

    def json(self, method: str, path: str, query: Optional[Mapping[str, Any]] = None, body: Any = None, timeout: Optional[float] = None) -> Any:
        """A JSON call to the management API: the parsed body, or ``ToolproxyApiError``."""
        deadline = self.deadline(timeout)
        params = {k: v for k, v in (query or {}).items() if v is not None and v != ""}
        # A list repeats the parameter (`tool_names=a&tool_names=b`).
        target = f"{path}?{urllib.parse.urlencode(params, doseq=True)}" if params else path
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode("utf-8")
        response = self.send(method, target, headers, data, True, deadline)
        parsed = json_or_none(read_all(response, deadline))
        if not 200 <= status_of(response) < 300:
            raise api_error_from(status_of(response), parsed)
        return parsed


def json_or_none(data: bytes) -> Any:
    if not data:
        return None
    try:
        return json.loads(data.decode("utf-8"))
    except ValueError:
        return None


def segment(value: str) -> str:
    """Encodes a path segment (names, identifiers and ids are the caller's strings)."""
    return urllib.parse.quote(value, safe="")
