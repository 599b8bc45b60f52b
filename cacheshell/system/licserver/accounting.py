"""The license server's soft state, without I/O: what each instance last reported per key, the
combined use of every key, and the ACK/NAK verdict. Time comes from an injected `now()`.

Rules:
- An instance is a place (host address, instance name, identity) running one boot (a random id
  drawn at start-up). The identity is drawn when the instance is created, so two installs on one
  host that both name an instance CACHE are two places. Its state expires when it misses 3
  update periods, counted on the server's own clock: the period an instance claims in its
  updates counts up to CLAIMED_PERIODS_CEILING server periods, never more, so a claimed day
  cannot keep a silent instance for a day. A full report from a
  new boot of the same place replaces the old boot at once, and the old boot is retired so its
  datagrams can no longer be replayed.
- A GOODBYE from a boot drops its use from every key at once. It is numbered like any request,
  and it makes every datagram of that boot numbered no higher stale under every key, so neither
  it nor an update captured before it can be replayed to bring the instance back.
- Sequence numbers increase per (key, place, boot); an older or repeated one is dropped and
  counted as replayed. The last number of a sender is remembered while its place lives under
  the key and BOOK_PERIODS server periods after it goes quiet, so an expired instance's old
  report cannot be replayed to bring it back, nor a retired boot's to displace the running one.
- What a key, an instance, a source address or the server may hold is bounded (limits.py). An
  update over a limit changes nothing and is counted under the limit's name: a new instance
  beyond the key's instance limit, or a report taking the key's distinct user IDs beyond its
  user limit, is answered NAK with the reason (the instance refuses new users, as it should
  when the key is over); the latter also holds the key NAK for every instance for MISSED_PERIODS
  server periods. A first part of a multi-part update beyond the parts held, and an update
  beyond an instance's rate, are dropped unanswered. Partial updates are dropped after one
  server period.
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
from collections.abc import Callable
from operator import itemgetter

from cacheshell.system.authkey import BODY_LENGTH
from cacheshell.system.keyfile import license_rows
from cacheshell.system.keys import LicenseKey
from cacheshell.system.licserver.limits import (
    BOOK_PERIODS,
    CLAIMED_PERIODS_CEILING,
    OVER_INSTANCES,
    OVER_USERS,
    PARTIAL_LIMIT,
    PARTS_PER_KEY,
    PARTS_PER_SERVER,
    PARTS_PER_SOURCE,
    RATE_LIMITED,
    UPDATES_PER_PERIOD,
)
from cacheshell.system.licserver.pool import ACK as ACK
from cacheshell.system.licserver.pool import NAK as NAK
from cacheshell.system.licserver.pool import RESYNC as RESYNC
from cacheshell.system.licserver.pool import InstanceState, Partial, Place, Pool
from cacheshell.system.licserver.pool import Verdict as Verdict
from cacheshell.system.licserver.protocol import MAX_SEQ, InstanceId, Update, key_id
from cacheshell.system.server_views import (
    ConnectionRow,
    KeyInfo,
    KeyView,
    ServerView,
    Summary,
)

MISSED_PERIODS = 3
_USE = itemgetter(1, 2)  # a row's (units, connections)

Sender = tuple[bytes, str, str, str, str]  # key id, place, boot


def key_info(key: LicenseKey) -> KeyInfo:
    """What the server keeps of a key: its fields, the AuthorizationKey without its signature
    digits, so that no report or dump file (written in the server's directory) is a key."""
    fields = tuple(
        (name, value[:BODY_LENGTH] if name == "AuthorizationKey" else value)
        for name, value in license_rows(key.file)
    )
    return KeyInfo(key_id(key), key.file.order_number, key.units, key.enforced_units, fields)


class Accounting:
    """Every key's pool, the replay book, and the counters of what was dropped."""

    def __init__(self, now: Callable[[], float], period: float = 15.0) -> None:
        self.now = now
        self.period = period
        self.pools: dict[bytes, Pool] = {}
        self.counters: Counter[str] = Counter()
        self._book: dict[Sender, tuple[int, float]] = {}  # seq, last seen
        self._arrivals = 0
        self._held = 0  # datagrams of partial updates held, all keys
        self._held_from: Counter[str] = Counter()  # the same per source address

    # --- keys and senders -----------------------------------------------------------------

    def add_key(self, info: KeyInfo) -> bool:
        """Start serving a key; False when it was already known."""
        if info.key_id in self.pools:
            return False
        self.pools[info.key_id] = Pool(info)
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
        self._book[ident] = (seq, self.now())
        return True

    # --- updates ----------------------------------------------------------------------------

    def update(self, msg: Update, source: str = "") -> Verdict | None:
        """Take one datagram of an update (from `source`, its address); the verdict once all
        its parts are in, else None."""
        pool = self.pools[msg.key_id]
        place, now = msg.instance.place, self.now()
        ident: Sender = (msg.key_id, *place, msg.instance.boot)
        last = self._book.get(ident, (-1, now))[0]
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
        if not continuing and not self._within_rate(pool, place, msg.instance.boot, now):
            self.counters[RATE_LIMITED] += 1
            return None
        if not continuing:
            if partial is not None:
                self.counters["incomplete"] += 1
                self._release(pool, place)
            if msg.parts == 1:  # most updates: nothing to assemble
                self._book[ident] = (msg.seq, now)
                return self._apply(pool, [msg], now)
            if not self._room_for_part(pool, source):
                self.counters[PARTIAL_LIMIT] += 1
                return None
            partial = pool.partial[place] = Partial(msg.instance.boot, msg.seq, now, source, {})
        else:
            assert partial is not None
            if not self._room_for_part(pool, partial.source):
                self.counters[PARTIAL_LIMIT] += 1
                return None
        self._book[ident] = (msg.seq, now)
        partial.parts[msg.part] = msg
        pool.held += 1
        self._held += 1
        self._held_from[partial.source] += 1
        if len(partial.parts) < msg.parts:
            return None
        parts = [partial.parts[index] for index in range(msg.parts)]
        self._release(pool, place)
        return self._apply(pool, parts, now)

    def _within_rate(self, pool: Pool, place: Place, boot: str, now: float) -> bool:
        """Count an update a served instance starts; False once it started too many this period
        (places not served yet are bounded by the key's instance and parts limits)."""
        state = pool.instances.get(place)
        if state is None or state.boot != boot:
            return True
        if now - state.window >= self.period:
            state.window, state.started = now, 0
        state.started += 1
        return state.started <= UPDATES_PER_PERIOD

    def _room_for_part(self, pool: Pool, source: str) -> bool:
        return (
            pool.held < PARTS_PER_KEY
            and self._held < PARTS_PER_SERVER
            and self._held_from[source] < PARTS_PER_SOURCE
        )

    def _release(self, pool: Pool, place: Place) -> None:
        """Forget a partial update and the room its datagrams took."""
        partial = pool.partial.pop(place)
        held = len(partial.parts)
        pool.held -= held
        self._held -= held
        left = self._held_from[partial.source] - held
        if left > 0:
            self._held_from[partial.source] = left
        else:
            del self._held_from[partial.source]

    def _apply(self, pool: Pool, parts: list[Update], now: float) -> Verdict | None:
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
            return pool.verdict(now, RESYNC)
        changes: dict[str, tuple[int, int] | None] = {}
        if head.full and current is not None:
            changes = dict.fromkeys(current.users)
        rows = 0
        for part in parts:
            changes.update(dict.fromkeys(part.removed))
            changes.update(zip(map(itemgetter(0), part.users), map(_USE, part.users), strict=True))
            rows += len(part.users)
        if not self._adds_up(head, changes, current, rows):
            self.counters["inconsistent"] += 1
            return pool.verdict(now, RESYNC)
        if state is None and len(pool.instances) >= pool.instance_limit:
            self.counters[OVER_INSTANCES] += 1
            return pool.verdict(
                now,
                NAK,
                f"the key is in use on its limit of {pool.instance_limit} instances: "
                "this one is not counted",
            )
        # Cheap bound first: only a report that might pass the limit is counted out.
        if (
            pool.distinct() + len(changes) > pool.user_limit
            and pool.distinct_after(place, changes) > pool.user_limit
        ):
            self.counters[OVER_USERS] += 1
            pool.overrun_until = now + MISSED_PERIODS * self.period
            return pool.verdict(
                now,
                NAK,
                f"the report takes the key beyond {pool.user_limit} distinct user IDs: "
                "it is not counted, and the key is NAKed",
            )
        if state is not None and current is None:
            # A new boot of the same place: the old one is gone for good.
            self._book[(head.key_id, *place, state.boot)] = (MAX_SEQ, now)
            pool.remove(place)
            state = None
        if state is None:
            self._arrivals += 1
            state = InstanceState(place, boot, head.seq, head.period, now, self._arrivals)
            pool.add(place, state)
        pool.change_users(state.place, state, changes)
        self._note_apps(state, parts, head.full)
        state.units, state.connections = head.units, head.connections
        state.seq, state.period, state.last_seen = head.seq, head.period, now
        pool.note_maximum()
        return pool.verdict(now)

    @staticmethod
    def _note_apps(state: InstanceState, parts: list[Update], full: bool) -> None:
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
        head: Update,
        changes: dict[str, tuple[int, int] | None],
        state: InstanceState | None,
        rows: int,
    ) -> bool:
        """Whether the instance's totals after the changes are those the update states."""
        if head.full:
            kept = [use for use in changes.values() if use is not None]
            return (
                rows == len(kept)
                and sum(map(itemgetter(0), kept)) == head.units
                and sum(map(itemgetter(1), kept)) == head.connections
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
        return self.pools[key].verdict(self.now())

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
                self._release(pool, place)
            ident: Sender = (pool.info.key_id, *place, who.boot)
            seen = self._book.get(ident)
            if seen is not None and seen[0] < seq:
                self._book[ident] = (seq, now)
            state = pool.instances.get(place)
            # Only that boot: a late GOODBYE of an earlier boot leaves the running one be.
            if state is not None and state.boot == who.boot:
                pool.remove(place)
                left.append(pool.info)
        return left

    # --- time -------------------------------------------------------------------------------

    def expire(self) -> list[tuple[KeyInfo, Place]]:
        """Drop instances silent for MISSED_PERIODS periods (the instance's, at most
        CLAIMED_PERIODS_CEILING of the server's), partial updates older than a server period,
        and senders of the replay book whose place is not served and were quiet for
        BOOK_PERIODS."""
        now, period = self.now(), self.period
        longest = CLAIMED_PERIODS_CEILING * period
        gone: list[tuple[KeyInfo, Place]] = []
        for pool in self.pools.values():
            for place, state in list(pool.instances.items()):
                if now - state.last_seen > MISSED_PERIODS * min(state.period, longest):
                    pool.remove(place)
                    gone.append((pool.info, place))
            for place, partial in list(pool.partial.items()):
                if now - partial.started > period:
                    self._release(pool, place)
                    self.counters["incomplete"] += 1
        forget = BOOK_PERIODS * period
        pools = self.pools
        for ident, (_seq, seen) in list(self._book.items()):
            if now - seen > forget:
                served = pools.get(ident[0])
                if served is None or (ident[1], ident[2], ident[3]) not in served.instances:
                    del self._book[ident]
        return gone

    def parts_held(self) -> int:
        """Datagrams of partial updates held, all keys."""
        return self._held

    def senders_remembered(self) -> int:
        return len(self._book)

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
