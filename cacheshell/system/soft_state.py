"""cache.db holds soft state only (the license table, processes, sessions, locks, events): when it
is damaged the instance moves it aside and starts again from an empty one, rebuilt from the key
at start. The durable files (cache.key, cache.cpf, the CACHE.DAT databases) are never touched.
"""

from __future__ import annotations

import time
from pathlib import Path

from cacheshell.system.instance_files import InstanceFileError, is_corrupt, writing
from cacheshell.system.store import DATABASE_NAME, Store

CORRUPT_MARK = ".corrupt-"
# SQLite's companions of a database file: they belong to the damaged file and go with it.
_COMPANIONS = ("-wal", "-shm", "-journal")


def open_store(mgr: Path, recover: bool) -> tuple[Store, str]:
    """The instance's store and, when `recover` found it damaged (not a database, or SQLite's
    quick_check fails) and rebuilt it, the console log line that says so."""
    try:
        store = Store(mgr)
        problem = store.quick_check() if recover else ""
    except InstanceFileError as exc:
        if not (recover and is_corrupt(exc)):
            raise
        problem = exc.reason
    else:
        if not problem:
            return store, ""
        store.close()
    aside = move_aside(mgr)
    store = Store(mgr)
    return store, (
        f"{DATABASE_NAME} was damaged ({problem}): moved aside as {aside} and rebuilt empty; "
        "the license table starts again from the key"
    )


def move_aside(mgr: Path, now: float | None = None) -> Path:
    """Rename cache.db (and its -wal/-shm) to cache.db.corrupt-<timestamp>[-wal...]."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.localtime(time.time() if now is None else now))
    base = mgr / DATABASE_NAME
    aside = base.with_name(f"{DATABASE_NAME}{CORRUPT_MARK}{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = base.with_name(f"{DATABASE_NAME}{CORRUPT_MARK}{stamp}.{n}")
    with writing(base):
        for suffix in ("", *_COMPANIONS):
            source = base.with_name(base.name + suffix)
            if source.exists():
                source.rename(aside.with_name(aside.name + suffix))
    return aside
