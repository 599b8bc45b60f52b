"""Keep the grammar's parse tables in a per-user cache, so a process loads them instead of having
Lark build them (which takes seconds) or even importing Lark.

An entry is named by a digest of everything its content depends on: the grammar as Lark builds it
(the file and what words.py adds), the terminals the post-lexer keeps, Lark itself (its package's
__init__, which carries its version), the code that extracts the tables and Python's marshal
format. So an entry is never stale: a change to any of them names another entry. An entry is
plain data (strings, numbers, lists, dicts) in marshal's format, which loads in a third of the
time JSON takes and, unlike a pickle, runs no code when loaded; it is read only from a directory
of the user's own that no one else may write to. Each entry starts with the SHA-256 digest of the
rest, so a damaged one (a flipped bit, an edit) is not used even where marshal still reads it.
An unreadable, corrupt or foreign entry is rebuilt, never fatal. Without such a directory the
tables are built in memory.

Writing an entry (after an upgrade, or an edit of the grammar) removes all but the KEPT newest
ones, and the files of the older releases' cache, so the directory does not grow with each.
"""

from __future__ import annotations

import hashlib
import importlib.util
import marshal
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from cacheshell.lang import parse_tables
from cacheshell.lang.parse_tables import ParseTables

__all__ = ["cache_directory", "cache_key", "load_tables"]

_DIGEST = hashlib.sha256().digest_size
# Entries kept when one is written: the one in use, and some for other installs of other
# releases that share the directory (each rebuilds its own, once, if it was removed).
KEPT = 3
# Files this cache's directory held before entries were marshal data (Lark's pickled parsers).
_OLD_FORMAT = "grammar-*.lark-cache"
_WRITING = ".tables-*.tmp"
_ABANDONED_AFTER = 24 * 3600.0  # a writer this long gone has died: its file is removed


def cache_key(text: str, kept_terminals: Iterable[str] = ()) -> str:
    """The digest that names the tables of the grammar `text` built keeping `kept_terminals`."""
    kept = "\0".join(kept_terminals)
    digest = hashlib.sha256(f"{marshal.version}\0{kept}\0{text}".encode())
    spec = importlib.util.find_spec("lark")
    for source in (spec.origin if spec else None, parse_tables.__file__):
        try:
            digest.update(b"\0" + Path(source or "").read_bytes())
        except OSError:
            digest.update(b"\0?")
    return digest.hexdigest()[:24]


def cache_directory() -> Path | None:
    """$XDG_CACHE_HOME/cacheshell (by default ~/.cache/cacheshell), made owner-only if new; None
    when it cannot be made or someone else owns it or may write to it."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    directory = Path(base) / "cacheshell"
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        return directory if _own(directory.stat()) else None
    except OSError:
        return None


def _own(info: os.stat_result) -> bool:
    """Whether a file or directory is the user's and no one else may write to it."""
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return False
    return not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def load_tables(text: str, kept_terminals: Iterable[str]) -> ParseTables:
    """The tables of the grammar `text`: from the cache, or built and stored there."""
    directory = cache_directory()
    kept_terminals = tuple(kept_terminals)
    path = directory / f"tables-{cache_key(text, kept_terminals)}.marshal" if directory else None
    if path is not None:
        try:
            return ParseTables.from_data(marshal.loads(_checked(_read_own(path))))
        except (OSError, ValueError, EOFError, TypeError):
            pass  # absent, unreadable, damaged or not ours: build it afresh
    tables = parse_tables.build(text, kept_terminals)
    if path is not None:
        data = marshal.dumps(tables.to_data())
        if _store(path, hashlib.sha256(data).digest() + data):
            _prune(path.parent)
    return tables


def _checked(entry: bytes) -> bytes:
    """An entry's data, once its digest says it is whole and as written."""
    digest, data = entry[:_DIGEST], entry[_DIGEST:]
    if len(digest) != _DIGEST or hashlib.sha256(data).digest() != digest:
        raise ValueError("the entry does not match its digest")
    return data


def _read_own(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as file:
        if not _own(os.fstat(fd)):
            raise OSError(f"{path} may be written by others")
        return file.read()


def _store(path: Path, data: bytes) -> bool:
    """Write the entry whole or not at all (a reader never sees half of one); whether it was
    written (a cache that cannot be written is no error)."""
    import tempfile  # only when an entry is written

    try:
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tables-", suffix=".tmp")
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        return False
    return True


def _prune(directory: Path) -> None:
    """Remove all but the KEPT most recently written entries, the older releases' files, and
    what writers that died left half written."""
    import time  # only when an entry was written

    def written(path: Path) -> float:
        try:
            return path.lstat().st_mtime
        except OSError:
            return 0.0

    entries = sorted(directory.glob("tables-*.marshal"), key=written, reverse=True)
    now = time.time()
    abandoned = [p for p in directory.glob(_WRITING) if now - written(p) > _ABANDONED_AFTER]
    for path in (*entries[KEPT:], *directory.glob(_OLD_FORMAT), *abandoned):
        try:
            path.unlink()
        except OSError:
            pass  # another process removed it, or it is not ours to remove
