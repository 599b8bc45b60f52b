"""Every fixed-width report, formatted in one place from plain rows: the key and its
comparison, the local counts and dumps, the license server's summary and dump files, the event
history, and the command line's lists of instances and license servers.

Only formatting lives here: the numbers come from usage.py, the license server's accounting and
the callers, so the terminal, the HTML views and the class queries agree. Texts end with a
newline; terminal reports start with one, as Caché's do, because the prompt leaves the cursor
at the start of the line the command was typed on.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from cacheshell.system.authkey import describe
from cacheshell.system.keyfile import license_rows
from cacheshell.system.keys import Comparison, KeyCheck, LicenseKey
from cacheshell.system.usage import Counts, EventRow, ProcessRow, UserRow

if TYPE_CHECKING:  # only the license server's processes format its dumps
    from cacheshell.system.server_views import KeyView, ServerView

# Label column: five spaces, then "Label =" padded so values start in column 26.
INDENT = 5
LABEL_WIDTH = 20
# CKEY's unit counts and ShowCounts' numbers are right-justified in these widths.
CKEY_NUMBER_WIDTH = 7
COUNTS_NUMBER_WIDTH = 6
# Dump files: "   0)" puts slot numbers right-justified in four columns.
SLOT_WIDTH = 4
PID_HEADER = ("PID", "Process", "LID", "Type", "Con", "MaxCon", "CSPCon", "LU", "Active", "Grace")
# The key comparison: the label column, and the current key's (longer values are cut).
COMPARISON_LABEL_WIDTH = 22
COMPARISON_VALUE_WIDTH = 34
# How each reduction a new key brings is announced, by the name CheckKeyForUpgrade gives it.
_REDUCTIONS = {
    "Cores": "Reduce the number of supported cores from {old} to {new}.",
    "Users": "Reduce the number of license units from {old} to {new}.",
    "Server": "Change the supported server type from {old} to {new}.",
    "LicenseType": "Change the supported license type from {old} to {new}.",
    "Product": "Reduce the product level from {old} to {new}.",
}
# ShowSummary: the license server's numbers in 7 columns, the local ones in 6.
SUMMARY_SERVER_WIDTH = 7
SUMMARY_LOCAL_WIDTH = 6
# The event history: the EventList query's columns, and the widths of the text table's.
EVENT_COLUMNS = ("Time", "Kind", "LicenseId", "PID", "Detail")
_EVENT_HEADER = ("Time", "Kind", "License ID", "PID", "Detail")
_EVENT_WIDTHS = (19, 11, 24, 10)
# `cacheshell control list`: the labels of an instance's lines, and their indent.
INSTANCE_INDENT = 8
INSTANCE_LABEL_WIDTH = 17  # "license server:" and two spaces
# `cacheshell servers list`: name and address columns, and the mark of the active server.
SERVER_NAME_WIDTH = 16
SERVER_ADDRESS_WIDTH = 40
ACTIVE_MARK = " (active)"  # the portal shades the active row; the shell says so


# -- the key ---------------------------------------------------------------------------------------
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


def ckey_amounts(counts: Counts) -> list[tuple[str, int]]:
    """The unit counts CKEY shows below the key's fields (the License Key page shows them too)."""
    return [
        ("Current Available", counts.available),
        ("Minimum Available", counts.min_available),
        ("Maximum Available", counts.capacity),
    ]


def ckey(key_path: Path | str, fields: list[tuple[str, str]], counts: Counts) -> str:
    """$SYSTEM.License.CKEY() and ^CKEY."""
    amounts = ckey_amounts(counts)
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


# -- a new key beside the current one -------------------------------------------------------------
def reduction_warnings(comparison: Comparison) -> list[str]:
    """What the new key takes away, one sentence each."""
    warnings = []
    for what, old, new in comparison.reductions:
        if what.startswith("Feature:"):
            warnings.append(f"The new key does not enable {what.split(':', 1)[1]}.")
        else:
            warnings.append(_REDUCTIONS[what].format(old=old, new=new))
    return warnings


def activation_report(
    rows: list[tuple[str, str, str]], check: KeyCheck, comparison: Comparison | None
) -> str:
    """The text shown before (and after) activating a key: (field, current value, new value)
    rows side by side, then why it is refused, or what it reduces and whether it needs a
    restart."""
    label, value = COMPARISON_LABEL_WIDTH, COMPARISON_VALUE_WIDTH
    lines = [f"{'':<{label}}{'Current key':<{value}}New key"]
    for field, old, fresh in rows:
        lines.append(f"{field:<{label}}{old[: value - 1]:<{value}}{fresh}")
    lines.append("")
    if not check.valid:
        lines.append(f"The new key is not valid: {check.reason}")
        lines.append("It was not activated.")
        return "\n".join(lines) + "\n"
    if check.status == "Troubled":
        lines.append(f"Warning: {check.reason}")
    if comparison is not None:
        for warning in reduction_warnings(comparison):
            lines.append(f"Warning: {warning}")
        if comparison.restart_required:
            lines.append("A restart of the instance is required for the new key to take effect:")
            lines.extend(f"  {reason}" for reason in comparison.restart_reasons)
        else:
            lines.append("No restart is needed: the new key takes effect at once.")
    return "\n".join(lines) + "\n"


