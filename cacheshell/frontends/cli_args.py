"""What every `cacheshell` command line shares: `--instance NAME` anywhere on the line, and the
message for an instance that does not exist (with what to type instead)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cacheshell.system.layout import (
    DEFAULT_INSTANCE,
    InstanceLayout,
    cacheshell_home,
    find_instance,
    instance_names,
)

INSTANCE_OPTION = "--instance"


class UsageError(Exception):
    """The command line cannot be run as typed; the message says why and what to type."""


def take_instance(words: list[str]) -> tuple[list[str], str | None]:
    """The words without `--instance NAME` (or `--instance=NAME`), and NAME: the option may
    stand anywhere, before the verb or after it, as an administrator types it."""
    rest: list[str] = []
    found: list[str] = []
    items = iter(words)
    for word in items:
        if word == "--":  # what follows is not an option
            rest += [word, *items]
            break
        if word == INSTANCE_OPTION:
            name = next(items, None)
            if name is None or name.startswith("-"):
                raise UsageError(f"{INSTANCE_OPTION} needs an instance name")
            found.append(name)
        elif word.startswith(INSTANCE_OPTION + "="):
            found.append(word.partition("=")[2])
        else:
            rest.append(word)
    if not found:
        return rest, None
    if len({name.upper() for name in found}) > 1:
        raise UsageError(f"{INSTANCE_OPTION} is given twice: {' and '.join(found)}")
    if not found[0]:
        raise UsageError(f"{INSTANCE_OPTION} needs an instance name")
    return rest, found[0]


def unknown_instance(name: str, home: Path, prog: str = "cacheshell") -> str:
    """What to say about an instance that does not exist: the ones that do, and how to create
    it."""
    names = instance_names(home)
    listing = ", ".join(names)
    if not any(existing.upper() == DEFAULT_INSTANCE for existing in names):
        default = f"{DEFAULT_INSTANCE} (the default, created when first used)"
        listing = f"{listing}, {default}" if listing else default
    return (
        f"{prog}: no instance named {name}\n"
        f"  instances in {home}: {listing}\n"
        f"  to create it: cacheshell control create {name}\n"
    )


def instance_option(default: str | None = None) -> argparse.ArgumentParser:
    """A parent parser that shows `--instance NAME` in a verb's help; the value itself is taken
    from the line by take_instance, wherever it stands."""
    parent = argparse.ArgumentParser(add_help=False)
    shown = f" (default {default})" if default else ""
    parent.add_argument(
        INSTANCE_OPTION,
        metavar="NAME",
        default=argparse.SUPPRESS,
        help=f"the instance{shown}; anywhere on the line",
    )
    return parent


def parse_for_instance(
    argv: list[str], parser: argparse.ArgumentParser, prog: str
) -> tuple[argparse.Namespace, InstanceLayout] | None:
    """The parsed line of a command that acts on an existing instance (`--instance`, else the
    default one) and that instance; None once stderr says why there is none."""
    try:
        words, instance = take_instance(argv)
    except UsageError as exc:
        sys.stderr.write(f"{prog}: {exc}\n")
        return None
    args = parser.parse_args(words)
    name = instance or DEFAULT_INSTANCE
    layout = find_instance(cacheshell_home(), name)
    if layout is None:
        sys.stderr.write(f"{prog}: no instance named {name}\n")
        return None
    return args, layout
