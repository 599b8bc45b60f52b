"""Argument markers that are not ObjectScript values."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Star:
    """The `*`, `*-n` or `*+n` position of $EXTRACT and the $LIST family: the last plus offset."""

    offset: int = 0

    def resolve(self, length: int) -> int:
        return length + self.offset


class Omitted:
    """An argument left empty between commas, as in $ZDATE(h,,2)."""

    _instance: Omitted | None = None

    def __new__(cls) -> Omitted:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "OMITTED"


OMITTED = Omitted()
