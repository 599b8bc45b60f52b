"""Which row of the license servers a list marks as the active one: the chapter's "The row of
the active license server is shaded when there are more than one license servers configured
for this instance" (Configure License Servers)."""

from __future__ import annotations

import pytest

from cacheshell.system.server_config import LicenseServer
from cacheshell.system.server_listing import listed

LOCAL = LicenseServer("LOCAL", "127.0.0.1", 4001)
MAIN = LicenseServer("MAIN", "192.0.2.1", 4001)
BACKUP = LicenseServer("BACKUP", "Lic2.Example.com", 4002)


@pytest.mark.parametrize(
    ("configured", "active", "expected"),
    [
        # One server: it may be the active one, but there is no choice to show.
        ([LOCAL], LOCAL, [("LOCAL", True, False)]),
        ([LOCAL], None, [("LOCAL", False, False)]),
        # Several: the active one's row, and only it, is marked.
        ([LOCAL, MAIN], LOCAL, [("LOCAL", True, True), ("MAIN", False, False)]),
        ([LOCAL, MAIN], MAIN, [("LOCAL", False, False), ("MAIN", True, True)]),
        # Not connected: none is.
        ([LOCAL, MAIN], None, [("LOCAL", False, False), ("MAIN", False, False)]),
        # The monitor's record names a server as configured; a host name in other case is it.
        (
            [LOCAL, BACKUP],
            LicenseServer("BACKUP", "lic2.example.com", 4002),
            [("LOCAL", False, False), ("BACKUP", True, True)],
        ),
        # A server changed since the monitor reached it (another port) is not the active one.
        (
            [LOCAL, MAIN],
            LicenseServer("MAIN", "192.0.2.1", 4005),
            [("LOCAL", False, False), ("MAIN", False, False)],
        ),
        ([], LOCAL, []),
    ],
)
def test_the_active_row_is_marked_only_when_there_is_a_choice(
    configured: list[LicenseServer],
    active: LicenseServer | None,
    expected: list[tuple[str, bool, bool]],
) -> None:
    assert [(r.server.name, r.active, r.marked) for r in listed(configured, active)] == expected
