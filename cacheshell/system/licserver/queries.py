"""The license server's answers to QUERY: a report's rows, paged from a snapshot taken at its
first page; the summary and stats values; and the dump files, written in the server's
directory. Reports that span keys show only the keys the asking instance boot registered."""

from __future__ import annotations

import logging
import socket
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from cacheshell.system import reports
from cacheshell.system.files import write_atomically
from cacheshell.system.licserver.accounting import Accounting
from cacheshell.system.licserver.limits import DUMP_ALL_PERIODS
from cacheshell.system.licserver.protocol import (
    DUMP_REPORTS,
    ROW_REPORTS,
    InstanceId,
    Query,
    Reply,
    Row,
    reply_budget,
    rows_fitting,
)
from cacheshell.system.server_views import ConnectionRow

# A report's rows are computed once and paged from this snapshot for a while.
SNAPSHOT_SECONDS = 30.0
SNAPSHOTS_KEPT = 64
# The file each dump report writes in the server's directory.
DUMP_FILES = {
    "dumpserver": "dumpserver.txt",
    "dumpservers": "dumpservers.txt",
    "dumpkey": "dumpkey.txt",
    "dumpkeys": "dumpkeys.txt",
}
# The dumps of everything, rewritten at most once per DUMP_ALL_PERIODS server periods.
DUMPS_OF_ALL = ("dumpkeys", "dumpservers")


class Queries:
    """The reports of one server over its accounting; `held_keys` tells the keys an instance
    boot registered, `stats` the stats report's values."""

    def __init__(
        self,
        accounting: Accounting,
        directory: Path,
        label: str,
        log: logging.Logger,
        now: Callable[[], float],
        counters: Counter[str],
        held_keys: Callable[[InstanceId], set[bytes]],
        stats: Callable[[], dict[str, str | int]],
    ) -> None:
        self.accounting = accounting
        self.directory = directory
        self.label = label
        self.log = log
        self.now = now
        self.counters = counters
        self._held_keys = held_keys
        self._stats = stats
        self._snapshots: dict[tuple[bytes, str, str], tuple[float, list[Row]]] = {}
        self._dumped: dict[str, tuple[float, dict[str, str | int]]] = {}

    def reply(self, msg: Query) -> Reply:
        """The page of the report the query asks for (its values, or the file it wrote)."""
        values: dict[str, str | int] = {}
        rows: list[Row] = []
        if msg.report in ROW_REPORTS:
            rows = self._snapshot(msg)
        elif msg.report == "summary":
            summary = self.accounting.summary(msg.key_id)
            values = {name: getattr(summary, name) for name in summary.__dataclass_fields__}
        elif msg.report == "stats":
            values = self._stats()
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
        return page

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

    def forget_stale(self) -> None:
        """Drop the snapshots older than SNAPSHOT_SECONDS."""
        now = self.now()
        for ident, (taken, _rows) in list(self._snapshots.items()):
            if now - taken > SNAPSHOT_SECONDS:
                del self._snapshots[ident]


def _connection(row: ConnectionRow, with_order: bool) -> Row:
    cells: Row = (row.user, row.units, row.connections, row.address, row.instance)
    return (*cells, row.order_number) if with_order else cells
