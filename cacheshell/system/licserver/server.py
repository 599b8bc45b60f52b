"""The license server's logic over bytes: a datagram in, the datagrams to send back out, and
the report files it writes on request. The asyncio daemon (daemon.py) only moves the bytes.

Each start draws a new epoch: requests of another one are refused as stale and answered with an
EPOCH notice only. An instance boot is served under a key once it registered that key in this
epoch, and the reports that span keys show it only the keys it registered.
"""

from __future__ import annotations

import logging
import socket
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from cacheshell.system import reports
from cacheshell.system.files import write_atomically
from cacheshell.system.keys import read_key
from cacheshell.system.layout import cacheshell_home
from cacheshell.system.licserver.accounting import (
    MISSED_PERIODS,
    NAK,
    Accounting,
    Place,
    Verdict,
    key_info,
)
from cacheshell.system.licserver.limits import (
    ANSWERS_PER_SOURCE,
    DUMP_ALL_PERIODS,
    MAX_KEYS,
    OVER_INSTANCES,
    OVER_KEYS,
    OVER_USERS,
    PARTIAL_LIMIT,
    RATE_LIMITED,
    SOURCES_TRACKED,
    UNANSWERED,
)
from cacheshell.system.licserver.protocol import (
    DUMP_REPORTS,
    GOODBYE_COUNT,
    GOODBYE_REPORT,
    NO_EPOCH,
    ROW_REPORTS,
    Answer,
    DomainKeys,
    EpochNotice,
    ForgedDatagram,
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
    UnknownVersion,
    Update,
    decode,
    encode,
    encode_answer,
    new_epoch,
    reply_budget,
    rows_fitting,
)
from cacheshell.system.server_views import ConnectionRow
from cacheshell.system.signing import trusted_public_keys, verify

SERVER_VERSION = "cacheshell-1"
# A report's rows are computed once and paged from this snapshot for a while.
SNAPSHOT_SECONDS = 30.0
SNAPSHOTS_KEPT = 64
# Refused keys are remembered (not verified again) up to this many.
REFUSALS_KEPT = 1024
# The instance boots whose registered keys are remembered, at most. Registering takes no room
# under a key's instance limit, so a holder of the domain secret can fill this table from fake
# places: the one forgotten for a newcomer is the oldest that no key it registered serves (it
# registered and never reported), looked for among the HOLDERS_SCANNED oldest; only when all of
# those are served is the oldest forgotten. A holder forgotten registers again when asked to.
HOLDERS_KEPT = 65536
HOLDERS_SCANNED = 16
# Training: while DIR/partition-<INSTANCE> exists the server ignores that instance's datagrams
# (a network partition rehearsed without touching the network); markers are read this often.
PARTITION_PREFIX = "partition-"
PARTITION_SCAN = 0.1
# The file each dump report writes in the server's directory.
DUMP_FILES = {
    "dumpserver": "dumpserver.txt",
    "dumpservers": "dumpservers.txt",
    "dumpkey": "dumpkey.txt",
    "dumpkeys": "dumpkeys.txt",
}
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
# Instances expiring at one tick are named one by one up to this many, then only counted.
EXPIRIES_LOGGED = 10
# The dumps of everything, rewritten at most once per DUMP_ALL_PERIODS server periods.
DUMPS_OF_ALL = ("dumpkeys", "dumpservers")


