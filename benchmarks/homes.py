"""The scratch homes the benchmarks make: every instance started in one is stopped before the
home is removed, so a benchmark run leaves no instance service behind."""

from __future__ import annotations

import shutil
from pathlib import Path


def stop_instances(home: Path) -> None:
    from cacheshell.system import instance_lock, lifecycle
    from cacheshell.system.instance import Instance
    from cacheshell.system.layout import InstanceLayout

    if not home.is_dir():
        return
    for entry in home.iterdir():
        layout = InstanceLayout(home, entry.name)
        if instance_lock.is_held(layout.mgr):
            instance = Instance(layout)
            try:
                lifecycle.stop(instance)
            finally:
                instance.store.close()


def remove_home(home: Path) -> None:
    stop_instances(home)
    shutil.rmtree(home, ignore_errors=True)
