"""Argument markers that are not ObjectScript values."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Final


@dataclass(frozen=True, slots=True)
class Star:
    """The `*`, `*-n` or `*+n` position of $EXTRACT and the $LIST family: the last plus offset."""

    offset: int = 0

    def resolve(self, length: int) -> int:
        return length + self.offset


class Omitted(Enum):
    """An argument left empty between commas, as in $ZDATE(h,,2). A one-member enum, so that
    `x is OMITTED` tells the type checker what x is otherwise."""

    OMITTED = "OMITTED"

    def __repr__(self) -> str:
        return "OMITTED"

    __str__ = __repr__


OMITTED: Final = Omitted.OMITTED
