"""The license monitor outlives what the store, files and the network throw at it: a fault is
written once to the console log and the next period runs as usual."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from cacheshell.system.instance import LOG_FILE, Instance
from cacheshell.system.layout import InstanceLayout
from cacheshell.system.lifecycle import open_running
from cacheshell.system.monitor import Monitor


def test_a_fault_is_logged_once_and_the_monitor_carries_on(
    cacheshell_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = InstanceLayout(cacheshell_home, "CACHE")
    open_running(layout, create_default=True).store.close()
    steps: list[int] = []

    def failing_step(self: Monitor) -> None:
        steps.append(1)
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(Monitor, "_step", failing_step)
    instance = Instance(layout)
    monitor = Monitor(instance)
    try:
        for _ in range(3):
            monitor.step()  # each step meets the fault and returns
    finally:
        monitor.close()
        instance.store.close()
    assert len(steps) == 3
    log = (layout.mgr / LOG_FILE).read_text(encoding="utf-8")
    # Said as the administrator reads it, without the Python class name.
    assert log.count("License monitor: the instance database: database is locked") == 1
