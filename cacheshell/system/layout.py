"""Where an instance lives on disk: <home>/<NAME>/ with bin/ and mgr/, like a Caché install."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

DEFAULT_INSTANCE = "CACHE"


def cacheshell_home() -> Path:
    return Path(os.environ.get("CACHESHELL_HOME") or Path.home() / ".cacheshell")


class InstanceLayout(NamedTuple):
    home: Path
    name: str

    @property
    def directory(self) -> Path:
        return self.home / self.name

    @property
    def bin(self) -> Path:
        return self.directory / "bin"

    @property
    def mgr(self) -> Path:
        return self.directory / "mgr"

    def exists(self) -> bool:
        return self.mgr.is_dir()

    def ensure(self) -> None:
        """Make the instance's directories; those inside it are owner-only (0700)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self.bin.mkdir(mode=0o700, exist_ok=True)
        self.mgr.mkdir(mode=0o700, exist_ok=True)


def find_instance(home: Path, name: str) -> InstanceLayout | None:
    """An existing instance by name, ignoring case as ccontrol does."""
    if not home.is_dir():
        return None
    for entry in home.iterdir():
        if entry.name.upper() == name.upper() and (entry / "mgr").is_dir():
            return InstanceLayout(home, entry.name)
    return None


def instance_names(home: Path) -> list[str]:
    """The names of the instances in a home, sorted as ccontrol list sorts them."""
    if not home.is_dir():
        return []
    return sorted((e.name for e in home.iterdir() if (e / "mgr").is_dir()), key=str.upper)


def instance_for_manager_dir(mgr_dir: str, cwd: Path | None = None) -> InstanceLayout | None:
    """The instance whose manager directory is `mgr_dir` (`..\\Mgr` style paths accepted)."""
    path = Path(mgr_dir.replace("\\", "/"))
    if not path.is_absolute():
        path = (cwd or Path.cwd()) / path
    path = path.resolve()
    if path.name.lower() != "mgr":
        return None
    real = next((p for p in path.parent.glob("*") if p.name.lower() == "mgr"), None)
    if real is None or not real.is_dir():
        return None
    return InstanceLayout(path.parent.parent, path.parent.name)
