"""``client.webhooks`` against a live server: an endpoint on the loopback upstream gets a signed
``account.created`` that ``verify_webhook`` accepts; deliveries, replay, refusals."""

from __future__ import annotations

import time
import unittest

from toolproxy import ToolproxyApiError, ToolproxyClient, verify_webhook

from . import harness


class WebhookEndpointsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        url, client_id, client_secret = harness.server()
        cls.upstream = harness.upstream()
        cls.client = ToolproxyClient(url, client_id, client_secret)
        connector = cls.client.connectors.create(harness.api_key_connector(cls.upstream.url, harness.unique("Hooks Py")))
        cls.connection = harness.unique("hooks-py")
        cls.client.connections.create(name=cls.connection, connector=connector.identifier)

    def test_create_receive_verify_replay_delete(self) -> None:
        created = self.client.webhooks.create(f"{self.upstream.url}/hooks/echo", events=["account.created"], description="python")
        self.assertTrue(created.secret.startswith("whsec_"))
        self.assertEqual(created.endpoint.events, ["account.created"])
        self.assertIn(created.endpoint.id, [e.id for e in self.client.webhooks.list(page_size=100)])
        identifier = harness.unique("hooked")
        self.client.actions.create_connected_account(connection_name=self.connection, identifier=identifier, authorization_details={"static_auth": {"details": {"api_key": "k_hooks"}}})

        def hooks():
            return [r for r in self.upstream.received if r.path == "/hooks/echo" and verify_webhook(created.secret, r.headers, r.body).data["connected_account"]["identifier"] == identifier]

        for _ in range(250):
            if hooks():
                break
            time.sleep(0.02)
        [received] = hooks()
        event = verify_webhook(created.secret, received.headers, received.body)
        self.assertEqual(event.type, "account.created")
        self.assertNotIn("k_hooks", received.body.decode())

        for _ in range(250):
            deliveries = self.client.webhooks.list_deliveries(created.endpoint.id)
            if deliveries and deliveries[0].status == "succeeded":
                break
            time.sleep(0.02)
        self.assertEqual(deliveries[0].event_id, event.id)
        self.assertEqual(deliveries[0].last_status_code, 200)
        self.assertEqual(self.client.webhooks.replay(created.endpoint.id, deliveries[0].id).event_id, event.id)

        self.client.webhooks.delete(created.endpoint.id)
        with self.assertRaises(ToolproxyApiError) as gone:
            self.client.webhooks.get(created.endpoint.id)
        self.assertEqual(gone.exception.code, "WEBHOOK_NOT_FOUND")

    def test_refusals_carry_their_codes(self) -> None:
        with self.assertRaises(ToolproxyApiError) as forbidden:
            self.client.webhooks.create("http://10.9.8.7/hook")
        self.assertEqual(forbidden.exception.code, "UPSTREAM_ADDRESS_FORBIDDEN")
        with self.assertRaises(ToolproxyApiError) as invalid:
            self.client.webhooks.create("ftp://example.com/x", events=["nope"])
        self.assertEqual(invalid.exception.code, "WEBHOOK_INVALID")
        self.assertEqual([p["path"] for p in invalid.exception.problems], ["/url", "/events/0"])


if __name__ == "__main__":
    unittest.main()
