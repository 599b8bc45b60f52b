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


# The servers are on addresses of other hosts (192.0.2.0/24 is for documentation), in place of
# the default LOCAL: the instance starts none of them, and reports to none.
def _configure(*servers: tuple[str, str, str]) -> None:
    assert run_cli("-U", "USER", "Write 1").returncode == 0  # the default instance exists
    assert run_cli("servers", "delete", "LOCAL").returncode == 0
    for name, address, port in servers:
        assert run_cli("servers", "add", name, address, port).returncode == 0


def test_the_active_server_is_marked_when_there_are_several(cacheshell_home: Path) -> None:
    _configure(("main", "192.0.2.1", "4001"), ("backup", "192.0.2.2", "4002"))
    _record_active(cacheshell_home, None)
    rows = [f"{'MAIN':<16}{'192.0.2.1':<40}4001", f"{'BACKUP':<16}{'192.0.2.2':<40}4002"]
    assert run_cli("servers", "list").stdout.splitlines() == rows  # not connected: no mark
    _record_active(cacheshell_home, "BACKUP 192.0.2.2 4002")
    assert run_cli("servers", "list").stdout.splitlines() == [rows[0], rows[1] + " (active)"]
    _record_active(cacheshell_home, "MAIN 192.0.2.1 4001")
    assert run_cli("servers", "list").stdout.splitlines() == [rows[0] + " (active)", rows[1]]


def test_one_server_is_not_marked(cacheshell_home: Path) -> None:
    _configure(("main", "192.0.2.1", "4001"))
    _record_active(cacheshell_home, "MAIN 192.0.2.1 4001")
    assert run_cli("servers", "list").stdout.splitlines() == [f"{'MAIN':<16}{'192.0.2.1':<40}4001"]
