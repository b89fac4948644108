"""Human approval: calls a policy holds until a person approves or denies them (docs/approvals.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Optional

from ._transport import Transport, segment
from .models import parse_time


@dataclass
class Approval:
    """A held call's metadata; listings never carry its body."""

    id: str
    #: ``PENDING``, ``APPROVED``, ``DENIED``, ``EXPIRED``, ``EXECUTING`` or ``EXECUTED``.
    status: str
    connection_name: str
    identifier: str
    connected_account_id: str
    method: str
    #: Path and query under the connector's proxy_url, as the caller sent it.
    path: str
    door: str
    tool_name: Optional[str]
    execution_id: Optional[str]
    requested_by: Optional[str]
    rule: str
    #: The caller holds its request open: once approved, it runs the call (not the approver).
    caller_waiting: bool
    body_bytes: int
    approval_url: str
    created_at: Optional[datetime]
    expires_at: Optional[datetime]
    decided_by: Optional[str]
    decided_at: Optional[datetime]
    executed_by: Optional[str]
    executed_at: Optional[datetime]
    result_status: Optional[int]
    result_error: Optional[str]

    @classmethod
    def from_wire(cls, wire: Dict[str, Any]) -> "Approval":
        return cls(
            id=wire["id"],
            status=wire["status"],
            connection_name=wire["connection_name"],
            identifier=wire["identifier"],
            connected_account_id=wire["connected_account_id"],
            method=wire["method"],
            path=wire["path"],
            door=wire["door"],
            tool_name=wire.get("tool_name"),
            execution_id=wire.get("execution_id"),
            requested_by=wire.get("requested_by"),
            rule=wire["rule"],
            caller_waiting=bool(wire.get("caller_waiting")),
            body_bytes=int(wire.get("body_bytes") or 0),
            approval_url=wire["approval_url"],
            created_at=parse_time(wire.get("created_at")),
            expires_at=parse_time(wire.get("expires_at")),
            decided_by=wire.get("decided_by"),
            decided_at=parse_time(wire.get("decided_at")),
            executed_by=wire.get("executed_by"),
            executed_at=parse_time(wire.get("executed_at")),
            result_status=wire.get("result_status"),
            result_error=wire.get("result_error"),
        )


@dataclass
class ApprovalsPage:
    approvals: List[Approval]
    next_page_token: Optional[str]


@dataclass
class ApprovalDetail:
    """An approval and the call it holds, as it would go upstream (never a credential)."""

    approval: Approval
    #: False once the call ran, was denied or expired: its headers and body were deleted.
    retained: bool
    headers: Dict[str, Any]
    #: Text, or base64 when ``body_encoding`` is ``"base64"``; None without a body.
    body: Optional[str]
    body_encoding: Optional[str]


@dataclass
class ApprovalDecision:
    approval: Approval
    #: The call's answer when this request ran it (``status`` with ``headers``/``body`` or ``error``);
    #: None when it was denied or its waiting caller runs it.
    execution: Optional[Dict[str, Any]]


class Approvals:
    """Approve or deny held calls; an approved call runs exactly once::

        for approval in client.approvals.list(status="PENDING").approvals:
            print(approval.method, approval.path, client.approvals.get(approval.id).body)
        decision = client.approvals.approve(approval_id)
        print(decision.execution["status"] if decision.execution else "its waiting caller runs it")
    """

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def list(self, status: Optional[str] = None, page_size: Optional[int] = None, page_token: Optional[str] = None, timeout: Optional[float] = None) -> ApprovalsPage:
        wire = self._transport.json("GET", "/api/v1/approvals", query={"status": status, "page_size": page_size, "page_token": page_token}, timeout=timeout)
        return ApprovalsPage([Approval.from_wire(a) for a in wire["approvals"]], wire.get("next_page_token"))

    def get(self, approval_id: str, timeout: Optional[float] = None) -> ApprovalDetail:
        wire = self._transport.json("GET", f"/api/v1/approvals/{segment(approval_id)}", timeout=timeout)
        request = wire["request"]
        return ApprovalDetail(Approval.from_wire(wire["approval"]), bool(request.get("retained")), request["headers"], request.get("body"), request.get("body_encoding"))

    def approve(self, approval_id: str, timeout: Optional[float] = None) -> ApprovalDecision:
        """Raises ``ToolproxyApiError`` with ``APPROVAL_EXPIRED``, ``APPROVAL_ALREADY_DECIDED``, ``APPROVAL_USED`` or ``APPROVAL_NOT_FOUND``."""
        return self._decide(approval_id, "approve", timeout)

    def deny(self, approval_id: str, timeout: Optional[float] = None) -> ApprovalDecision:
        return self._decide(approval_id, "deny", timeout)

    def execute(self, approval_id: str, timeout: Optional[float] = None) -> ApprovalDecision:
        """Runs an approved call nobody ran (its waiting caller left); at most once, ``APPROVAL_USED`` after."""
        return self._decide(approval_id, "execute", timeout)

    def _decide(self, approval_id: str, action: str, timeout: Optional[float]) -> ApprovalDecision:
        wire = self._transport.json("POST", f"/api/v1/approvals/{segment(approval_id)}/{action}", timeout=timeout)
        return ApprovalDecision(Approval.from_wire(wire["approval"]), wire.get("execution"))
