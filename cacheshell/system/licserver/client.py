"""What an instance's monitor needs to talk to license servers: send its use of its key and get
ACK/NAK back, choose the active server among the configured ones, and ask for reports.

A LicenseClient speaks for one (key, instance boot). It remembers the last update a server
acknowledged and sends deltas against it; it sends in full on first contact, after a RESYNC,
and whenever it talks to a different server than last time (a failover). A server that does
not know the key answers NEEDKEY, and the client registers the key file and reports in full.
At shutdown `goodbye()` has the server forget the instance at once.

Every datagram is authenticated with the license domain secret (by default the one of this
CACHESHELL_HOME). The client keeps each server's epoch: a server that restarted (or another
one) answers an EPOCH notice, and the client takes its epoch and sends again, then registers
and reports in full as on first contact.
"""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from cacheshell.system.domain_secret import home_secret
from cacheshell.system.keyfile import render_key_file
from cacheshell.system.keys import LicenseKey
from cacheshell.system.layout import cacheshell_home

# The choice of active server lives in active.py; these names are kept importable from here.
from cacheshell.system.licserver.active import FAILOVER_PERIODS as FAILOVER_PERIODS
from cacheshell.system.licserver.active import ActiveServer as ActiveServer
from cacheshell.system.licserver.active import choose_active as choose_active
from cacheshell.system.licserver.protocol import (
    GOODBYE_COUNT,
    GOODBYE_REPORT,
    NO_EPOCH,
    Answer,
    DomainKeys,
    EpochNotice,
    Goodbye,
    InstanceId,
    KeyRegistration,
    Message,
    NeedKey,
    Ping,
    Pong,
    ProtocolError,
    Query,
    Reply,
    Row,
    Update,
    UserUse,
    decode,
    encode,
    key_id,
    new_boot_id,
    new_identity,
    new_nonce,
    split_update,
)

ServerAddress = tuple[str, int]
DEFAULT_TIMEOUT = 1.0
MAX_PAGES = 100_000
# A user's use: (units, connections), or (units, connections, ISC.* application features).
Use = tuple[int, int] | tuple[int, int, str]
Users = Mapping[str, Use] | Iterable[UserUse]
Table = dict[str, tuple[int, int, str]]


@dataclass(frozen=True)
class DumpWritten:
    """Where the server wrote a report file: its host and directory, as the terminal says."""

    host: str
    directory: str
    file: str


def domain_keys(secret: bytes | None = None) -> DomainKeys:
    """The keys of a domain secret; without one, of this CACHESHELL_HOME's (made if missing)."""
    return DomainKeys.from_secret(secret if secret is not None else home_secret(cacheshell_home()))


def is_answering(
    address: str,
    port: int,
    timeout: float = DEFAULT_TIMEOUT,
    instance: str = "",
    *,
    secret: bytes | None = None,
) -> bool:
    """True when a license server of the domain of `secret` (by default this home's) at
    address:port answers a PING within `timeout`; an instance names itself, so that a server
    holding it partitioned off stays silent."""
    keys = domain_keys(secret)
    nonce = new_nonce()
    try:
        family, where = _resolve((address, port))
    except OSError:
        return False  # a host name that does not resolve answers nothing
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        try:
            sock.sendto(encode(Ping(nonce, instance), keys, NO_EPOCH), where)
        except OSError:
            return False
        deadline = time.monotonic() + timeout
        while (received := _receive(sock, deadline, keys)) is not None:
            msg = received[1]
            if isinstance(msg, Pong) and msg.nonce == nonce:
                return True
    return False


