"""Webhook endpoints and their deliveries (docs/webhooks.md). Verify deliveries with ``verify_webhook``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence

from ._transport import Transport, segment
from .models import parse_time


@dataclass(frozen=True)
class WebhookEndpoint:
    id: str
    url: str
    description: str
    #: Event types it receives; empty: every event.
    events: List[str]
    enabled: bool
    created_at: Optional[datetime]
    updated_at: Optional[datetime]

    @classmethod
    def from_wire(cls, wire: Dict[str, Any]) -> "WebhookEndpoint":
        return cls(wire["id"], wire["url"], wire.get("description") or "", list(wire.get("events") or []), bool(wire["enabled"]), parse_time(wire.get("created_at")), parse_time(wire.get("updated_at")))


@dataclass(frozen=True)
class CreatedWebhookEndpoint:
    endpoint: WebhookEndpoint
    #: The signing secret (``whsec_...``): returned this once only.
    secret: str


@dataclass(frozen=True)
class WebhookDelivery:
    id: str
    #: The ``webhook-id`` header: the same on every attempt and replay.
    event_id: str
    event_type: str
    endpoint_id: str
    status: str
    attempts: int
    next_attempt_at: Optional[datetime]
    last_status_code: Optional[int]
    last_error: Optional[str]
    last_attempt_at: Optional[datetime]
    last_duration_ms: Optional[int]
    delivered_at: Optional[datetime]
    created_at: Optional[datetime]

    @classmethod
    def from_wire(cls, wire: Dict[str, Any]) -> "WebhookDelivery":
        return cls(
            id=wire["id"],
            event_id=wire["event_id"],
            event_type=wire["event_type"],
            endpoint_id=wire["endpoint_id"],
            status=wire["status"],
            attempts=wire["attempts"],
            next_attempt_at=parse_time(wire.get("next_attempt_at")),
            last_status_code=wire.get("last_status_code"),
            last_error=wire.get("last_error"),
            last_attempt_at=parse_time(wire.get("last_attempt_at")),
            last_duration_ms=wire.get("last_duration_ms"),
            delivered_at=parse_time(wire.get("delivered_at")),
            created_at=parse_time(wire.get("created_at")),
        )


def _payload(url: Optional[str], events: Optional[Sequence[str]], enabled: Optional[bool], description: Optional[str]) -> Dict[str, Any]:
    payload: Dict[str, Any] = {}
    if url is not None:
        payload["url"] = url
    if events is not None:
        payload["events"] = list(events)
    if enabled is not None:
        payload["enabled"] = enabled
    if description is not None:
        payload["description"] = description
    return payload


class Webhooks:
    """Webhook endpoints::

        created = client.webhooks.create("https://app.example.com/hooks/toolproxy", events=["account.status_changed"])
        store_secret(created.secret)  # shown this once only
    """

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def create(self, url: str, events: Optional[Sequence[str]] = None, enabled: Optional[bool] = None, description: Optional[str] = None, timeout: Optional[float] = None) -> CreatedWebhookEndpoint:
        """A refused URL raises ``ToolproxyApiError`` (``UPSTREAM_ADDRESS_FORBIDDEN``, ``WEBHOOK_INVALID`` with every problem)."""
        wire = self._transport.json("POST", "/api/v1/webhooks", body=_payload(url, events, enabled, description), timeout=timeout)
        return CreatedWebhookEndpoint(WebhookEndpoint.from_wire(wire["webhook"]), wire["secret"])

    def list(self, page_size: Optional[int] = None, page_token: Optional[str] = None, timeout: Optional[float] = None) -> List[WebhookEndpoint]:
        wire = self._transport.json("GET", "/api/v1/webhooks", query={"page_size": page_size, "page_token": page_token}, timeout=timeout)
        return [WebhookEndpoint.from_wire(e) for e in wire["webhooks"]]

    def get(self, endpoint_id: str, timeout: Optional[float] = None) -> WebhookEndpoint:
        return WebhookEndpoint.from_wire(self._transport.json("GET", f"/api/v1/webhooks/{segment(endpoint_id)}", timeout=timeout)["webhook"])

    def update(self, endpoint_id: str, url: Optional[str] = None, events: Optional[Sequence[str]] = None, enabled: Optional[bool] = None, description: Optional[str] = None, timeout: Optional[float] = None) -> WebhookEndpoint:
        wire = self._transport.json("PATCH", f"/api/v1/webhooks/{segment(endpoint_id)}", body=_payload(url, events, enabled, description), timeout=timeout)
        return WebhookEndpoint.from_wire(wire["webhook"])

    def delete(self, endpoint_id: str, timeout: Optional[float] = None) -> None:
        self._transport.json("DELETE", f"/api/v1/webhooks/{segment(endpoint_id)}", timeout=timeout)

    def rotate_secret(self, endpoint_id: str, timeout: Optional[float] = None) -> CreatedWebhookEndpoint:
        wire = self._transport.json("POST", f"/api/v1/webhooks/{segment(endpoint_id)}/rotate_secret", timeout=timeout)
        return CreatedWebhookEndpoint(WebhookEndpoint.from_wire(wire["webhook"]), wire["secret"])

    def list_deliveries(self, endpoint_id: str, page_size: Optional[int] = None, timeout: Optional[float] = None) -> List[WebhookDelivery]:
        """Newest first."""
        wire = self._transport.json("GET", f"/api/v1/webhooks/{segment(endpoint_id)}/deliveries", query={"page_size": page_size}, timeout=timeout)
        return [WebhookDelivery.from_wire(d) for d in wire["deliveries"]]

    def replay(self, endpoint_id: str, delivery_id: str, timeout: Optional[float] = None) -> WebhookDelivery:
        """Sends a delivery again now (same event, same ``webhook-id``)."""
        wire = self._transport.json("POST", f"/api/v1/webhooks/{segment(endpoint_id)}/deliveries/{segment(delivery_id)}/replay", timeout=timeout)
        return WebhookDelivery.from_wire(wire["delivery"])
