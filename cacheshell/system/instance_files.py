"""An instance's files as the OS sees them: owner-only modes, and what a fault reading or writing
one of them means to the administrator.

Every OSError or SQLite error of an instance file is turned into one InstanceFileError here,
naming the file, what failed and what to do, and carrying the name of the Caché system error a
process meets for it (System Error Messages, RERR_SYSTEM: <PROTECT>, <FILEFULL>, <DATABASE>,
<DISKHARD>). The front ends print its text; nobody else needs to know errno or SQLite codes.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cacheshell.system.bounded import read_bounded
from cacheshell.system.files import MODE as FILE_MODE

DIRECTORY_MODE = 0o700
# What the product's own processes (the service, the license servers it starts) create is
# owner-only whatever umask the administrator's shell had.
UMASK = 0o077

# Caché's names for the faults (System Error Messages, RERR_SYSTEM,
# https://docs.intersystems.com/latest/csp/docbook/DocBook.UI.Page.cls?KEY=RERR_SYSTEM).
PROTECT, FILEFULL, DATABASE, DISKHARD = "PROTECT", "FILEFULL", "DATABASE", "DISKHARD"

_PROTECTED = {errno.EACCES, errno.EPERM, errno.EROFS}
_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_REMEDY = {
    PROTECT: "make it readable and writable by the instance's owner (chmod 600) on a writable "
    "file system",
    FILEFULL: "free space on its file system",
    DATABASE: "restore it from a backup",
    DISKHARD: "check the disk and the file",
}


class InstanceFileError(sqlite3.DatabaseError, OSError):
    """An instance file cannot be read or written. A DatabaseError and an OSError, so code that
    handles either kind of fault handles it; `error_name` is the Caché error a process gets."""

    def __init__(self, path: Path, action: str, reason: str, error_name: str) -> None:
        text = f"cannot {action} {path}: {reason} — {_REMEDY[error_name]}"
        super().__init__(text)
        self.path = path
        self.action = action
        self.reason = reason
        self.error_name = error_name
        self.text = text

    def __str__(self) -> str:
        return self.text


def from_os_error(exc: OSError, path: Path, action: str) -> InstanceFileError:
    if isinstance(exc, InstanceFileError):
        return exc
    code = exc.errno or 0
    name = PROTECT if code in _PROTECTED else FILEFULL if code in _FULL else DISKHARD
    reason = (exc.strerror or type(exc).__name__).lower()
    if isinstance(exc, FileNotFoundError):
        reason = "it is missing"
    return InstanceFileError(path, action, reason, name)


# SQLite's primary result codes (https://www.sqlite.org/rescode.html) for faults of the file.
_SQLITE = {
    3: (PROTECT, "access permission denied"),  # SQLITE_PERM
    8: (PROTECT, "read-only file or file system"),  # SQLITE_READONLY
    10: (DISKHARD, "disk I/O error"),  # SQLITE_IOERR
    11: (DATABASE, "the database file is damaged"),  # SQLITE_CORRUPT
    13: (FILEFULL, "no space left on device"),  # SQLITE_FULL
    14: (PROTECT, "it cannot be opened"),  # SQLITE_CANTOPEN
    26: (DATABASE, "not a database file (damaged or overwritten)"),  # SQLITE_NOTADB
}


class DatabaseLocked(sqlite3.OperationalError, TimeoutError):
    """SQLite found the file locked past its wait: an OperationalError, as SQLite's own is; a
    TimeoutError, so that a process gets <LOCKED> with this text, never Python's."""


def from_sqlite_error(exc: sqlite3.Error, path: Path) -> sqlite3.Error:
    """The file fault `exc` is (an InstanceFileError), `exc` as DatabaseLocked when the file
    stayed locked, or `exc` itself (a mistake in a statement)."""
    if isinstance(exc, (InstanceFileError, TimeoutError)):
        return exc
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF in (5, 6):  # SQLITE_BUSY, SQLITE_LOCKED
        return DatabaseLocked(f"the database {path} is locked ({exc})")
    found = _SQLITE.get(code & 0xFF) if isinstance(code, int) else None
    if found is None:
        return exc
    name, reason = found
    return InstanceFileError(path, "use", reason, name)


