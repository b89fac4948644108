"""A real toolproxy server and a real upstream API on loopback, for the tests.

The server: the one named by TOOLPROXY_TEST_URL / _CLIENT_ID / _CLIENT_SECRET (the Node test
runner starts one and passes it), else this module starts one from the repository
(``node --import tsx src/main.ts``, fresh data dir, port 0) and stops it at exit. The upstream:
a ``http.server`` in a thread that records what it received.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Tuple

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
API_KEY = "sk_live_python_0123456789"

_server: Optional[Tuple[str, str, str]] = None
_upstream: Optional["Upstream"] = None


def server() -> Tuple[str, str, str]:
    """(url, client_id, client_secret) of a running server."""
    global _server
    if _server is None:
        env = os.environ
        if env.get("TOOLPROXY_TEST_URL"):
            _server = (env["TOOLPROXY_TEST_URL"], env["TOOLPROXY_TEST_CLIENT_ID"], env["TOOLPROXY_TEST_CLIENT_SECRET"])
        else:
            _server = _spawn_server()
    return _server


def _spawn_server() -> Tuple[str, str, str]:
    data_dir = tempfile.mkdtemp(prefix="tp-py-")
    # The upstream of these tests is on loopback, which the egress policy refuses unless allowed.
    child_env = dict(os.environ, PORT="0", LOG_LEVEL="warn", TOOLPROXY_DATA_DIR=data_dir, TOOLPROXY_EGRESS_ALLOW_CIDRS="127.0.0.0/8")
    child = subprocess.Popen(["node", "--import", "tsx", "src/main.ts"], cwd=REPO, env=child_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def stop() -> None:
        child.terminate()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
        shutil.rmtree(data_dir, ignore_errors=True)

    atexit.register(stop)
    banner = ""
    for line in child.stdout:  # type: ignore[union-attr]
        banner += line
        if "client_secret" in line:
            break
    fields = dict(re.findall(r"(TOOLPROXY_URL|client_id|client_secret)\s*=\s*(\S+)", banner))
    if len(fields) != 3:
        raise RuntimeError(f"the server did not start: {banner}{child.stderr.read() if child.poll() is not None else ''}")  # type: ignore[union-attr]
    return fields["TOOLPROXY_URL"], fields["client_id"], fields["client_secret"]


class Received:
    def __init__(self, method: str, path: str, headers: Dict[str, str], body: bytes) -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body


class Upstream:
    def __init__(self) -> None:
        self.received: List[Received] = []
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                # Headers and body go out in separate writes: without this, Nagle's algorithm and
                # delayed ACKs add ~40 ms to every response.
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                super().setup()

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = self.headers.get("content-length")
                if length is not None:
                    body = self.rfile.read(int(length))
                elif (self.headers.get("transfer-encoding") or "").lower() == "chunked":
                    body = _read_chunked(self.rfile)
                else:
                    body = b""
                upstream.received.append(Received(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                path = self.path.split("?")[0]
                if path.endswith("/v1/customers") and self.command == "GET":
                    self._json(200, {"data": [{"id": "cus_1", "name": "Ada"}], "has_more": False}, {"x-request-id": "req_123"})
                elif path.endswith("/v1/customers") and self.command == "POST":
                    self._json(201, {"id": "cus_2", "received": json.loads(body or b"null")}, {"location": "/v1/customers/cus_2"})
                elif path.endswith("/text"):
                    self._send(200, b"hello, text", "text/plain; charset=utf-8")
                elif path.endswith("/bytes"):
                    self._send(200, bytes([0, 1, 2, 255]), "application/octet-stream")
                elif path.endswith("/redirect"):
                    self._send(302, b"", "text/plain", {"location": "https://elsewhere.example/"})
                elif path.endswith("/slow"):
                    time.sleep(1.5)
                    self._json(200, {"slow": True})
                elif path.endswith("/v1/unauthorized"):
                    self._json(401, {"message": "bad key"})
                elif path.endswith("/v1/limited"):
                    self._json(429, {"message": "slow down"}, {"retry-after": "3"})
                elif path.endswith("/echo"):
                    self._json(200, {"ok": True})
                else:
                    self._json(404, {"error": {"type": "invalid_request_error", "message": f"No such route: {path}"}})

            def _json(self, status: int, body: Any, headers: Optional[Dict[str, str]] = None) -> None:
                self._send(status, json.dumps(body).encode(), "application/json", headers)

            def _send(self, status: int, body: bytes, content_type: str, headers: Optional[Dict[str, str]] = None) -> None:
                self.send_response(status)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def last(self) -> Received:
        return self.received[-1]


def _read_chunked(stream: Any) -> bytes:
    data = b""
    while True:
        size = int(stream.readline().strip().split(b";")[0], 16)
        if size == 0:
            stream.readline()
            return data
        data += stream.read(size)
        stream.readline()


def upstream() -> Upstream:
    global _upstream
    if _upstream is None:
        _upstream = Upstream()
    return _upstream


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def api_key_connector(upstream_url: str, display_name: str) -> Dict[str, Any]:
    return {
        "display_name": display_name,
        "proxy_url": f"{upstream_url}/api",
        "proxy_enabled": True,
        "auth_patterns": [
            {
                "type": "API_KEY",
                "display_name": "API key",
                "fields": [{"field_name": "api_key", "label": "API key", "input_type": "password", "required": True}],
                "auth_header_key_override": "X-API-Key",
            }
        ],
    }


def submit_hosted_form(link: str, server_url: str, values: Dict[str, str]) -> int:
    """What the user does with the authorization link: open the form and submit it."""
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    with urllib.request.urlopen(f"{server_url}{path}", timeout=10) as page:
        assert page.status == 200
    data = "&".join(f"{k}={urllib.request.quote(v)}" for k, v in values.items()).encode()
    with urllib.request.urlopen(urllib.request.Request(f"{server_url}{path}", data=data, method="POST"), timeout=10) as done:
        return done.status


def execute_url() -> str:
    """Where the tool tests send ``POST /api/v1/execute_tool``: the Node runner's wire recorder in
    front of the server (TOOLPROXY_TEST_EXECUTE_URL; it forwards everything and keeps the bodies),
    else the server itself."""
    return os.environ.get("TOOLPROXY_TEST_EXECUTE_URL") or server()[0]


def tools_connector(upstream_url: str, display_name: str) -> Dict[str, Any]:
    """An API_KEY connector with tools over the upstream: ``<identifier with _>_customers_list`` and
    ``..._customer_create`` (``/v1/customers``), ``..._whoami`` (answers 401), ``..._limited`` (429)."""
    prefix = re.sub(r"[^a-z0-9]+", "_", display_name.lower()).strip("_")
    definition = api_key_connector(upstream_url, display_name)
    definition["tools"] = [
        {
            "name": f"{prefix}_customers_list",
            "display_name": "List customers",
            "description": "Lists customers.",
            "input_schema": {"type": "object", "properties": {"limit": {"type": "integer", "minimum": 1}}, "additionalProperties": False},
            "request": {"method": "GET", "path": "/v1/customers", "query": {"limit": {"from": "limit"}}},
            "output": {"root": "/data"},
        },
        {
            "name": f"{prefix}_customer_create",
            "display_name": "Create a customer",
            "description": "Creates a customer.",
            "input_schema": {"type": "object", "properties": {"name": {"type": "string", "minLength": 1}}, "required": ["name"], "additionalProperties": False},
            "request": {"method": "POST", "path": "/v1/customers", "body": {"encoding": "json", "properties": {"name": {"from": "name"}}}},
        },
        {"name": f"{prefix}_whoami", "display_name": "Who am I", "description": "The key's owner.", "input_schema": {"type": "object"}, "request": {"method": "GET", "path": "/v1/unauthorized"}},
        {"name": f"{prefix}_limited", "display_name": "Limited", "description": "Always rate-limited.", "input_schema": {"type": "object"}, "request": {"method": "GET", "path": "/v1/limited"}},
    ]
    return definition
