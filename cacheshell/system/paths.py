"""Files named by a caller: where a name really leads, whether that lies inside a tree, and a
write that never follows a symbolic link planted at the name itself.

`..` and symbolic links are followed to their real target before a path is compared with the
tree (os.path.realpath), so neither can lead out of it.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

# Files written by name get the mode of every file under an instance's mgr/: owner-only.
MODE = 0o600


class PathRefused(Exception):
    """A name that may not be written: `reason` says why, without any file's content."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def resolve(name: str, base: Path) -> Path:
    """The real path `name` leads to: relative names are taken from `base`, then `..` and
    every symbolic link are followed."""
    path = Path(name)
    if not path.is_absolute():
        path = base / path
    return Path(os.path.realpath(path))


def resolve_for_writing(name: str, base: Path) -> Path:
    """The path a write of `name` creates: its directory's real path and its own last
    component, which is not followed (a link there is refused when written)."""
    path = Path(name)
    if not path.is_absolute():
        path = base / path
    if path.name in ("", ".", ".."):
        return Path(os.path.realpath(path))  # a directory: nothing a write could create
    return Path(os.path.realpath(path.parent)) / path.name


def inside(path: Path, root: Path) -> bool:
    """True when the real `path` is `root` or lies below the real `root`."""
    real_root = Path(os.path.realpath(root))
    return path == real_root or real_root in path.parents


# What an instance keeps its state in, in its manager directory (also %SYS's directory, where
# that namespace's dumps go by default): the key and its previous copy, the configuration, the
# database and its lock (all "cache.*"), the console log, the users and the training key.
_STATE_PREFIX = "cache."
_STATE_NAMES = frozenset({"users.json", "cconsole.log", "training.key"})
# What a home keeps beside its instances: the license domain secret, the PID files of the
# servers it started, the issuers it trusts.
_HOME_STATE = frozenset({"license-server.secret", "run", "trusted-issuers"})


def holds_state(home: Path, target: Path) -> bool:
    """Whether `target` (a real path) is where a home keeps state that no write by name may
    replace: a manager directory's own files or license server directory in any of its
    instances, a database, or the home's secret, PID files and trusted issuers."""
    real_home = Path(os.path.realpath(home))
    if target.name.upper().startswith("CACHE.DAT"):
        return True
    if not inside(target, real_home) or target == real_home:
        return False
    parts = target.relative_to(real_home).parts
    if parts[0] in _HOME_STATE:
        return True
    # <home>/<INSTANCE>/mgr/<name>, or anything under <home>/<INSTANCE>/mgr/licenseserver/
    if len(parts) >= 3 and parts[1].lower() == "mgr":
        if len(parts) == 3:
            name = parts[2]
            return name.lower().startswith(_STATE_PREFIX) or name in _STATE_NAMES
        return parts[2] == "licenseserver"
    return False


def write_regular(path: Path, text: str) -> None:
    """Write `text` (UTF-8, line ends as given) to `path`, creating it owner-only or replacing
    a regular file's content. A symbolic link at `path` is never followed: O_NOFOLLOW refuses
    it, so a link planted where a dump goes cannot redirect the write. O_NONBLOCK keeps a
    planted FIFO from hanging the process; anything but a regular file is refused."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, MODE)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise PathRefused("is a symbolic link") from None
        if exc.errno == errno.ENXIO:
            raise PathRefused("is not a regular file") from None
        raise
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise PathRefused("is not a regular file")
        out.truncate(0)
        out.write(text)
