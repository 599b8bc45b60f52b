"""The messages of the license server protocol as values; protocol.py puts them on the wire.

Every request from an instance carries its InstanceId and a sequence number that increases per
(key, instance boot); an answer echoes the number of the request it answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar, NamedTuple

STATUSES = ("ACK", "NAK", "RESYNC", "REFUSED")
# What a QUERY may ask: rows (paged), scalar values, or a report file written by the server.
ROW_REPORTS = ("connections", "allconnections", "connapps", "instances", "keys")
VALUE_REPORTS = ("summary", "stats")
# The Reply to a GOODBYE: report GOODBYE_REPORT, one value GOODBYE_COUNT.
GOODBYE_REPORT = "goodbye"
GOODBYE_COUNT = "instances"
DUMP_REPORTS = ("dumpserver", "dumpservers", "dumpkey", "dumpkeys")

Row = tuple[str | int, ...]


class Kind(IntEnum):
    KEY = 1
    UPDATE = 2
    ANSWER = 3
    QUERY = 4
    REPLY = 5
    PING = 6
    PONG = 7
    NEEDKEY = 8
    GOODBYE = 9
    EPOCH = 10


@dataclass(frozen=True)
class InstanceId:
    host: str
    name: str
    boot: str  # 16 hex digits, new at every start of the instance
    # 16 hex digits made when the instance was created: two installs on one host may both
    # name an instance CACHE, and the server must not take one for a restart of the other.
    identity: str

    @property
    def place(self) -> tuple[str, str, str]:
        """Host, name and identity: a new boot of the same place replaces the old one."""
        return self.host, self.name, self.identity


class UserUse(NamedTuple):
    """One user row of an update: a named tuple, being made for every row a server reads."""

    user: str
    units: int
    connections: int
    # The ISC.* application features the ID holds: "AppName,Feature;AppName,Feature" (or "").
    apps: str = ""


@dataclass(frozen=True)
class KeyRegistration:
    kind: ClassVar[Kind] = Kind.KEY
    key_id: bytes
    seq: int
    instance: InstanceId
    key_text: str


@dataclass(frozen=True)
class Update:
    kind: ClassVar[Kind] = Kind.UPDATE
    key_id: bytes
    seq: int
    instance: InstanceId
    full: bool
    base: int
    period: float
    units: int
    connections: int
    users: tuple[UserUse, ...] = ()
    removed: tuple[str, ...] = ()
    part: int = 0
    parts: int = 1


@dataclass(frozen=True)
class Answer:
    kind: ClassVar[Kind] = Kind.ANSWER
    key_id: bytes
    seq: int
    instance: InstanceId
    status: str
    combined: int
    authorized: int
    maximum: int
    instance_count: int
    instances: tuple[tuple[str, str], ...] = ()
    reason: str = ""


@dataclass(frozen=True)
class Query:
    kind: ClassVar[Kind] = Kind.QUERY
    key_id: bytes
    seq: int
    instance: InstanceId
    report: str
    offset: int = 0


@dataclass(frozen=True)
class Reply:
    kind: ClassVar[Kind] = Kind.REPLY
    key_id: bytes
    seq: int
    instance: InstanceId
    report: str
    offset: int
    next_offset: int | None
    total: int
    rows: tuple[Row, ...] = ()
    values: tuple[tuple[str, str | int], ...] = ()


@dataclass(frozen=True)
class Goodbye:
    """An instance shutting down: the server forgets its use at once (answered by a Reply)."""

    kind: ClassVar[Kind] = Kind.GOODBYE
    key_id: bytes
    seq: int
    instance: InstanceId


@dataclass(frozen=True)
class Ping:
    kind: ClassVar[Kind] = Kind.PING
    nonce: str
    instance: str = ""  # the asking instance's name, when an instance asks (or "")


@dataclass(frozen=True)
class Pong:
    kind: ClassVar[Kind] = Kind.PONG
    nonce: str
    version: str = ""


@dataclass(frozen=True)
class NeedKey:
    kind: ClassVar[Kind] = Kind.NEEDKEY
    key_id: bytes
    seq: int


@dataclass(frozen=True)
class EpochNotice:
    """A request of another epoch was refused: it names the server's current one (header)."""

    kind: ClassVar[Kind] = Kind.EPOCH
    key_id: bytes
    seq: int
    instance: InstanceId


Message = (
    KeyRegistration
    | Update
    | Answer
    | Query
    | Reply
    | Goodbye
    | Ping
    | Pong
    | NeedKey
    | EpochNotice
)
