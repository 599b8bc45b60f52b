"""`cacheshell user add|list|delete|password|enable [--instance NAME]`: an instance's users,
their roles, and their Management Portal passwords.

A session started with `--user NAME` holds the roles given here; UnknownUser and _SYSTEM are
predefined with %All (_SYSTEM's password is SYS until it is changed). The registry is
mgr/users.json, owner-only: only the OS user who owns the instance can change it, as only that
user can read its key. A password is never an argument, where `ps` would show it: it is typed
twice at a terminal, or read from the first line of stdin with --password-stdin. `enable` lets a
user the invalid login limit disabled log in again.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence
from pathlib import Path

from cacheshell.frontends.cli_args import instance_option, parse_for_instance
from cacheshell.system import users
from cacheshell.system.layout import DEFAULT_INSTANCE

PROG = "cacheshell user"
STDIN_OPTION = "--password-stdin"


class PasswordError(Exception):
    """No password could be read; the message says why."""


def _password_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        STDIN_OPTION,
        action="store_true",
        help=f"read {what} from the first line of stdin (else it is typed twice at a terminal)",
    )


def build_parser() -> argparse.ArgumentParser:
    # `--instance NAME` may stand anywhere on the line: main() takes it out before parsing.
    instance = instance_option(DEFAULT_INSTANCE)
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="The users of an instance, their roles and their portal passwords.",
        parents=[instance],
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
    _password_option(add, "the user's password (else a new user has none)")
    commands.add_parser(
        "list", help="list the users, their roles, and their state", parents=[instance]
    )
    delete = commands.add_parser("delete", help="delete a user", parents=[instance])
    delete.add_argument("name")
    password = commands.add_parser(
        "password", help="set a user's password (_SYSTEM's too)", parents=[instance]
    )
    password.add_argument("name")
    _password_option(password, "the new password")
    enable = commands.add_parser(
        "enable",
        help="enable a user disabled by the invalid login limit, clearing its count",
        parents=[instance],
    )
    enable.add_argument("name")
    return parser


def read_password(from_stdin: bool) -> str:
    """The password: stdin's first line, or typed twice at a terminal."""
    if from_stdin:
        line = sys.stdin.readline(users.MAX_PASSWORD + 2)
        if not line:
            raise PasswordError(f"{STDIN_OPTION}: stdin is empty")
        return line.removesuffix("\n").removesuffix("\r")
    if not sys.stdin.isatty():
        raise PasswordError(f"no terminal to type the password at: use {STDIN_OPTION}")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password (again): ") != first:
        raise PasswordError("the two passwords differ")
    return first


def _state(user: users.User) -> str:
    if user.name == users.UNKNOWN_USER:
        return "no password"
    if user.password or user.name in users.DEFAULT_PASSWORDS:
        said = "password set" if user.password else "default password"
    else:
        said = "no password"
    return f"{said}, disabled" if user.disabled else said


def _listing(found: list[users.User]) -> list[str]:
    width = max(len("Name"), *(len(user.name) for user in found))
    roles = [",".join(user.roles) or "(none)" for user in found]
    role_width = max(len("Roles"), *(len(text) for text in roles))
    lines = [f"{'Name':<{width}}  {'Roles':<{role_width}}  Login"]
    for user, text in zip(found, roles, strict=True):
        state = _state(user) + (" (predefined)" if user.predefined else "")
        lines.append(f"{user.name:<{width}}  {text:<{role_width}}  {state}")
    return lines


def _run(args: argparse.Namespace, name: str, mgr_name: str, mgr: Path) -> str:
    if args.command == "list":
        return "\n".join(_listing(users.list_users(mgr)))
    if args.command == "add":
        password = read_password(True) if args.password_stdin else None
        user = users.add(mgr, name, args.role, password)
        roles = ",".join(user.roles) or "no role"
        with_password = " and a password" if password is not None else ""
        return f"User {user.name} of {mgr_name} holds {roles}{with_password}."
    if args.command == "password":
        if users.find(mgr, name) is None:
            raise users.UserError(f"no user named {name}")
        user = users.set_password(mgr, name, read_password(args.password_stdin))
        return f"Password of {user.name} of {mgr_name} changed."
    if args.command == "enable":
        before = users.find(mgr, name)
        user = users.enable(mgr, name)
        if before is not None and before.disabled:
            return f"User {user.name} of {mgr_name} enabled: its invalid login count is cleared."
        return f"User {user.name} of {mgr_name} was not disabled; its invalid login count is 0."
    users.delete(mgr, name)
    return f"User {name} of {mgr_name} deleted."


def main(argv: Sequence[str]) -> int:
    parsed = parse_for_instance(list(argv), build_parser(), PROG)
    if parsed is None:
        return 2
    args, layout = parsed
    try:
        print(_run(args, getattr(args, "name", ""), layout.name, layout.mgr))
    except (users.UserError, PasswordError) as exc:
        sys.stderr.write(f"{PROG}: {exc}\n")
        return 1
    except (KeyboardInterrupt, EOFError):
        sys.stderr.write(f"{PROG}: no password given\n")
        return 1
    return 0
