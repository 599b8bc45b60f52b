"""Local variables: scalar values and subscripted arrays in M collation order."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Container, Iterator
from enum import Enum
from typing import Final, Literal, TypeAlias, overload

from cacheshell.lang.errors import ObjectScriptError, undefined
from cacheshell.lang.objects import Value
from cacheshell.lang.values import Number, normalize_subscript, subscript_key

# Subscripts as code gives them: values, each normalized when it is stored or looked up.
Subscripts: TypeAlias = tuple[Value, ...]
# A subscript as stored: a canonical number is kept as the number.
Key: TypeAlias = Number | str


class Missing(Enum):
    """No value at a node or name (a one-member enum, so `is MISSING` narrows the type)."""

    MISSING = "MISSING"

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = Missing.MISSING


class Node:
    """One level of an array: an optional value and children kept in collation order."""

    __slots__ = ("value", "children", "_order")

    def __init__(self) -> None:
        self.value: Value | Missing = MISSING
        self.children: dict[Key, Node] = {}
        self._order: list[tuple[tuple[int, Key], Key]] | None = None

    @overload
    def child(self, key: Key, create: Literal[True]) -> Node: ...

    @overload
    def child(self, key: Key, create: bool) -> Node | None: ...

    def child(self, key: Key, create: bool) -> Node | None:
        node = self.children.get(key)
        if node is None and create:
            node = self.children[key] = Node()
            self._order = None
        return node

    def remove(self, key: Key) -> None:
        if self.children.pop(key, None) is not None:
            self._order = None

    def ordered(self) -> list[tuple[tuple[int, Key], Key]]:
        """[(collation key, subscript)] sorted; rebuilt only after the key set changed."""
        if self._order is None:
            self._order = sorted((subscript_key(k), k) for k in self.children)
        return self._order

    def next_key(self, key: Value, reverse: bool) -> Key:
        order = self.ordered()
        if key == "":
            if not order:
                return ""
            return order[-1][1] if reverse else order[0][1]
        probe = (subscript_key(normalize_subscript(key)),)
        if reverse:
            i = bisect_left(order, probe) - 1
            return order[i][1] if i >= 0 else ""
        i = bisect_right(order, (probe[0], _HIGH))
        return order[i][1] if i < len(order) else ""

    def data(self) -> int:
        return (1 if self.value is not MISSING else 0) + (10 if self.children else 0)

    def empty(self) -> bool:
        return self.value is MISSING and not self.children


class _High:
    """Sorts after any subscript, so bisect_right skips an equal key."""

    def __lt__(self, other: object) -> bool:
        return False

    def __gt__(self, other: object) -> bool:
        return True


_HIGH = _High()


# A name taken out of the table (NEW, formal parameters): its value, MISSING when it had none,
# and its array.
Saved: TypeAlias = tuple[Value | Missing, Node | None]


class Symbols:
    """A process's local symbol table. `scalars` is read directly by compiled code."""

    def __init__(self) -> None:
        self.scalars: dict[str, Value] = {}
        self.arrays: dict[str, Node] = {}

    # -- reading ---------------------------------------------------------------------------
    def get(self, name: str, subs: Subscripts = ()) -> Value:
        if not subs:
            try:
                return self.scalars[name]
            except KeyError:
                raise undefined(name) from None
        node = self._find(name, subs)
        if node is None or node.value is MISSING:
            raise undefined(reference_name(name, subs))
        return node.value

    def data(self, name: str, subs: Subscripts = ()) -> int:
        if not subs:
            root = self.arrays.get(name)
            return (1 if name in self.scalars else 0) + (10 if root and root.children else 0)
        node = self._find(name, subs)
        return node.data() if node else 0

    def order(self, name: str, subs: Subscripts, reverse: bool = False) -> Key:
        """$ORDER: the next subscript after the last one of `subs` at its level."""
        *parents, last = subs
        node = self._find(name, tuple(parents)) if parents else self.arrays.get(name)
        if node is None:
            return ""
        return node.next_key(last, reverse)

    def query(self, name: str, subs: Subscripts) -> tuple[Key, ...] | None:
        """$QUERY: the subscripts of the next node with data, in depth-first collation order."""
        root = self.arrays.get(name)
        if root is None:
            return None
        for path, _ in walk(root):
            if _path_after(path, subs):
                return path
        return None

    def _find(self, name: str, subs: Subscripts) -> Node | None:
        node = self.arrays.get(name)
        for key in keys(name, subs):
            if node is None:
                return None
            node = node.children.get(key)
        return node

    # -- writing ---------------------------------------------------------------------------
    def set(self, name: str, subs: Subscripts, value: Value) -> None:
        if not subs:
            self.scalars[name] = value
            return
        subscripts = keys(name, subs)
        node = self.arrays.get(name)
        if node is None:
            node = self.arrays[name] = Node()
        for key in subscripts:
            node = node.child(key, create=True)
        node.value = value

    def set_many(self, name: str, items: list[tuple[Subscripts, Value]]) -> None:
        for subs, value in items:
            self.set(name, subs, value)

    def kill(self, name: str, subs: Subscripts = ()) -> None:
        if not subs:
            self.scalars.pop(name, None)
            self.arrays.pop(name, None)
            return
        subscripts = keys(name, subs)
        node = self.arrays.get(name)
        path: list[Node] = []
        for key in subscripts[:-1]:
            if node is None:
                return
            path.append(node)
            node = node.children.get(key)
        if node is None:
            return
        path.append(node)
        node.remove(subscripts[-1])
        # Drop levels left with neither value nor children.
        for depth in range(len(path) - 1, 0, -1):
            if path[depth].empty():
                path[depth - 1].remove(subscripts[depth - 1])
        if self.arrays.get(name) is not None and not self.arrays[name].children:
            del self.arrays[name]

    def kill_all(self, keep: Container[str] = frozenset()) -> None:
        for table in (self.scalars, self.arrays):
            for name in [n for n in table if n not in keep]:
                del table[name]

    # -- saving for NEW and formal parameters ----------------------------------------------
    def take(self, name: str) -> Saved:
        return self.scalars.pop(name, MISSING), self.arrays.pop(name, None)

    def put(self, name: str, saved: Saved) -> None:
        value, node = saved
        self.scalars.pop(name, None)
        self.arrays.pop(name, None)
        if value is not MISSING:
            self.scalars[name] = value
        if node is not None:
            self.arrays[name] = node

    def names(self) -> list[str]:
        """Defined names in collation order (upper case before lower, % first, as ASCII sorts)."""
        return sorted(set(self.scalars) | set(self.arrays))

    def nodes(self, name: str, subs: Subscripts = ()) -> Iterator[tuple[Subscripts, Value]]:
        """(subscripts, value) for every defined node of name(subs) and below, in collation
        order."""
        if not subs:
            if name in self.scalars:
                yield (), self.scalars[name]
            root = self.arrays.get(name)
            if root is not None:
                yield from walk(root)
            return
        prefix = tuple(keys(name, subs))
        node = self._find(name, prefix)
        if node is None:
            return
        if node.value is not MISSING:
            yield prefix, node.value
        yield from walk(node, prefix)

    def increment(self, name: str, subs: Subscripts, by: Value) -> Value:
        from cacheshell.lang.values import add

        current = self.get(name, subs) if self.data(name, subs) % 2 else 0
        result = add(current, by)
        self.set(name, subs, result)
        return result


