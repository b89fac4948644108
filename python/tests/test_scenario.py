"""The seed flow through the Python SDK against a real server and a real upstream on loopback:
API_KEY connector, hosted form, proxied GET and POST, 404 passthrough, inactive account error."""

from __future__ import annotations

import unittest
from datetime import datetime, timezone

from toolproxy import ToolproxyApiError, ToolproxyClient, ToolproxyError, UpstreamHttpError

from . import harness


class SeedFlowTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.url, client_id, client_secret = harness.server()
        cls.upstream = harness.upstream()
        cls.client = ToolproxyClient(cls.url, client_id, client_secret)
        cls.connection_name = harness.unique("acme-py")
        cls.identifier = "user_123"

    def test_seed_flow(self) -> None:
        client, name, identifier = self.client, self.connection_name, self.identifier

        connector = client.connectors.create(harness.api_key_connector(self.upstream.url, harness.unique("Acme Py")))
        self.assertEqual(connector.definition["proxy_url"], f"{self.upstream.url}/api")
        self.assertNotIn("identifier", connector.definition)
        self.assertEqual(connector.warnings, [])  # the test server allows its loopback upstream
        private = client.connectors.create({**harness.api_key_connector(self.upstream.url, harness.unique("Intranet Py")), "proxy_url": "http://10.1.2.3/api"})
        self.assertEqual([(w["code"], w["path"]) for w in private.warnings], [("UPSTREAM_ADDRESS_FORBIDDEN", "/proxy_url")])
        client.connectors.delete(private.identifier)
        connection = client.connections.create(name=name, connector=connector.identifier)
        self.assertEqual(connection.type, "API_KEY")
        self.assertIn(name, [c.name for c in client.actions.list_connections(page_size=100).connections])

        # Before the user authorizes, the proxy refuses with the stable code (inactive account).
        account = client.actions.get_or_create_connected_account(connection_name=name, identifier=identifier)
        self.assertTrue(account.created)
        self.assertEqual(account.connected_account.status, "PENDING_AUTH")
        before = len(self.upstream.received)
        with self.assertRaises(ToolproxyApiError) as refused:
            client.actions.request(connection_name=name, identifier=identifier, path="/v1/customers")
        self.assertEqual(refused.exception.code, "ACCOUNT_NOT_ACTIVE")
        self.assertEqual(refused.exception.status, 409)
        self.assertEqual(len(self.upstream.received), before, "nothing reached the upstream")

        # The authorization link and the hosted form.
        link = client.actions.get_authorization_link(connection_name=name, identifier=identifier)
        self.assertRegex(link.link, r"/connect/[A-Za-z0-9_-]+$")
        self.assertGreater(link.expiry, datetime.now(timezone.utc))
        self.assertEqual(harness.submit_hosted_form(link.link, self.url, {"api_key": harness.API_KEY}), 200)
        active = client.actions.get_connected_account(connection_name=name, identifier=identifier).connected_account
        self.assertEqual(active.status, "ACTIVE")
        self.assertTrue(active.has_credentials)
        self.assertNotIn(harness.API_KEY, repr(active))

        # Proxied GET, with the key injected and the JSON parsed.
        result = client.actions.request(connection_name=name, identifier=identifier, path="/v1/customers", query_params={"limit": 2, "tag": ["a", "b"]})
        self.assertEqual(result.status, 200)
        self.assertTrue(result.ok)
        self.assertEqual(result.body, {"data": [{"id": "cus_1", "name": "Ada"}], "has_more": False})
        self.assertEqual(result.data, result.body)
        self.assertEqual(result.headers.get("X-Request-Id"), "req_123")
        seen = self.upstream.last()
        self.assertEqual(seen.path, "/api/v1/customers?limit=2&tag=a&tag=b")
        self.assertEqual(seen.headers["x-api-key"], harness.API_KEY)
        self.assertNotIn("connection_name", seen.headers)
        self.assertNotIn("authorization", seen.headers)

        # Proxied POST with a JSON body; the upstream 201 passes through.
        created = client.actions.request(connection_name=name, identifier=identifier, path="v1/customers", method="post", body={"name": "Grace", "tags": ["vip"]})
        self.assertEqual(created.status, 201)
        self.assertEqual(created.headers.get("location"), "/v1/customers/cus_2")
        self.assertEqual(created.body["received"], {"name": "Grace", "tags": ["vip"]})
        self.assertEqual(self.upstream.last().headers["content-type"], "application/json")

        # An upstream 404 is data; with throw_on_error it raises.
        missing = client.actions.request(connection_name=name, identifier=identifier, path="/v1/nothing-here")
        self.assertEqual(missing.status, 404)
        self.assertFalse(missing.ok)
        self.assertEqual(missing.body, {"error": {"type": "invalid_request_error", "message": "No such route: /api/v1/nothing-here"}})
        with self.assertRaises(UpstreamHttpError) as thrown:
            client.actions.request(connection_name=name, identifier=identifier, path="/v1/nothing-here", throw_on_error=True)
        self.assertEqual(thrown.exception.code, "UPSTREAM_HTTP_ERROR")
        self.assertEqual(thrown.exception.response.status, 404)

    def test_accounts_created_updated_listed_deleted(self) -> None:
        client = self.client
        connector = client.connectors.create(harness.api_key_connector(self.upstream.url, harness.unique("Accounts Py")))
        name = harness.unique("accounts-py")
        client.connections.create(name=name, connector=connector.identifier)

        created = client.actions.create_connected_account(connection_name=name, identifier="u1", authorization_details={"static_auth": {"details": {"api_key": "k1"}}})
        self.assertEqual(created.connected_account.status, "ACTIVE")
        with self.assertRaises(ToolproxyApiError) as exists:
            client.actions.create_connected_account(connection_name=name, identifier="u1")
        self.assertEqual(exists.exception.code, "ACCOUNT_EXISTS")
        client.actions.create_connected_account(connection_name=name, identifier="u2")

        first = client.actions.list_connected_accounts(connection_name=name, page_size=1)
        self.assertEqual(len(first.connected_accounts), 1)
        self.assertIsNotNone(first.next_page_token)
        second = client.actions.list_connected_accounts(connection_name=name, page_size=1, page_token=first.next_page_token)
        self.assertNotEqual(first.connected_accounts[0].id, second.connected_accounts[0].id)
        pending = client.actions.list_connected_accounts(connection_name=name, status="PENDING_AUTH").connected_accounts
        self.assertEqual([a.identifier for a in pending], ["u2"])

        client.actions.update_connected_account({"static_auth": {"details": {"api_key": "k2"}}}, connected_account_id=created.connected_account.id)
        client.actions.request(connection_name=name, identifier="u1", path="/echo")
        self.assertEqual(self.upstream.last().headers["x-api-key"], "k2")

        client.actions.delete_connected_account(connection_name=name, identifier="u1")
        with self.assertRaises(ToolproxyApiError) as gone:
            client.actions.get_connected_account(connected_account_id=created.connected_account.id)
        self.assertEqual((gone.exception.code, gone.exception.status), ("ACCOUNT_NOT_FOUND", 404))

        upserted = client.actions.get_or_create_connected_account(connection_name=name, identifier="u3", authorization_details={"static_auth": {"details": {"api_key": "k3"}}})
        self.assertEqual((upserted.created, upserted.connected_account.status), (True, "ACTIVE"))

    def test_disconnect_search_scope_and_identifiers(self) -> None:
        client = self.client
        connector = client.connectors.create(harness.api_key_connector(self.upstream.url, harness.unique("Scoped Py")))
        name = harness.unique("scoped-py")
        client.connections.create(name=name, connector=connector.identifier)
        details = {"static_auth": {"details": {"api_key": "k-scoped"}}}

        created = client.actions.create_connected_account(connection_name=name, identifier="py-user@example.org", authorization_details=details, organization_id="org_py", user_id="usr_py")
        self.assertEqual((created.connected_account.organization_id, created.connected_account.user_id), ("org_py", "usr_py"))
        with self.assertRaises(ToolproxyApiError) as elsewhere:
            client.actions.get_connected_account(connection_name=name, identifier="py-user@example.org", organization_id="org_other")
        self.assertEqual(elsewhere.exception.code, "ACCOUNT_NOT_FOUND")
        listed = client.actions.list_connected_accounts(organization_id="org_py")
        self.assertEqual(([a.identifier for a in listed.connected_accounts], listed.total_size), (["py-user@example.org"], 1))
        found = client.actions.search_connected_accounts("EXAMPLE.ORG")
        self.assertEqual([a.identifier for a in found.connected_accounts], ["py-user@example.org"])

        disconnected = client.actions.disconnect_connected_account(connection_name=name, identifier="py-user@example.org", user_id="usr_py")
        self.assertEqual((disconnected.connected_account.status, disconnected.connected_account.has_credentials), ("DISCONNECTED", False))
        with self.assertRaises(ToolproxyApiError) as refused:
            client.actions.request(connection_name=name, identifier="py-user@example.org", path="/echo")
        self.assertEqual((refused.exception.code, refused.exception.status), ("ACCOUNT_DISCONNECTED", 409))

        # Never trimmed into another account: refused before anything is sent.
        for identifier in ("py-user@example.org ", "\tpy-user@example.org", "py-user@example.org\u00a0"):
            for call in (
                lambda: client.actions.request(connection_name=name, identifier=identifier, path="/echo"),
                lambda: client.actions.get_authorization_link(connection_name=name, identifier=identifier),
                lambda: client.actions.create_connected_account(connection_name=name, identifier=identifier, authorization_details=details),
            ):
                with self.assertRaises(ToolproxyError) as invalid:
                    call()
                self.assertEqual(invalid.exception.code, "INVALID_IDENTIFIER")

    def test_management_errors_and_clients(self) -> None:
        client = self.client
        with self.assertRaises(ToolproxyApiError) as invalid:
            client.connectors.create({"display_name": "", "proxy_url": "ftp://x", "auth_patterns": [{"type": "api_key"}]})
        self.assertEqual(invalid.exception.code, "CONNECTOR_INVALID")
        self.assertGreaterEqual(len(invalid.exception.problems), 3)
        self.assertIn("/auth_patterns/0/type", [p["path"] for p in invalid.exception.problems])

        definition = harness.api_key_connector(self.upstream.url, harness.unique("Applied Py"))
        first = client.connectors.apply(definition)
        second = client.connectors.apply(dict(definition, description="v2"))
        self.assertEqual((first.action, second.action), ("created", "replaced"))
        self.assertEqual(client.connectors.get(first.connector.identifier).definition["description"], "v2")

        built_in = client.connectors.list(page_size=100, type="builtin").connectors
        self.assertTrue(built_in and all(not c.is_custom for c in built_in))
        self.assertIn("stripe", [c.identifier for c in built_in])
        self.assertTrue(all(c.is_custom for c in client.connectors.list(page_size=100, type="custom").connectors))
        copied = client.connectors.apply(dict(client.connectors.get("stripe").definition, proxy_url=self.upstream.url))
        self.assertEqual(copied.action, "created")
        self.assertNotEqual(copied.connector.identifier, "stripe")
        with self.assertRaises(ToolproxyApiError) as built_in_refused:
            client.connectors.delete("stripe")
        self.assertEqual(built_in_refused.exception.code, "CONNECTOR_BUILT_IN")
        with self.assertRaises(ValueError):
            client.connectors.list(type="DEFAULT")

        made = client.api_clients.create(name="py-worker")
        self.assertTrue(made.client_secret.startswith("tps_"))
        self.assertNotIn(made.client_secret, repr(client.api_clients.list()))
        worker = ToolproxyClient(self.url, made.client.client_id, made.client_secret)
        worker.actions.list_connections()
        client.api_clients.revoke(made.client.client_id)
        with self.assertRaises(ToolproxyApiError) as revoked:
            worker.actions.list_connections()
        self.assertEqual(revoked.exception.code, "INVALID_CLIENT")

        with self.assertRaises(ToolproxyApiError) as not_allowed:
            client.actions.get_authorization_link(connection_name="any", identifier="u", redirect_url="https://not-allowed.example/back")
        self.assertEqual(not_allowed.exception.code, "REDIRECT_URL_NOT_ALLOWED")
        with self.assertRaises(ToolproxyApiError) as unknown:
            client.actions.verify_connected_account_user(auth_request_id="ar_unknown", identifier="u")
        self.assertEqual((unknown.exception.code, unknown.exception.status), ("AUTH_REQUEST_NOT_FOUND", 404))

        with self.assertRaises(ToolproxyApiError) as wrong:
            ToolproxyClient(self.url, "tpc_nobody", "tps_wrong").actions.list_connections()
        self.assertEqual((wrong.exception.code, wrong.exception.status), ("INVALID_CLIENT", 401))


if __name__ == "__main__":
    unittest.main()
