"""What a license server reports: plain rows of its view of each key and each instance.

The server's accounting makes them; the dump files and the server queries show them. They sit
apart from the server so that the report formatters need nothing of the server itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

SHARED = "shr"  # the units of a row whose ID another instance's row charges


@dataclass(frozen=True)
class KeyInfo:
    key_id: bytes
    order_number: str
    authorized: int
    enforced: int
    # The [License] fields in file order; the AuthorizationKey without its signature digits.
    fields: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Summary:
    current: int
    maximum: int
    authorized: int
    enforced: int
    connections: int
    max_connections: int
    instances: int


class ConnectionRow(NamedTuple):
    """One row of a license server's connection list (a NamedTuple: a server builds one per
    user and instance for every listing, ten thousand at a time)."""

    user: str
    units: str  # a number, or "shr" when another instance's row carries this ID's unit
    connections: int
    address: str
    instance: str
    order_number: str
    apps: str = ""  # "AppName,Feature;AppName,Feature": the ISC.* features the ID holds there


@dataclass(frozen=True)
class KeyView:
    info: KeyInfo
    summary: Summary
    rows: tuple[ConnectionRow, ...]


@dataclass(frozen=True)
class ServerView:
    """One instance's rows for one key, as DumpServer shows them."""

    address: str
    instance: str
    order_number: str
    rows: tuple[ConnectionRow, ...]

    @property
    def connections(self) -> int:
        return sum(row.connections for row in self.rows)

    @property
    def units(self) -> int:
        return sum(int(row.units) for row in self.rows if row.units != SHARED)

    @property
    def shared(self) -> int:
        return sum(row.units == SHARED for row in self.rows)