class LicenseServer:
    """The server's logic over bytes in and bytes out; the asyncio endpoint only moves them."""

    def __init__(
        self,
        directory: Path,
        period: float,
        log: logging.Logger,
        *,
        secret: bytes,
        now: Callable[[], float] = time.monotonic,
        trusted: list[Ed25519PublicKey] | None = None,
        label: str = "",
    ) -> None:
        self.directory = directory
        self.keys = DomainKeys.from_secret(secret)
        self.epoch = new_epoch()
        self.log = log
        self.label = label
        self.now = now
        self.accounting = Accounting(now, period)
        self.counters: Counter[str] = Counter()
        self.trusted = trusted if trusted is not None else trusted_public_keys(cacheshell_home())
        # The keys each place registered in this epoch, for the boot that registered them.
        self._holders: dict[Place, tuple[str, set[bytes]]] = {}
        self._refused: dict[bytes, str] = {}
        self._status: dict[bytes, str] = {}
        self._snapshots: dict[tuple[bytes, str, str], tuple[float, list[Row]]] = {}
        self._reported_drops: Counter[str] = Counter()
        self._first_drop: dict[str, str] = {}  # the first case of each kind since the last tick
        self._answered: Counter[str] = Counter()  # unauthenticated answers per source, period
        self._answers_since = now()
        self._dumped: dict[str, tuple[float, dict[str, str | int]]] = {}
        self._partitioned: set[str] = set()
        # The last instance served signed off (a goodbye, not an expiry): nobody needs it now.
        self.unused = False
        self.on_unused: Callable[[], None] | None = None  # told at once when it becomes unused
        self._partition_scan = -PARTITION_SCAN

    # --- datagrams --------------------------------------------------------------------------

    def handle(self, data: bytes, source: object = None) -> list[bytes]:
        """The datagrams to send back to the source of `data` (none for what is dropped)."""
        self.counters["received"] += 1
        try:
            # orjson reads a full report's body in well under half of json's time, into the
            # same objects for every body the field checks take. It also refuses a lone
            # surrogate escape (text no answer or report could carry back out) and a number
            # beyond a double's range (json's infinity, which no field check takes).
            epoch, msg = decode(data, self.keys, orjson.loads)
        except ForgedDatagram as exc:
            self._drop("forged", source, exc)
            return []
        except UnknownVersion as exc:
            self._drop("version", source, exc)
            return []
        except ProtocolError as exc:
            self._drop("malformed", source, exc)
            return []
        self._scan_partitions()
        if self._partitioned and self._cut_off(msg):
            self.counters["partitioned"] += 1
            return []
        if isinstance(msg, Ping):
            if not self._may_answer(source):
                return []
            return [self._encode(Pong(msg.nonce, SERVER_VERSION))]
        if epoch != self.epoch:
            return self._stale(msg, epoch, source)
        return self._dispatch(msg, source)

    def _encode(self, msg: Message) -> bytes:
        return encode(msg, self.keys, self.epoch)

    def _stale(self, msg: Message, epoch: bytes, source: object) -> list[bytes]:
        """A request of another epoch (before a restart, or meant for another server): refused,
        and answered only with this epoch, so that a live sender registers and reports again."""
        if not isinstance(msg, KeyRegistration | Update | Query | Goodbye):
            self._drop("unexpected", source, f"{type(msg).__name__} sent to a server")
            return []
        if epoch == NO_EPOCH:
            # A first contact: every instance starting sends one. Counted apart from "stale",
            # which the log summarises: a warning per instance start would be noise.
            self.counters["first_contact"] += 1
        else:
            self._drop("stale", source, f"{msg.kind.name} of another epoch")
        if not self._may_answer(source):
            return []
        return [self._encode(EpochNotice(msg.key_id, msg.seq, msg.instance))]

    def _holds(self, msg: Update | Query | Goodbye) -> bool:
        """Whether the sending boot registered the request's key in this epoch."""
        held = self._holders.get(msg.instance.place)
        return (
            held is not None
            and held[0] == msg.instance.boot
            and msg.key_id in held[1]
            and self.accounting.knows(msg.key_id)
        )

    def _held_keys(self, who: InstanceId) -> set[bytes]:
        held = self._holders.get(who.place)
        return held[1] if held is not None and held[0] == who.boot else set()

    def _note_holder(self, msg: KeyRegistration) -> None:
        place, boot = msg.instance.place, msg.instance.boot
        held = self._holders.get(place)
        if held is None or held[0] != boot:
            if held is None and len(self._holders) >= HOLDERS_KEPT:
                self._holders.pop(self._forgettable())
            held = self._holders[place] = (boot, set())
        held[1].add(msg.key_id)

    def _forgettable(self) -> Place:
        """The holder to forget for a new one (see HOLDERS_KEPT). The served ones looked at go
        to the back, so the next look starts past them."""
        holders, pools = self._holders, self.accounting.pools
        for _ in range(min(len(holders), HOLDERS_SCANNED)):
            place = next(iter(holders))
            if not any(key in pools and place in pools[key].instances for key in holders[place][1]):
                return place
            holders[place] = holders.pop(place)
        return next(iter(holders))

    # --- training: instances partitioned off ------------------------------------------------

    def _scan_partitions(self, force: bool = False) -> None:
        """Read the partition-<INSTANCE> markers of the directory, at most every PARTITION_SCAN
        seconds (real time: markers are files, whatever clock the accounting runs on)."""
        now = time.monotonic()
        if not force and now - self._partition_scan < PARTITION_SCAN:
            return
        self._partition_scan = now
        try:
            found = {
                path.name[len(PARTITION_PREFIX) :].upper()
                for path in self.directory.glob(PARTITION_PREFIX + "*")
            }
        except OSError:
            found = set()
        if found != self._partitioned:
            for name in sorted(found - self._partitioned):
                self.log.info("training: instance %s is partitioned off (ignored)", name)
            for name in sorted(self._partitioned - found):
                self.log.info("training: instance %s is heard again", name)
            self._partitioned = found

    def _cut_off(self, msg: Message) -> bool:
        """Whether a datagram comes from an instance held partitioned off."""
        if isinstance(msg, Ping):
            name = msg.instance
        else:
            sender = getattr(msg, "instance", None)
            name = sender.name if isinstance(sender, InstanceId) else ""
        return bool(name) and name.upper() in self._partitioned

    def _dispatch(self, msg: Message, source: object) -> list[bytes]:
        if type(msg) is Update and self._holds(msg):  # nearly every datagram: first
            verdict = self.accounting.update(msg, _host(source))
            return [] if verdict is None else [self._answer(msg, verdict)]
        if isinstance(msg, Update | Query | Goodbye) and not self._holds(msg):
            # Normal on first contact with this epoch: the sender registers the key first.
            self.counters["unknown_key"] += 1
            if not self._may_answer(source):
                return []
            return [self._encode(NeedKey(msg.key_id, msg.seq))]
        if isinstance(msg, KeyRegistration):
            return self._register(msg, source)
        if isinstance(msg, Query):
            if not self.accounting.fresh(msg.key_id, msg.instance, msg.seq):
                return []
            return [self._reply(msg)]
        if isinstance(msg, Goodbye):
            return self._goodbye(msg)
        self._drop("unexpected", source, f"{type(msg).__name__} sent to a server")
        return []

    def _register(self, msg: KeyRegistration, source: object) -> list[bytes]:
        key = read_key(msg.key_text)  # decode() already read it: this cannot fail
        reason = self._refused.get(msg.key_id)
        kind = "refused"
        if reason is None and not self.accounting.knows(msg.key_id):
            if len(self.accounting.pools) >= MAX_KEYS:
                # Checked first: the signature check is the costly part of a registration.
                kind = OVER_KEYS
                reason = f"the license server serves its limit of {MAX_KEYS} keys"
            elif not verify(key.file, self.trusted):
                reason = "the key's signature is not valid or its issuer is not trusted"
            elif not key.is_multiserver:
                reason = "a Single-server key is not shared: only Multiserver keys are"
            if kind == OVER_KEYS:
                pass  # not kept: a key served may go away and make room (a restart)
            elif reason is not None:
                if len(self._refused) >= REFUSALS_KEPT:  # anyone may mint refusable keys
                    self._refused.pop(next(iter(self._refused)))
                self._refused[msg.key_id] = reason
            else:
                self.accounting.add_key(key_info(key))
                self.log.info(
                    "serving key OrderNumber %s (%d units), registered by %s/%s",
                    key.file.order_number,
                    key.units,
                    msg.instance.host,
                    msg.instance.name,
                )
        if reason is not None:
            self._drop(
                kind,
                source,
                f"key OrderNumber {key.file.order_number} registered by "
                f"{msg.instance.host}/{msg.instance.name}: {reason}",
            )
            if not self._may_answer(source):
                return []
            refusal = Answer(
                msg.key_id, msg.seq, msg.instance, "REFUSED", 0, key.units, 0, 0, reason=reason
            )
            return [self._encode(refusal)]
        if not self.accounting.fresh(msg.key_id, msg.instance, msg.seq):
            return []
        self._note_holder(msg)
        return [self._answer(msg, self.accounting.verdict(msg.key_id))]

    def _answer(self, msg: Update | KeyRegistration, verdict: Verdict) -> bytes:
        self.counters[verdict.status.lower()] += 1
        before = self._status.get(msg.key_id)
        # A NAK with a reason answers one instance over a limit: not a change of the key's status.
        if verdict.status in ("ACK", "NAK") and verdict.status != before and not verdict.reason:
            self._status[msg.key_id] = verdict.status
            if before is not None or verdict.status == NAK:
                self.log.info(
                    "key %s: %s, %d units in use of %d",
                    self.accounting.pools[msg.key_id].info.order_number,
                    verdict.status,
                    verdict.combined,
                    verdict.authorized,
                )
        request = (msg.key_id, msg.seq, msg.instance)
        counts = (
            verdict.status,
            verdict.combined,
            verdict.authorized,
            verdict.maximum,
            verdict.instance_count,
        )
        listed = verdict.instances
        while True:
            try:
                return encode_answer(self.keys, self.epoch, request, counts, listed, verdict.reason)
            except ProtocolError:
                listed = listed[: len(listed) // 2]  # long names: list fewer of them

    def _goodbye(self, msg: Goodbye) -> list[bytes]:
        left = self.accounting.goodbye(msg.key_id, msg.instance, msg.seq)
        if left is None:
            return []
        remaining = self.accounting.live_instances()
        self.unused = remaining == 0
        if self.unused and self.on_unused is not None:
            self.on_unused()  # the reply below still goes out: the stop comes after
        for info in left:
            self.log.info(
                "instance %s/%s of key %s said goodbye; %d instances left",
                msg.instance.host,
                msg.instance.name,
                info.order_number,
                remaining,
            )
        reply = Reply(
            msg.key_id,
            msg.seq,
            msg.instance,
            GOODBYE_REPORT,
            0,
            None,
            0,
            values=((GOODBYE_COUNT, remaining),),
        )
        return [self._encode(reply)]

    def _reply(self, msg: Query) -> bytes:
        values: dict[str, str | int] = {}
        rows: list[Row] = []
        if msg.report in ROW_REPORTS:
            rows = self._snapshot(msg)
        elif msg.report == "summary":
            summary = self.accounting.summary(msg.key_id)
            values = {name: getattr(summary, name) for name in summary.__dataclass_fields__}
        elif msg.report == "stats":
            values = {
                **self.counters,
                **self.accounting.counters,
                "keys": len(self.accounting.pools),
                "instances": self.accounting.live_instances(),
                "parts_held": self.accounting.parts_held(),
                "senders_remembered": self.accounting.senders_remembered(),
                "holders": len(self._holders),
            }
        elif msg.report in DUMP_REPORTS:
            values = self._write_dump(msg)
        else:
            values = {"error": f"unknown report {msg.report!r}"}
        skeleton = Reply(
            msg.key_id,
            msg.seq,
            msg.instance,
            msg.report,
            msg.offset,
            len(rows),
            len(rows),
            (),
            tuple(values.items()),
        )
        end = rows_fitting(rows, msg.offset, reply_budget(skeleton))
        page = Reply(
            msg.key_id,
            msg.seq,
            msg.instance,
            msg.report,
            msg.offset,
            end if end < len(rows) else None,
            len(rows),
            tuple(rows[msg.offset : end]),
            tuple(values.items()),
        )
        return self._encode(page)

    def _snapshot(self, msg: Query) -> list[Row]:
        """The report's rows as of the first page, so that a paged report is consistent."""
        ident = (msg.key_id, msg.instance.boot, msg.report)
        kept = self._snapshots.get(ident)
        if msg.offset and kept is not None:
            return kept[1]
        # The reports that span keys show only the keys the asker holds: a key is no licence to
        # read who uses the others.
        held = self._held_keys(msg.instance)
        mine = [info for info in self.accounting.keys() if info.key_id in held]
        if msg.report == "keys":
            rows: list[Row] = [tuple(value for _, value in info.fields) for info in mine]
        elif msg.report == "instances":
            rows = [
                (address, name, info.order_number)
                for info in mine
                for address, name, _identity in self.accounting.pools[info.key_id].instances
            ]
        elif msg.report == "connapps":
            rows = [
                (*_connection(row, False), row.apps)
                for row in self.accounting.connections(msg.key_id)
            ]
        else:
            every = msg.report == "allconnections"
            found = (
                [row for info in mine for row in self.accounting.connections(info.key_id)]
                if every
                else self.accounting.connections(msg.key_id)
            )
            rows = [_connection(row, every) for row in found]
        if len(self._snapshots) >= SNAPSHOTS_KEPT:
            self._snapshots.pop(next(iter(self._snapshots)))
        self._snapshots[ident] = (self.now(), rows)
        return rows

    def _write_dump(self, msg: Query) -> dict[str, str | int]:
        if msg.report in DUMPS_OF_ALL:
            written = self._dumped.get(msg.report)
            every = DUMP_ALL_PERIODS * self.accounting.period
            if written is not None and self.now() - written[0] < every:
                self.counters["dumps_reused"] += 1
                return written[1]
        accounting = self.accounting
        asker = f"{msg.instance.host}/{msg.instance.name}"
        if msg.report == "dumpserver":
            views = accounting.server_views(msg.instance.place, msg.key_id)
            body = reports.dump_server(views[0] if views else None, asker)
        elif msg.report == "dumpservers":
            held = self._held_keys(msg.instance)
            body = reports.dump_servers(
                [
                    view
                    for info in accounting.keys()
                    if info.key_id in held
                    for view in accounting.server_views(key=info.key_id)
                ]
            )
        elif msg.report == "dumpkey":
            body = reports.dump_key(accounting.key_view(msg.key_id))
        else:
            held = self._held_keys(msg.instance)
            body = reports.dump_keys(
                [
                    accounting.key_view(info.key_id)
                    for info in accounting.keys()
                    if info.key_id in held
                ]
            )
        name = DUMP_FILES[msg.report]
        stamp = datetime.now().strftime("%m/%d/%Y %H:%M:%S")
        title = f"{msg.report} requested by {asker}"
        path = self.directory / name
        # A reader never sees half a report.
        write_atomically(path, reports.server_dump_heading(title, self.label, stamp) + body)
        self.log.info("wrote %s for %s", path, asker)
        values: dict[str, str | int] = {
            "host": socket.gethostname(),
            "directory": str(self.directory.resolve()),
            "file": name,
        }
        self._dumped[msg.report] = (self.now(), values)
        return values

    # --- time -------------------------------------------------------------------------------

    def tick(self) -> None:
        """Expire silent instances and stale snapshots; once a period, log what was dropped."""
        expired = self.accounting.expire()
        for info, (address, name, _identity) in expired[:EXPIRIES_LOGGED]:
            self.log.info(
                "instance %s/%s of key %s expired: no update for %d periods",
                address,
                name,
                info.order_number,
                MISSED_PERIODS,
            )
        if len(expired) > EXPIRIES_LOGGED:
            self.log.info(
                "%d more instances expired: no update for %d periods",
                len(expired) - EXPIRIES_LOGGED,
                MISSED_PERIODS,
            )
        now = self.now()
        for ident, (taken, _rows) in list(self._snapshots.items()):
            if now - taken > SNAPSHOT_SECONDS:
                del self._snapshots[ident]
        if now - self._answers_since >= self.accounting.period:
            # The budgets of sources and the log's summary both go by the server's period.
            self._answered.clear()
            self._answers_since = now
            self._report_drops()

    def _report_drops(self) -> None:
        """One log line per kind of drop that happened since the last report."""
        accounting = self.accounting.counters
        for kind, what in DROPS.items():
            total = self.counters[kind] + accounting[kind]
            fresh = total - self._reported_drops[kind]
            if fresh <= 0:
                continue
            self._reported_drops[kind] = total
            first = self._first_drop.get(kind)
            self.log.warning(
                "%d %s since the last report%s",
                fresh,
                what,
                f"; the first {first}" if first else "",
            )
        self._first_drop.clear()

    def _drop(self, reason: str, source: object, detail: object) -> None:
        """Count a datagram refused or dropped; the first of each kind per period is told in the
        next summary line."""
        self.counters[reason] += 1
        if reason not in self._first_drop:
            self._first_drop[reason] = f"from {_shown(source)}: {detail}"

    def _may_answer(self, source: object) -> bool:
        """Whether an answer to work that proves nothing may go to `source` this period."""
        host = _host(source)
        count = self._answered.get(host)
        if count is None and len(self._answered) >= SOURCES_TRACKED:
            count = ANSWERS_PER_SOURCE  # the table is full: new sources wait for the next period
        if count is not None and count >= ANSWERS_PER_SOURCE:
            self._drop(UNANSWERED, source, "its answers this period are used up")
            return False
        self._answered[host] = (count or 0) + 1
        return True


def _host(source: object) -> str:
    """The address part of a datagram's source (an (address, port) pair from the socket)."""
    if isinstance(source, tuple) and source:
        return str(source[0])
    return ""


def _shown(source: object) -> str:
    if isinstance(source, tuple) and len(source) >= 2:
        return f"{source[0]}:{source[1]}"
    return str(source)


def _connection(row: ConnectionRow, with_order: bool) -> Row:
    cells: Row = (row.user, row.units, row.connections, row.address, row.instance)
    return (*cells, row.order_number) if with_order else cells
