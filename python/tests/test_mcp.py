"""MCP server configs through the Python SDK: create (every problem on a bad one), list, update,
session tokens the MCP endpoint accepts, a user's connected accounts with links, delete."""

from __future__ import annotations

import json
import unittest
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

from toolproxy import ToolproxyApiError, ToolproxyClient

from . import harness


def mcp_post(url: str, token: str, message: dict) -> tuple:
    request = urllib.request.Request(
        url,
        data=json.dumps(message).encode(),
        method="POST",
        headers={"authorization": f"Bearer {token}", "content-type": "application/json", "accept": "application/json, text/event-stream"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


class McpTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.url, client_id, client_secret = harness.server()
        cls.upstream = harness.upstream()
        cls.client = ToolproxyClient(cls.url, client_id, client_secret)
        connector = cls.client.connectors.create(harness.api_key_connector(cls.upstream.url, harness.unique("Mcp Py")))
        cls.connection = harness.unique("mcp-py")
        cls.client.connections.create(name=cls.connection, connector=connector.identifier)

    def test_configs_tokens_and_accounts(self) -> None:
        client, connection = self.client, self.connection
        with self.assertRaises(ToolproxyApiError) as invalid:
            client.mcp.create_config(name="Bad Name", connection_tool_mappings=[{"connection_name": "missing-connection"}])
        self.assertEqual(invalid.exception.code, "MCP_CONFIG_INVALID")
        self.assertEqual(sorted(p["path"] for p in invalid.exception.problems), ["/connection_tool_mappings/0/connection_name", "/name"])

        name = harness.unique("py-agent").lower()
        config = client.mcp.create_config(name=name, connection_tool_mappings=[{"connection_name": connection}], description="From Python")
        self.assertTrue(config.mcp_server_url.endswith(f"/mcp/{config.id}"))
        self.assertEqual(config.connection_tool_mappings, [{"connection_name": connection, "tools": []}])
        self.assertIn(config.id, [c.id for c in client.mcp.list_configs(page_size=100).configs])
        updated = client.mcp.update_config(config.id, description="Updated")
        self.assertEqual(updated.description, "Updated")
        self.assertEqual(updated.name, name)

        token = client.mcp.create_session_token(config.id, identifier="py_user", expiry=120)
        self.assertTrue(token.session_token.startswith("tpms_"))
        self.assertLess(token.expires_at, datetime.now(timezone.utc) + timedelta(seconds=125))
        # A server this module started itself listens on port 0 and cannot know its public URL; the
        # Node runner passes a server whose public URL is the one it listens on.
        if token.mcp_server_url.startswith(self.url):
            status, answer = mcp_post(token.mcp_server_url, token.session_token, {"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
            self.assertEqual(status, 200)
            self.assertEqual([t["name"] for t in answer["result"]["tools"]], [f"authorize_{connection}"])
            self.assertEqual(mcp_post(token.mcp_server_url, token.session_token + "x", {"jsonrpc": "2.0", "id": 1, "method": "tools/list"})[0], 401)

        accounts = client.mcp.list_connected_accounts(config.id, identifier="py_user", include_auth_link=True)
        self.assertEqual(len(accounts), 1)
        self.assertEqual(accounts[0].status, "PENDING_AUTH")
        self.assertRegex(accounts[0].authorization_link or "", r"/connect/tpl_")
        self.assertIsNone(client.mcp.list_connected_accounts(config.id, identifier="py_user")[0].authorization_link)

        client.mcp.delete_config(config.id)
        with self.assertRaises(ToolproxyApiError) as gone:
            client.mcp.get_config(config.id)
        self.assertEqual(gone.exception.code, "MCP_CONFIG_NOT_FOUND")


if __name__ == "__main__":
    unittest.main()
