"""How ``actions.request`` puts options on the wire and reads the answer (mirrors the Node SDK)."""

from __future__ import annotations

import io
import json
import re
import uuid
from datetime import datetime
from typing import Any, List, Mapping, Optional, Tuple
from urllib.parse import quote

_TEXT_TYPES = re.compile(r"^(text/|application/(xml|javascript|x-www-form-urlencoded)|[^;]*\+xml)", re.I)
_JSON_TYPES = re.compile(r"^(application/json|[^;]*\+json)", re.I)


def encode_query(params: Mapping[str, Any]) -> str:
    """``a=1&tag=x&tag=y&filter[status]=open``: lists repeat the key, dicts nest with brackets, None is left out."""
    pairs: List[str] = []

    def add(key: str, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, (list, tuple)):
            for item in value:
                add(key, item)
        elif isinstance(value, dict):
            for sub, item in value.items():
                add(f"{key}[{sub}]", item)
        else:
            if isinstance(value, bool):
                text = "true" if value else "false"
            elif isinstance(value, datetime):
                text = value.isoformat()
            else:
                text = str(value)
            pairs.append(f"{quote(key, safe='')}={quote(text, safe='')}")

    for key, value in params.items():
        add(key, value)
    return "&".join(pairs)


def _is_file(value: Any) -> bool:
    """A multipart file field: ``(filename, bytes_or_file[, content_type])``."""
    return isinstance(value, tuple) and len(value) in (2, 3) and isinstance(value[0], str)


def encode_form(form: Mapping[str, Any]) -> Tuple[bytes, str]:
    """urlencoded for plain values; multipart as soon as a file tuple is involved."""
    entries: List[Tuple[str, Any]] = []
    for name, value in form.items():
        if value is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            entries.append((name, item))
    if not any(_is_file(value) for _, value in entries):
        text = "&".join(f"{quote(name, safe='')}={quote(_scalar(value), safe='')}".replace("%20", "+") for name, value in entries)
        return text.encode("utf-8"), "application/x-www-form-urlencoded;charset=UTF-8"
    boundary = f"----toolproxy{uuid.uuid4().hex}"
    out = io.BytesIO()
    for name, value in entries:
        out.write(f"--{boundary}\r\n".encode())
        if _is_file(value):
            filename, content = value[0], value[1]
            content_type = value[2] if len(value) == 3 else "application/octet-stream"
            data = content.read() if hasattr(content, "read") else content
            data = data.encode("utf-8") if isinstance(data, str) else bytes(data)
            out.write(f'Content-Disposition: form-data; name="{_quoted(name)}"; filename="{_quoted(filename)}"\r\nContent-Type: {content_type}\r\n\r\n'.encode())
            out.write(data)
        else:
            out.write(f'Content-Disposition: form-data; name="{_quoted(name)}"\r\n\r\n'.encode())
            out.write(_scalar(value).encode("utf-8"))
        out.write(b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _quoted(text: str) -> str:
    # RFC 7578 section 4.2: quotes and line breaks in names are percent-encoded.
    return text.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def encode_body(body: Any, form_data: Optional[Mapping[str, Any]], raw_body: Any) -> Tuple[Any, Optional[str], bool]:
    """(data, default content type, replayable). At most one of the three may be given."""
    given = [name for name, value in (("body", body), ("form_data", form_data), ("raw_body", raw_body)) if value is not None]
    if len(given) > 1:
        raise TypeError(f"request: give at most one of body, form_data and raw_body (got {', '.join(given)})")
    if body is not None:
        return json.dumps(body).encode("utf-8"), "application/json", True
    if form_data is not None:
        data, content_type = encode_form(form_data)
        return data, content_type, True
    if raw_body is None:
        return None, None, True
    if isinstance(raw_body, str):
        return raw_body.encode("utf-8"), "text/plain;charset=UTF-8", True
    if isinstance(raw_body, (bytes, bytearray, memoryview)):
        return bytes(raw_body), "application/octet-stream", True
    # A file object or an iterable of bytes: streamed (chunked), so never replayed.
    return raw_body, "application/octet-stream", False


def decode_body(data: bytes, content_type: str, response_type: str) -> Any:
    if response_type == "bytes":
        return data
    text_of = lambda: data.decode("utf-8", errors="replace")  # noqa: E731
    if response_type == "text":
        return text_of()
    if response_type == "json":
        return json.loads(data.decode("utf-8"))
    if not data:
        return None
    if _JSON_TYPES.match(content_type):
        try:
            return json.loads(data.decode("utf-8"))
        except ValueError:
            return text_of()  # the upstream said JSON and sent something else
    return text_of() if _TEXT_TYPES.match(content_type) else data
