"""A namespace's globals (^name) over ordered key-value databases, in M collation order.

Each node is one key: the collation encoding of its name and subscripts (collation.py), so a
subtree is one key range. Percent globals (^%x) live in the system database and are seen from
every namespace, as Caché maps them to CACHESYS. $ORDER reads ahead: it fetches the next keys of
a level in one batch and answers the following calls from it while the database's version is
unchanged, so a write by any process is seen by the very next call.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from decimal import Decimal

from cacheshell.lang import collation
from cacheshell.lang import values as V
from cacheshell.lang.collation import END
from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.objects import Value
from cacheshell.lang.ordered import OrderedKV, Stored
from cacheshell.lang.symbols import Key, Subscripts, keys, reference_name
from cacheshell.lang.transactions import Transactions

_FIRST_BATCH = 32
_MAX_BATCH = 4096
_INT64 = 1 << 63


class _Batch:
    """The siblings of one level read ahead: every sibling whose key is above `after` and not
    above the last key fetched (`keys`, each sibling's own key, and `subs`), and whether the
    level ends there."""

    __slots__ = (
        "name",
        "parents",
        "kv",
        "version_of",
        "parent",
        "version",
        "after",
        "keys",
        "subs",
        "complete",
        "last",
        "size",
    )

    def __init__(self, name: str, parents: Subscripts, kv: OrderedKV, parent: bytes) -> None:
        self.name, self.parents, self.kv, self.parent = name, parents, kv, parent
        self.version_of = kv.version
        self.version = -1
        self.after = b""
        self.keys: list[bytes] = []
        self.subs: list[Key] = []
        self.complete = False
        self.last = -1  # index of the subscript answered last
        self.size = _FIRST_BATCH


class GlobalStore:
    """The globals one process sees in one namespace: `own` is the namespace's database,
    `system` the one percent globals live in. Satisfies lang.variables.Variables."""

    def __init__(self, own: OrderedKV, system: OrderedKV, tx: Transactions | None) -> None:
        self.own = own
        self.system = system
        self.tx = tx  # None: never journalled (process-private globals)
        self._batch: _Batch | None = None
        self._prefixes: dict[str, bytes] = {}

    def _kv(self, name: str) -> OrderedKV:
        return self.system if name[1:2] == "%" else self.own

    def _key(self, name: str, subs: Subscripts) -> bytes:
        prefix = self._prefixes.get(name)
        if prefix is None:
            prefix = self._prefixes[name] = collation.name_prefix(name)
        if not subs:
            return prefix
        return prefix + b"".join(map(collation.encode_subscript, keys(name, subs)))

    def _journal(self, kv: OrderedKV) -> bool:
        return self.tx is not None and self.tx.writing(kv)

    # -- reading ---------------------------------------------------------------------------
    def get(self, name: str, subs: Subscripts = ()) -> Value:
        stored = self._kv(name).get(self._key(name, subs))
        if stored is None:
            raise undefined_global(name, subs)
        return from_stored(stored)

    def data(self, name: str, subs: Subscripts = ()) -> int:
        key = self._key(name, subs)
        found = self._kv(name).keys(key, key + END, 2)
        if not found:
            return 0
        has_value = found[0] == key
        return (1 if has_value else 0) + (10 if len(found) > (1 if has_value else 0) else 0)

    def order(self, name: str, subs: Subscripts, reverse: bool = False) -> Key:
        last = subs[-1]
        batch = self._batch
        size = _FIRST_BATCH
        if (
            batch is not None
            and batch.name == name
            and not reverse
            and batch.version_of() == batch.version
            and (subs[:-1] == batch.parents if len(subs) > 1 else not batch.parents)
        ):
            i = batch.last
            if last is batch.subs[i]:
                nxt = i + 1  # walking on from the subscript answered last
                if nxt < len(batch.subs):
                    batch.last = nxt
                    return batch.subs[nxt]
            else:
                rel = b"" if last == "" else collation.encode_subscript(V.normalize_subscript(last))
                key = batch.parent + rel
                nxt = bisect_right(batch.keys, key) if key >= batch.after else -1
            if nxt >= 0:
                if nxt < len(batch.subs):
                    batch.last = nxt
                    return batch.subs[nxt]
                if batch.complete:
                    return ""
            size = min(batch.size * 2, _MAX_BATCH)
        parents = subs[:-1]
        kv = self._kv(name)
        parent = self._key(name, parents)
        if reverse:
            return self._previous(kv, parent, last)
        rel = b"" if last == "" else collation.encode_subscript(V.normalize_subscript(last))
        return self._read_ahead(_Batch(name, parents, kv, parent), rel, size)

    def _read_ahead(self, batch: _Batch, after: bytes, size: int) -> Key:
        kv, parent = batch.kv, batch.parent
        lo = parent + (after + END if after else b"\x00")
        version = kv.version()
        found = kv.keys(lo, parent + END, size)
        batch.after = parent + after
        batch.size = size
        batch.complete = len(found) < size
        start = len(parent)
        digits = start + 3
        # Positive integers with no descendants, the common case, decoded in one pass: only an
        # integer has as many digits as its exponent says, and a descendant adds bytes.
        ints = [
            int(key[digits:-1])
            if key[start] == 0x13
            and (key[start + 1] << 8 | key[start + 2]) - 0x8000 == len(key) - digits - 1
            else None
            for key in found
        ]
        if None not in ints:
            batch.keys, batch.subs = found, ints  # type: ignore[assignment]
        else:
            sibling = b"\x00"  # no key starts with it: the first key opens a sibling
            for key in found:
                if key.startswith(sibling):
                    continue  # a descendant of the sibling just taken
                sub, end = collation.decode_subscript(key, start)
                sibling = key[:end]
                batch.keys.append(sibling)
                batch.subs.append(sub)
        if version is not None and kv.version() == version:
            batch.version = version
            self._batch = batch
        else:
            self._batch = None
        if not batch.subs:
            self._batch = None
            return ""
        batch.last = 0
        return batch.subs[0]

    def _previous(self, kv: OrderedKV, parent: bytes, last: Value) -> Key:
        rel = END if last == "" else collation.encode_subscript(V.normalize_subscript(last))
        key = kv.last_key(parent + b"\x00", parent + rel)
        if key is None:
            return ""
        return collation.decode_subscript(key, len(parent))[0]

    def query(self, name: str, subs: Subscripts) -> tuple[Key, ...] | None:
        given = tuple(s for s in subs if s != "") if subs and subs[-1] == "" else subs
        key = self._key(name, given)
        prefix = self._key(name, ())
        found = self._kv(name).keys(key + b"\x00", prefix + END, 1)
        if not found:
            return None
        return collation.decode_subscripts(found[0], len(prefix))

    def nodes(self, name: str, subs: Subscripts = ()) -> Iterator[tuple[Subscripts, Value]]:
        key = self._key(name, subs)
        start = len(self._key(name, ()))
        for found, stored in self._kv(name).items(key, key + END):
            yield collation.decode_subscripts(found, start), from_stored(stored)

    # -- writing ---------------------------------------------------------------------------
    def set(self, name: str, subs: Subscripts, value: Value) -> None:
        kv = self._kv(name)
        kv.put(self._key(name, subs), to_stored(value), self._journal(kv))

    def set_many(self, name: str, items: list[tuple[Subscripts, Value]]) -> None:
        """Several nodes of one global in one atomic write (MERGE)."""
        kv = self._kv(name)
        encoded = [(self._key(name, subs), to_stored(value)) for subs, value in items]
        kv.put_many(encoded, self._journal(kv))

    def kill(self, name: str, subs: Subscripts = ()) -> None:
        kv = self._kv(name)
        key = self._key(name, subs)
        kv.delete(key, key + END, self._journal(kv))

    def increment(self, name: str, subs: Subscripts, by: Value) -> Value:
        kv = self._kv(name)
        result: list[Value] = []

        def change(stored: Stored | None) -> Stored:
            current: Value = 0 if stored is None else from_stored(stored)
            result.append(V.add(current, by))
            return to_stored(result[-1])

        # Not journalled: TROLLBACK leaves $INCREMENT's changes (RCOS_CTROLLBACK), as counters
        # handed out must stay unique.
        kv.update(self._key(name, subs), change, False)
        return result[-1]


def undefined_global(name: str, subs: Subscripts) -> ObjectScriptError:
    """<UNDEFINED> names a global with its caret and no asterisk: `<UNDEFINED> ^xyz(1,1)`,
    `^||ppg(1)` (Caché ObjectScript Reference, $ZERROR, KEY=RCOS_vzerror); $ECODE ,M7,."""
    return ObjectScriptError("UNDEFINED", reference_name(name, subs))


def to_stored(value: Value) -> Stored:
    """A value as a database keeps it: its type kept (int, decimal number, string); an object
    reference as its string form, as Caché stores one."""
    t = type(value)
    if t is int:
        n: int = value  # type: ignore[assignment]
        return n if -_INT64 <= n < _INT64 else b"N" + str(n).encode("ascii")
    if t is str:
        text: str = value  # type: ignore[assignment]
        if text.isascii():
            return text
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return b"S" + text.encode("utf-8", "surrogatepass")
        return text
    if t is Decimal:
        return b"N" + V.to_str(value).encode("ascii")
    return V.to_str(value)


def from_stored(stored: Stored) -> Value:
    if not isinstance(stored, bytes):
        return stored
    if stored[:1] == b"N":
        return V.to_num(stored[1:].decode("ascii"))
    return stored[1:].decode("utf-8", "surrogatepass")
