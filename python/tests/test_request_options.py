"""How ``actions.request`` encodes options and decodes answers; timeouts and unreachable servers."""

from __future__ import annotations

import io
import socket
import unittest

from toolproxy import ToolproxyClient, ToolproxyConnectionError, ToolproxyTimeoutError
from toolproxy._encoding import encode_query

from . import harness


class RequestOptionsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.url, client_id, client_secret = harness.server()
        cls.upstream = harness.upstream()
        cls.client = ToolproxyClient(cls.url, client_id, client_secret)
        connector = cls.client.connectors.create(harness.api_key_connector(cls.upstream.url, harness.unique("Echo Py")))
        cls.name = harness.unique("echo-py")
        cls.client.connections.create(name=cls.name, connector=connector.identifier)
        cls.client.actions.create_connected_account(connection_name=cls.name, identifier="u", authorization_details={"static_auth": {"details": {"api_key": "k_echo"}}})

    def call(self, path: str, **options):
        return self.client.actions.request(connection_name=self.name, identifier="u", path=path, **options)

    def test_query_params_like_the_node_sdk(self) -> None:
        self.call("/echo?fixed=1", query_params={"q": "a b&c", "tag": ["x", "y"], "filter": {"status": "open", "owner": {"id": 7}}, "skip": None, "expand[]": ["items"], "flag": True})
        self.assertEqual(
            self.upstream.last().path,
            "/api/echo?fixed=1&q=a%20b%26c&tag=x&tag=y&filter%5Bstatus%5D=open&filter%5Bowner%5D%5Bid%5D=7&expand%5B%5D=items&flag=true",
        )
        self.assertEqual(encode_query({}), "")

    def test_form_data_urlencoded_then_multipart_with_a_file(self) -> None:
        self.call("/echo", method="POST", form_data={"name": "Ada Lovelace", "tag": ["a", "b"], "n": 2, "gone": None})
        self.assertEqual(self.upstream.last().headers["content-type"], "application/x-www-form-urlencoded;charset=UTF-8")
        self.assertEqual(self.upstream.last().body, b"name=Ada+Lovelace&tag=a&tag=b&n=2")

        self.call("/echo", method="POST", form_data={"title": "report", "file": ("report.pdf", b"%PDF-1.7 bytes", "application/pdf")})
        self.assertTrue(self.upstream.last().headers["content-type"].startswith("multipart/form-data; boundary="))
        body = self.upstream.last().body.decode()
        self.assertIn('name="title"\r\n\r\nreport\r\n', body)
        self.assertIn('name="file"; filename="report.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7 bytes\r\n', body)

    def test_raw_body_as_given_or_streamed(self) -> None:
        self.call("/echo", method="PUT", raw_body="<a>1</a>", headers={"Content-Type": "application/xml"})
        self.assertEqual((self.upstream.last().headers["content-type"], self.upstream.last().body), ("application/xml", b"<a>1</a>"))
        self.call("/echo", method="PUT", raw_body=b"\x01\x02")
        self.assertEqual((self.upstream.last().headers["content-type"], self.upstream.last().body), ("application/octet-stream", b"\x01\x02"))
        self.call("/echo", method="POST", raw_body=(f"chunk-{i};".encode() for i in range(20)))
        self.assertEqual(self.upstream.last().body, "".join(f"chunk-{i};" for i in range(20)).encode())
        self.call("/echo", method="POST", raw_body=io.BytesIO(b"from a file"))
        self.assertEqual(self.upstream.last().body, b"from a file")

    def test_caller_headers_cannot_pick_another_account(self) -> None:
        self.call("/echo", headers={"X-Trace": "t-1", "identifier": "someone_else", "Authorization": "Bearer mine"})
        seen = self.upstream.last().headers
        self.assertEqual((seen["x-trace"], seen["x-api-key"]), ("t-1", "k_echo"))
        self.assertNotIn("authorization", seen)

    def test_response_bodies_and_types(self) -> None:
        self.assertEqual(self.call("/text").body, "hello, text")
        self.assertEqual(self.call("/bytes").body, bytes([0, 1, 2, 255]))
        self.assertEqual(self.call("/echo", response_type="text").body, '{"ok": true}')
        streamed = self.call("/bytes", response_type="stream")
        try:
            self.assertEqual(streamed.body.read(), bytes([0, 1, 2, 255]))
        finally:
            streamed.body.close()

    def test_an_upstream_redirect_is_returned_not_followed(self) -> None:
        result = self.call("/redirect")
        self.assertEqual(result.status, 302)
        self.assertEqual(result.headers.get("location"), "https://elsewhere.example/")

    def test_a_slow_call_times_out(self) -> None:
        with self.assertRaises(ToolproxyTimeoutError) as timed_out:
            self.call("/slow", timeout=0.3)
        self.assertEqual(timed_out.exception.code, "TIMEOUT")

    def test_bad_arguments_are_refused_before_any_call(self) -> None:
        with self.assertRaises(TypeError):
            ToolproxyClient("not a url", "a", "b")
        with self.assertRaises(TypeError):
            self.call("/echo", body={}, raw_body="x")
        with self.assertRaises(TypeError):
            self.client.actions.request(connection_name=self.name, identifier=" ", path="/echo")

    def test_an_unreachable_server_is_a_network_error(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with self.assertRaises(ToolproxyConnectionError) as unreachable:
            ToolproxyClient(f"http://127.0.0.1:{port}", "id", "secret").actions.list_connections()
        self.assertEqual(unreachable.exception.code, "NETWORK_ERROR")
        self.assertIn(f"at http://127.0.0.1:{port} (", str(unreachable.exception))


if __name__ == "__main__":
    unittest.main()