def describe(exc: BaseException) -> str:
    """One line for the administrator about a fault of a file or of the instance database."""
    if isinstance(exc, InstanceFileError):
        return exc.text
    if isinstance(exc, sqlite3.Error) and isinstance(exc, TimeoutError):
        return str(exc)  # a wait for the write lock that ran out: its text names the holder
    if isinstance(exc, OSError) and exc.strerror is None and exc.args:
        return str(exc)  # an error of the product's own, its text whole
    if isinstance(exc, OSError):
        reason = (exc.strerror or type(exc).__name__).lower()
        return f"{exc.filename}: {reason}" if exc.filename else reason
    if isinstance(exc, sqlite3.Error):
        return f"the instance database: {exc}"
    return str(exc)


def is_corrupt(exc: BaseException) -> bool:
    return isinstance(exc, InstanceFileError) and exc.error_name == DATABASE


class GuardedConnection(sqlite3.Connection):
    """A connection to an instance database whose file faults come out as InstanceFileError."""

    path: Path = Path()

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        try:
            return super().execute(sql, parameters)
        except sqlite3.Error as exc:
            raise from_sqlite_error(exc, self.path) from None

    def executescript(self, sql_script: str, /) -> sqlite3.Cursor:
        try:
            return super().executescript(sql_script)
        except sqlite3.Error as exc:
            raise from_sqlite_error(exc, self.path) from None


# How every connection to an instance database writes:
# - WAL: the processes of an instance read while one of them writes, and a commit appends its
#   pages to one file instead of writing them twice (journal, then database).
# - synchronous=NORMAL: under WAL a commit is not synced, only a checkpoint is. A process that
#   dies (kill -9, a shell closed mid-login: the failure this product models) loses nothing it
#   committed, and the database never corrupts; only an OS crash or power cut may lose the last
#   commits. FULL would sync the log at every login and logout.
# - wal_autocheckpoint=1000 pages (SQLite's default, ~4 MiB): with a login writing 4 pages, a
#   checkpoint every ~125 logins. 10,000 measured no faster on benchmarks/license_store.py,
#   and a longer log makes every reader's page lookups and a recovery after a crash longer.
# - journal_size_limit=8 MiB: past a checkpoint SQLite writes the log again from its start and
#   keeps the file at the largest size it ever reached; a burst (a long transaction) is cut back
#   to this, while the steady log (just over 4 MiB) is never cut, which would cost a truncate
#   and fresh blocks at every checkpoint.
WAL_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA wal_autocheckpoint=1000",
    f"PRAGMA journal_size_limit={8 * 1024 * 1024}",
)


def connect(path: Path, timeout: float) -> GuardedConnection:
    """Open (creating it owner-only) the SQLite database `path` in WAL mode. SQLite gives its
    -wal and -shm files the database file's mode."""
    try:
        if not path.exists():
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE))
        elif _truncated(path):
            raise _cut_to_nothing(path)
    except OSError as exc:
        raise from_os_error(exc, path, "open") from None
    return _wal_connection(path, timeout)


def _wal_connection(path: Path, timeout: float, existing: bool = False) -> GuardedConnection:
    """A connection to the database `path` in WAL mode. An `existing` one is opened read-write
    only (never created) and, found empty (cut after its size was read), named before any
    pragma, which would write a page 1 into it."""
    target = f"{Path(os.path.abspath(path)).as_uri()}?mode=rw" if existing else str(path)
    try:
        db = sqlite3.connect(
            target,
            uri=existing,
            isolation_level=None,
            timeout=timeout,
            check_same_thread=False,
            factory=GuardedConnection,
        )
    except sqlite3.Error as exc:
        raise from_sqlite_error(exc, path) from None
    except OSError as exc:
        raise from_os_error(exc, path, "open") from None
    db.path = path
    try:
        if existing and db.execute("PRAGMA page_count").fetchone()[0] == 0:
            raise _cut_to_nothing(path)
        for pragma in WAL_PRAGMAS:
            db.execute(pragma)
    except BaseException:
        db.close()
        raise
    return db


