"""`cacheshell servers list|add|delete|stop|start|kill|partition|heal|partition-instance|
heal-instance [--instance NAME]`: [LicenseServers] from the shell, and the training world's
control of the license servers of this host and of partitions (as Training.World's methods)."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Sequence

from cacheshell.frontends.cli_args import instance_option, parse_for_instance
from cacheshell.system import reports, server_changes, server_config, server_listing
from cacheshell.system.cpf import Cpf
from cacheshell.system.instance import CPF_FILE
from cacheshell.system.layout import (
    DEFAULT_INSTANCE,
    InstanceLayout,
)
from cacheshell.system.server_config import ServerConfigError


def _active(layout: InstanceLayout) -> server_config.LicenseServer | None:
    """The instance's active license server as its monitor last recorded it."""
    from cacheshell.system import monitor
    from cacheshell.system.instance import Instance, InstanceError

    try:
        instance = Instance(layout)
    except (InstanceError, sqlite3.Error):  # no instance, or a store that does not open
        return None
    try:
        return monitor.active_server(instance)
    finally:
        instance.store.close()


def build_parser() -> argparse.ArgumentParser:
    # `--instance NAME` may stand anywhere on the line: main() takes it out before parsing.
    instance = instance_option(DEFAULT_INSTANCE)
    parser = argparse.ArgumentParser(
        prog="cacheshell servers",
        description="The license servers an instance uses.",
        parents=[instance],
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "list", help="list the configured license servers, in order", parents=[instance]
    )
    add = commands.add_parser("add", help="add a license server", parents=[instance])
    add.add_argument("name")
    add.add_argument("address", nargs="?", default="127.0.0.1")
    add.add_argument("port", nargs="?", default=str(server_config.DEFAULT_PORT))
    delete = commands.add_parser("delete", help="remove a license server", parents=[instance])
    delete.add_argument("name")
    for verb, text in (
        ("stop", "stop a license server of this host (it stays down)"),
        ("start", "start a license server again"),
        ("kill", "kill a license server of this host with SIGKILL"),
        ("partition", "cut this instance from a license server (Partition)"),
        ("heal", "end a partition of this instance (Heal)"),
        (
            "partition-instance",
            "have a license server of this host ignore this instance (PartitionInstance)",
        ),
        ("heal-instance", "end partition-instance (HealInstance)"),
    ):
        commands.add_parser(verb, help=text, parents=[instance]).add_argument("name")
    return parser


# verb: (server side, cut, what a change says, what no change says)
_PARTITIONS = {
    "partition": (False, True, "is cut off from {i}", "was already cut off from {i}"),
    "heal": (False, False, "is reachable from {i} again", "was not cut off from {i}"),
    "partition-instance": (True, True, "ignores {i}", "was already ignoring {i}"),
    "heal-instance": (True, False, "hears {i} again", "was not ignoring {i}"),
}


def _partition(layout: InstanceLayout, command: str, name: str) -> int:
    from cacheshell.system.instance import Instance
    from cacheshell.system.world_errors import WorldError
    from cacheshell.system.world_servers import partition_instance, partition_server

    server_side, cut, changed, unchanged = _PARTITIONS[command]
    engine = partition_instance if server_side else partition_server
    instance = Instance(layout)
    try:
        done = engine(instance, name, cut=cut)
    except WorldError as exc:
        sys.stderr.write(f"cacheshell servers: {exc}\n")
        return 2
    finally:
        instance.store.close()
    print(
        f"License server {name.upper()} "
        + (changed if done else unchanged).format(i=f"instance {layout.name}")
        + "."
    )
    return 0


def _control(layout: InstanceLayout, command: str, name: str) -> int:
    from cacheshell.system.instance import Instance
    from cacheshell.system.world_errors import WorldError
    from cacheshell.system.world_servers import start_server, stop_server

    instance = Instance(layout)
    try:
        if command == "start":
            ok = start_server(instance, name)
            print(f"License server {name.upper()} " + ("is running." if ok else "did not answer."))
            return 0 if ok else 1
        done = stop_server(instance, name, kill=command == "kill")
        what = "killed" if command == "kill" else "stopped"
        print(
            f"License server {name.upper()} {what}."
            if done
            else f"License server {name.upper()} was not running; it is held down."
        )
        return 0
    except WorldError as exc:
        sys.stderr.write(f"cacheshell servers: {exc}\n")
        return 2
    finally:
        instance.store.close()


def main(argv: Sequence[str]) -> int:
    parsed = parse_for_instance(list(argv), build_parser(), "cacheshell servers")
    if parsed is None:
        return 2
    args, layout = parsed
    if args.command in ("stop", "start", "kill"):
        return _control(layout, args.command, args.name)
    if args.command in _PARTITIONS:
        return _partition(layout, args.command, args.name)
    if args.command in ("add", "delete"):
        return _change(layout, args)
    return _list(layout)


def _list(layout: InstanceLayout) -> int:
    found, problems = server_config.read(Cpf(layout.mgr / CPF_FILE))
    if not found:
        usable = " usable" if problems else ""
        print(f"No{usable} license servers are configured for {layout.name}.")
    # Only when there is a choice is one marked active (and the monitor asked).
    active = _active(layout) if len(found) > 1 else None
    rows = [
        (row.server.name, row.server.address, row.server.port, row.marked)
        for row in server_listing.listed(found, active)
    ]
    for line in reports.license_servers(rows):
        print(line)
    for problem in problems:  # beside the table, which stays what the instance uses
        sys.stderr.write(f"cacheshell servers: {problem}\n")
    return 0


def _change(layout: InstanceLayout, args: argparse.Namespace) -> int:
    """Add or delete a server as Config.LicenseServers does: noted in the console log."""
    from cacheshell.system.instance import Instance

    instance = Instance(layout)
    try:
        if args.command == "add":
            server, _ = server_changes.add(instance, args.name, args.address, args.port)
            print(f"Added license server {server.name} ({server.address},{server.port}).")
        else:
            server_changes.delete(instance, args.name)
            print(f"Deleted license server {args.name.upper()}.")
    except ServerConfigError as exc:
        sys.stderr.write(f"cacheshell servers: {exc}\n")
        return 2
    finally:
        instance.store.close()
    print(server_config.RESTART_NOTE)
    return 0
