"""`cacheshell servers list` marks the active license server (the row the portal shades) when
more than one is configured; the mark comes from the instance store's `active_server`."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli

from cacheshell.system.instance import Instance
from cacheshell.system.layout import DEFAULT_INSTANCE, InstanceLayout


def _record_active(home: Path, label: str | None) -> None:
    """As the monitor records the server it reports to (monitor._record)."""
    instance = Instance(InstanceLayout(home, DEFAULT_INSTANCE))
    try:
        with instance.store.transaction():
            instance.store.put("active_server", label)
    finally:
        instance.store.close()


def test_the_active_server_is_marked_when_there_are_several(cacheshell_home: Path) -> None:
    assert run_cli("-U", "USER", "Write 1").returncode == 0  # the default instance exists
    run_cli("servers", "add", "main", "127.0.0.1", "4001")
    run_cli("servers", "add", "backup", "127.0.0.1", "4002")
    rows = [f"{'MAIN':<16}{'127.0.0.1':<40}4001", f"{'BACKUP':<16}{'127.0.0.1':<40}4002"]
    assert run_cli("servers", "list").stdout.splitlines() == rows  # not connected: no mark
    _record_active(cacheshell_home, "BACKUP 127.0.0.1 4002")
    assert run_cli("servers", "list").stdout.splitlines() == [rows[0], rows[1] + " (active)"]
    _record_active(cacheshell_home, "MAIN 127.0.0.1 4001")
    assert run_cli("servers", "list").stdout.splitlines() == [rows[0] + " (active)", rows[1]]


def test_one_server_is_not_marked(cacheshell_home: Path) -> None:
    run_cli("-U", "USER", "Write 1")
    run_cli("servers", "add", "main", "127.0.0.1", "4001")
    _record_active(cacheshell_home, "MAIN 127.0.0.1 4001")
    assert run_cli("servers", "list").stdout.splitlines() == [f"{'MAIN':<16}{'127.0.0.1':<40}4001"]
