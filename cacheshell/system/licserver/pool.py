"""One key's share of the license server's state: its instances, what each last reported, and
the incremental aggregate behind the key's combined use (the rule is accounting.py's), with the
verdict an update is answered."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from operator import itemgetter
from typing import NamedTuple, cast

from cacheshell.system.licserver.limits import instance_limit, user_limit
from cacheshell.system.licserver.protocol import Update
from cacheshell.system.server_views import SHARED, ConnectionRow, KeyInfo, Summary

LISTED = 16  # the instances a verdict names, at most (it counts them all)
ACK, NAK, RESYNC = "ACK", "NAK", "RESYNC"

Place = tuple[str, str, str]  # host address, instance name, identity
Listed = tuple[str, str]  # host address, instance name: what reports show of a place


class Verdict(NamedTuple):
    """What an update or registration is answered (a named tuple: one is made per datagram)."""

    status: str
    combined: int
    authorized: int
    maximum: int
    instances: tuple[Listed, ...]  # the first LISTED of them, in the order they arrived
    instance_count: int
    reason: str = ""  # why a NAK was given beyond the key's units being in use


@dataclass(slots=True)
class InstanceState:
    place: Place  # the one tuple that stands for the place in every table of its pool
    boot: str
    seq: int
    period: float
    last_seen: float
    arrival: int
    window: float = 0.0  # when the instance's current rate window began
    started: int = 0  # updates it started in that window
    users: dict[str, tuple[int, int]] = field(default_factory=dict)
    units: int = 0
    connections: int = 0
    apps: dict[str, str] = field(default_factory=dict)


@dataclass
class Partial:
    boot: str
    seq: int
    started: float
    source: str
    parts: dict[int, Update]


class Pool:
    """One key: its instances and the incremental per-user aggregate behind combined use.

    An ID held by one instance (the usual case) maps to that instance's place, and its charge
    is that instance's units; only an ID that instances share gets a set of places and a
    charge of its own. The uses themselves live once, in each instance's `users`."""

    def __init__(self, info: KeyInfo) -> None:
        self.info = info
        capacity = max(info.authorized, info.enforced)
        self.user_limit = user_limit(capacity)
        self.instance_limit = instance_limit(capacity)
        self.overrun_until = float("-inf")  # NAK for all until then: IDs beyond the user limit
        self.held = 0  # datagrams of partial updates held
        self.instances: dict[Place, InstanceState] = {}
        self.partial: dict[Place, Partial] = {}
        self.holders: dict[str, Place] = {}  # an ID held by one instance: its place
        self.shared: dict[str, set[Place]] = {}  # an ID held by several: their places
        self.charged: dict[str, int] = {}  # a shared ID's charge
        self.combined = 0
        self.connections = 0
        self.maximum = 0
        self.max_connections = 0
        self._listed: tuple[Listed, ...] | None = None
        self._listed_places: tuple[Place, ...] = ()

    def distinct(self) -> int:
        return len(self.holders) + len(self.shared)

    def change_users(
        self, place: Place, state: InstanceState, changes: dict[str, tuple[int, int] | None]
    ) -> None:
        """Set users of one instance, or drop those mapped to None (totals are the caller's).
        `place` is the instance's key in `instances` (or was, for one being removed)."""
        users, holders, shared = state.users, self.holders, self.shared
        if changes == users:
            return  # a full report of what the instance reported last: the usual period
        if (
            not users
            and None not in changes.values()
            and holders.keys().isdisjoint(changes)
            and shared.keys().isdisjoint(changes)
        ):
            # A new instance (or one back after a failover) whose IDs no other holds: taken
            # whole, without a look per ID.
            uses = cast(dict[str, tuple[int, int]], changes)
            users.update(uses)
            holders.update(dict.fromkeys(uses, place))
            self.combined += sum(map(itemgetter(0), uses.values()))
            self.connections += sum(map(itemgetter(1), uses.values()))
            return
        combined = connections = 0
        for user, use in changes.items():
            before = users.get(user)
            if use == before:
                continue
            if use is not None:
                users[user] = use
                connections += use[1]
            else:
                del users[user]
            if before is not None:
                connections -= before[1]
            one = holders.get(user)
            if one is place or (one is not None and one == place):  # this instance's alone
                if use is None:
                    del holders[user]
                    combined -= before[0]  # type: ignore[index]
                else:
                    combined += use[0] - (before[0] if before is not None else 0)
            elif one is None and user not in shared:  # a new ID
                holders[user] = place
                combined += use[0]  # type: ignore[index]
            else:
                combined += self._share(user, place, use is not None, one)
        self.combined += combined
        self.connections += connections

    def _share(self, user: str, place: Place, holds: bool, one: Place | None) -> int:
        """An ID that another instance holds too: the change of its charge, the most units
        one instance charges it (one unit, shared)."""
        places = self.shared.get(user)
        if places is None:  # held by `one` alone until now
            assert one is not None
            before = self.instances[one].users[user][0]
            del self.holders[user]
            places = self.shared[user] = {one}
        else:
            before = self.charged[user]
        if holds:
            places.add(place)
        else:
            places.discard(place)
        after = max(self.instances[at].users[user][0] for at in places)
        if len(places) == 1:
            self.holders[user] = next(iter(places))
            del self.shared[user], self.charged[user]
        else:
            self.charged[user] = after
        return after - before

    def add(self, place: Place, state: InstanceState) -> None:
        self.instances[place] = state
        if len(self.instances) <= LISTED:
            self._listed = None

    def remove(self, place: Place) -> None:
        state = self.instances.pop(place)
        if self._listed is None or place in self._listed_places:
            self._listed = None
        self.change_users(state.place, state, dict.fromkeys(state.users))

    def note_maximum(self) -> None:
        self.maximum = max(self.maximum, self.combined)
        self.max_connections = max(self.max_connections, self.connections)

    def verdict(self, now: float, status: str | None = None, reason: str = "") -> Verdict:
        if status is None:
            within = self.combined <= self.info.authorized and now > self.overrun_until
            status = ACK if within else NAK
        if self._listed is None:
            self._listed_places = tuple(islice(self.instances, LISTED))
            self._listed = tuple((address, name) for address, name, _ in self._listed_places)
        return Verdict(
            status,
            self.combined,
            self.info.authorized,
            self.maximum,
            self._listed,
            len(self.instances),
            reason,
        )

    def distinct_after(self, place: Place, changes: dict[str, tuple[int, int] | None]) -> int:
        """How many distinct user IDs the key would have with these changes of one place."""
        count = self.distinct()
        holders, shared = self.holders, self.shared
        for user, use in changes.items():
            one = holders.get(user)
            if use is not None and one is None and user not in shared:
                count += 1
            elif use is None and one is not None and one == place:
                count -= 1
        return count

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
        instances = self.instances
        for user in sorted([*self.holders, *self.shared]):
            one = self.holders.get(user)
            ranked = (
                [one]  # one holder, the usual case: nothing to rank
                if one is not None
                else sorted(
                    self.shared[user],
                    key=lambda at: (-instances[at].users[user][0], instances[at].arrival),
                )
            )
            for rank, place in enumerate(ranked):
                units, connections = instances[place].users[user]
                yield (
                    place,
                    ConnectionRow(
                        user,
                        str(units) if rank == 0 else SHARED,
                        connections,
                        place[0],
                        place[1],
                        self.info.order_number,
                        instances[place].apps.get(user, ""),
                    ),
                )
