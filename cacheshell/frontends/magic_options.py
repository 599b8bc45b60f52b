"""The options of `%objectscript` and `%%objectscript`: read before the code, the rest of the line
(or the cell) is ObjectScript with its spacing kept.

A word that starts with `-` and a letter is an option: one the magic does not know is a
UsageError listing those it does. Anything else (`-1+2`, `Write`, `$Length(x)`) begins the code;
`--` ends the options, so `%objectscript -- -x+1` runs `-x+1`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from IPython.core.error import UsageError
from IPython.core.magic_arguments import MagicArgumentParser

Key = tuple[str, str, str]

PARSER = MagicArgumentParser(  # type: ignore[no-untyped-call]
    prog="objectscript",  # the help shows it as %objectscript
    description="Options come first; the rest of the line, or the cell, is ObjectScript.",
    epilog="`--` ends the options, for code that starts with a dash and a letter.",
)
PARSER.add_argument("--instance", metavar="NAME", help="the instance (default CACHE)")
PARSER.add_argument(
    "--namespace", "-U", metavar="NS", default="USER", help="the namespace (default USER)"
)
PARSER.add_argument("--user", metavar="U", help="the user the session runs as")
PARSER.add_argument("--new", action="store_true", help="end this session and start a fresh one")
PARSER.add_argument(
    "-i",
    "--input",
    metavar="NAMES",
    action="append",
    default=[],
    help="Python variables a,b become ObjectScript locals before the code runs",
)
PARSER.add_argument(
    "-o",
    "--output",
    metavar="NAMES",
    action="append",
    default=[],
    help="ObjectScript locals a,b become Python variables after the code ran",
)
PARSER.add_argument(
    "--no-raise",
    dest="no_raise",
    action="store_true",
    help="show an ObjectScript error on stderr and let the cell succeed, instead of failing it "
    "(for a notebook: %%config ObjectScriptMagics.raise_errors = False)",
)

_OPTION = re.compile(r"-{1,2}[A-Za-z]")
_WORD = re.compile(r"(\S+)\s*")


def _known() -> dict[str, bool]:
    """Each option string, and whether it takes a value."""
    return {s: a.nargs != 0 for a in PARSER._actions for s in a.option_strings}


@dataclass
class Options:
    instance: str | None = None
    namespace: str = "USER"
    user: str | None = None
    new: bool = False
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    no_raise: bool = False

    @property
    def key(self) -> Key:
        return ((self.instance or "CACHE").upper(), self.namespace.upper(), self.user or "")


def parse_options(line: str) -> tuple[Options, str]:
    """Leading options, then the rest of the line as ObjectScript code, spacing kept."""
    known = _known()
    words: list[str] = []
    rest = line.lstrip()
    while rest:
        match = _WORD.match(rest)
        assert match is not None  # rest is not empty and starts with a non-space
        word, after = match.group(1), rest[match.end() :]
        if word == "--":
            rest = after
            break
        name = word.partition("=")[0] if word.startswith("--") else word
        if name not in known:
            if _OPTION.match(word):
                raise UsageError(
                    f"unknown option {word}: the options come before the code, `--` ends "
                    f"them\n{_usage()} CODE"
                )
            break
        words.append(word)
        if known[name] and name == word:
            value = _WORD.match(after)
            if value is None:
                raise UsageError(f"{word} needs a value")
            words.append(value.group(1))
            after = after[value.end() :]
        rest = after
    parsed = PARSER.parse_args(words)
    options = Options(
        instance=parsed.instance,
        namespace=parsed.namespace,
        user=parsed.user,
        new=parsed.new,
        inputs=_names(parsed.input),
        outputs=_names(parsed.output),
        no_raise=parsed.no_raise,
    )
    return options, rest


def _names(values: list[str]) -> list[str]:
    return [name for value in values for name in value.split(",") if name]


def _usage() -> str:
    """One line of usage, without the help formatter's reStructuredText block marker."""
    return " ".join(PARSER.format_usage().removeprefix("::").split())


def usage() -> str:
    """The options, as `%objectscript?` shows them."""
    return PARSER.format_help()
