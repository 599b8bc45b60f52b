"""The description of one ObjectScript system function ($PIECE, $LIST, $ZDATE...)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# Stands in for "any number of arguments" in max_args ($CHAR, $LISTBUILD...).
VARIADIC = 255


@dataclass(frozen=True)
class FunctionSpec:
    """Name, abbreviation, implementation and arity of a system function."""

    name: str  # full name, upper case, no $ ("PIECE")
    abbrev: str | None  # official abbreviation ("P"), None when there is none
    impl: Callable[..., object]
    min_args: int
    max_args: int  # VARIADIC for functions that take any number of arguments
    help: str  # one line
