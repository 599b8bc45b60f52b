"""What a license server refuses or drops: each kind counted (the stats report shows the
counters) and told in the log at most once per period, and the budget of answers a source gets
for work that proves nothing."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable

from cacheshell.system.licserver.accounting import Accounting
from cacheshell.system.licserver.limits import (
    ANSWERS_PER_SOURCE,
    MAX_KEYS,
    OVER_INSTANCES,
    OVER_KEYS,
    OVER_USERS,
    PARTIAL_LIMIT,
    RATE_LIMITED,
    SOURCES_TRACKED,
    UNANSWERED,
)

# Every kind of datagram refused or dropped, as the log's summary names it. Each is counted (the
# stats report shows the counters) and the log has at most one line per kind per period, with
# the first case of the period when there is one: a flood must not become a flood of lines.
DROPS = {
    "malformed": "malformed datagrams",
    "forged": "forged datagrams",
    "version": "datagrams of an unknown protocol version",
    "stale": "datagrams of another epoch (before a restart, or for another server)",
    "replayed": "replayed datagrams",
    "incomplete": "multi-part updates never completed",
    "inconsistent": "updates whose parts or totals do not agree",
    "unexpected": "messages a server does not take",
    "internal": "datagrams that met an internal error",
    "refused": "key registrations refused",
    OVER_KEYS: f"key registrations beyond the limit of {MAX_KEYS} keys",
    OVER_INSTANCES: "new instances beyond their key's instance limit",
    OVER_USERS: "reports beyond their key's user limit",
    PARTIAL_LIMIT: "parts of multi-part updates beyond the parts held",
    RATE_LIMITED: "updates beyond an instance's rate",
    UNANSWERED: "answers withheld from a source beyond its budget",
}
# Counted (stats) but deliberately not summarised, being what every instance does once per
# server start: "first_contact" (a request of no epoch, answered with the epoch) and
# "unknown_key" (a request under a key its boot has yet to register, answered NEEDKEY). A flood
# of either costs a lookup; answers to it beyond the source's budget are summarised as UNANSWERED.


class Drops:
    """The drops of one server: counted in its `counters` (the accounting counts its own), the
    first case of each kind kept for the period's summary line."""

    def __init__(
        self,
        counters: Counter[str],
        accounting: Accounting,
        log: logging.Logger,
        now: Callable[[], float],
    ) -> None:
        self.counters = counters
        self.accounting = accounting
        self.log = log
        self.now = now
        self._reported: Counter[str] = Counter()
        self._first: dict[str, str] = {}  # the first case of each kind since the last summary
        self._answered: Counter[str] = Counter()  # unauthenticated answers per source, period
        self._answers_since = now()

    def tick(self) -> None:
        """Once a period: a fresh budget for every source, and the log's summary."""
        now = self.now()
        if now - self._answers_since >= self.accounting.period:
            self._answered.clear()
            self._answers_since = now
            self._report()

    def _report(self) -> None:
        """One log line per kind of drop that happened since the last report."""
        accounting = self.accounting.counters
        for kind, what in DROPS.items():
            total = self.counters[kind] + accounting[kind]
            fresh = total - self._reported[kind]
            if fresh <= 0:
                continue
            self._reported[kind] = total
            first = self._first.get(kind)
            self.log.warning(
                "%d %s since the last report%s",
                fresh,
                what,
                f"; the first {first}" if first else "",
            )
        self._first.clear()

    def drop(self, reason: str, source: object, detail: object) -> None:
        """Count a datagram refused or dropped; the first of each kind per period is told in the
        next summary line."""
        self.counters[reason] += 1
        if reason not in self._first:
            self._first[reason] = f"from {_shown(source)}: {detail}"

    def may_answer(self, source: object) -> bool:
        """Whether an answer to work that proves nothing may go to `source` this period."""
        host = source_host(source)
        count = self._answered.get(host)
        if count is None and len(self._answered) >= SOURCES_TRACKED:
            count = ANSWERS_PER_SOURCE  # the table is full: new sources wait for the next period
        if count is not None and count >= ANSWERS_PER_SOURCE:
            self.drop(UNANSWERED, source, "its answers this period are used up")
            return False
        self._answered[host] = (count or 0) + 1
        return True


def source_host(source: object) -> str:
    """The address part of a datagram's source (an (address, port) pair from the socket)."""
    if isinstance(source, tuple) and source:
        return str(source[0])
    return ""


def _shown(source: object) -> str:
    if isinstance(source, tuple) and len(source) >= 2:
        return f"{source[0]}:{source[1]}"
    return str(source)
