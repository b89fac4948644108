"""``verify_webhook``: valid, forged, tampered, replayed (stale timestamp), missing headers, rotation.

Needs no server: signatures are made here the way the server makes them (and the Standard
Webhooks reference vector pins the scheme)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import unittest

from toolproxy import VerifiedWebhook, WebhookVerificationError, verify_webhook

NOW = 1_780_000_000


def new_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    key = base64.b64decode(secret[len("whsec_"):])
    digest = hmac.new(key, f"{message_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


SECRET = new_secret()
BODY = json.dumps({"type": "account.status_changed", "timestamp": "2026-05-28T00:00:00.000Z", "data": {"previous_status": "ACTIVE", "status": "EXPIRED"}})


def headers(message_id: str = "evt_0001", timestamp: int = NOW, signature: str = "", body: str = BODY) -> dict:
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp), "webhook-signature": signature or sign(SECRET, message_id, timestamp, body)}


def verify(hdrs: dict, body=BODY, **options) -> VerifiedWebhook:
    return verify_webhook(SECRET, hdrs, body, now=lambda: NOW, **options)


class VerifyWebhookTest(unittest.TestCase):
    def assert_refused(self, code: str, hdrs: dict, body=BODY, **options) -> None:
        with self.assertRaises(WebhookVerificationError) as raised:
            verify(hdrs, body, **options)
        self.assertEqual(raised.exception.code, code)

    def test_valid_signature_returns_the_event(self) -> None:
        event = verify(headers())
        self.assertEqual(event.id, "evt_0001")
        self.assertEqual(event.type, "account.status_changed")
        self.assertEqual(event.data, {"previous_status": "ACTIVE", "status": "EXPIRED"})
        self.assertEqual(verify(headers(), BODY.encode()).id, "evt_0001")
        capitalised = {key.title(): value for key, value in headers().items()}
        self.assertEqual(verify(capitalised).id, "evt_0001")

    def test_standard_webhooks_reference_vector(self) -> None:
        hdrs = {"webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": "1614265330", "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}
        event = verify_webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", hdrs, '{"test": 2432232314}', now=lambda: 1614265330)
        self.assertEqual(event.id, "msg_p5jXN8AQM9LWM0D4loKWxJek")
        with self.assertRaises(WebhookVerificationError):
            verify_webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", hdrs, '{"test": 2432232315}', now=lambda: 1614265330)

    def test_forged_signature_is_refused(self) -> None:
        self.assert_refused("WEBHOOK_SIGNATURE_INVALID", headers(signature=sign(new_secret(), "evt_0001", NOW, BODY)))
        self.assert_refused("WEBHOOK_SIGNATURE_INVALID", headers(signature="v1,not-base64!"))
        self.assert_refused("WEBHOOK_SIGNATURE_INVALID", headers(signature="v2," + sign(SECRET, "evt_0001", NOW, BODY)[3:]))

    def test_tampered_body_id_or_timestamp_is_refused(self) -> None:
        self.assert_refused("WEBHOOK_SIGNATURE_INVALID", headers(), BODY.replace("EXPIRED", "ACTIVE!"))
        signed = headers()
        self.assert_refused("WEBHOOK_SIGNATURE_INVALID", {**signed, "webhook-id": "evt_0002"})
        self.assert_refused("WEBHOOK_SIGNATURE_INVALID", {**signed, "webhook-timestamp": str(NOW + 1)})

    def test_replayed_delivery_with_a_stale_timestamp_is_refused(self) -> None:
        stale = headers(timestamp=NOW - 301)
        self.assert_refused("WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE", stale)
        self.assert_refused("WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE", headers(timestamp=NOW + 301))
        self.assert_refused("WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE", {**headers(), "webhook-timestamp": "1.78e9"})
        self.assertEqual(verify(stale, tolerance_seconds=600).id, "evt_0001")

    def test_missing_headers_are_refused(self) -> None:
        for name in ("webhook-id", "webhook-timestamp", "webhook-signature"):
            partial = headers()
            del partial[name]
            self.assert_refused("WEBHOOK_HEADERS_MISSING", partial)

    def test_any_of_several_signatures_may_match_during_a_rotation(self) -> None:
        old = sign(new_secret(), "evt_0001", NOW, BODY)
        self.assertEqual(verify(headers(signature=f"{old} {sign(SECRET, 'evt_0001', NOW, BODY)}")).id, "evt_0001")


if __name__ == "__main__":
    unittest.main()
