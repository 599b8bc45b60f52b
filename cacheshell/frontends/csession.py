"""`csession` and `cache`: the Caché command lines the documentation gives, usable verbatim.

    csession INSTANCE [-U NAMESPACE] [-B] [ENTRY]   run ENTRY and exit, or open the terminal
    cache -s MGRDIR -B                              the emergency session of that instance

An entry point is `##class(Package.Class).Method(args)`, `[label]^routine[(args)]` or a routine
name; it runs as `Do ENTRY`, so a return value is not shown, and the process exits 0, or 1 after
an untrapped error or when no license unit was left.
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
from collections.abc import Sequence

from cacheshell.frontends.cli import run_once, start_session
from cacheshell.frontends.repl import run_repl
from cacheshell.system.layout import instance_for_manager_dir

# A bare routine name (`csession CACHE MYRTN`) means its top: ^MYRTN.
_ROUTINE = re.compile(r"%?[A-Za-z][A-Za-z0-9.]*(?:\(.*\))?", re.S)
# The chapter's emergency upgrade: the one entry point that runs when no unit is left (the
# ##class keyword is case-blind, class and method names are not).
_UPGRADE = re.compile(r"##(?i:class)\(%SYSTEM\.License\)\.Upgrade\(\s*\)")
UPGRADE_NAMESPACE = "%SYS"


def license_utility(entry: str, namespace: str) -> str:
    """The entry point when it is the license upgrade run in %SYS ("" otherwise): run by the
    instance's administrator, it gets in when every unit is in use."""
    entry = entry.strip()
    return entry if namespace.upper() == UPGRADE_NAMESPACE and _UPGRADE.fullmatch(entry) else ""


def entry_code(entry: str) -> str:
    """The command line runs the entry point with DO."""
    entry = entry.strip()
    if not entry.startswith("##") and "^" not in entry and _ROUTINE.fullmatch(entry):
        entry = "^" + entry
    return "Do " + entry


def csession_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="csession",
        description="Open a terminal session on an instance, or run an entry point in it and exit.",
    )
    parser.add_argument("instance", help="instance name, as ccontrol lists it")
    parser.add_argument(
        "entry",
        nargs="*",
        help="##class(Pkg.Cls).Method(...), [label]^routine(...) or routine, as one argument",
    )
    parser.add_argument("-U", dest="namespace", default="USER", help="namespace (default USER)")
    parser.add_argument(
        "-B",
        dest="admin",
        action="store_true",
        help="administrator (emergency) login on the reserved license unit",
    )
    parser.add_argument(
        "-b", dest="partition", metavar="KB", help="partition size (accepted and ignored)"
    )
    parser.add_argument("--user", help="user name for the session ($USERNAME)")
    parser.add_argument("--simple-prompt", action="store_true", help="read plain lines")
    return parser


def csession_main(argv: Sequence[str] | None = None) -> int:
    args = csession_parser().parse_intermixed_args(argv)
    if len(args.entry) > 1:  # the shell split an unquoted entry point into words
        line = shlex.join(["csession", args.instance, " ".join(args.entry)])
        sys.stderr.write(f"csession: quote the entry point as one argument: {line}\n")
        return 2
    utility = license_utility(args.entry[0], args.namespace) if args.entry else ""
    session = start_session(
        args.instance, None, args.namespace, args.user, args.admin, "csession", utility
    )
    if isinstance(session, int):
        return session
    if args.entry:
        return run_once(session, entry_code(args.entry[0]))
    return run_repl(session, simple=args.simple_prompt)


def cache_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cache",
        description="Open a session on the instance owning a manager directory; "
        "with -B, the emergency administrator session.",
    )
    parser.add_argument(
        "-s",
        dest="mgr_dir",
        required=True,
        help="the instance's manager directory (..\\Mgr from its bin directory)",
    )
    parser.add_argument(
        "-B", dest="admin", action="store_true", help="inhibit all logins but one emergency login"
    )
    # The emergency session is for repairs (a new key, the configuration): it opens in %SYS.
    parser.add_argument("-U", dest="namespace", default="%SYS", help="namespace (default %%SYS)")
    parser.add_argument("--simple-prompt", action="store_true", help="read plain lines")
    return parser


def manager_dir(typed: str) -> str:
    """The manager directory as the user meant it. The documented line is a Windows one: typed
    unquoted at a POSIX shell, `-s..\\Mgr` arrives as `..Mgr`, the backslash eaten."""
    eaten = re.fullmatch(r"\.\.([^./\\][^/\\]*)", typed)
    if eaten and instance_for_manager_dir(typed) is None:
        meant = "../" + eaten.group(1)
        if instance_for_manager_dir(meant) is not None:
            return meant
    return typed


def cache_main(argv: Sequence[str] | None = None) -> int:
    args = cache_parser().parse_args(argv)
    session = start_session(
        None, manager_dir(args.mgr_dir), args.namespace, None, args.admin, prog="cache"
    )
    if isinstance(session, int):
        return session
    return run_repl(session, simple=args.simple_prompt)


if __name__ == "__main__":
    sys.exit(csession_main())
