"""An instance's choice of active license server among the configured ones.

The servers are probed in configured order, so that every instance sharing a key makes the
same choice. The rule: an instance is on a live server within FAILOVER_PERIODS update periods of
its active server's last answer. The silent server is given up SWITCH_ALLOWANCE before that
limit, counted from the answer's time rather than at the monitor's next period, so that the
switch (the monitor waking, one full update to the next server) lands within it. While it is silent
(an update of it went unanswered) the servers after it are probed ahead, so that the one to
take over is already known, and already holds the key, when the limit comes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TypeVar

FAILOVER_PERIODS = 2
# Update periods the switch to the next server may take, so the silent one is given up that much
# ahead of the limit: the monitor's wake-up latency under load plus a probe and one full update
# to the standby that already holds the key. Timed in benchmarks/failover.py's instance services
# (0.5 s periods, 4 instances x 100 users, 2 cores at load 4-7): wake-up 0.3-4 ms, the standby
# answering its probe 2-7 ms after it, the full update and its record in the store 4-13 ms
# after it (17 ms at most in 20 switches); before this allowance, runs took 2.01-2.03 periods.
# 0.05 of that period is 25 ms.
SWITCH_ALLOWANCE = 0.05
T = TypeVar("T")


def choose_active(
    servers: Sequence[T], answering: Callable[[T], bool] | Sequence[bool]
) -> int | None:
    """The first server in configured order that answers, or None when none does."""
    for index, server in enumerate(servers):
        if answering(server) if callable(answering) else answering[index]:
            return index
    return None


class ActiveServer:
    """One instance's choice of active server, so that every instance makes the same one.

    `select()` once per update period and when `silence_left()` reaches zero: with no active
    server, the first that answers becomes it; an earlier server in the configured order that
    answers again takes over at once; the active one is abandoned SWITCH_ALLOWANCE short of
    FAILOVER_PERIODS periods without an answer (`answered()` records one), for the first server
    after it that answers.
    `changed` tells the monitor to report in full.
    """

    def __init__(
        self,
        servers: Sequence[T],
        period: float,
        probe: Callable[[T], bool],
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.servers = list(servers)
        self.period = period
        self.probe = probe
        self.now = now
        self.index: int | None = None
        self._last_answer = 0.0
        self._standby: int | None = None  # found answering while the active one is silent

    def answered(self) -> None:
        self._last_answer = self.now()
        self._standby = None

    def silence_left(self) -> float | None:
        """Seconds before the active server's silence is given up (0 once it is): SWITCH_ALLOWANCE
        short of FAILOVER_PERIODS periods since its last answer; None with no active server."""
        if self.index is None:
            return None
        limit = (FAILOVER_PERIODS - SWITCH_ALLOWANCE) * self.period
        return max(0.0, self._last_answer + limit - self.now())

    def standby(self) -> int | None:
        """The active server went unanswered: probe the servers after it in configured order,
        and keep the first that answers as the one to take over (None when none does)."""
        if self.index is None:
            return None
        after = self.servers[self.index + 1 :]
        found = choose_active(after, self.probe)
        self._standby = None if found is None else self.index + 1 + found
        return self._standby

    def select(self) -> tuple[int | None, bool]:
        """(active index or None, whether it changed since the last call)."""
        before = self.index
        if self.index is not None:
            earlier = choose_active(self.servers[: self.index], self.probe)
            if earlier is not None:
                self.index = earlier
            elif self.silence_left() == 0:
                self.index = self._successor(self.index)
        else:
            self.index = choose_active(self.servers, self.probe)
        if self.index != before:
            self._standby = None
            if self.index is not None:
                self._last_answer = self.now()
        return self.index, self.index != before

    def _successor(self, silent: int) -> int | None:
        """The first server after the silent one that answers. The servers before it were just
        probed; those between it and the standby were silent when the standby was found, so
        the standby is asked first."""
        standby = self._standby
        if standby is not None and self.probe(self.servers[standby]):
            return standby
        return next(
            (
                i
                for i in range(silent + 1, len(self.servers))
                if i != standby and self.probe(self.servers[i])
            ),
            None,
        )
