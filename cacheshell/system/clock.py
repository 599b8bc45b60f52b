"""Time for an instance: the wall clock, or a simulated clock that training scenarios and tests
advance by hand. The simulated time lives in the instance's store, so every process attached to
the instance reads the same time."""

from __future__ import annotations

import time

from cacheshell.system.store import Store

# The two clocks an instance reads; each switch between them is recorded (Store.clock_switch),
# so that what was recorded under each can be told apart (the plot of license use draws them
# as separate lines).
WALL = "wall"
SIMULATED = "simulated"


class InstanceClock:
    def __init__(self, store: Store) -> None:
        self.store = store

    @property
    def simulated(self) -> bool:
        return bool(self.store.get("clock_mode") == SIMULATED)

    def now(self) -> float:
        if self.simulated:
            return float(self.store.get("clock_now"))
        return time.time()

    def simulate(self, start: float | None = None) -> None:
        """Freeze time at `start` (default: now); from here on only advance() moves it."""
        with self.store.transaction():
            begin = self.now() if start is None else start
            if not self.simulated or begin != self.now():
                self.store.clock_switch(SIMULATED, begin)
            self.store.put("clock_now", begin)
            self.store.put("clock_mode", SIMULATED)

    def advance(self, seconds: float) -> float:
        with self.store.transaction():
            if not self.simulated:
                begin = time.time()
                self.store.clock_switch(SIMULATED, begin)
                self.store.put("clock_now", begin)
                self.store.put("clock_mode", SIMULATED)
            moved = float(self.store.get("clock_now")) + seconds
            self.store.put("clock_now", moved)
            return moved

    def use_wall_clock(self) -> None:
        with self.store.transaction():
            if self.simulated:
                self.store.clock_switch(WALL, time.time())
            self.store.put("clock_mode", WALL)


class ManualClock:
    """A clock for pure tests: it moves only when told."""

    def __init__(self, start: float = 0.0) -> None:
        self.t = start

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> float:
        self.t += seconds
        return self.t
