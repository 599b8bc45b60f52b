"""The description of one ObjectScript system function ($PIECE, $LIST, $ZDATE, $GET...)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

from cacheshell.lang.objects import Value

# Stands in for "any number of arguments" in max_args ($CHAR, $LISTBUILD...).
VARIADIC = 255
# $SELECT and $CASE take as many pairs as are written, without even VARIADIC's bound.
UNBOUNDED = sys.maxsize


@dataclass(frozen=True)
class FunctionSpec:
    """Name, abbreviation, implementation and arity of a system function."""

    name: str  # full name, upper case, no $ ("PIECE")
    abbrev: str | None  # official abbreviation ("P"), None when there is none
    impl: Callable[..., Value]  # of the evaluated arguments: values, `*-n`, OMITTED
    min_args: int
    max_args: int  # VARIADIC for functions that take any number of arguments
    help: str  # one line


@dataclass(frozen=True)
class SpecialForm:
    """A system function the expression compiler compiles itself ($GET, $SELECT...): it reads a
    variable, evaluates its arguments lazily or uses the process. No implementation here."""

    name: str
    abbrev: str | None
    min_args: int
    max_args: int
    help: str


Function = FunctionSpec | SpecialForm
