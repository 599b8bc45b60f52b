"""The kinds of entry in an instance's license event history (the `events` table of its store).

The values are what the history shows and what the store holds, so an existing database reads
the same.
"""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    # The local license table (license_entries.py, license_table.py); GRANT and CONNECT carry
    # their unit change.
    GRANT = "grant"  # a license ID takes its first unit
    CONNECT = "connect"  # one more connection under an ID that holds units
    DENIED = "denied"
    PER_PROCESS = "per-process"  # past MaxConnections: one unit per process from now on
    RESET = "reset"  # back to one unit for the ID
    RELEASE = "release"
    GRACE = "grace"  # the ID's unit is kept for the CSP grace period
    KILLED = "killed"
    # Application licenses (applications.py).
    APP_LOAD = "app-load"
    APP_TAKE = "app-take"
    APP_RETURN = "app-return"
    APP_DENIED = "app-denied"
    # License servers, as the instance's monitor and the training world see them.
    SERVER = "server"
    FAILOVER = "failover"
    NAK = "NAK"
    ACK = "ACK"
    DISCONNECTED = "disconnected"
    PARTITION = "partition"
