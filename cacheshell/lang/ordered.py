"""What globals need from a database: an ordered map of byte keys with an undo journal.

`OrderedKV` is the seam: an instance supplies one over its database file (system/), the bare
interpreter host `MemoryKV` below. Keys compare as bytes; values are int, str or bytes.
A write made with `journal=True` also records what it replaced, in the same atomic step, so the
writer's open transaction can be rolled back (`roll_back`) or kept (`forget`).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Callable
from typing import Protocol, TypeAlias

from cacheshell.lang.storage import NODE_BYTES, Storage, value_bytes

Stored: TypeAlias = int | str | bytes
Change = Callable[[Stored | None], Stored]


class OrderedKV(Protocol):
    def get(self, key: bytes) -> Stored | None: ...

    def keys(self, lo: bytes, hi: bytes, limit: int) -> list[bytes]:
        """Up to `limit` keys k with lo <= k < hi, ascending."""
        ...

    def last_key(self, lo: bytes, hi: bytes) -> bytes | None:
        """The greatest key k with lo <= k < hi."""
        ...

    def items(self, lo: bytes, hi: bytes) -> list[tuple[bytes, Stored]]: ...

    def put(self, key: bytes, value: Stored, journal: bool) -> None: ...

    def put_many(self, items: list[tuple[bytes, Stored]], journal: bool) -> None:
        """Every item in one atomic write."""
        ...

    def delete(self, lo: bytes, hi: bytes, journal: bool) -> None:
        """Remove every key k with lo <= k < hi."""
        ...

    def update(self, key: bytes, change: Change, journal: bool) -> Stored:
        """Read, change and write one key as one atomic step against every other writer."""
        ...

    def version(self) -> int | None:
        """A number that changes whenever the data may have changed; None while a write is
        under way (nothing read then may be kept)."""
        ...

    def journal_length(self) -> int:
        """How many undo records this process's open transaction holds here."""
        ...

    def roll_back(self, to: int) -> None:
        """Undo this process's journalled writes after the first `to`, newest first."""
        ...

    def forget(self, after: int) -> None:
        """Keep this process's journalled writes after the first `after`: drop their undo
        records."""
        ...


class MemoryKV:
    """An OrderedKV held in memory for as long as the object lives; with a `storage`, what it
    holds is charged to that budget (a process's private globals)."""

    def __init__(self, storage: Storage | None = None) -> None:
        self._keys: list[bytes] = []
        self._values: dict[bytes, Stored] = {}
        self._journal: list[tuple[bytes, Stored | None]] = []
        self._version = 0
        self._storage = storage

    def get(self, key: bytes) -> Stored | None:
        return self._values.get(key)

    def keys(self, lo: bytes, hi: bytes, limit: int) -> list[bytes]:
        i = bisect_left(self._keys, lo)
        out = self._keys[i : i + limit]
        return out if not out or out[-1] < hi else [k for k in out if k < hi]

    def last_key(self, lo: bytes, hi: bytes) -> bytes | None:
        i = bisect_left(self._keys, hi) - 1
        return self._keys[i] if i >= 0 and self._keys[i] >= lo else None

    def items(self, lo: bytes, hi: bytes) -> list[tuple[bytes, Stored]]:
        i, j = bisect_left(self._keys, lo), bisect_left(self._keys, hi)
        return [(k, self._values[k]) for k in self._keys[i:j]]

    def put(self, key: bytes, value: Stored, journal: bool) -> None:
        old = self._values.get(key)
        if self._storage is not None:
            self._storage.charge(_entry_bytes(key, value) - _entry_bytes(key, old))
        self._version += 1
        if journal:
            self._journal.append((key, old))
        if old is None:
            insort(self._keys, key)
        self._values[key] = value

    def put_many(self, items: list[tuple[bytes, Stored]], journal: bool) -> None:
        for key, value in items:
            self.put(key, value, journal)

    def delete(self, lo: bytes, hi: bytes, journal: bool) -> None:
        self._version += 1
        i, j = bisect_left(self._keys, lo), bisect_left(self._keys, hi)
        for key in self._keys[i:j]:
            old = self._values.pop(key)
            if self._storage is not None:
                self._storage.release(_entry_bytes(key, old))
            if journal:
                self._journal.append((key, old))
        del self._keys[i:j]

    def update(self, key: bytes, change: Change, journal: bool) -> Stored:
        value = change(self._values.get(key))
        self.put(key, value, journal)
        return value

    def version(self) -> int | None:
        return self._version

    def journal_length(self) -> int:
        return len(self._journal)

    def roll_back(self, to: int) -> None:
        while len(self._journal) > to:
            key, old = self._journal.pop()
            if old is None:
                self.delete(key, key + b"\x00", journal=False)
            else:
                self.put(key, old, journal=False)

    def forget(self, after: int) -> None:
        del self._journal[after:]


def _entry_bytes(key: bytes, value: Stored | None) -> int:
    """What an entry costs: its key, its value and its place in the tables (none when absent)."""
    if value is None:
        return 0
    return NODE_BYTES + value_bytes(key) + value_bytes(value)
