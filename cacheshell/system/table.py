"""The local license table's rules, as pure functions over plain values.

A license user ID holds one unit for up to MAX_CONNECTIONS processes. The process after that
turns the ID into one unit per process; it stays so until the ID has no process left, then the
next login starts again at one unit. A CSP session's ID holds one unit; a session that ended after
a single page keeps it for a grace period. The store applies these rules inside transactions.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

MAX_CONNECTIONS = 25
CSP_GRACE_SECONDS = 600
# Upper bounds, in seconds, of the login-duration histogram's first five buckets; the sixth is
# everything longer.
DURATION_BOUNDS = (1, 15, 60, 900, 3600)


@dataclass(frozen=True)
class Entry:
    """One license user ID in the table."""

    license_id: str
    connections: int = 0  # processes (terminal, ODBC, jobs...) using the ID
    csp: int = 0  # CSP sessions using the ID
    per_process: bool = False  # passed MAX_CONNECTIONS: one unit per connection until reset
    since: float = 0.0  # when the ID took its first unit
    grace_until: float | None = None  # a CSP session ended after one page: held until then
    peak: int = 0  # most connections at once since the ID took its unit (MaxCon in reports)

    @property
    def units(self) -> int:
        if self.per_process:
            return max(self.connections, 1)
        return 1 if self.connections or self.csp or self.grace_until is not None else 0

    @property
    def kind(self) -> str:
        if self.connections and self.csp:
            return "Mixed"
        if self.csp:
            return "CSP"
        if self.connections:
            return "User"
        return "Grace" if self.grace_until is not None else "User"

    @property
    def empty(self) -> bool:
        return not self.connections and not self.csp and self.grace_until is None


@dataclass(frozen=True)
class Limits:
    capacity: int  # units this instance may consume (key units, or SetUserLimit)
    connection_limit: int = 0  # SetConnectionLimit: connections per ID, 0 = none
    refuse_new_ids: bool = False  # the license server NAKs: no new license user IDs
    user_limited: bool = False  # capacity is SetUserLimit's cap, below the key's units


# Why a login was refused when the unit would pass SetUserLimit's cap, not the key's units.
ALLOCATION_EXCEEDED = "license allocation (SetUserLimit) exceeded"


@dataclass(frozen=True)
class Decision:
    granted: bool
    entry: Entry | None  # the entry after the change (None when removed)
    units_delta: int = 0
    reason: str = ""  # why a login was refused
    logged: bool = True  # refusals by SetConnectionLimit are not written to the console log
    transition: bool = False  # this login turned the ID into one unit per process

    @property
    def error(self) -> str:
        """The ObjectScript error a refused login raises: a unit past SetUserLimit's cap is
        <LICENSE ALLOCATION EXCEEDED>, any other refusal <LICENSE LIMIT EXCEEDED>."""
        if self.reason == ALLOCATION_EXCEEDED:
            return "LICENSE ALLOCATION EXCEEDED"
        return "LICENSE LIMIT EXCEEDED"


def connect(
    entry: Entry | None,
    license_id: str,
    consumed: int,
    limits: Limits,
    now: float,
    csp: bool = False,
) -> Decision:
    """A process (or CSP session) wants a unit under `license_id`."""
    # Entries are built whole rather than by dataclasses.replace, which costs as much as the
    # rest of the rule: every login and logout goes through here.
    if entry is None or entry.empty:
        current = Entry(license_id, since=now)
    elif entry.grace_until is not None and not entry.connections and not entry.csp:
        # A returning CSP user takes back the unit held in grace.
        current = Entry(entry.license_id, 0, 0, entry.per_process, entry.since, None, entry.peak)
    else:
        current = entry
    new_count = current.connections + (0 if csp else 1)
    if not csp and limits.connection_limit and new_count > limits.connection_limit:
        return Decision(False, entry, reason="connection limit for this user reached", logged=False)
    # This login turns the ID into one unit per process.
    transition = not current.per_process and new_count > MAX_CONNECTIONS
    after = Entry(
        current.license_id,
        new_count,
        current.csp + (1 if csp else 0),
        current.per_process or transition,
        current.since,
        current.grace_until,
        max(current.peak, new_count),
    )
    before_units = entry.units if entry is not None else 0
    delta = after.units - before_units
    is_new_id = entry is None or entry.empty
    if is_new_id and limits.refuse_new_ids:
        return Decision(False, entry, reason="the license server refuses new users")
    if delta > 0 and consumed + delta > limits.capacity:
        why = ALLOCATION_EXCEEDED if limits.user_limited else "no license unit available"
        return Decision(False, entry, reason=why)
    return Decision(True, after, delta, transition=transition)


def disconnect(entry: Entry, now: float, csp: bool = False, pages: int = 0) -> Decision:
    """A process exits, or a CSP session ends after `pages` pages."""
    connections = entry.connections if csp else max(entry.connections - 1, 0)
    sessions = max(entry.csp - 1, 0) if csp else entry.csp
    grace_until = entry.grace_until
    if csp and pages == 1 and not sessions and not connections:
        grace_until = now + CSP_GRACE_SECONDS
    # No process left under the ID: the per-process counting resets.
    per_process = entry.per_process and bool(connections or sessions)
    left = Entry(
        entry.license_id, connections, sessions, per_process, entry.since, grace_until, entry.peak
    )
    delta = left.units - entry.units
    return Decision(True, None if left.empty else left, delta)


def expire_grace(entry: Entry, now: float) -> Decision:
    """Drop a grace-period hold whose time has run out."""
    if entry.grace_until is None or entry.grace_until > now:
        return Decision(True, entry, 0)
    left = replace(entry, grace_until=None)
    return Decision(True, None if left.empty else left, left.units - entry.units)


def grace_remaining(entry: Entry, now: float) -> int:
    if entry.grace_until is None:
        return 0
    return max(int(entry.grace_until - now), 0)


def duration_bucket(seconds: float) -> int:
    """Index (0-5) of the login-duration histogram bucket for a session that lasted `seconds`."""
    for index, bound in enumerate(DURATION_BOUNDS):
        if seconds <= bound:
            return index
    return len(DURATION_BOUNDS)


def license_login_id(identifier: str, address: str) -> str:
    """The license ID $SYSTEM.License.Login(identifier) uses: identifier@address.

    Text after an @ in the identifier is replaced by the client address, and | becomes /.
    """
    base = identifier.split("@", 1)[0].replace("|", "/")
    return f"{base}@{address}"


MAX_LICENSE_ID = 64
