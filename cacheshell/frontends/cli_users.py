"""`cacheshell user add|list|delete [--instance NAME]`: an instance's users and their roles.

A session started with `--user NAME` holds the roles given here; UnknownUser and _SYSTEM are
predefined with %All. The registry is mgr/users.json, owner-only: only the OS user who owns the
instance can change it, as only that user can read its key.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from cacheshell.frontends.cli_args import instance_option, parse_for_instance
from cacheshell.system import users
from cacheshell.system.layout import DEFAULT_INSTANCE

PROG = "cacheshell user"


def build_parser() -> argparse.ArgumentParser:
    # `--instance NAME` may stand anywhere on the line: main() takes it out before parsing.
    instance = instance_option(DEFAULT_INSTANCE)
    parser = argparse.ArgumentParser(
        prog=PROG, description="The users of an instance and their roles.", parents=[instance]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser(
        "add", help="define a user, or give a defined one new roles", parents=[instance]
    )
    add.add_argument("name")
    add.add_argument(
        "--role",
        action="append",
        default=[],
        metavar="ROLE",
        help="a role the user holds, such as %%Admin_Manage (repeat for more)",
    )
    commands.add_parser("list", help="list the users and their roles", parents=[instance])
    delete = commands.add_parser("delete", help="delete a user", parents=[instance])
    delete.add_argument("name")
    return parser


def _listing(found: list[users.User]) -> list[str]:
    width = max(len("Name"), *(len(user.name) for user in found))
    lines = [f"{'Name':<{width}}  Roles"]
    for user in found:
        roles = ",".join(user.roles) or "(none)"
        lines.append(f"{user.name:<{width}}  {roles}{'  (predefined)' if user.predefined else ''}")
    return lines


def main(argv: Sequence[str]) -> int:
    parsed = parse_for_instance(list(argv), build_parser(), PROG)
    if parsed is None:
        return 2
    args, layout = parsed
    try:
        if args.command == "list":
            for line in _listing(users.list_users(layout.mgr)):
                print(line)
        elif args.command == "add":
            user = users.add(layout.mgr, args.name, args.role)
            roles = ",".join(user.roles) or "no role"
            print(f"User {user.name} of {layout.name} holds {roles}.")
        else:
            users.delete(layout.mgr, args.name)
            print(f"User {args.name} of {layout.name} deleted.")
    except users.UserError as exc:
        sys.stderr.write(f"{PROG}: {exc}\n")
        return 1
    return 0
