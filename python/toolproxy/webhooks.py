"""Verifying webhooks from toolproxy (Standard Webhooks signature scheme, standard library only).

Each delivery carries ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature``; the
signature is ``v1,<base64 HMAC-SHA256>`` over ``f"{id}.{timestamp}.{body}"`` under the endpoint's
secret (``whsec_`` + base64 key). Pass the body exactly as received, before any JSON parsing::

    from toolproxy import verify_webhook, WebhookVerificationError

    def handle(request):  # any framework: headers as a mapping, body as bytes
        try:
            event = verify_webhook(os.environ["TOOLPROXY_WEBHOOK_SECRET"], request.headers, request.body)
        except WebhookVerificationError:
            return 400
        if event.type == "account.status_changed":
            print(event.data["previous_status"], "->", event.data["status"])
        return 204
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, Mapping, Optional, Union

from .errors import ToolproxyError

SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE_SECONDS = 300
_TIMESTAMP = re.compile(r"^\d{1,15}$")


class WebhookVerificationError(ToolproxyError):
    """Why a delivery was refused: ``WEBHOOK_SIGNATURE_INVALID``,
    ``WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE`` or ``WEBHOOK_HEADERS_MISSING``."""


@dataclass(frozen=True)
class VerifiedWebhook:
    """A verified delivery. ``id`` is the same on every retry and replay: deduplicate on it."""

    id: str
    type: str
    timestamp: str
    data: Dict[str, Any]


def _header(headers: Mapping[str, Any], name: str) -> Optional[str]:
    getter = getattr(headers, "get", None)
    value = getter(name) if getter else None
    if value is None:
        # Plain dicts may keep the sender's capitalisation; header names are case-insensitive.
        for key, candidate in headers.items():
            if key.lower() == name:
                value = candidate
                break
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    return value


def verify_webhook(
    secret: str,
    headers: Mapping[str, Any],
    body: Union[bytes, str],
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
    now: Optional[Callable[[], float]] = None,
) -> VerifiedWebhook:
    """Checks the signature (in constant time) and that the timestamp is within
    ``tolerance_seconds`` of now (either way), so a captured delivery cannot be replayed later.
    Returns the parsed event; raises :class:`WebhookVerificationError` otherwise."""
    message_id = _header(headers, "webhook-id")
    timestamp = _header(headers, "webhook-timestamp")
    signatures = _header(headers, "webhook-signature")
    if not message_id or not timestamp or not signatures:
        raise WebhookVerificationError("WEBHOOK_HEADERS_MISSING", "The webhook-id, webhook-timestamp and webhook-signature headers are required.")

    current = int((now or time.time)())
    if not _TIMESTAMP.match(timestamp) or abs(current - int(timestamp)) > tolerance_seconds:
        raise WebhookVerificationError(
            "WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE", f"The webhook timestamp is more than {tolerance_seconds} s from now: a replay, or a wrong clock."
        )

    raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    key_text = secret[len(SECRET_PREFIX):] if secret.startswith(SECRET_PREFIX) else secret
    key = base64.b64decode(key_text)
    expected = hmac.new(key, f"{message_id}.{timestamp}.".encode("utf-8") + raw, hashlib.sha256).digest()
    for entry in signatures.split(" "):
        version, _, value = entry.partition(",")
        if version != "v1" or not value:
            continue
        try:
            given = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            continue
        if hmac.compare_digest(given, expected):
            event = json.loads(raw.decode("utf-8"))
            return VerifiedWebhook(id=message_id, type=event.get("type", ""), timestamp=event.get("timestamp", ""), data=event.get("data", {}))
    raise WebhookVerificationError("WEBHOOK_SIGNATURE_INVALID", "No webhook signature matches: a wrong secret, or the body or headers were changed.")
