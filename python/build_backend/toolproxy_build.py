"""A PEP 517 build backend (with PEP 660 editable installs) using only the standard library.

The package is pure Python with no dependencies, so a wheel is a zip of ``toolproxy/`` plus the
``.dist-info`` files (PEP 427, core metadata 2.1). Keeping the backend in-tree means
``build-system.requires`` is empty and ``pip install`` works with no package index at all.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import tarfile
import zipfile

NAME = "toolproxy"
SUMMARY = "Python client for toolproxy: connected accounts, authorization links and the Tool Proxy."
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE_DIR = os.path.join(ROOT, NAME)
TAG = "py3-none-any"


def _version() -> str:
    with open(os.path.join(PACKAGE_DIR, "__init__.py"), encoding="utf-8") as handle:
        match = re.search(r'^__version__ = "([^"]+)"', handle.read(), re.M)
    if not match:
        raise RuntimeError("toolproxy/__init__.py has no __version__")
    return match.group(1)


def _metadata() -> str:
    readme = os.path.join(ROOT, "README.md")
    description = open(readme, encoding="utf-8").read() if os.path.exists(readme) else ""
    return (
        "Metadata-Version: 2.1\n"
        f"Name: {NAME}\n"
        f"Version: {_version()}\n"
        f"Summary: {SUMMARY}\n"
        "License: Apache-2.0\n"
        "Requires-Python: >=3.9\n"
        "Classifier: Programming Language :: Python :: 3\n"
        "Classifier: Typing :: Typed\n"
        "Description-Content-Type: text/markdown\n"
        f"\n{description}"
    )


def _wheel_info() -> str:
    return f"Wheel-Version: 1.0\nGenerator: toolproxy_build\nRoot-Is-Purelib: true\nTag: {TAG}\n"


def _package_files():
    for directory, subdirs, files in os.walk(PACKAGE_DIR):
        subdirs[:] = sorted(d for d in subdirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".py", ".typed")):
                path = os.path.join(directory, name)
                yield path, os.path.relpath(path, ROOT).replace(os.sep, "/")


def _write_wheel(wheel_directory: str, entries) -> str:
    """entries: (archive name, bytes). Adds the dist-info files and a RECORD (PEP 376)."""
    version = _version()
    dist_info = f"{NAME}-{version}.dist-info"
    entries = list(entries) + [(f"{dist_info}/METADATA", _metadata().encode()), (f"{dist_info}/WHEEL", _wheel_info().encode())]
    record_lines = []
    filename = f"{NAME}-{version}-{TAG}.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w", zipfile.ZIP_DEFLATED) as wheel:
        for archive_name, data in entries:
            wheel.writestr(archive_name, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record_lines.append(f"{archive_name},sha256={digest},{len(data)}")
        record_lines.append(f"{dist_info}/RECORD,,")
        wheel.writestr(f"{dist_info}/RECORD", "\n".join(record_lines) + "\n")
    return filename


# -- PEP 517 hooks ----------------------------------------------------------------------------


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    dist_info = f"{NAME}-{_version()}.dist-info"
    os.makedirs(os.path.join(metadata_directory, dist_info), exist_ok=True)
    with open(os.path.join(metadata_directory, dist_info, "METADATA"), "w", encoding="utf-8") as handle:
        handle.write(_metadata())
    with open(os.path.join(metadata_directory, dist_info, "WHEEL"), "w", encoding="utf-8") as handle:
        handle.write(_wheel_info())
    return dist_info


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    entries = []
    for path, archive_name in _package_files():
        with open(path, "rb") as handle:
            entries.append((archive_name, handle.read()))
    return _write_wheel(wheel_directory, entries)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    # PEP 660: a .pth file puts this source tree on sys.path.
    return _write_wheel(wheel_directory, [(f"__editable__.{NAME}.pth", (ROOT + "\n").encode())])


def build_sdist(sdist_directory, config_settings=None):
    base = f"{NAME}-{_version()}"
    filename = f"{base}.tar.gz"
    with tarfile.open(os.path.join(sdist_directory, filename), "w:gz") as sdist:
        for relative in ("pyproject.toml", "README.md", "build_backend/toolproxy_build.py"):
            path = os.path.join(ROOT, relative)
            if os.path.exists(path):
                sdist.add(path, f"{base}/{relative}")
        for path, archive_name in _package_files():
            sdist.add(path, f"{base}/{archive_name}")
        info = _metadata().encode()
        member = tarfile.TarInfo(f"{base}/PKG-INFO")
        member.size = len(info)
        sdist.addfile(member, io.BytesIO(info))
    return filename
