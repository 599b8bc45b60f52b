"""Every fixed-width license report, formatted in one place from the rows of usage.py.

Only formatting lives here: the numbers come from usage.py, so the terminal, the HTML views and
the class queries agree. Texts end with a newline; terminal reports start with one, as Caché's
do, because the prompt leaves the cursor at the start of the line the command was typed on.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from cacheshell.system.authkey import describe
from cacheshell.system.keyfile import license_rows
from cacheshell.system.keys import LicenseKey
from cacheshell.system.usage import Counts, EventRow, ProcessRow, UserRow

# Label column: five spaces, then "Label =" padded so values start in column 26.
INDENT = 5
LABEL_WIDTH = 20
# CKEY's unit counts and ShowCounts' numbers are right-justified in these widths.
CKEY_NUMBER_WIDTH = 7
COUNTS_NUMBER_WIDTH = 6
# Dump files: "   0)" puts slot numbers right-justified in four columns.
SLOT_WIDTH = 4
PID_HEADER = ("PID", "Process", "LID", "Type", "Con", "MaxCon", "CSPCon", "LU", "Active", "Grace")
# The event history: the EventList query's columns, and the widths of the text table's.
EVENT_COLUMNS = ("Time", "Kind", "LicenseId", "PID", "Detail")
_EVENT_HEADER = ("Time", "Kind", "License ID", "PID", "Detail")
_EVENT_WIDTHS = (19, 11, 24, 10)


def format_rows(rows: list[tuple[str, str]], indent: int = INDENT) -> list[str]:
    """CKEY-style lines: label, '=', value aligned in one column (long labels push it right)."""
    lines = []
    width = indent + LABEL_WIDTH
    for label, value in rows:
        head = f"{' ' * indent}{label} ="
        lines.append((f"{head:<{width}}" if len(head) < width else head + " ") + value)
    return [line.rstrip() for line in lines]


def key_report(path: str, key: LicenseKey, status: str) -> str:
    """`cacheshell key show`: the fields, the decoded capacities, the application sections."""
    lines = [f"License key file '{path}'", "", *format_rows(license_rows(key.file)), ""]
    lines += [*format_rows(describe(key.authorization)), ""]
    for name, pairs in key.file.app_sections:
        lines += [f"{' ' * INDENT}[{name}]", *format_rows(list(pairs), INDENT + 2), ""]
    return "\n".join([*lines, status]) + "\n"


def ckey(key_path: Path | str, fields: list[tuple[str, str]], counts: Counts) -> str:
    """$SYSTEM.License.CKEY() and ^CKEY."""
    amounts = [
        ("Current Available", counts.available),
        ("Minimum Available", counts.min_available),
        ("Maximum Available", counts.capacity),
    ]
    lines = [
        "",
        "Cache Key display:",
        f"Based on the active key file '{key_path}'",
        "",
        *format_rows(fields),
        "",
    ]
    lines += [f"{' ' * INDENT}{label} ={value:>{CKEY_NUMBER_WIDTH}}" for label, value in amounts]
    return "\n".join(lines) + "\n"


def show_counts(rows: list[tuple[str, int]]) -> str:
    """$SYSTEM.License.ShowCounts(): each number right-justified, then what it counts."""
    lines = [f"{value:>{COUNTS_NUMBER_WIDTH}} {label}" for label, value in rows]
    return "\n" + "\n".join(lines) + "\n"


def decode(title: str, rows: list[tuple[str, str]]) -> str:
    """Decode() and DecodeAuth(): what an AuthorizationKey grants."""
    return "\n".join(["", title, "", *format_rows(rows)]) + "\n"


def _dump_header(counts: Counts) -> str:
    return (
        f"License Capacity = {counts.capacity}, Current use = {counts.consumed}, "
        f"Units Remaining = {counts.available}\n\n"
    )


def _slot(number: int, row: UserRow) -> str:
    head = f"{number:>{SLOT_WIDTH}})  "
    if row.free:
        return head + "free\n"
    return (
        f"{head}User ID = {row.user_id}, Connections = {row.connects}, "
        f"CSP Count = {row.csp_con}, Time active = {row.active}\n"
    )


def dump_all(counts: Counts, rows: list[UserRow]) -> str:
    """all.dmp: every slot of the local table, in use or free."""
    return _dump_header(counts) + "".join(_slot(n, row) for n, row in enumerate(rows))


def dump_in_use(counts: Counts, rows: list[UserRow]) -> str:
    """inuse.dmp: the slots in use only."""
    used = [row for row in rows if not row.free]
    return _dump_header(counts) + "".join(_slot(n, row) for n, row in enumerate(used))


def dump_pid(rows: list[ProcessRow]) -> str:
    """piduse.dmp: tab-separated columns (they line up at 8-column tab stops)."""
    lines = ["\t".join(PID_HEADER), ""]
    for r in rows:
        fields = (
            r.pid,
            r.process,
            r.lid,
            r.type,
            r.con,
            r.max_con,
            r.csp_con,
            r.lu,
            r.active,
            r.grace,
        )
        lines.append("\t".join(str(field) for field in fields))
    return "\n".join(lines) + "\n"


def event_cells(event: EventRow) -> tuple[str, str, str, str, str]:
    """One event as text: the time as $ZDATETIME($H) shows it (MM/DD/YYYY HH:MM:SS), the kind,
    the license ID, the PID ("" for none) and the detail."""
    return (
        datetime.fromtimestamp(event.time).strftime("%m/%d/%Y %H:%M:%S"),
        str(event.kind),
        event.license_id,
        "" if event.pid is None else str(event.pid),
        event.detail,
    )


def events(rows: list[EventRow]) -> list[str]:
    """The event history as fixed-width lines under a header, the same for every front end."""
    lines = []
    for cells in [_EVENT_HEADER, *(event_cells(event) for event in rows)]:
        parts = [f"{cell:<{width}}" for cell, width in zip(cells, _EVENT_WIDTHS, strict=False)]
        lines.append("  ".join([*parts, cells[-1]]).rstrip())
    return lines
