"""Compile the LOCK command into closures over the process's locks (see locking.py).

`Lock` gives back every lock; `Lock name` gives back every lock, then takes name; `Lock +name`
takes one more count of name; `Lock -name` gives one count back. A parenthesised list is taken
all at once or not at all. A timeout sets $TEST; without one the process waits as long as it
takes (an interrupt ends the wait).
"""

from __future__ import annotations

from collections.abc import Callable

from cacheshell.lang import values as V
from cacheshell.lang.compile_expr import ExprCompiler, string_literal
from cacheshell.lang.compile_functions import Thunk
from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.locking import LockName, LockRequest
from cacheshell.lang.nodes import Tree
from cacheshell.lang.parser import ParseNode
from cacheshell.lang.runtime import Runtime

Run = Callable[[], None]
Resolve = Callable[[], LockRequest]

# The lock type letters of #"...": S shared, E escalating, I and D (immediate and deferred
# unlock) choose when an unlock inside a transaction takes effect.
_LOCK_TYPES = frozenset("SEID")


def compile_lock(c: ExprCompiler, cmd: ParseNode) -> Run:
    rt = c.rt
    args = [a for a in cmd.children if isinstance(a, Tree) and a.data == "lock_arg"]
    if not args:
        return rt.unlock_all
    parts = [_argument(c, arg) for arg in args]

    def run() -> None:
        for part in parts:
            part()

    return run


def _argument(c: ExprCompiler, arg: ParseNode) -> Run:
    sign, *names, timeout_tree = arg.children
    op = "" if sign is None else str(sign.children[0])
    resolvers = [_lock_name(c, name) for name in names]
    timeout = None if timeout_tree is None else c.expr(timeout_tree)
    rt = c.rt
    if op == "-":
        return _unlock(rt, resolvers, timeout)
    return _lock(rt, resolvers, timeout, incremental=op == "+")


def _lock(rt: Runtime, resolvers: list[Resolve], timeout: Thunk | None, incremental: bool) -> Run:
    def run() -> None:
        requests = [resolve() for resolve in resolvers]
        seconds = None if timeout is None else _seconds(timeout())
        if not incremental:
            rt.unlock_all()  # a simple lock first gives back every lock the process holds
        taken = rt.lock(requests, seconds)
        if seconds is not None:
            rt.test = 1 if taken else 0

    return run


def _unlock(rt: Runtime, resolvers: list[Resolve], timeout: Thunk | None) -> Run:
    def run() -> None:
        requests = [resolve() for resolve in resolvers]
        if timeout is not None:
            timeout()  # evaluated for its errors; giving a lock back never waits
        for request in requests:
            rt.unlock(request)

    return run


def _seconds(value: object) -> int:
    """Caché counts a LOCK timeout in whole seconds: a fraction is cut off, below 0 is 0."""
    return max(int(V.to_num(value)), 0)


def _lock_name(c: ExprCompiler, tree: ParseNode) -> Resolve:
    ref, _hash, letters_token = tree.children
    letters = "" if letters_token is None else string_literal(str(letters_token)).upper()
    if letters_token is not None and (not letters or not set(letters) <= _LOCK_TYPES):
        raise ObjectScriptError("SYNTAX")
    shared = "S" in letters
    escalating = "E" in letters
    rt = c.rt
    if ref.data == "indirect":
        resolve_ref = c.indirect_reference(ref)

        def place() -> tuple[str, tuple[object, ...]]:
            _store, name, subs = resolve_ref()
            return name, subs

    elif ref.data == "naked_ref":
        (args,) = ref.children
        subs = c.subscripts(args)

        def place() -> tuple[str, tuple[object, ...]]:
            if rt.naked is None:
                raise ObjectScriptError("NAKED")
            name, base = rt.naked
            return name, base + tuple(s() for s in subs)

    else:
        if ref.data == "private_ref":
            _oror, name_token, args = ref.children
            name = "^||" + str(name_token)
        elif ref.data == "global_ref":
            name_token, args = ref.children  # CARET_NAME holds its caret
            name = str(name_token)
        else:
            name_token, args = ref.children
            name = str(name_token)
        subs = c.subscripts(args)

        def place() -> tuple[str, tuple[object, ...]]:
            return name, tuple(s() for s in subs)

    def resolve() -> LockRequest:
        if escalating:
            raise ObjectScriptError("UNIMPLEMENTED")  # lock escalation is not modelled
        name, subs = place()
        namespace = _lock_namespace(rt.namespace, name)
        normalized = tuple(V.to_str(V.normalize_subscript(s)) for s in subs)
        return LockRequest(LockName(namespace, name, normalized), shared)

    return resolve


def _lock_namespace(current: str, name: str) -> str | None:
    """Where a lock name lives: a global's in the database that holds the global (percent
    globals in %SYS's, whatever the current namespace); a local name's or a process-private
    global's in none, one name for the whole instance."""
    if not name.startswith("^") or name.startswith("^||"):
        return None
    return "%SYS" if name.startswith("^%") else current
