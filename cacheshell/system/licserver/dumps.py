"""The text of the license server's report files (dumpserver.txt, dumpservers.txt, dumpkey.txt,
dumpkeys.txt), formatted from the plain views of the accounting and nothing else."""

from __future__ import annotations

from cacheshell.system.licserver.accounting import KeyView, ServerView

DUMP_FILES = {
    "dumpserver": "dumpserver.txt",
    "dumpservers": "dumpservers.txt",
    "dumpkey": "dumpkey.txt",
    "dumpkeys": "dumpkeys.txt",
}
# CKEY's layout for key fields: five spaces, "Label =" padded to 20.
_INDENT = " " * 5
_LABEL_WIDTH = 20


def heading(title: str, server: str, stamp: str) -> str:
    return f"{title}\nLicense server {server}, {stamp}\n\n"


def dump_server(view: ServerView | None, who: str) -> str:
    """One instance's clients; the shared count is of IDs whose unit another instance holds."""
    if view is None:
        return f"Server {who} is not known to this license server.\n"
    return _server_block(view)


def dump_servers(views: list[ServerView]) -> str:
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
    if view is None:
        return "This key is not known to this license server.\n"
    return _key_block(view)


def dump_keys(views: list[KeyView]) -> str:
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
    lines = ["Key:"]
    for name, value in view.info.fields:
        note = " (signature withheld)" if name == "AuthorizationKey" else ""
        lines.append(f"{_INDENT}{name + ' =':<{_LABEL_WIDTH}}{value}{note}".rstrip())
    numbers = (
        ("Servers using this key", view.summary.instances),
        ("License units authorized", view.summary.authorized),
        ("Current license units in use", view.summary.current),
        ("Maximum license units in use", view.summary.maximum),
    )
    lines += [f"{label:<30}= {value:>7}" for label, value in numbers]
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