# -- the local license table's dump files ----------------------------------------------------------
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


# -- the event history -----------------------------------------------------------------------------
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


# -- the license server ----------------------------------------------------------------------------
def show_summary(
    *,
    current: int,
    maximum: int,
    enforced: int,
    authorized: int,
    connections: int,
    max_connections: int,
    users: int,
    max_users: int,
) -> str:
    """ShowSummary(): the license server's view of the key (units used now and at the most,
    enforced, authorized), then this instance's connections and users now and at the most."""
    wide, narrow = SUMMARY_SERVER_WIDTH, SUMMARY_LOCAL_WIDTH
    return (
        "\nLicense Server summary view of active key.\n\n"
        "         Distributed license use:\n"
        f"Current License Units Used = {current:>{wide}}\n"
        f"Maximum License Units Used = {maximum:>{wide}}\n"
        f"License Units     Enforced = {enforced:>{wide}}\n"
        f"License Units   Authorized = {authorized:>{wide}}\n\n"
        "         Local license use:\n"
        f"Current Connections = {connections:>{narrow}}  "
        f"Maximum Connections = {max_connections:>{narrow}}\n"
        f"Current Users       = {users:>{narrow}}  "
        f"Maximum Users       = {max_users:>{narrow}}\n"
    )


def server_dump_heading(title: str, server: str, stamp: str) -> str:
    """The first lines of every dump file the license server writes."""
    return f"{title}\nLicense server {server}, {stamp}\n\n"


def dump_server(view: ServerView | None, who: str) -> str:
    """dumpserver.txt: one instance's clients; the shared count is of IDs whose unit another
    instance holds."""
    if view is None:
        return f"Server {who} is not known to this license server.\n"
    return _server_block(view)


def dump_servers(views: list[ServerView]) -> str:
    """dumpservers.txt: every instance's clients, and a grand total."""
    if not views:
        return "No servers are known to this license server.\n"
    blocks = [_server_block(view) for view in views]
    connections = sum(view.connections for view in views)
    units = sum(view.units for view in views)
    blocks.append(
        f"Grand total: {len(views)} servers, {connections} connections, {units} license units\n"
    )
    return "\n".join(blocks)


def dump_key(view: KeyView | None) -> str:
    """dumpkey.txt: the license server's view of one key."""
    if view is None:
        return "This key is not known to this license server.\n"
    return _key_block(view)


def dump_keys(views: list[KeyView]) -> str:
    """dumpkeys.txt: the same for every key the server holds."""
    if not views:
        return "No keys are known to this license server.\n"
    return "\n".join(_key_block(view) for view in views)


def _server_block(view: ServerView) -> str:
    lines = [
        f"Server {view.address} instance {view.instance} (OrderNumber {view.order_number})",
        f"{'Connections':>11}  {'License Units':>13}  Client",
    ]
    lines += [f"{row.connections:>11}  {row.units:>13}  {row.user}" for row in view.rows]
    lines.append(
        f"Total: {view.connections} connections, {view.units} license units, "
        f"{view.shared} shared with the same client on other instances"
    )
    return "\n".join(lines) + "\n"


def _key_block(view: KeyView) -> str:
    fields = [
        (name, value + (" (signature withheld)" if name == "AuthorizationKey" else ""))
        for name, value in view.info.fields
    ]
    numbers = (
        ("Servers using this key", view.summary.instances),
        ("License units authorized", view.summary.authorized),
        ("Current license units in use", view.summary.current),
        ("Maximum license units in use", view.summary.maximum),
    )
    lines = ["Key:", *format_rows(fields)]
    lines += [f"{label:<30}= {value:>{CKEY_NUMBER_WIDTH}}" for label, value in numbers]
    widths = (
        max([6, *(len(row.user) for row in view.rows)]),
        max([6, *(len(row.address) for row in view.rows)]),
    )
    lines += [
        "",
        f"{'Client':<{widths[0]}}  {'LU':>4}  {'Connections':>11}  "
        f"{'Server':<{widths[1]}}  Instance",
    ]
    lines += [
        f"{row.user:<{widths[0]}}  {row.units:>4}  {row.connections:>11}  "
        f"{row.address:<{widths[1]}}  {row.instance}"
        for row in view.rows
    ]
    return "\n".join(lines) + "\n"


# -- the command line's lists ----------------------------------------------------------------------
def instance_block(name: str, default: bool, rows: list[tuple[str, str]]) -> str:
    """`cacheshell control list`: one instance, as ccontrol list shows it (no final newline)."""
    indent, width = " " * INSTANCE_INDENT, INSTANCE_LABEL_WIDTH
    lines = [f"Instance '{name}'" + ("   (default)" if default else "")]
    lines += [f"{indent}{label + ':':<{width}}{value}" for label, value in rows]
    return "\n".join(lines)


def license_servers(rows: list[tuple[str, str, int, bool]]) -> list[str]:
    """`cacheshell servers list`: name, address, port and whether it is the active one."""
    name, address = SERVER_NAME_WIDTH, SERVER_ADDRESS_WIDTH
    return [
        f"{server:<{name}}{where:<{address}}{port}{ACTIVE_MARK if active else ''}"
        for server, where, port, active in rows
    ]
