"""TSTART, TCOMMIT and TROLLBACK: a process's transaction levels over the databases it wrote.

Each journalled global write records what it replaced in its database, in the same atomic
write. A level remembers how many undo records each database held when it began; rolling back
to it undoes the later ones. As in Caché, locals, process-private globals and $INCREMENT are
not rolled back (TROLLBACK, KEY=RCOS_CTROLLBACK).
"""

from __future__ import annotations

from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.ordered import OrderedKV

# "The maximum number of transaction levels is 255" ($TLEVEL, KEY=RCOS_vtlevel).
MAX_LEVELS = 255


class Transactions:
    def __init__(self) -> None:
        # Per open level: the undo records each database held when the level began, or when
        # this transaction first wrote to it if that was later (the same count then: it wrote
        # nothing there before).
        self._marks: list[dict[int, int]] = []
        self._written: dict[int, OrderedKV] = {}

    @property
    def level(self) -> int:
        """$TLEVEL."""
        return len(self._marks)

    def writing(self, kv: OrderedKV) -> bool:
        """A global write to `kv` is about to happen: whether it must be journalled."""
        if not self._marks:
            return False
        key = id(kv)
        if key not in self._written:
            self._written[key] = kv
            length = kv.journal_length()
            for marks in self._marks:
                marks.setdefault(key, length)
        return True

    def start(self) -> None:
        if len(self._marks) >= MAX_LEVELS:
            raise ObjectScriptError("TRANSACTION LEVEL")
        self._marks.append({key: kv.journal_length() for key, kv in self._written.items()})

    def commit(self) -> None:
        """TCOMMIT: the innermost level ends; its writes are kept when the outermost ends."""
        if not self._marks:
            # Caché: TCOMMIT outside a transaction is <COMMAND> *NoTransaction (RCOS_vzerror).
            raise ObjectScriptError("COMMAND", "*NoTransaction")
        outermost = self._marks.pop()
        if not self._marks:
            for key, kv in self._written.items():
                kv.forget(outermost[key])
            self._written.clear()

    def roll_back(self, levels: int | None = None) -> None:
        """TROLLBACK (every level) or TROLLBACK 1 (the innermost); nothing when none is open."""
        if not self._marks:
            return
        target = 0 if levels is None else len(self._marks) - levels
        marks = self._marks[target]
        for key, kv in self._written.items():
            kv.roll_back(marks[key])
        del self._marks[target:]
        if not self._marks:
            self._written.clear()
