"""What every `cacheshell` command line shares: `--instance NAME` anywhere on the line."""

from __future__ import annotations

import argparse

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
