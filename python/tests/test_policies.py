"""Policies through the Python SDK: set, read, narrow (a widening one refused), effective layers,
a proxied call the policy refuses, delete; a bad document lists every problem."""

from __future__ import annotations

import unittest

from toolproxy import ToolproxyApiError, ToolproxyClient

from . import harness


class PoliciesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.url, client_id, client_secret = harness.server()
        cls.upstream = harness.upstream()
        cls.client = ToolproxyClient(cls.url, client_id, client_secret)
        connector = cls.client.connectors.create(harness.api_key_connector(cls.upstream.url, harness.unique("Policy Py")))
        cls.connection = harness.unique("policy-py")
        cls.client.connections.create(name=cls.connection, connector=connector.identifier)

    def test_connection_and_account_policies(self) -> None:
        client, connection = self.client, self.connection
        with self.assertRaises(ToolproxyApiError) as invalid:
            client.policies.set_connection_policy(connection, {"read_only": True, "allowed_methods": ["POST"], "rate_limit": {"requests": 0, "per_seconds": 1}})
        self.assertEqual(invalid.exception.code, "POLICY_INVALID")
        self.assertEqual([p["path"] for p in invalid.exception.problems], ["/rate_limit/requests", "/allowed_methods/0"])

        policy = {"allowed_methods": ["GET", "POST"], "paths": {"deny": ["/v1/admin/**"]}}
        stored = client.policies.set_connection_policy(connection, policy)
        self.assertEqual(stored.policy, policy)
        self.assertIsNotNone(stored.updated_at)
        self.assertEqual(client.policies.get_connection_policy(connection).policy, policy)

        account = client.actions.create_connected_account(
            connection_name=connection, identifier="py_policy", authorization_details={"static_auth": {"details": {"api_key": harness.API_KEY}}}
        ).connected_account
        with self.assertRaises(ToolproxyApiError) as widening:
            client.policies.set_account_policy(account.id, {"allowed_methods": ["DELETE"]})
        self.assertEqual(widening.exception.code, "POLICY_WIDENS")
        self.assertEqual([p["path"] for p in widening.exception.problems], ["/allowed_methods/0"])
        client.policies.set_account_policy(account.id, {"read_only": True})
        effective = client.policies.get_effective_policy(account.id)
        self.assertEqual(effective.layers, [policy, {"read_only": True}])

        before = len(self.upstream.received)
        with self.assertRaises(ToolproxyApiError) as denied:
            client.actions.request(connection_name=connection, identifier="py_policy", path="/v1/admin/users")
        self.assertEqual(denied.exception.code, "POLICY_DENIED")
        self.assertEqual(denied.exception.status, 403)
        self.assertEqual(len(self.upstream.received), before, "nothing reached the upstream")

        client.policies.delete_account_policy(account.id)
        client.policies.delete_connection_policy(connection)
        self.assertIsNone(client.policies.get_account_policy(account.id).policy)
        self.assertIsNone(client.policies.get_connection_policy(connection).policy)
