"""Reading the files cacheshell is given or keeps (keys, INI files, cache.cpf, routines, logs)
with a bound on their size, so that no file, however large or endless, is read whole.

A device, a FIFO or a directory is refused before anything is read from it; so is a regular
file larger than its kind allows. Either is a FileRefused, an OSError whose strerror says why,
so the readers' existing `cannot read PATH: why` messages name the file.
"""

from __future__ import annotations

import errno
import os
import stat

# The most each kind of file may hold, in bytes.
KEY_FILE_BYTES = 64 * 1024  # a cache.key: a few hundred bytes, a few KB with applications
INI_FILE_BYTES = 1024 * 1024  # an application license file
CPF_FILE_BYTES = 1024 * 1024  # cache.cpf
ROUTINE_FILE_BYTES = 4 * 262_144  # a routine: 256 K characters of up to four UTF-8 bytes


class FileRefused(OSError):
    """A file not read: not a regular file, or larger than its kind allows."""

    def __init__(self, path: str | os.PathLike[str], why: str) -> None:
        super().__init__(errno.EINVAL, why, str(path))


def read_bounded(path: str | os.PathLike[str], limit: int, what: str) -> bytes:
    """The whole content of a regular file of at most `limit` bytes; `what` names its kind."""
    # O_NONBLOCK: opening a FIFO with no writer must not wait; it is refused below.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused(path, f"not a regular file (a {what} must be one)")
        if info.st_size > limit:
            raise FileRefused(path, _too_large(limit, what))
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        size = 0
        while True:  # the file may grow while it is read: never past the bound
            chunk = os.read(fd, min(limit + 1 - size, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise FileRefused(path, _too_large(limit, what))
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_text_bounded(path: str | os.PathLike[str], limit: int, what: str) -> str:
    """read_bounded, decoded as UTF-8 (UnicodeDecodeError when it is not)."""
    return read_bounded(path, limit, what).decode("utf-8")


def _too_large(limit: int, what: str) -> str:
    size = f"{limit // 1024} KB" if limit < 1024 * 1024 else f"{limit // (1024 * 1024)} MB"
    return f"larger than {size}, the most a {what} may hold"
