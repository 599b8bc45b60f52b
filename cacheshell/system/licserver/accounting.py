"""The license server's soft state, without I/O: what each instance last reported per key, the
combined use of every key, and the ACK/NAK verdict. Time comes from an injected `now()`.

Rules:
- An instance is a place (host address, instance name, identity) running one boot (a random id
  drawn at start-up). The identity is drawn when the instance is created, so two installs on one
  host that both name an instance CACHE are two places. Its state expires when it misses 3 of
  its own update periods. A full report from a new boot of the same place replaces the old boot
  at once, and the old boot is retired so its datagrams can no longer be replayed.
- A GOODBYE from a boot drops its use from every key at once. It is numbered like any request,
  and it makes every datagram of that boot numbered no higher stale under every key, so neither
  it nor an update captured before it can be replayed to bring the instance back.
- Sequence numbers increase per (key, place, boot); an older or repeated one is dropped and
  counted as replayed. The last number of a sender is remembered well after it goes quiet, so an
  expired instance's old report cannot be replayed to bring it back.
- A delta applies only on top of the update it names as its base (the last one the server
  acknowledged); otherwise the answer is RESYNC and the instance reports in full. Totals that do
  not add up are refused the same way, so a lost datagram can never leave a wrong sum behind.
- Combined use of a key = the sum over the license user IDs in use on any instance of that key
  of the most units one instance charges that ID. The same user logged in on two instances that
  share a key takes one unit, not two: the row of the instance charging the most units (ties:
  the instance that reported first) carries them, every other row of that ID reads "shr". An
  ID that went past MaxConnections on one instance keeps that instance's charge. Keys are never
  summed together: the same user on instances with different keys takes one unit from each.
- Each user row may carry the ISC.* application features the ID holds on that instance; they
  are kept per instance beside the row and only reported (ConnectionAppList), never counted.
- ACK while combined use <= the key's authorized units, NAK while above. SetUserLimit stays the
  instance's business: it only changes what the instance reports.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from cacheshell.system.authkey import BODY_LENGTH
from cacheshell.system.keyfile import license_rows
from cacheshell.system.keys import LicenseKey
from cacheshell.system.licserver.protocol import MAX_SEQ, InstanceId, Update, key_id
from cacheshell.system.server_views import (
    SHARED,
    ConnectionRow,
    KeyInfo,
    KeyView,
    ServerView,
    Summary,
)

MISSED_PERIODS = 3
# A quiet sender's last sequence number is kept this many of its periods (at least an hour).
REMEMBER_PERIODS = 240
REMEMBER_MIN_SECONDS = 3600.0
ACK, NAK, RESYNC = "ACK", "NAK", "RESYNC"

Place = tuple[str, str, str]  # host address, instance name, identity
Listed = tuple[str, str]  # host address, instance name: what reports show of a place
Sender = tuple[bytes, str, str, str, str]  # key id, place, boot


def key_info(key: LicenseKey) -> KeyInfo:
    """What the server keeps of a key: the AuthorizationKey without its signature digits, which
    are part of the HMAC secret and so never leave the server."""
    fields = tuple(
        (name, value[:BODY_LENGTH] if name == "AuthorizationKey" else value)
        for name, value in license_rows(key.file)
    )
    return KeyInfo(key_id(key), key.file.order_number, key.units, key.enforced_units, fields)


@dataclass(frozen=True)
class Verdict:
    status: str
    combined: int
    authorized: int
    maximum: int
    instances: tuple[Listed, ...]


@dataclass
class _Instance:
    boot: str
    seq: int
    period: float
    last_seen: float
    arrival: int
    users: dict[str, tuple[int, int]] = field(default_factory=dict)
    units: int = 0
    connections: int = 0
    apps: dict[str, str] = field(default_factory=dict)


@dataclass
class _Partial:
    boot: str
    seq: int
    started: float
    parts: dict[int, Update]


class _Pool:
    """One key: its instances and the incremental per-user aggregate behind combined use."""

    def __init__(self, info: KeyInfo) -> None:
        self.info = info
        self.instances: dict[Place, _Instance] = {}
        self.partial: dict[Place, _Partial] = {}
        self.holders: dict[str, dict[Place, tuple[int, int]]] = {}
        self.charged: dict[str, int] = {}
        self.combined = 0
        self.connections = 0
        self.maximum = 0
        self.max_connections = 0
        self._listed: tuple[Listed, ...] | None = None

    def change_users(
        self, place: Place, state: _Instance, changes: dict[str, tuple[int, int] | None]
    ) -> None:
        """Set users of one instance, or drop those mapped to None (totals are the caller's)."""
        users, holders, charged = state.users, self.holders, self.charged
        for user, use in changes.items():
            before = users.get(user)
            if use == before:
                continue
            held = holders.setdefault(user, {})
            if use is not None:
                users[user] = held[place] = use
                self.connections += use[1] - (before[1] if before else 0)
            elif before is not None:
                del users[user], held[place]
                self.connections -= before[1]
            # The ID's charge is the most units one instance charges it: one unit, shared.
            if len(held) == 1:
                units = next(iter(held.values()))[0]
            elif held:
                units = max(charge for charge, _ in held.values())
            else:
                units = 0
                del holders[user]
            self.combined += units - charged.get(user, 0)
            if held:
                charged[user] = units
            else:
                charged.pop(user, None)

    def add(self, place: Place, state: _Instance) -> None:
        self.instances[place] = state
        self._listed = None

    def remove(self, place: Place) -> None:
        state = self.instances.pop(place)
        self._listed = None
        self.change_users(place, state, dict.fromkeys(state.users))

    def note_maximum(self) -> None:
        self.maximum = max(self.maximum, self.combined)
        self.max_connections = max(self.max_connections, self.connections)

    def verdict(self, status: str | None = None) -> Verdict:
        if status is None:
            status = ACK if self.combined <= self.info.authorized else NAK
        if self._listed is None:
            self._listed = tuple((address, name) for address, name, _ in self.instances)
        return Verdict(status, self.combined, self.info.authorized, self.maximum, self._listed)

    def summary(self) -> Summary:
        return Summary(
            self.combined,
            self.maximum,
            self.info.authorized,
            self.info.enforced,
            self.connections,
            self.max_connections,
            len(self.instances),
        )

    def rows(self) -> Iterator[ConnectionRow]:
        return (row for _place, row in self.placed_rows())

    def placed_rows(self) -> Iterator[tuple[Place, ConnectionRow]]:
        """Each row with the place it comes from (a row shows only its address and name)."""
        for user in sorted(self.holders):
            ranked = sorted(
                self.holders[user].items(),
                key=lambda item: (-item[1][0], self.instances[item[0]].arrival),
            )
            for rank, (place, (units, connections)) in enumerate(ranked):
                yield (
                    place,
                    ConnectionRow(
                        user,
                        str(units) if rank == 0 else SHARED,
                        connections,
                        place[0],
                        place[1],
                        self.info.order_number,
                        self.instances[place].apps.get(user, ""),
                    ),
                )


class Accounting:
    """Every key's pool, the replay book, and the counters of what was dropped."""

    def __init__(self, now: Callable[[], float], period: float = 15.0) -> None:
        self.now = now
        self.period = period
        self.pools: dict[bytes, _Pool] = {}
        self.counters: Counter[str] = Counter()
        self._book: dict[Sender, tuple[int, float, float]] = {}  # seq, last seen, period
        self._arrivals = 0

    # --- keys and senders -----------------------------------------------------------------

    def add_key(self, info: KeyInfo) -> bool:
        """Start serving a key; False when it was already known."""
        if info.key_id in self.pools:
            return False
        self.pools[info.key_id] = _Pool(info)
        return True

    def knows(self, key: bytes) -> bool:
        return key in self.pools

    def fresh(self, key: bytes, sender: InstanceId, seq: int) -> bool:
        """Record a single-datagram request (KEY, QUERY, GOODBYE); False (counted) for a replay."""
        ident = (key, *sender.place, sender.boot)
        last = self._book.get(ident)
        if last is not None and seq <= last[0]:
            self.counters["replayed"] += 1
            return False
        self._book[ident] = (seq, self.now(), self.period)
        return True

    # --- updates ----------------------------------------------------------------------------

    def update(self, msg: Update) -> Verdict | None:
        """Take one datagram of an update; the verdict once all its parts are in, else None."""
        pool = self.pools[msg.key_id]
        place, now = msg.instance.place, self.now()
        ident: Sender = (msg.key_id, *place, msg.instance.boot)
        last = self._book.get(ident, (-1, now, msg.period))[0]
        partial = pool.partial.get(place)
        continuing = (
            partial is not None
            and partial.boot == msg.instance.boot
            and partial.seq == msg.seq
            and msg.part not in partial.parts
        )
        if msg.seq < last or (msg.seq == last and not continuing):
            self.counters["replayed"] += 1
            return None
        self._book[ident] = (msg.seq, now, msg.period)
        if msg.parts == 1 and partial is None:  # most updates: nothing to assemble
            return self._apply(pool, [msg], now)
        if not continuing:
            if partial is not None:
                self.counters["incomplete"] += 1
            partial = pool.partial[place] = _Partial(msg.instance.boot, msg.seq, now, {})
        assert partial is not None
        partial.parts[msg.part] = msg
        if len(partial.parts) < msg.parts:
            return None
        del pool.partial[place]
        return self._apply(pool, [partial.parts[index] for index in range(msg.parts)], now)

    def _apply(self, pool: _Pool, parts: list[Update], now: float) -> Verdict | None:
        head = parts[0]
        shape = (head.full, head.base, head.period, head.units, head.connections, head.parts)
        if len(parts) > 1 and any(
            (p.full, p.base, p.period, p.units, p.connections, p.parts) != shape for p in parts
        ):
            self.counters["inconsistent"] += 1
            return None
        place, boot = head.instance.place, head.instance.boot
        state = pool.instances.get(place)
        # This boot's state, when the place is known and has not restarted since.
        current = state if state is not None and state.boot == boot else None
        if not head.full and (current is None or current.seq != head.base):
            self.counters["resync"] += 1
            return pool.verdict(RESYNC)
        changes: dict[str, tuple[int, int] | None] = {}
        if head.full and current is not None:
            changes = dict.fromkeys(current.users)
        rows = 0
        for part in parts:
            for gone in part.removed:
                changes[gone] = None
            for use in part.users:
                changes[use.user] = (use.units, use.connections)
            rows += len(part.users)
        if not self._adds_up(head, changes, current, rows):
            self.counters["inconsistent"] += 1
            return pool.verdict(RESYNC)
        if state is not None and current is None:
            # A new boot of the same place: the old one is gone for good.
            self._book[(head.key_id, *place, state.boot)] = (MAX_SEQ, now, state.period)
            pool.remove(place)
            state = None
        if state is None:
            self._arrivals += 1
            state = _Instance(boot, head.seq, head.period, now, self._arrivals)
            pool.add(place, state)
        pool.change_users(place, state, changes)
        self._note_apps(state, parts, head.full)
        state.units, state.connections = head.units, head.connections
        state.seq, state.period, state.last_seen = head.seq, head.period, now
        pool.note_maximum()
        return pool.verdict()

    @staticmethod
    def _note_apps(state: _Instance, parts: list[Update], full: bool) -> None:
        """Keep the application features the rows carry (a row without any clears them)."""
        apps = state.apps
        if full:
            apps.clear()
        for part in parts:
            for gone in part.removed:
                apps.pop(gone, None)
            for use in part.users:
                if use.apps:
                    apps[use.user] = use.apps
                elif apps:
                    apps.pop(use.user, None)

    @staticmethod
    def _adds_up(
        head: Update, changes: dict[str, tuple[int, int] | None], state: _Instance | None, rows: int
    ) -> bool:
        """Whether the instance's totals after the changes are those the update states."""
        if head.full:
            kept = [use for use in changes.values() if use is not None]
            return (
                rows == len(kept)
                and sum(use[0] for use in kept) == head.units
                and sum(use[1] for use in kept) == head.connections
            )
        assert state is not None
        units, connections = state.units, state.connections
        for user, use in changes.items():
            before = state.users.get(user, (0, 0))
            after = use or (0, 0)
            units += after[0] - before[0]
            connections += after[1] - before[1]
        return (units, connections) == (head.units, head.connections)

    def verdict(self, key: bytes) -> Verdict:
        return self.pools[key].verdict()

    # --- goodbyes ---------------------------------------------------------------------------

    def goodbye(self, key: bytes, who: InstanceId, seq: int) -> list[KeyInfo] | None:
        """An instance shutting down: drop its boot's use from every key now. The keys it was
        counted in, or None (counted) for a replay."""
        if not self.fresh(key, who, seq):
            return None
        place, now = who.place, self.now()
        left = []
        for pool in self.pools.values():
            partial = pool.partial.get(place)
            if partial is not None and partial.boot == who.boot:
                del pool.partial[place]
            ident: Sender = (pool.info.key_id, *place, who.boot)
            seen = self._book.get(ident)
            if seen is not None and seen[0] < seq:
                self._book[ident] = (seq, now, seen[2])
            state = pool.instances.get(place)
            # Only that boot: a late GOODBYE of an earlier boot leaves the running one be.
            if state is not None and state.boot == who.boot:
                pool.remove(place)
                left.append(pool.info)
        return left

    # --- time -------------------------------------------------------------------------------

    def expire(self) -> list[tuple[KeyInfo, Place]]:
        """Drop instances silent for 3 of their periods and stale partial updates."""
        now = self.now()
        gone: list[tuple[KeyInfo, Place]] = []
        for pool in self.pools.values():
            for place, state in list(pool.instances.items()):
                if now - state.last_seen > MISSED_PERIODS * state.period:
                    pool.remove(place)
                    gone.append((pool.info, place))
            for place, partial in list(pool.partial.items()):
                period = self._book.get(
                    (pool.info.key_id, *place, partial.boot), (0, now, self.period)
                )[2]
                if now - partial.started > period:
                    del pool.partial[place]
                    self.counters["incomplete"] += 1
        for ident, (_seq, seen, period) in list(self._book.items()):
            if now - seen > max(REMEMBER_PERIODS * period, REMEMBER_MIN_SECONDS):
                del self._book[ident]
        return gone

    def live_instances(self) -> int:
        """The instances served, each once however many keys it reports."""
        return len({place for pool in self.pools.values() for place in pool.instances})

    # --- reports ----------------------------------------------------------------------------

    def keys(self) -> list[KeyInfo]:
        return [pool.info for pool in self.pools.values()]

    def summary(self, key: bytes) -> Summary:
        return self.pools[key].summary()

    def connections(self, key: bytes) -> list[ConnectionRow]:
        return list(self.pools[key].rows())

    def all_connections(self) -> list[ConnectionRow]:
        return [row for pool in self.pools.values() for row in pool.rows()]

    def instances(self) -> list[tuple[str, str, str]]:
        """(address, instance name, order number) of every instance, as ActiveServerList."""
        return [
            (address, name, pool.info.order_number)
            for pool in self.pools.values()
            for address, name, _identity in pool.instances
        ]

    def key_view(self, key: bytes) -> KeyView:
        pool = self.pools[key]
        return KeyView(pool.info, pool.summary(), tuple(pool.rows()))

    def server_views(
        self, place: Place | None = None, key: bytes | None = None
    ) -> list[ServerView]:
        """Per instance and key, the rows DumpServer shows; narrowed to a place or key."""
        views = []
        for pool in self.pools.values():
            if key is not None and pool.info.key_id != key:
                continue
            rows = list(pool.placed_rows())
            for where in pool.instances:
                if place is None or where == place:
                    own = tuple(row for at, row in rows if at == where)
                    views.append(ServerView(where[0], where[1], pool.info.order_number, own))
        return views
