"""An instance's namespaces, their routine directories (mgr/<database>/routines/*.mac) and the
database file holding their globals (mgr/<database>/CACHE.DAT)."""

from __future__ import annotations

import stat
from pathlib import Path

from cacheshell.system.bounded import ROUTINE_FILE_BYTES, read_text_bounded
from cacheshell.system.files import write_atomically
from cacheshell.system.layout import InstanceLayout

# Namespace -> its database directory under mgr/, as a Caché install names them.
DATABASES = {"%SYS": "cachesys", "USER": "user"}
# A Caché database is one file, CACHE.DAT, in its directory.
DATABASE_FILE = "CACHE.DAT"
# The system routines the product ships: part of the system database, so ^CKEY is seen from
# %SYS only, as a routine without a % in its name is on Caché, and ^%SYS.LICENSE from everywhere.
SYSTEM_ROUTINES = Path(__file__).resolve().parent / "routines"


class Namespaces:
    def __init__(self, layout: InstanceLayout) -> None:
        self.layout = layout

    def names(self) -> list[str]:
        return list(DATABASES)

    def directory(self, namespace: str) -> Path:
        """A process's current directory in `namespace`: its default database's directory
        (mgr/user/ for USER), where files named without a path go. %SYS's is mgr/ itself, as
        Caché's CACHESYS database is the manager directory."""
        name = namespace.upper()
        if name == "%SYS" or name not in DATABASES:
            return self.layout.mgr
        return self.layout.mgr / DATABASES[name]

    def database_path(self, namespace: str) -> Path:
        """The file holding the namespace's globals."""
        return self.layout.mgr / DATABASES[namespace] / DATABASE_FILE

    def routine_dir(self, namespace: str) -> Path:
        return self.layout.mgr / DATABASES[namespace] / "routines"

    def routine_path(self, namespace: str, name: str) -> Path:
        # Percent routines live in the system database and are seen from every namespace.
        home = "%SYS" if name.startswith("%") else namespace
        return self.routine_dir(home) / f"{name}.mac"

    def routine_source(self, namespace: str, name: str) -> tuple[str, float] | None:
        found = _read(self.routine_path(namespace, name))
        # The shipped system routines: %-routines seen from every namespace, others from %SYS.
        if found is None and (namespace == "%SYS" or name.startswith("%")):
            found = _read(SYSTEM_ROUTINES / f"{name}.mac")
        return found

    def save_routine(self, namespace: str, name: str, text: str) -> Path:
        path = self.routine_path(namespace, name)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomically(path, text)
        return path


def _read(path: Path) -> tuple[str, float] | None:
    """A routine file's text and its version stamp (mtime), or None when there is none."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            return None  # a device or a FIFO is no routine
        return read_text_bounded(path, ROUTINE_FILE_BYTES, "routine"), float(info.st_mtime_ns)
    except (FileNotFoundError, NotADirectoryError, UnicodeDecodeError):
        return None
