"""$-functions: lookup by full name or official abbreviation, and the ones that need the
interpreter ($GET, $DATA, $ORDER, $SELECT, $CASE, $INCREMENT, $RANDOM, $ISOBJECT, ...)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lark import Tree

from cacheshell.lang import values as V
from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.function_spec import VARIADIC, FunctionSpec
from cacheshell.lang.markers import OMITTED
from cacheshell.lang.objects import ObjectInstance
from cacheshell.lang.symbols import reference_name

if TYPE_CHECKING:
    from cacheshell.lang.compile_expr import ExprCompiler

Thunk = Callable[[], Any]

# Functions compiled here rather than called with evaluated arguments: full name -> abbreviation.
SPECIAL_FORMS: dict[str, str | None] = {
    "SELECT": "S",
    "CASE": None,
    "GET": "G",
    "DATA": "D",
    "ORDER": "O",
    "QUERY": "Q",
    "NAME": "NA",
    "INCREMENT": "I",
    "RANDOM": "R",
    "ISOBJECT": None,
    "CLASSNAME": None,
    "LISTNEXT": None,
}


@functools.cache
def pure_functions() -> dict[str, FunctionSpec]:
    """Every plain function, indexed by full name and by abbreviation."""
    from cacheshell.lang import dates, lists, strings

    index: dict[str, FunctionSpec] = {}
    for table in (strings.FUNCTIONS, lists.FUNCTIONS, dates.FUNCTIONS):
        for spec in table.values():
            index[spec.name] = spec
            if spec.abbrev:
                index.setdefault(spec.abbrev, spec)
    return index


def _special_index() -> dict[str, str]:
    index = {}
    for full, abbrev in SPECIAL_FORMS.items():
        index[full] = full
        if abbrev:
            index[abbrev] = full
    return index


_SPECIAL_INDEX = _special_index()


def function_names() -> list[str]:
    """Full names of every $-function, for completion and help."""
    return sorted({spec.name for spec in pure_functions().values()} | set(SPECIAL_FORMS))


def compile_function(c: ExprCompiler, name: str, slots: list) -> Thunk:
    special = _SPECIAL_INDEX.get(name)
    if special is not None:
        return _SPECIAL_COMPILERS[special](c, slots)
    spec = pure_functions().get(name)
    if spec is None:
        raise ObjectScriptError("SYNTAX")  # unknown $-function: Caché rejects the line
    if len(slots) == 1 and slots[0] is None:
        slots = []
    if not spec.min_args <= len(slots) <= (spec.max_args if spec.max_args else VARIADIC):
        raise ObjectScriptError("SYNTAX")
    args = [c.function_argument(s) for s in slots]
    impl = spec.impl
    if len(args) == 1:
        (a,) = args
        return lambda: impl(a())
    if len(args) == 2:
        a, b = args
        return lambda: impl(a(), b())
    return lambda: impl(*[a() for a in args])


# -- references -------------------------------------------------------------------------------
class _Glvn:
    """A compiled variable reference: a local or a global with its subscript expressions."""

    def __init__(self, c: ExprCompiler, name: str, subs: list[Thunk], is_global: bool) -> None:
        self.rt = c.rt
        self.name = name
        self.subs = subs
        self.is_global = is_global

    def store(self) -> Any:
        return self.rt.globals() if self.is_global else self.rt.sym

    def evaluate(self) -> tuple[Any, str, tuple]:
        return self.store(), self.name, tuple(s() for s in self.subs)


def glvn(c: ExprCompiler, slot: Any) -> _Glvn:
    """Compile a variable reference argument: x, x(1), ^g(2), or .x passed by reference."""
    node = slot
    if isinstance(node, Tree) and node.data == "byref":
        return _Glvn(c, str(node.children[0]), [], False)
    if isinstance(node, Tree) and node.data == "expr" and len(node.children) == 1:
        node = node.children[0]  # unary
        if node.data == "unary" and len(node.children) == 1:
            node = node.children[0]
    if isinstance(node, Tree) and node.data == "chain" and len(node.children) == 1:
        head = node.children[0]
        if head.data == "local":
            name, args = head.children
            return _Glvn(c, str(name), c.subscripts(args), False)
    if isinstance(node, Tree) and node.data == "global_ref":
        name, args = node.children
        return _Glvn(c, "^" + str(name), c.subscripts(args), True)
    raise ObjectScriptError("SYNTAX")


def _arity(slots: list, low: int, high: int) -> list:
    if len(slots) == 1 and slots[0] is None:
        slots = []
    if not low <= len(slots) <= high:
        raise ObjectScriptError("SYNTAX")
    return slots


def _get(c: ExprCompiler, slots: list) -> Thunk:
    slots = _arity(slots, 1, 2)
    ref = glvn(c, slots[0])
    default = c.function_argument(slots[1]) if len(slots) == 2 else (lambda: "")

    def get() -> Any:
        store, name, subs = ref.evaluate()
        if store.data(name, subs) % 2:
            return store.get(name, subs)
        return default()

    return get


def _data(c: ExprCompiler, slots: list) -> Thunk:
    ref = glvn(c, _arity(slots, 1, 1)[0])

    def data() -> int:
        store, name, subs = ref.evaluate()
        return store.data(name, subs)

    return data


def _order(c: ExprCompiler, slots: list) -> Thunk:
    slots = _arity(slots, 1, 2)
    ref = glvn(c, slots[0])
    direction = c.function_argument(slots[1]) if len(slots) == 2 else (lambda: 1)
    if not ref.subs:
        raise ObjectScriptError("SYNTAX")  # $ORDER needs a subscripted reference here

    def order() -> Any:
        step = direction()
        step = 1 if step is OMITTED else V.to_int(step)
        if step not in (1, -1):
            raise ObjectScriptError("FUNCTION")
        store, name, subs = ref.evaluate()
        return store.order(name, subs, reverse=step == -1)

    return order


def _query(c: ExprCompiler, slots: list) -> Thunk:
    ref = glvn(c, _arity(slots, 1, 1)[0])

    def query() -> str:
        store, name, subs = ref.evaluate()
        found = store.query(name, subs)
        return "" if found is None else reference_name(name, found)

    return query


def _name(c: ExprCompiler, slots: list) -> Thunk:
    ref = glvn(c, _arity(slots, 1, 1)[0])

    def name() -> str:
        _, var, subs = ref.evaluate()
        return reference_name(var, subs)

    return name


def _increment(c: ExprCompiler, slots: list) -> Thunk:
    slots = _arity(slots, 1, 2)
    ref = glvn(c, slots[0])
    by = c.function_argument(slots[1]) if len(slots) == 2 else (lambda: 1)

    def increment() -> Any:
        store, name, subs = ref.evaluate()
        current = store.get(name, subs) if store.data(name, subs) % 2 else 0
        result = V.add(current, by())
        store.set(name, subs, result)
        return result

    return increment


def _select(c: ExprCompiler, slots: list) -> Thunk:
    pairs = []
    for slot in slots:
        if slot is None or slot.data != "pair":
            raise ObjectScriptError("SYNTAX")
        pairs.append((c.expr(slot.children[0]), c.expr(slot.children[1])))

    def select() -> Any:
        for test, result in pairs:
            if V.is_true(test()):
                return result()
        raise ObjectScriptError("SELECT")

    return select


def _case(c: ExprCompiler, slots: list) -> Thunk:
    if len(slots) < 2 or slots[0] is None:
        raise ObjectScriptError("SYNTAX")
    subject = c.function_argument(slots[0])
    pairs = []
    default: Thunk | None = None
    for slot in slots[1:]:
        if slot is not None and slot.data == "pair":
            pairs.append((c.expr(slot.children[0]), c.expr(slot.children[1])))
        elif slot is not None and slot.data == "default_pair" and default is None:
            default = c.expr(slot.children[0])
        else:
            raise ObjectScriptError("SYNTAX")

    def case() -> Any:
        value = subject()
        for test, result in pairs:
            if V.eq(value, test()):
                return result()
        if default is None:
            raise ObjectScriptError("ILLEGAL VALUE")
        return default()

    return case


def _random(c: ExprCompiler, slots: list) -> Thunk:
    limit = c.function_argument(_arity(slots, 1, 1)[0])
    rt = c.rt

    def random() -> int:
        n = V.to_int(limit())
        if n < 1 or n > 10**17:
            raise ObjectScriptError("FUNCTION")
        return rt.rng.randrange(n)

    return random


def _isobject(c: ExprCompiler, slots: list) -> Thunk:
    value = c.function_argument(_arity(slots, 1, 1)[0])
    return lambda: 1 if isinstance(value(), ObjectInstance) else 0


def _classname(c: ExprCompiler, slots: list) -> Thunk:
    slots = _arity(slots, 0, 1)
    if not slots:
        return lambda: ""  # no current class at the terminal
    value = c.function_argument(slots[0])

    def classname() -> str:
        v = value()
        return v.cls.name if isinstance(v, ObjectInstance) else ""

    return classname


def _listnext(c: ExprCompiler, slots: list) -> Thunk:
    from cacheshell.lang.lists import list_next

    slots = _arity(slots, 3, 3)
    lst = c.function_argument(slots[0])
    pointer, target = glvn(c, slots[1]), glvn(c, slots[2])

    def listnext() -> int:
        store, name, subs = pointer.evaluate()
        ptr = V.to_int(store.get(name, subs))
        new_ptr, found, value = list_next(V.to_str(lst()), ptr)
        store.set(name, subs, new_ptr)
        if not found:
            return 0
        t_store, t_name, t_subs = target.evaluate()
        if value is None:
            t_store.kill(t_name, t_subs)
        else:
            t_store.set(t_name, t_subs, value)
        return 1

    return listnext


_SPECIAL_COMPILERS: dict[str, Callable[[ExprCompiler, list], Thunk]] = {
    "SELECT": _select,
    "CASE": _case,
    "GET": _get,
    "DATA": _data,
    "ORDER": _order,
    "QUERY": _query,
    "NAME": _name,
    "INCREMENT": _increment,
    "RANDOM": _random,
    "ISOBJECT": _isobject,
    "CLASSNAME": _classname,
    "LISTNEXT": _listnext,
}
