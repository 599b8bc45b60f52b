"""Compile `$name(...)` calls and the variable references their arguments may be.

A plain function from the index is called with its evaluated arguments. A special form
(`intrinsics.SPECIAL_FORMS`: $GET, $DATA, $ORDER, $SELECT, $CASE, ...) needs more than values:
a variable to inspect, arguments evaluated lazily or the process's random source, so the method
`special_<name>` below compiles it. The index checks every call's arity first.
"""

from __future__ import annotations

from collections.abc import Callable

from cacheshell.lang import values as V
from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.function_spec import VARIADIC, SpecialForm
from cacheshell.lang.intrinsics import index
from cacheshell.lang.lists import list_next, list_update
from cacheshell.lang.markers import OMITTED, Star
from cacheshell.lang.nodes import Token, Tree
from cacheshell.lang.objects import ObjectInstance, Value
from cacheshell.lang.parser import ParseNode
from cacheshell.lang.refs import Actual
from cacheshell.lang.routines import parse_line_ref, source_line
from cacheshell.lang.runtime import Runtime
from cacheshell.lang.symbols import Subscripts, reference_name
from cacheshell.lang.variables import Variables

Thunk = Callable[[], Value]  # a compiled expression: each call evaluates it
ArgThunk = Callable[[], Actual]  # a compiled argument of a method or label call
FnArgThunk = Callable[[], Actual | Star]  # a compiled argument of a $-function, maybe `*-n`
Slots = list[ParseNode | None]  # a call's argument subtrees, None where an argument is left out
# Where a variable reference points when it runs: its store, name and subscripts.
Place = Callable[[], tuple[Variables, str, Subscripts]]


class Glvn:
    """A compiled variable reference: a local, a global or an indirect one."""

    def __init__(self, evaluate: Place, subscripted: bool) -> None:
        self.evaluate = evaluate
        self.subscripted = subscripted  # written with subscripts (an indirect one may be)


def local_place(rt: Runtime, name: str, subs: list[Thunk]) -> Place:
    sym = rt.sym
    return lambda: (sym, name, tuple(s() for s in subs))


# The parse nodes of a global reference: ^name(...), ^||name(...), the naked ^(...).
GLOBAL_REFS = ("global_ref", "private_ref", "naked_ref")


def global_place(rt: Runtime, tree: ParseNode, subs: list[Thunk]) -> Place:
    """^name(subs), ^||name(subs) or the naked ^(subs); each sets the naked indicator to the
    name and all subscripts but the last (none: undefined), as M does."""
    if tree.data == "naked_ref":

        def naked() -> tuple[Variables, str, Subscripts]:
            if rt.naked is None:
                raise ObjectScriptError("NAKED")
            name, base = rt.naked
            full = base + tuple(s() for s in subs)
            rt.naked = (name, full[:-1])
            store = rt.private_globals() if name.startswith("^||") else rt.globals()
            return store, name, full

        return naked
    private = tree.data == "private_ref"
    # A CARET_NAME token holds its caret; a private reference's NAME follows ^||.
    gname = "^||" + str(tree.children[1]) if private else str(tree.children[0])
    store_of = rt.private_globals if private else rt.globals
    if not subs:

        def unsubscripted() -> tuple[Variables, str, Subscripts]:
            rt.naked = None
            return store_of(), gname, ()

        return unsubscripted
    if len(subs) == 1:
        (only,) = subs

        def one() -> tuple[Variables, str, Subscripts]:
            sub = only()
            rt.naked = (gname, ())
            return store_of(), gname, (sub,)

        return one

    def place() -> tuple[Variables, str, Subscripts]:
        full = tuple(s() for s in subs)
        rt.naked = (gname, full[:-1])
        return store_of(), gname, full

    return place


