"""Human approval through the Python SDK: a held call raises APPROVAL_REQUIRED, is listed without
its body, shown to the approver with it, runs exactly once when approved, never when denied.

The Node test runner starts the server with a rule that holds every call whose path contains
``/needs-approval`` (test/python/python-sdk.test.ts)."""

from __future__ import annotations

import json
import unittest

from toolproxy import ToolproxyApiError, ToolproxyClient

from . import harness


class ApprovalsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.url, client_id, client_secret = harness.server()
        cls.upstream = harness.upstream()
        cls.client = ToolproxyClient(cls.url, client_id, client_secret)
        connector = cls.client.connectors.create(harness.api_key_connector(cls.upstream.url, harness.unique("Approvals Py")))
        cls.name = harness.unique("approvals-py")
        cls.client.connections.create(name=cls.name, connector=connector.identifier)
        cls.client.actions.create_connected_account(connection_name=cls.name, identifier="u", authorization_details={"static_auth": {"details": {"api_key": harness.API_KEY}}})

    def hold(self, path: str, body: dict) -> str:
        with self.assertRaises(ToolproxyApiError) as held:
            self.client.actions.request(connection_name=self.name, identifier="u", path=path, method="POST", body=body)
        self.assertEqual(held.exception.code, "APPROVAL_REQUIRED")
        self.assertEqual(held.exception.status, 403)
        self.assertTrue(held.exception.details["approval_url"].endswith(held.exception.details["approval_id"]))
        return held.exception.details["approval_id"]

    def sent(self, path: str) -> int:
        return len([r for r in self.upstream.received if path in r.path])

    def test_a_held_call_runs_once_when_approved(self) -> None:
        path = f"/needs-approval/{harness.unique('charge')}"
        approval_id = self.hold(path, {"amount": 5})
        self.assertEqual(self.sent(path), 0)

        pending = [a for a in self.client.approvals.list(status="PENDING", page_size=100).approvals if a.id == approval_id]
        self.assertEqual(len(pending), 1)
        self.assertEqual((pending[0].method, pending[0].connection_name, pending[0].identifier), ("POST", self.name, "u"))
        self.assertFalse(pending[0].caller_waiting)

        detail = self.client.approvals.get(approval_id)
        self.assertEqual(json.loads(detail.body or ""), {"amount": 5})
        self.assertEqual(detail.body_encoding, "utf8")
        self.assertNotIn("x-api-key", detail.headers)
        self.assertNotIn(harness.API_KEY, json.dumps(detail.headers))

        decision = self.client.approvals.approve(approval_id)
        self.assertEqual(decision.approval.status, "EXECUTED")
        self.assertIsNotNone(decision.execution)
        self.assertEqual(decision.execution["status"], 404)  # the test upstream has no such route
        self.assertEqual(self.sent(path), 1)
        self.assertEqual(self.upstream.last().headers["x-api-key"], harness.API_KEY)

        for again in (self.client.approvals.approve, self.client.approvals.execute):
            with self.assertRaises(ToolproxyApiError) as used:
                again(approval_id)
            self.assertEqual(used.exception.code, "APPROVAL_USED")
        self.assertEqual(self.sent(path), 1)

    def test_a_denied_call_never_runs(self) -> None:
        path = f"/needs-approval/{harness.unique('deny')}"
        approval_id = self.hold(path, {"amount": 7})
        decision = self.client.approvals.deny(approval_id)
        self.assertEqual(decision.approval.status, "DENIED")
        self.assertIsNone(decision.execution)
        with self.assertRaises(ToolproxyApiError) as decided:
            self.client.approvals.approve(approval_id)
        self.assertEqual(decided.exception.code, "APPROVAL_ALREADY_DECIDED")
        with self.assertRaises(ToolproxyApiError) as unknown:
            self.client.approvals.get("apr_unknown")
        self.assertEqual(unknown.exception.code, "APPROVAL_NOT_FOUND")
        self.assertEqual(self.sent(path), 0)


if __name__ == "__main__":
    unittest.main()
