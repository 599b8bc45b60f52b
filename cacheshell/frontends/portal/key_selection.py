"""A license key file a browser uploaded to the Activate License Key page: read within the key
file bound, checked as text and as a key, and set beside the active key.

The browser's file name is for display only: nothing it sends names a path on the server. The
upload is kept in memory, one per portal session (the newest selection replaces the last, and
logging out drops it), so an abandoned selection leaves nothing on disk; only the moment of
activation writes it, owner-only, inside mgr/ (see activation_file).
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from starlette.datastructures import UploadFile

from cacheshell.system import keys
from cacheshell.system.bounded import KEY_FILE_BYTES
from cacheshell.system.files import MODE, temporary_path
from cacheshell.system.instance import MISSING_KEY, Instance
from cacheshell.system.key_comparison import comparison_rows
from cacheshell.system.keyfile import KeyFileError
from cacheshell.system.reports import reduction_warnings

MAX_SHOWN_NAME = 100
UPLOAD_NAME = "portal-upload.key"  # the temporary file is .portal-upload.key.PID.tmp in mgr/


class SelectionRefused(Exception):
    """A file that cannot be activated; the message is what the page shows."""


@dataclass(frozen=True)
class UploadedKey:
    """A selected key file: its text, and the name the browser gave it (display only)."""

    name: str
    text: str


@dataclass(frozen=True)
class Selection:
    """What the page shows of a valid selected key before it is activated."""

    uploaded: UploadedKey
    key: keys.LicenseKey
    check: keys.KeyCheck
    current: keys.LicenseKey | None
    rows: list[tuple[str, str, str]]  # (field, current value, selected value)
    reductions: list[str]
    restart_reasons: tuple[str, ...]


def shown_name(filename: str | None) -> str:
    """The browser's file name as the page and the log may show it: its last part, without
    control characters, at most MAX_SHOWN_NAME characters."""
    last = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    clean = "".join(c for c in last if unicodedata.category(c)[0] != "C").strip()
    return clean[:MAX_SHOWN_NAME] or "(unnamed file)"


async def read_upload(upload: UploadFile) -> UploadedKey:
    """The uploaded file as text, refused when larger than a key file may be or not text."""
    name = shown_name(upload.filename)
    data = await upload.read(KEY_FILE_BYTES + 1)
    if len(data) > KEY_FILE_BYTES:
        raise SelectionRefused(
            f"The file {name} is larger than {KEY_FILE_BYTES // 1024} KB, the most a license "
            "key file may hold: it was not kept."
        )
    if not data:
        raise SelectionRefused(f"The file {name} is empty: it is not a license key file.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = "\0"
    if "\0" in text:
        raise SelectionRefused(f"The file {name} is not a text file: it is not a license key file.")
    return UploadedKey(name, text)


def select(instance: Instance, uploaded: UploadedKey) -> Selection:
    """Check the uploaded key as activation will, and compare it with the active key."""
    try:
        key = keys.read_key(uploaded.text)
    except KeyFileError as exc:
        raise SelectionRefused(f"The license key is not valid: {exc}") from None
    check = instance.check(key)
    if not check.valid:
        raise SelectionRefused(f"The license key is not valid: {check.reason}")
    current = instance.active_key()
    comparison = keys.compare_keys(current, key)
    return Selection(
        uploaded,
        key,
        check,
        current,
        comparison_rows(current, key, instance.key_reason() or MISSING_KEY),
        reduction_warnings(comparison),
        comparison.restart_reasons,
    )


@contextmanager
def activation_file(instance: Instance, uploaded: UploadedKey) -> Iterator[Path]:
    """The selected key as a file Instance.activate can take: owner-only, inside mgr/, named by
    this process (never by the browser), and removed however activation ends. A crash leaves
    it where the instance's start clears stale temporary files."""
    path = temporary_path(instance.layout.mgr / UPLOAD_NAME)
    path.unlink(missing_ok=True)  # only this process writes it, one activation at a time
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(uploaded.text)
        yield path
    finally:
        path.unlink(missing_ok=True)