class FunctionCompiler:
    """The $-function part of the expression compiler, a base of ExprCompiler, which supplies
    the methods declared first."""

    rt: Runtime

    def expr(self, tree: ParseNode) -> Thunk:
        raise NotImplementedError

    def subscripts(self, args: ParseNode | None) -> list[Thunk]:
        raise NotImplementedError

    def function_argument(self, slot: ParseNode | None) -> FnArgThunk:
        raise NotImplementedError

    def indirect_reference(self, tree: ParseNode) -> Place:
        raise NotImplementedError

    def expr_of(self, node: ParseNode) -> Thunk:
        raise NotImplementedError

    # -- calls ------------------------------------------------------------------------------
    def function(self, name: str, slots: Slots) -> Thunk:
        """$name(slots), name as typed after the $ in upper case: full or abbreviated."""
        spec = index().get(name)
        if spec is None:
            raise ObjectScriptError("SYNTAX")  # unknown $-function: Caché rejects the line
        if len(slots) == 1 and slots[0] is None:
            slots = []
        if not spec.min_args <= len(slots) <= (spec.max_args if spec.max_args else VARIADIC):
            raise ObjectScriptError("SYNTAX")
        if isinstance(spec, SpecialForm):
            special: Callable[[Slots], Thunk] = getattr(self, "special_" + spec.name.lower())
            return special(slots)
        impl = spec.impl
        args = [self.function_argument(s) for s in slots]
        if len(args) == 1:
            (a,) = args
            return lambda: impl(a())
        if len(args) == 2:
            a, b = args
            return lambda: impl(a(), b())
        return lambda: impl(*[a() for a in args])

    def glvn(self, slot: ParseNode | None) -> Glvn:
        """Compile a variable reference argument: x, x(1), ^g(2), or .x passed by reference."""
        node = slot
        if isinstance(node, Tree) and node.data == "byref":
            return Glvn(local_place(self.rt, str(node.children[0]), []), False)
        if isinstance(node, Tree) and node.data == "chain" and len(node.children) == 1:
            head = node.children[0]
            if head.data == "local":
                name, args = head.children
                subs = self.subscripts(args)
                return Glvn(local_place(self.rt, str(name), subs), bool(subs))
        if isinstance(node, Tree) and node.data in GLOBAL_REFS:
            subs = self.subscripts(node.children[-1])
            return Glvn(global_place(self.rt, node, subs), bool(subs))
        if isinstance(node, Tree) and node.data == "indirect":
            return Glvn(self.indirect_reference(node), True)
        raise ObjectScriptError("SYNTAX")

    # -- the special forms, each with the arity its declaration in intrinsics checked ---------
    def special_get(self, slots: Slots) -> Thunk:
        ref = self.glvn(slots[0])
        default = self.function_argument(slots[1]) if len(slots) == 2 else (lambda: "")

        def get() -> Value:
            store, name, subs = ref.evaluate()
            if store.data(name, subs) % 2:
                return store.get(name, subs)
            # A default written as `*`, `.name` or left empty comes back as it was passed (a
            # marker, a reference): only a value is meant to stand there.
            return default()  # type: ignore[return-value]

        return get

    def special_data(self, slots: Slots) -> Thunk:
        ref = self.glvn(slots[0])

        def data() -> int:
            store, name, subs = ref.evaluate()
            return store.data(name, subs)

        return data

    def special_order(self, slots: Slots) -> Thunk:
        ref = self.glvn(slots[0])
        direction = self.function_argument(slots[1]) if len(slots) >= 2 else (lambda: 1)
        target = self.glvn(slots[2]) if len(slots) == 3 else None
        if not ref.subscripted:
            raise ObjectScriptError("SYNTAX")  # $ORDER needs a subscripted reference here

        def order() -> Value:
            given = direction()
            step = 1 if given is OMITTED else V.to_int(given)
            if step not in (1, -1):
                raise ObjectScriptError("FUNCTION")
            store, name, subs = ref.evaluate()
            found = store.order(name, subs, reverse=step == -1)
            if target is not None and found != "":
                # $ORDER(ref,dir,target) also gives the found node's value to target; a node
                # with no value (descendants only) leaves target as it was (RCOS_forder).
                node = subs[:-1] + (found,)
                if store.data(name, node) % 2:
                    value = store.get(name, node)
                    t_store, t_name, t_subs = target.evaluate()
                    t_store.set(t_name, t_subs, value)
            return found

        return order

    def special_query(self, slots: Slots) -> Thunk:
        ref = self.glvn(slots[0])

        def query() -> str:
            store, name, subs = ref.evaluate()
            found = store.query(name, subs)
            return "" if found is None else reference_name(name, found)

        return query

    def special_name(self, slots: Slots) -> Thunk:
        ref = self.glvn(slots[0])

        def name() -> str:
            _, var, subs = ref.evaluate()
            return reference_name(var, subs)

        return name

    def special_increment(self, slots: Slots) -> Thunk:
        ref = self.glvn(slots[0])
        by = self.function_argument(slots[1]) if len(slots) == 2 else (lambda: 1)

        def increment() -> Value:
            store, name, subs = ref.evaluate()
            return store.increment(name, subs, V.to_num(by()))

        return increment

    def special_select(self, slots: Slots) -> Thunk:
        pairs: list[tuple[Thunk, Thunk]] = []
        for slot in slots:
            if slot is None or slot.data != "pair":
                raise ObjectScriptError("SYNTAX")
            pairs.append((self.expr(slot.children[0]), self.expr(slot.children[1])))

        def select() -> Value:
            for test, result in pairs:
                if V.is_true(test()):
                    return result()
            raise ObjectScriptError("SELECT")

        return select

    def special_case(self, slots: Slots) -> Thunk:
        if slots[0] is None:
            raise ObjectScriptError("SYNTAX")
        subject = self.function_argument(slots[0])
        pairs: list[tuple[Thunk, Thunk]] = []
        default: Thunk | None = None
        for slot in slots[1:]:
            if slot is not None and slot.data == "pair":
                pairs.append((self.expr(slot.children[0]), self.expr(slot.children[1])))
            elif slot is not None and slot.data == "default_pair" and default is None:
                default = self.expr(slot.children[0])
            else:
                raise ObjectScriptError("SYNTAX")

        def case() -> Value:
            value = subject()
            for test, result in pairs:
                if V.eq(value, test()):
                    return result()
            if default is None:
                raise ObjectScriptError("ILLEGAL VALUE")
            return default()

        return case

    def special_random(self, slots: Slots) -> Thunk:
        limit = self.function_argument(slots[0])
        rt = self.rt

        def random() -> int:
            n = V.to_int(limit())
            if n < 1 or n > 10**17:
                raise ObjectScriptError("FUNCTION")
            return rt.rng.randrange(n)

        return random

    def special_isobject(self, slots: Slots) -> Thunk:
        value = self.function_argument(slots[0])
        return lambda: 1 if isinstance(value(), ObjectInstance) else 0

    def special_classname(self, slots: Slots) -> Thunk:
        if not slots:
            return lambda: ""  # no current class at the terminal
        value = self.function_argument(slots[0])

        def classname() -> str:
            v = value()
            return v.cls.name if isinstance(v, ObjectInstance) else ""

        return classname

    def special_listnext(self, slots: Slots) -> Thunk:
        lst = self.function_argument(slots[0])
        pointer, target = self.glvn(slots[1]), self.glvn(slots[2])

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

    def special_listupdate(self, slots: Slots) -> Thunk:
        """$LISTUPDATE(list,position,[bool:]value,...): each value replaces the element at its
        place, unless its bool is false or it is left out (RCOS_flistupdate)."""
        if slots[0] is None or slots[1] is None:
            raise ObjectScriptError("SYNTAX")
        lst, position = self.function_argument(slots[0]), self.function_argument(slots[1])
        updates: list[tuple[Thunk, Thunk] | None] = []
        for slot in slots[2:]:
            if slot is None:
                updates.append(None)
            elif slot.data == "pair":
                updates.append((self.expr(slot.children[0]), self.expr(slot.children[1])))
            elif slot.data in ("default_pair", "byref", "star"):
                raise ObjectScriptError("SYNTAX")
            else:
                updates.append((lambda: 1, self.expr(slot)))

        def listupdate() -> Value:
            wanted = [
                None if u is None else ((u[1](),) if V.is_true(u[0]()) else None) for u in updates
            ]
            return list_update(V.to_str(lst()), V.to_int(position()), wanted)

        return listupdate

    def special_text(self, slots: Slots) -> Thunk:
        """$TEXT(label+offset^routine) or $TEXT(@expr): a line of a routine's source."""
        (ref,) = slots
        rt = self.rt
        if ref is None:
            raise ObjectScriptError("SYNTAX")
        if ref.data == "text_indirect":
            text = self.expr_of(ref.children[0])

            def text_indirect() -> str:
                label, offset, routine = parse_line_ref(V.to_str(text()))
                return _line(rt, label, 0 if offset is None else offset, routine)

            return text_indirect
        parts = [c for c in ref.children if c is not None]
        label_tok = next(
            (c for c in parts if isinstance(c, Token) and c.type != "CARET_NAME"), None
        )
        label = None if label_tok is None or label_tok.type == "PLUS" else str(label_tok)
        offset_node = next((c for c in parts if isinstance(c, Tree)), None)
        routine_tok = next((c for c in parts if getattr(c, "type", "") == "CARET_NAME"), None)
        if label is None and offset_node is None:
            raise ObjectScriptError("SYNTAX")
        offset = (lambda: 0) if offset_node is None else self.expr(offset_node)
        routine = None if routine_tok is None else str(routine_tok)[1:]

        def text_line() -> str:
            n = V.to_int(offset())
            if n < 0:
                raise ObjectScriptError("SYNTAX")
            return _line(rt, label, n, routine)

        return text_line


def _line(rt: Runtime, label: str | None, offset: int, routine: str | None) -> str:
    # No source there (no such routine, or none running at the prompt) reads as "" (RCOS_ftext).
    found = rt.routine_text(routine)
    if found is None:
        return ""
    name, source = found
    return source_line(name, source, label, offset)