def walk(node: Node, prefix: tuple[Key, ...] = ()) -> Iterator[tuple[tuple[Key, ...], Value]]:
    for _, key in node.ordered():
        child = node.children[key]
        path = prefix + (key,)
        if child.value is not MISSING:
            yield path, child.value
        if child.children:
            yield from walk(child, path)


def _path_after(path: tuple[Key, ...], subs: Subscripts) -> bool:
    keyed = [subscript_key(s) for s in path]
    base = [subscript_key(normalize_subscript(s)) for s in subs if s != ""]
    return keyed > base


def reference_name(name: str, subs: Subscripts) -> str:
    """How Caché names a node in messages: x(1,"a")."""
    from cacheshell.lang.values import is_canonical_number, to_str

    if not subs:
        return name
    parts = []
    for sub in subs:
        text = to_str(sub)
        parts.append(text if is_canonical_number(text) else '"' + text.replace('"', '""') + '"')
    return f"{name}({','.join(parts)})"


def keys(name: str, subs: Subscripts) -> list[Key]:
    """Normalized subscripts; a null subscript is <SUBSCRIPT> naming where it is."""
    out: list[Key] = []
    for position, sub in enumerate(subs, 1):
        if sub == "":
            shown = reference_name(name, tuple(out))
            prefix = shown[:-1] + "," if out else name + "("
            raise ObjectScriptError("SUBSCRIPT", f'*{prefix}) Subscript {position} is ""')
        out.append(normalize_subscript(sub))
    return out
