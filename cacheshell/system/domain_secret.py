"""The license domain secret: 32 random bytes that authenticate every license-server datagram.

One owner-only file per CACHESHELL_HOME, `license-server.secret`, holds it as 64 hex digits. It
is made on first need by whoever needs it first (the instance service, a session, the daemon):
written whole to a temporary file and linked into place, so a racing second maker reads the
first one's and nobody ever reads half a file. Instances on other hosts get it as they get their
cache.key: the administrator copies the file. It never travels on the wire.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

SECRET_FILE = "license-server.secret"
SIZE = 32
_READ_LIMIT = 4 * SIZE  # a larger file is not a secret file, whatever it holds
_MODE = 0o600
_ADVICE = "copy license-server.secret from the license server host's CACHESHELL_HOME"


class SecretFileError(OSError):
    """A secret file that is missing, unreadable, shared with others or malformed: one line."""


def secret_path(home: Path) -> Path:
    return home / SECRET_FILE


def home_secret(home: Path) -> bytes:
    """The home's secret, made now when the home has none yet."""
    path = secret_path(home)
    if not path.exists():
        try:
            _create(path)
        except OSError as exc:
            raise SecretFileError(
                f"license domain secret {path} cannot be made ({exc.strerror}): {_ADVICE}"
            ) from None
    return read_secret(path)


def read_secret(path: Path) -> bytes:
    """The secret in `path`; SecretFileError (naming the file and what to do) otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        raise SecretFileError(f"license domain secret {path} is missing: {_ADVICE}") from None
    except OSError as exc:
        raise SecretFileError(
            f"license domain secret {path} cannot be read ({exc.strerror}): {_ADVICE}"
        ) from None
    with os.fdopen(fd, "rb") as stream:
        mode = os.fstat(stream.fileno()).st_mode
        raw = stream.read(_READ_LIMIT + 1)
    if not stat.S_ISREG(mode):
        raise SecretFileError(f"license domain secret {path} is not a file: {_ADVICE}")
    if mode & 0o077:
        raise SecretFileError(
            f"license domain secret {path} is readable by other users: chmod 600 {path}"
        )
    text = raw.strip()
    try:
        secret = bytes.fromhex(text.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        secret = b""
    if len(raw) > _READ_LIMIT or len(secret) != SIZE:
        raise SecretFileError(
            f"license domain secret {path} is not {2 * SIZE} hex digits: {_ADVICE}"
        )
    return secret


def home_secret_kept(home: Path, known: bytes) -> tuple[bytes, bool]:
    """The home's secret for a process that already holds `known`: a file deleted meanwhile is
    written again with `known` (a new one would part the instance from its running server), so
    (secret, True) when it was written again."""
    path = secret_path(home)
    if known and not path.exists():
        try:
            _create(path, known)
        except OSError as exc:
            raise SecretFileError(
                f"license domain secret {path} cannot be made ({exc.strerror}): {_ADVICE}"
            ) from None
        return read_secret(path), True
    return home_secret(home), False


def _create(path: Path, secret: bytes | None = None) -> None:
    """Make the file whole beside it (with `secret`, or a new one), then link it into place; a
    file there already wins."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _MODE)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write((secret.hex() if secret else secrets.token_hex(SIZE)) + "\n")
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process made it first: its secret is the home's
    finally:
        tmp.unlink(missing_ok=True)
