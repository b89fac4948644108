"""Checks of the account arguments every call shares (identifier, connection, organization and user)."""

from __future__ import annotations

import re
from typing import Any, Dict, Optional

from .errors import ToolproxyError

_EDGE_WHITESPACE = re.compile(r"^\s|\s$")
_CONTROL = re.compile("[\u0000-\u001f\u007f-\u009f]")


def _checked_identifier(identifier: Any, call: str) -> str:
    """Identifiers travel in the ``identifier`` header of proxy calls and HTTP trims header values,
    so ``"bob "`` would reach ``"bob"``: never trimmed here, refused with the server's code."""
    if not isinstance(identifier, str) or not identifier.strip():
        raise TypeError(f"{call}: identifier is required")
    if _EDGE_WHITESPACE.search(identifier) or _CONTROL.search(identifier):
        raise ToolproxyError(
            "INVALID_IDENTIFIER",
            f"{call}: the identifier must not start or end with whitespace or contain control characters "
            "(HTTP trims it, so the call would reach another account).",
        )
    return identifier


def _account_key(connection_name: Any, identifier: Any, call: str) -> Dict[str, str]:
    name = connection_name.strip() if isinstance(connection_name, str) else ""
    if not name:
        raise TypeError(f"{call}: connection_name and identifier are required")
    return {"connection_name": name, "identifier": _checked_identifier(identifier, call)}


def _scope(organization_id: Optional[str], user_id: Optional[str]) -> Dict[str, str]:
    """The reference's organization and user: set at creation; calls that give them must match."""
    scope: Dict[str, str] = {}
    if organization_id:
        scope["organization_id"] = organization_id
    if user_id:
        scope["user_id"] = user_id
    return scope
