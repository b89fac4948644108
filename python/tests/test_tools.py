"""Tools through the Python SDK: scoped and available listings against the server, execute_tool
(with typed errors) and the OpenAI / Anthropic adapters answering a scripted model's tool calls.

``execute_tool`` goes to ``harness.execute_url()``: the real server, behind the Node runner's wire
recorder (test/helpers/wire-recorder.ts), which keeps the bodies sent.
"""

from __future__ import annotations

import json
import unittest
import uuid
from types import SimpleNamespace

from toolproxy import (
    ScopedTool,
    ToolRateLimitError,
    ToolUnauthorizedError,
    Toolkit,
    ToolExecutionError,
    ToolproxyApiError,
    ToolproxyClient,
    ToolproxyError,
    anthropic_tools,
    openai_chat_tools,
    openai_responses_tools,
)

from . import harness

CANARY = "sk_canary_python_tools_4b1e"


class ToolsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        url, client_id, client_secret = harness.server()
        cls.upstream = harness.upstream()
        cls.client = ToolproxyClient(url, client_id, client_secret)
        cls.runner = ToolproxyClient(harness.execute_url(), client_id, client_secret)
        name = f"Tools Py {uuid.uuid4().hex[:8]}"
        cls.prefix = name.lower().replace(" ", "_")
        connector = cls.client.connectors.create(harness.tools_connector(cls.upstream.url, name))
        cls.connection = harness.unique("tools-py")
        cls.client.connections.create(name=cls.connection, connector=connector.identifier)
        cls.identifier = harness.unique("py_user")
        account = cls.client.actions.create_connected_account(
            connection_name=cls.connection, identifier=cls.identifier, authorization_details={"static_auth": {"details": {"api_key": CANARY}}}
        )
        cls.account_id = account.connected_account.id
        cls.list_tool, cls.create_tool = f"{cls.prefix}_customers_list", f"{cls.prefix}_customer_create"

    def test_listings(self) -> None:
        every = self.client.tools.list_tools(tool_names=[self.list_tool, self.create_tool])
        self.assertEqual([t.name for t in every.tools], [self.create_tool, self.list_tool])
        self.assertEqual(every.total_size, 2)
        summary = self.client.tools.list_tools(tool_names=[self.list_tool], summary=True)
        self.assertEqual((summary.tools, summary.tool_names), ([], [self.list_tool]))

        scoped = self.client.tools.list_scoped_tools(self.identifier, connection_names=[self.connection], tool_names=[self.list_tool, self.create_tool])
        self.assertEqual(scoped.total_size, 2)
        self.assertEqual({(s.tool.name, s.connection_name, s.connected_account_id) for s in scoped.tools}, {(self.list_tool, self.connection, self.account_id), (self.create_tool, self.connection, self.account_id)})
        self.assertEqual(self.client.tools.list_scoped_tools(self.identifier, connection_names=[self.connection]).total_size, 4)
        self.assertEqual(scoped.tools[0].tool.definition["input_schema"]["type"], "object")
        page = self.client.tools.list_scoped_tools(self.identifier, connection_names=[self.connection], page_size=1)
        self.assertEqual(len(page.tools), 1)
        self.assertIsNotNone(page.next_page_token)

        available = self.client.tools.list_available_tools("py_nobody", tool_names=[self.list_tool])
        self.assertEqual([(a.tool.name, a.account_status, a.connected_account_id) for a in available.tools], [(self.list_tool, None, None)])
        with self.assertRaises(ToolproxyApiError) as bad:
            self.client.tools.list_scoped_tools("bad\u0001id")
        self.assertEqual(bad.exception.code, "INVALID_IDENTIFIER")

    def test_execute_tool(self) -> None:
        before = len(self.upstream.received)
        listed = self.runner.actions.execute_tool(self.list_tool, {"limit": 1}, connected_account_id=self.account_id)
        self.assertEqual(listed.data, [{"id": "cus_1", "name": "Ada"}])
        self.assertTrue(listed.execution_id)
        sent = self.upstream.received[before]
        self.assertEqual((sent.method, sent.path, sent.headers["x-api-key"]), ("GET", "/api/v1/customers?limit=1", CANARY))

        created = self.runner.tools.execute_tool(self.create_tool, {"name": "Grace"}, identifier=self.identifier, connection_name=self.connection)
        self.assertEqual(created.data, {"id": "cus_2", "received": {"name": "Grace"}})
        self.assertNotIn(CANARY, json.dumps([listed.data, created.data]))

        count = len(self.upstream.received)
        with self.assertRaises(ToolExecutionError) as invalid:
            self.runner.actions.execute_tool(self.create_tool, {"name": "", "extra": 1}, connected_account_id=self.account_id)
        self.assertEqual(invalid.exception.code, "TOOL_INPUT_INVALID")
        self.assertEqual(invalid.exception.tool_name, self.create_tool)
        self.assertEqual(sorted(p["path"] for p in invalid.exception.problems), ["/extra", "/name"])
        with self.assertRaises(ToolExecutionError) as unknown:
            self.runner.actions.execute_tool(f"{self.prefix}_nope", {}, connected_account_id=self.account_id)
        self.assertEqual(unknown.exception.code, "TOOL_NOT_FOUND")
        self.assertEqual(len(self.upstream.received), count, "nothing sent upstream")

        with self.assertRaises(TypeError):
            self.runner.actions.execute_tool("", {}, identifier=self.identifier, connector=self.connection)
        with self.assertRaises(TypeError):
            self.runner.actions.execute_tool(self.list_tool, {})
        with self.assertRaises(TypeError):
            self.runner.actions.execute_tool(self.list_tool, {}, identifier=self.identifier)
        with self.assertRaises(ToolproxyError) as trimmed:
            self.runner.actions.execute_tool(self.list_tool, {}, identifier="bob ", connection_name=self.connection)
        self.assertEqual(trimmed.exception.code, "INVALID_IDENTIFIER")

    def test_upstream_failures_are_typed(self) -> None:
        with self.assertRaises(ToolUnauthorizedError) as unauthorized:
            self.runner.actions.execute_tool(f"{self.prefix}_whoami", connected_account_id=self.account_id)
        error = unauthorized.exception
        self.assertEqual((error.code, error.upstream_status, error.upstream_body), ("TOOL_UNAUTHORIZED", 401, {"message": "bad key"}))
        self.assertIn("magic_link", error.authorization_link or "")
        self.assertTrue((error.execution_id or "").startswith("ex_"))
        with self.assertRaises(ToolRateLimitError) as limited:
            self.runner.tools.execute_tool(f"{self.prefix}_limited", {}, identifier=self.identifier, connector=self.connection)
        self.assertEqual((limited.exception.status, limited.exception.code, limited.exception.retry_after), (429, "TOOL_RATE_LIMITED", 3.0))

    def test_adapters_and_scripted_round_trips(self) -> None:
        toolkit = self.runner.tools.toolkit(self.identifier, connection_names=[self.connection])
        self.assertIsInstance(toolkit, Toolkit)
        self.assertEqual(sorted(toolkit.names), sorted([self.list_tool, self.create_tool, f"{self.prefix}_whoami", f"{self.prefix}_limited"]))
        scoped = self.client.tools.list_scoped_tools(self.identifier, connection_names=[self.connection]).tools
        self.assertIsInstance(scoped[0], ScopedTool)
        schema = {"type": "object", "properties": {"limit": {"type": "integer", "minimum": 1}}, "additionalProperties": False}
        chat = {t["function"]["name"]: t for t in openai_chat_tools(scoped)}
        self.assertEqual(chat[self.list_tool], {"type": "function", "function": {"name": self.list_tool, "description": "Lists customers.", "parameters": schema, "strict": False}})
        self.assertEqual({t["name"]: t for t in openai_responses_tools(scoped)}[self.list_tool], {"type": "function", "name": self.list_tool, "description": "Lists customers.", "parameters": schema, "strict": False})
        self.assertEqual({t["name"]: t for t in anthropic_tools(scoped)}[self.list_tool], {"name": self.list_tool, "description": "Lists customers.", "input_schema": schema})
        self.assertEqual(openai_chat_tools([{"name": "x_y", "display_name": "Y", "description": "", "input_schema": {"type": "object", "$schema": "x"}}])[0]["function"]["parameters"], {"type": "object", "properties": {}})

        # OpenAI Chat Completions, the message as the official SDK's objects (attributes) would give it.
        message = SimpleNamespace(role="assistant", content=None, tool_calls=[
            SimpleNamespace(id="call_1", type="function", function=SimpleNamespace(name=self.list_tool, arguments='{"limit": 1}')),
            SimpleNamespace(id="call_2", type="function", function=SimpleNamespace(name=self.create_tool, arguments='{"name": 3}')),
            SimpleNamespace(id="call_3", type="function", function=SimpleNamespace(name=self.create_tool, arguments='{"name":')),
        ])
        answers = toolkit.openai_chat_tool_messages(message)
        self.assertEqual(answers[0], {"role": "tool", "tool_call_id": "call_1", "content": '[{"id": "cus_1", "name": "Ada"}]'})
        self.assertEqual(json.loads(answers[1]["content"])["error"]["code"], "TOOL_INPUT_INVALID")
        self.assertEqual([p["path"] for p in json.loads(answers[1]["content"])["error"]["problems"]], ["/name"])
        self.assertIn("not valid JSON", json.loads(answers[2]["content"])["error"]["message"])

        # OpenAI Responses, as plain dicts.
        outputs = toolkit.openai_responses_tool_outputs([
            {"type": "reasoning", "id": "rs_1"},
            {"type": "function_call", "id": "fc_1", "call_id": "call_a", "name": self.create_tool, "arguments": '{"name": "Lin"}'},
        ])
        self.assertEqual(outputs, [{"type": "function_call_output", "call_id": "call_a", "output": '{"id": "cus_2", "received": {"name": "Lin"}}'}])

        # Anthropic Messages: every tool_use answered in one user message, a refusal flagged is_error.
        reply = toolkit.anthropic_tool_result_message({"role": "assistant", "content": [
            {"type": "text", "text": "Looking."},
            {"type": "tool_use", "id": "toolu_1", "name": self.list_tool, "input": {"limit": 1}},
            {"type": "tool_use", "id": "toolu_2", "name": f"{self.prefix}_nope", "input": {}},
            {"type": "tool_use", "id": "toolu_3", "name": f"{self.prefix}_whoami", "input": {}},
        ]})
        self.assertEqual(reply["role"], "user")
        self.assertEqual(reply["content"][0], {"type": "tool_result", "tool_use_id": "toolu_1", "content": '[{"id": "cus_1", "name": "Ada"}]'})
        self.assertEqual((reply["content"][1]["tool_use_id"], reply["content"][1]["is_error"]), ("toolu_2", True))
        self.assertEqual(json.loads(reply["content"][1]["content"])["error"]["code"], "TOOL_NOT_FOUND")
        self.assertIn("was offered", json.loads(reply["content"][1]["content"])["error"]["message"])
        refused = json.loads(reply["content"][2]["content"])["error"]
        self.assertEqual((refused["code"], refused["upstream_status"], reply["content"][2]["is_error"]), ("TOOL_UNAUTHORIZED", 401, True))
        self.assertNotIn(CANARY, json.dumps([answers, outputs, reply]))


if __name__ == "__main__":
    unittest.main()
