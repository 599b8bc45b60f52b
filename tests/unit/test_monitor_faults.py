"""The license monitor outlives what the store, files and the network throw at it: a fault is
written once to the console log and the next period runs as usual."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from cacheshell.system.instance import LOG_FILE, open_instance
from cacheshell.system.layout import InstanceLayout
from cacheshell.system.monitor import Monitor


def test_a_fault_is_logged_once_and_the_monitor_carries_on(
    cacheshell_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = InstanceLayout(cacheshell_home, "CACHE")
    open_instance(layout, create_default=True).store.close()
    periods: list[float] = []

    def failing_step(self: Monitor, period: float) -> None:
        periods.append(period)
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(Monitor, "_step", failing_step)
    monitor = Monitor(layout)
    monitor.start()
    try:
        deadline = time.monotonic() + 10
        while len(periods) < 3 and time.monotonic() < deadline:
            monitor.wake()
            time.sleep(0.01)
        assert len(periods) >= 3
    finally:
        monitor.stop()
    log = (layout.mgr / LOG_FILE).read_text(encoding="utf-8")
    assert log.count("License monitor: OperationalError: database is locked") == 1
