"""Local variables: scalar values and subscripted arrays in M collation order, with what they
hold charged to the process's memory budget (storage.py) as they are set and killed."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Container, Iterator
from enum import Enum
from sys import getsizeof
from typing import Final, Literal, TypeAlias, overload

from cacheshell.lang.errors import ObjectScriptError, undefined
from cacheshell.lang.objects import Value
from cacheshell.lang.storage import NAME_BYTES, NODE_BYTES, SHORT_STRING, Storage, value_bytes
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

    __slots__ = ("value", "children", "_order", "size")

    def __init__(self) -> None:
        self.value: Value | Missing = MISSING
        self.children: dict[Key, Node] = {}
        self._order: list[tuple[tuple[int, Key], Key]] | None = None
        self.size = NODE_BYTES  # bytes charged for this node, its value and its descendants

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
# its array, and the bytes charged for its value when that is a long string.
Saved: TypeAlias = tuple[Value | Missing, Node | None, int]


class Symbols:
    """A process's local symbol table. Compiled code reads `scalars` directly, and may write a
    scalar there itself when the name holds no long string and the value is not one (`long`
    names those that do): everything else goes through `set_scalar`."""

    def __init__(self, storage: Storage | None = None) -> None:
        self.scalars: dict[str, Value] = {}
        self.arrays: dict[str, Node] = {}
        self.long: dict[str, int] = {}  # scalar name -> bytes charged for its long string
        self.storage = storage if storage is not None else Storage()
        # An array bound under more than one name (a by-reference parameter, the caller's name
        # too): id of its root -> bindings beyond the first. It is released with the last.
        self._shared: dict[int, int] = {}

    def available(self) -> int:
        """$STORAGE: bytes left in the budget."""
        return self.storage.available(len(self.scalars) * NAME_BYTES)

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
            self.set_scalar(name, value)
            return
        if len(subs) == 1:
            self._set_one(name, subs, value)
            return
        subscripts = keys(name, subs)
        path: list[Node] = []
        node = self.arrays.get(name)
        if node is not None:
            path.append(node)
            for key in subscripts:
                node = node.children.get(key)
                if node is None:
                    break
                path.append(node)
        missing = len(subscripts) + 1 - len(path)
        size = value_bytes(value)
        if missing:
            delta = missing * NODE_BYTES + size
        else:
            old = path[-1].value
            delta = size - (0 if old is MISSING else value_bytes(old))
        self.storage.charge(delta, len(self.scalars) * NAME_BYTES)  # <STORE> changes nothing
        existing = len(path)
        if not path:
            path.append(self.arrays.setdefault(name, Node()))
        node = path[-1]
        for key in subscripts[len(path) - 1 :]:
            node = node.child(key, create=True)
            path.append(node)
        node.value = value
        for level in path[:existing]:
            level.size += delta
        # A new level holds itself, the new levels under it and the value.
        below = len(path)
        for depth in range(existing, below):
            path[depth].size = (below - depth) * NODE_BYTES + size

    def _set_one(self, name: str, subs: Subscripts, value: Value) -> None:
        """set() of name(sub), the most common case, without the general walk."""
        sub = subs[0]
        key = sub if type(sub) is int else keys(name, subs)[0]
        root = self.arrays.get(name)
        node = None if root is None else root.children.get(key)
        size = getsizeof(value)
        if node is None:
            delta = (NODE_BYTES if root is not None else 2 * NODE_BYTES) + size
        else:
            old = node.value
            delta = size - (0 if old is MISSING else getsizeof(old))
        storage = self.storage
        extra = len(self.scalars) * NAME_BYTES
        if delta >= 0 and storage.used + delta + extra <= storage.limit:
            storage.used += delta
        else:
            storage.charge(delta, extra)  # a release, low-memory mode, or <STORE>
        if root is None:
            root = self.arrays[name] = Node()
            root.size = 0
        if node is None:
            node = root.child(key, create=True)
            node.size = NODE_BYTES + size
        else:
            node.size += delta
        root.size += delta
        node.value = value

    def set_scalar(self, name: str, value: Value) -> None:
        """Set a scalar, charging a new name and a long string."""
        new = value_bytes(value) if type(value) is str and len(value) > SHORT_STRING else 0
        names = len(self.scalars) + (name not in self.scalars)
        self.storage.charge(new - self.long.get(name, 0), names * NAME_BYTES)
        if new:
            self.long[name] = new
        else:
            self.long.pop(name, None)
        self.scalars[name] = value

    def set_many(self, name: str, items: list[tuple[Subscripts, Value]]) -> None:
        for subs, value in items:
            self.set(name, subs, value)

    def kill(self, name: str, subs: Subscripts = ()) -> None:
        if not subs:
            self._discard(name)
            return
        subscripts = keys(name, subs)
        root = self.arrays.get(name)
        if root is None:
            return
        path = [root]
        node = root
        for key in subscripts[:-1]:
            found = node.children.get(key)
            if found is None:
                return
            node = found
            path.append(node)
        child = node.children.get(subscripts[-1])
        if child is None:
            return
        node.remove(subscripts[-1])
        freed = child.size
        # Levels left with neither value nor children go too, and their bytes with them.
        depth = len(path) - 1
        while depth > 0 and path[depth].empty():
            path[depth - 1].remove(subscripts[depth - 1])
            freed = path[depth].size
            depth -= 1
        for level in path[: depth + 1]:
            level.size -= freed
        self.storage.release(freed)
        if not root.children:
            self._unbind(name)

    def kill_all(self, keep: Container[str] = frozenset()) -> None:
        for name in [n for n in (*self.scalars, *self.arrays) if n not in keep]:
            self._discard(name)

    def _discard(self, name: str) -> None:
        """The name's value and array go; so do their bytes, unless another name holds them."""
        self.scalars.pop(name, None)
        self.storage.release(self.long.pop(name, 0))
        self._unbind(name)

    def _unbind(self, name: str) -> None:
        root = self.arrays.pop(name, None)
        if root is None:
            return
        others = self._shared.pop(id(root), 0)
        if others:
            if others > 1:
                self._shared[id(root)] = others - 1
            return
        self.storage.release(root.size)

    # -- saving for NEW and formal parameters ----------------------------------------------
    def take(self, name: str) -> Saved:
        """Take a name out of the table; what it holds stays charged while it is saved."""
        value = self.scalars.pop(name, MISSING)
        if value is not MISSING:
            self.storage.used += NAME_BYTES  # no longer counted as a name of the table
        return value, self.arrays.pop(name, None), self.long.pop(name, 0)

    def put(self, name: str, saved: Saved) -> None:
        """Put back what `take` saved, in place of what the name holds now."""
        value, node, charge = saved
        self._discard(name)
        if value is not MISSING:
            self.storage.release(NAME_BYTES)
            self.scalars[name] = value
            if charge:
                self.long[name] = charge
        if node is not None:
            self.arrays[name] = node

    def lend(self, name: str) -> Saved:
        """A by-reference argument: the variable, for `bind` under a formal parameter's name.
        The charge for a long string goes with it; the array is then held by both names."""
        return self.scalars.get(name, MISSING), self.arrays.get(name), self.long.pop(name, 0)

    def bind(self, name: str, lent: Saved) -> None:
        """A formal parameter takes a lent variable."""
        value, node, charge = lent
        self._discard(name)
        if value is not MISSING:
            self.scalars[name] = value
            if charge:
                self.long[name] = charge
        if node is not None:
            self.arrays[name] = node
            self._shared[id(node)] = self._shared.get(id(node), 0) + 1

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
