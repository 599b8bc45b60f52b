"""Writing a file so that a crash leaves the old content or the new one, never a mix.

The text goes to a temporary file beside the target, named .NAME.PID.tmp and owner-only, is
flushed to disk, and is renamed over the target. A crash between the two leaves only the
temporary file, which remove_stale_temporaries() clears once its writer's process is gone.
"""

from __future__ import annotations

import os
from pathlib import Path

# Every file under an instance's mgr/ is owner-only: it holds the instance's secrets.
MODE = 0o600
_SUFFIX = ".tmp"


def temporary_path(path: Path, pid: int | None = None) -> Path:
    """Where a write to `path` by process `pid` (this one by default) goes first."""
    return path.with_name(f".{path.name}.{os.getpid() if pid is None else pid}{_SUFFIX}")


def write_atomically(path: Path, data: str | bytes) -> None:
    """Replace `path` by `data` (text is written as UTF-8) through a temporary file."""
    tmp = temporary_path(path)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, MODE)
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), MODE)  # a leftover of this process may have another mode
            out.write(raw)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def remove_stale_temporaries(directory: Path, name: str = "*", recursive: bool = False) -> None:
    """Remove the temporary files of writes to `name` in `directory` (and below it when
    `recursive`) that a crash interrupted: those whose writer's process is gone."""
    pattern = f".{name}.*{_SUFFIX}"
    for path in directory.rglob(pattern) if recursive else directory.glob(pattern):
        pid = path.name[: -len(_SUFFIX)].rsplit(".", 1)[-1]
        if pid.isdigit() and not _running(int(pid)):
            path.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True