class LicenseClient:
    """One instance boot speaking for one Multiserver key to license servers. An instance
    passes its identity (made when it was created); without one the client is an instance of
    its own, never taken for another of the same name on the host. `secret` is the license
    domain secret (by default this CACHESHELL_HOME's)."""

    def __init__(
        self,
        key: LicenseKey,
        host: str,
        instance: str,
        *,
        period: float = 15.0,
        timeout: float = DEFAULT_TIMEOUT,
        boot: str | None = None,
        identity: str | None = None,
        secret: bytes | None = None,
    ) -> None:
        self.key_text = render_key_file(key.file)
        self.key_id = key_id(key)
        self.keys = domain_keys(secret)
        self._epochs: dict[ServerAddress, bytes] = {}
        self.instance = InstanceId(
            host, instance, boot or new_boot_id(), identity or new_identity()
        )
        self.period = period
        self.timeout = timeout
        self._seq = 0
        self._acked: tuple[ServerAddress, int, Table] | None = None
        self._sockets: dict[int, socket.socket] = {}

    # --- updates ----------------------------------------------------------------------------

    def send_update(
        self, server: ServerAddress, users: Users, *, full: bool = False
    ) -> Answer | None:
        """Report this instance's use; the server's answer, or None when none came in time."""
        table = _table(users)
        for _attempt in range(3):
            answer = self._send_once(server, table, full)
            if isinstance(answer, NeedKey):
                registered = self.register(server)
                if registered is None or registered.status == "REFUSED":
                    return registered
                full = True
            elif answer is not None and answer.status == "RESYNC":
                full = True
            else:
                return answer
        return None

    def register(self, server: ServerAddress) -> Answer | None:
        """Give the server this key (it verifies the issuer's signature and that it is Multi)."""
        seq = self._next_seq()
        answer = self._exchange(
            server, [KeyRegistration(self.key_id, seq, self.instance, self.key_text)], seq
        )
        return answer if isinstance(answer, Answer) else None

    def goodbye(self, server: ServerAddress) -> int | None:
        """Tell the server this instance is shutting down, so that it drops the instance's use
        now; how many live instances it still serves (all keys, this one excluded), or None
        when no answer came."""
        registered = False
        while True:
            seq = self._next_seq()
            reply = self._exchange(server, [Goodbye(self.key_id, seq, self.instance)], seq)
            if isinstance(reply, NeedKey) and not registered:
                # A server that restarted since knows neither the key nor this instance, but
                # its count of the others is still what the caller asks for.
                registered = True
                answer = self.register(server)
                if answer is None or answer.status == "REFUSED":
                    return None
                continue
            if not isinstance(reply, Reply) or reply.report != GOODBYE_REPORT:
                return None
            count = dict(reply.values).get(GOODBYE_COUNT)
            if not isinstance(count, int):
                return None
            self._acked = None  # the server forgot this instance: a later update is full
            return count

    def forget_server(self) -> None:
        """Send in full next time, whatever the server (after a failover, say)."""
        self._acked = None

    def _send_once(
        self, server: ServerAddress, table: Table, full: bool
    ) -> Answer | NeedKey | None:
        seq = self._next_seq()
        units = sum(use[0] for use in table.values())
        connections = sum(use[1] for use in table.values())
        acked = self._acked if self._acked is not None and self._acked[0] == server else None
        if full or acked is None:
            update = Update(
                self.key_id,
                seq,
                self.instance,
                True,
                0,
                self.period,
                units,
                connections,
                tuple(UserUse(user, *use) for user, use in sorted(table.items())),
            )
        else:
            _, base, before = acked
            changed = tuple(
                UserUse(user, *use)
                for user, use in sorted(table.items())
                if before.get(user) != use
            )
            removed = tuple(sorted(before.keys() - table.keys()))
            update = Update(
                self.key_id,
                seq,
                self.instance,
                False,
                base,
                self.period,
                units,
                connections,
                changed,
                removed,
            )
        answer = self._exchange(server, split_update(update), seq)
        if isinstance(answer, Reply):
            return None  # an update is answered by an Answer, never by a query's Reply
        if isinstance(answer, Answer) and answer.status in ("ACK", "NAK"):
            self._acked = (server, seq, table)
        return answer

    # --- reports ----------------------------------------------------------------------------

    def summary(self, server: ServerAddress) -> dict[str, str | int] | None:
        """This key's distributed numbers: current, maximum, authorized, enforced, ..."""
        found = self._query(server, "summary")
        return None if found is None else found[1]

    def stats(self, server: ServerAddress) -> dict[str, str | int] | None:
        """The server's counters (received, acks, naks, malformed, forged, replayed, ...)."""
        found = self._query(server, "stats")
        return None if found is None else found[1]

    def connection_list(self, server: ServerAddress, all_keys: bool = False) -> list[Row] | None:
        """ConnectionList rows (UserId, LicenseUnits, Connections, ServerIP, Instance), or
        AllKeyConnectionList's with OrderNumber added."""
        found = self._query(server, "allconnections" if all_keys else "connections")
        return None if found is None else found[0]

    def connection_app_list(self, server: ServerAddress) -> list[Row] | None:
        """ConnectionAppList rows: ConnectionList's and ApplicationUse, the ISC.* application
        features each ID holds on that instance ("AppName,Feature;AppName,Feature")."""
        found = self._query(server, "connapps")
        return None if found is None else found[0]

    def active_server_list(self, server: ServerAddress) -> list[Row] | None:
        """ActiveServerList rows: (Address, InstanceName, OrderNumber) of every instance."""
        found = self._query(server, "instances")
        return None if found is None else found[0]

    def key_list(self, server: ServerAddress) -> list[Row] | None:
        """LicenseServerKeyList rows: the six [License] fields of every key served."""
        found = self._query(server, "keys")
        return None if found is None else found[0]

    def dump(self, server: ServerAddress, report: str) -> DumpWritten | None:
        """Have the server write dumpserver/dumpservers/dumpkey/dumpkeys.txt; where it did."""
        found = self._query(server, report)
        if found is None:
            return None
        values = found[1]
        return DumpWritten(str(values["host"]), str(values["directory"]), str(values["file"]))

    def connection_page(
        self, server: ServerAddress, first: int, count: int
    ) -> tuple[list[Row], int] | None:
        """`count` ConnectionList rows from the `first` (0-based) on, and how many rows the
        list has in all: a page of it without fetching the rest. The server pages every list
        from one snapshot, taken when its first page is asked (and kept for half a minute)."""
        found = self._query(server, "connections", first, count)
        return None if found is None else (found[0], found[2])

    def _query(
        self, server: ServerAddress, report: str, first: int = 0, limit: int | None = None
    ) -> tuple[list[Row], dict[str, str | int], int] | None:
        """A report's rows from `first` on (at most `limit` of them), its values and its
        total count of rows, asked page by page."""
        rows: list[Row] = []
        offset, registered = max(first, 0), False
        for _page in range(MAX_PAGES):
            seq = self._next_seq()
            reply = self._exchange(
                server, [Query(self.key_id, seq, self.instance, report, offset)], seq
            )
            if isinstance(reply, NeedKey) and not registered:
                registered = True
                if self.register(server) is None:
                    return None
                continue
            if not isinstance(reply, Reply) or reply.offset != offset:
                return None
            rows.extend(reply.rows)
            done = limit is not None and len(rows) >= limit
            if reply.next_offset is None or done:
                return rows[:limit], dict(reply.values), reply.total
            if reply.next_offset <= offset:
                return None
            offset = reply.next_offset
        return None

    # --- transport --------------------------------------------------------------------------

    def close(self) -> None:
        for sock in self._sockets.values():
            sock.close()
        self._sockets.clear()

    def __enter__(self) -> LicenseClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def epoch(self, server: ServerAddress) -> bytes:
        """The epoch this client knows of a server (NO_EPOCH before its first answer)."""
        return self._epochs.get(server, NO_EPOCH)

    def _exchange(
        self, server: ServerAddress, messages: Sequence[Message], seq: int
    ) -> Answer | Reply | NeedKey | None:
        """Send a request and wait for its answer; an EPOCH notice makes the client take the
        server's new epoch and send once more (nothing of an old epoch is applied)."""
        for _round in range(2):
            epoch = self.epoch(server)
            try:
                family, where = _resolve(server)
                sock = self._sockets.get(family)
                if sock is None:
                    sock = self._sockets[family] = socket.socket(family, socket.SOCK_DGRAM)
                for message in messages:
                    sock.sendto(encode(message, self.keys, epoch), where)
            except OSError:
                return None
            deadline = time.monotonic() + self.timeout
            renewed = False
            while not renewed and (received := _receive(sock, deadline, self.keys)) is not None:
                their_epoch, msg = received
                if isinstance(msg, EpochNotice):
                    if (msg.key_id, msg.seq, msg.instance) == (self.key_id, seq, self.instance):
                        # A new server or a restarted one: it knows nothing of this instance.
                        self._epochs[server] = their_epoch
                        if self._acked is not None and self._acked[0] == server:
                            self._acked = None
                        renewed = their_epoch != epoch
                    continue
                if their_epoch != epoch:
                    continue  # an answer of another epoch answers nothing sent in this one
                if isinstance(msg, NeedKey) and (msg.key_id, msg.seq) == (self.key_id, seq):
                    return msg
                if (
                    isinstance(msg, Answer | Reply)
                    and msg.seq == seq
                    and msg.instance == self.instance
                ):
                    return msg
            if not renewed:
                return None
        return None


def _table(users: Users) -> Table:
    if isinstance(users, Mapping):
        return {user: _row(use) for user, use in users.items()}
    return {use.user: (use.units, use.connections, use.apps) for use in users}


def _row(use: Use) -> tuple[int, int, str]:
    if len(use) == 3:
        return int(use[0]), int(use[1]), str(use[2])
    return int(use[0]), int(use[1]), ""


def _resolve(server: ServerAddress) -> tuple[int, tuple[object, ...]]:
    family, _, _, _, where = socket.getaddrinfo(server[0], server[1], type=socket.SOCK_DGRAM)[0]
    return family, where


def _receive(
    sock: socket.socket, deadline: float, keys: DomainKeys
) -> tuple[bytes, Message] | None:
    """The epoch and message of the next authentic datagram before the deadline; others are
    skipped. None at the end."""
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([sock], [], [], left)
        if not ready:
            return None
        try:
            data = sock.recv(65536)
        except OSError:
            continue  # an ICMP port-unreachable from an earlier send: nobody is there yet
        try:
            return decode(data, keys)
        except ProtocolError:
            continue
    return None