def _cut_to_nothing(path: Path) -> InstanceFileError:
    return InstanceFileError(path, "use", "the file was truncated to nothing", DATABASE)


def create_database(path: Path, schema: str) -> None:
    """Make `path` a database holding `schema` unless a file is there already. It is built
    beside `path` under a private name and linked into place whole, so a file found at `path` is
    always a complete database: one found empty was cut, not a creation a crash interrupted."""
    if path.exists():
        return
    building = path.with_name(f".{path.name}.{os.getpid()}.new")
    leftovers = [building.with_name(building.name + end) for end in ("", "-wal", "-shm")]
    try:
        for file in leftovers:  # of an earlier process with this PID that died building it
            file.unlink(missing_ok=True)
        db = connect(building, 30)
        try:
            db.executescript(schema)
        finally:
            db.close()
        try:
            os.link(building, path)
        except FileExistsError:
            pass  # another process made it first: the same schema, and it may be in use
    except OSError as exc:
        raise from_os_error(exc, path, "create") from None
    finally:
        for file in leftovers:
            file.unlink(missing_ok=True)


def open_database(path: Path, timeout: float) -> GuardedConnection:
    """Open the existing database `path` in WAL mode, creating and writing nothing on the way:
    a file cut to nothing is named as damaged, never taken for a new database (SQLite would
    write a fresh, empty one over it, and what the log still held would be read on top)."""
    try:
        if path.stat().st_size == 0:
            raise _cut_to_nothing(path)
    except OSError as exc:
        raise from_os_error(exc, path, "open") from None
    return _wal_connection(path, timeout, existing=True)


def _truncated(path: Path) -> bool:
    """Empty beside a write-ahead log: SQLite writes page 1 of a database into the file itself
    (in rollback mode) before it turns to WAL mode and makes the -wal and -shm files, so the
    file was cut after (SQLite would wait on it for its whole busy timeout, then say only that
    it is locked)."""
    try:
        if path.stat().st_size:
            return False
    except FileNotFoundError:
        return False
    return any(path.with_name(path.name + end).exists() for end in ("-wal", "-shm"))


def read_text(path: Path, limit: int, what: str) -> str:
    """An instance text file of at most `limit` bytes (`what` names its kind); bytes that are
    not UTF-8 read as U+FFFD (a damaged file is judged by what it says, never a decoding
    traceback, and a byte that is not UTF-8 spoils only its line)."""
    try:
        return read_bounded(path, limit, what).decode("utf-8", errors="replace")
    except OSError as exc:
        raise from_os_error(exc, path, "read") from None


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """Faults of the OS while writing `path` come out as InstanceFileError."""
    try:
        yield
    except InstanceFileError:
        raise
    except OSError as exc:
        raise from_os_error(exc, path, "write") from None


@contextmanager
def owner_only() -> Iterator[None]:
    """While creating instance files: this process's umask at least as strict as UMASK."""
    before = os.umask(UMASK)
    os.umask(before | UMASK)
    try:
        yield
    finally:
        os.umask(before)


def tighten(directory: Path) -> None:
    """Make every file under `directory` that this OS user owns 0600 and every directory 0700,
    top down, so that once a directory is owner-only nobody else can swap what is in it. Symbolic
    links are neither changed nor followed; what cannot be changed is left as it is."""
    uid = os.getuid()
    for entry in _walk(directory):
        try:
            info = os.lstat(entry)
        except OSError:
            continue
        if info.st_uid != uid or stat.S_ISLNK(info.st_mode):
            continue
        mode = DIRECTORY_MODE if stat.S_ISDIR(info.st_mode) else FILE_MODE
        if stat.S_IMODE(info.st_mode) != mode and (
            stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode)
        ):
            try:
                os.chmod(entry, mode)
            except OSError:
                continue


def _walk(directory: Path) -> Iterator[Path]:
    yield directory
    for root, dirs, files in os.walk(directory, followlinks=False):
        for name in dirs + files:
            yield Path(root) / name
