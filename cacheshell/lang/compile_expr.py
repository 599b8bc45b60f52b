"""Compile expression trees into Python closures that evaluate them.

Each expression becomes a zero-argument callable. Binary operators form one flat list and apply
strictly left to right; unary operators bind to the operand that follows them.
"""

from __future__ import annotations

from collections.abc import Callable

from cacheshell.lang import values as V
from cacheshell.lang.compile_functions import (
    GLOBAL_REFS,
    ArgThunk,
    FnArgThunk,
    FunctionCompiler,
    Place,
    Thunk,
    global_place,
)
from cacheshell.lang.errors import ObjectScriptError, undefined
from cacheshell.lang.markers import OMITTED, Star
from cacheshell.lang.nodes import Token, Tree
from cacheshell.lang.objects import ObjectInstance, Value
from cacheshell.lang.parser import ParseNode
from cacheshell.lang.pattern import match as pattern_match
from cacheshell.lang.refs import Ref
from cacheshell.lang.runtime import Runtime
from cacheshell.lang.symbols import Subscripts
from cacheshell.lang.variables import Variables

# A binary operator applied to its two evaluated operands.
BinOp = Callable[[Value, Value], Value]


def _not_op(fn: Callable[[Value, Value], int]) -> BinOp:
    return lambda a, b: 1 - fn(a, b)


_BINOPS: dict[str, BinOp] = {
    "PLUS": V.add,
    "MINUS": V.sub,
    "STAR": V.mul,
    "SLASH": V.div,
    "BACKSLASH": V.idiv,
    "HASH": V.mod,
    "POW": V.power,
    "UNDERSCORE": V.concat,
    "EQ": V.eq,
    "LT": V.lt,
    "GT": V.gt,
    "LE": V.le,
    "GE": V.ge,
    "NEQ": _not_op(V.eq),
    "NLT": V.ge,
    "NGT": V.le,
    "CONTAINS": V.contains,
    "NCONTAINS": _not_op(V.contains),
    "FOLLOWS": V.follows,
    "NFOLLOWS": _not_op(V.follows),
    "SORTSAFTER": V.sorts_after,
    "NSORTSAFTER": _not_op(V.sorts_after),
    "AND": V.and_,
    "OR": V.or_,
    "NAND": _not_op(V.and_),
    "NOR": _not_op(V.or_),
    # What && and || compute from both operands; _chain evaluates the right one only if needed.
    "ANDAND": V.and_,
    "OROR": V.or_,
}
_SHORT_CIRCUIT = {"ANDAND", "OROR"}


def string_literal(text: str) -> str:
    return text[1:-1].replace('""', '"')


class ExprCompiler(FunctionCompiler):
    rt: Runtime

    # -- expressions -----------------------------------------------------------------------
    def expr(self, tree: ParseNode) -> Thunk:
        """An expression: operands and operators (expr), an operand with prefix operators
        (unary) or an atom alone; the grammar leaves out the nodes around one child."""
        kind = tree.data
        if kind == "expr":
            return self.operations(tree)
        if kind == "unary":
            return self.unary(tree)
        return self.atom(tree)

    def operations(self, tree: ParseNode) -> Thunk:
        items = tree.children
        first = self.expr(items[0])
        steps: list[tuple[str, BinOp, Thunk]] = []
        i = 1
        while i < len(items):
            node = items[i]
            if isinstance(node, Token):  # a binary operator, then its right operand
                kind = node.type
                steps.append((kind, _BINOPS[kind], self.expr(items[i + 1])))
                i += 2
            else:  # pattern_test: the pattern applies to the value so far, with no operand
                negate, pattern = node.children
                test = _pattern_test(negate is not None, str(pattern)[1:])
                steps.append(("PATTERN", test, _no_operand))
                i += 1
        if not steps:
            return first
        if len(steps) == 1 and steps[0][0] not in _SHORT_CIRCUIT:
            _, fn, right = steps[0]
            return _binary(fn, first, right)
        return _chain(first, steps)

    def unary(self, tree: ParseNode) -> Thunk:
        *ops, atom = tree.children
        value = self.atom(atom)
        for op in reversed(ops):
            value = _apply_unary(op.type, value)
        return value

    def atom(self, tree: ParseNode) -> Thunk:
        kind = tree.data
        if kind == "number":
            number = V.to_num(str(tree.children[0]))
            return lambda: number
        if kind == "string":
            text = string_literal(str(tree.children[0]))
            return lambda: text
        if kind == "paren":
            return self.expr(tree.children[0])
        if kind == "chain":
            return self.chain(tree)
        if kind in GLOBAL_REFS:
            return self.global_read(tree)
        if kind == "indirect":
            return self.indirect(tree)
        raise ObjectScriptError("SYNTAX")

    # -- references: locals, globals, chains -----------------------------------------------
    def subscripts(self, args: ParseNode | None) -> list[Thunk]:
        if args is None:
            return []
        slots = args.children
        if any(s is None for s in slots):
            raise ObjectScriptError("SYNTAX")  # x() and x(1,) are not subscripts
        return [self.expr_of(s) for s in slots]

    def expr_of(self, node: ParseNode) -> Thunk:
        if isinstance(node, Tree) and node.data in ("byref", "star", "pair", "default_pair"):
            raise ObjectScriptError("SYNTAX")
        return self.expr(node)

    def local_read(self, name: str, subs: list[Thunk]) -> Thunk:
        scalars = self.rt.sym.scalars
        sym = self.rt.sym
        if not subs:

            def read() -> Value:
                try:
                    return scalars[name]
                except KeyError:
                    raise undefined(name) from None

            return read
        return lambda: sym.get(name, tuple(s() for s in subs))

    def global_read(self, tree: ParseNode) -> Thunk:
        place = global_place(self.rt, tree, self.subscripts(tree.children[-1]))

        def read() -> Value:
            store, name, subs = place()
            return store.get(name, subs)

        return read

    def indirect(self, tree: ParseNode) -> Thunk:
        """@expr reads the expression the string holds; @name@(subs) adds subscripts to a name."""
        inner, args = tree.children
        name = self.atom(inner)
        rt = self.rt
        if args is None:
            return lambda: rt.evaluate_indirect(V.to_str(name()))
        subs = self.subscripts(args)

        def read() -> Value:
            store, var, base = rt.indirect_reference(V.to_str(name()))
            return store.get(var, base + tuple(s() for s in subs))

        return read

    def indirect_reference(self, tree: ParseNode) -> Place:
        """The (store, name, subscripts) an @ reference names, resolved when it runs."""
        inner, args = tree.children
        name = self.atom(inner)
        subs = self.subscripts(args)
        rt = self.rt

        def resolve() -> tuple[Variables, str, Subscripts]:
            store, var, base = rt.indirect_reference(V.to_str(name()))
            return store, var, base + tuple(s() for s in subs)

        return resolve

    def chain(self, tree: ParseNode) -> Thunk:
        head, *members = tree.children
        if head.data == "local":
            name, args = head.children
            base = self.local_read(str(name), self.subscripts(args))
        elif head.data == "dollar":
            base, members = self.dollar(head, members)
        elif head.data == "classref":
            base, members = self.class_call(head, members)
        elif head.data == "extrinsic":
            base = self.extrinsic(head)
        elif head.data == "text_fn":
            base = self.function("TEXT", [head.children[1]])
        elif head.data in ("json_object", "json_array"):
            base = self.json(head)
        else:
            raise ObjectScriptError("SYNTAX")
        for member in members:
            base = self.member(base, member)
        return base

    def dollar(self, head: ParseNode, members: list[ParseNode]) -> tuple[Thunk, list[ParseNode]]:
        token, args = head.children
        name = str(token)[1:].upper()
        if args is not None:
            return self.function(name, args.children), members
        if name in ("SYSTEM", "SY") and members:
            cls_member, *rest = members
            if cls_member.children[1] is not None or not rest:
                raise ObjectScriptError("SYNTAX")
            cls = self.rt.registry.resolve_system(str(cls_member.children[0]))
            method, *rest = rest
            return self.method_on_class(cls.name, method), rest
        rt = self.rt
        getter = rt.special_getter(name)
        return getter, members

    def class_call(
        self, head: ParseNode, members: list[ParseNode]
    ) -> tuple[Thunk, list[ParseNode]]:
        text = str(head.children[0])
        cls_name = text[text.index("(") + 1 : -1].strip()
        if not members:
            raise ObjectScriptError("SYNTAX")
        method, *rest = members
        return self.method_on_class(cls_name, method), rest

    def method_on_class(self, cls_name: str, member: ParseNode) -> Thunk:
        name, args = member.children
        arg_thunks = self.call_arguments(args)
        rt = self.rt
        method = str(name)

        def call() -> Value:
            cls = rt.registry.resolve(cls_name, rt.namespace)
            return cls.call_class_method(rt, method, [a() for a in arg_thunks])

        return call

    def member(self, base: Thunk, member: ParseNode) -> Thunk:
        name, args = member.children
        prop = str(name)
        rt = self.rt
        if args is None:

            def get() -> Value:
                return oref_of(base()).get_property(prop)

            return get
        arg_thunks = self.call_arguments(args)

        def call() -> Value:
            return oref_of(base()).call_method(rt, prop, [a() for a in arg_thunks])

        return call

    def json(self, tree: ParseNode) -> Thunk:
        from cacheshell.lang import dynamic

        rt = self.rt
        if tree.data == "json_object":
            members = [
                (string_literal(str(m.children[0])), self.json_value(m.children[1]))
                for m in tree.children
                if isinstance(m, Tree)
            ]
            return lambda: dynamic.make_object(rt, [(k, v()) for k, v in members])
        elements = [self.json_value(e) for e in tree.children if isinstance(e, Tree)]
        return lambda: dynamic.make_array(rt, [v() for v in elements])

    def json_value(self, tree: ParseNode) -> Callable[[], tuple[str, Value]]:
        """A JSON element: true, false and null are literals; anything else is ObjectScript."""
        from cacheshell.lang import dynamic

        node = tree
        if isinstance(node, Tree) and node.data == "chain" and len(node.children) == 1:
            node = node.children[0]
        if isinstance(node, Tree) and node.data == "local" and node.children[1] is None:
            literal = dynamic.LITERALS.get(str(node.children[0]))
            if literal is not None:
                return lambda: literal
        value = self.expr(tree)
        return lambda: dynamic.typed(value())

    def extrinsic(self, head: ParseNode) -> Thunk:
        token, routine, args = head.children
        label = str(token)[2:] or None
        routine_name = str(routine)[1:] if routine is not None else None
        arg_thunks = self.call_arguments(args)
        rt = self.rt
        return lambda: rt.call_label(label, routine_name, [a() for a in arg_thunks], True)

    def call_arguments(self, args: ParseNode | None) -> list[ArgThunk]:
        """Actual arguments of a method or label call: values, `.name` references, omissions."""
        if args is None:
            return []
        slots = args.children
        if len(slots) == 1 and slots[0] is None:
            return []
        thunks: list[ArgThunk] = []
        for slot in slots:
            if slot is None:
                thunks.append(lambda: OMITTED)
            elif slot.data == "byref":
                thunks.append(self.reference(str(slot.children[0])))
            else:
                thunks.append(self.expr_of(slot))
        return thunks

    def reference(self, name: str) -> Callable[[], Ref]:
        sym = self.rt.sym
        return lambda: Ref(sym, name)

    def function_argument(self, slot: ParseNode | None) -> FnArgThunk:
        """An intrinsic function's argument: an expression, `*-n`, or an omission."""
        if slot is None:
            return lambda: OMITTED
        if slot.data == "star":
            _star, sign, number = slot.children
            offset = 0 if number is None else V.to_int(str(number))
            star = Star(-offset if sign is not None and sign.type == "MINUS" else offset)
            return lambda: star
        if slot.data == "byref":
            return self.reference(str(slot.children[0]))
        return self.expr_of(slot)


def oref_of(value: object) -> ObjectInstance:
    if isinstance(value, ObjectInstance):
        return value
    raise ObjectScriptError("INVALID OREF")


def _apply_unary(kind: str, inner: Thunk) -> Thunk:
    if kind == "MINUS":
        return lambda: V.neg(inner())
    if kind == "PLUS":
        return lambda: V.pos(inner())
    return lambda: V.not_(inner())


def _binary(fn: BinOp, left: Thunk, right: Thunk) -> Thunk:
    if fn is V.concat:
        return _concat(left, right)
    return lambda: fn(left(), right())


def _concat(left: Thunk, right: Thunk) -> Thunk:
    """a_b, the commonest string operation, without a call to V.concat (same rules)."""
    to_str, limit = V.to_str, V.MAX_STRING

    def run() -> str:
        a = left()
        b = right()
        r = (a if type(a) is str else to_str(a)) + (b if type(b) is str else to_str(b))
        if len(r) > limit:
            raise ObjectScriptError("MAXSTRING")
        return r

    return run


def _pattern_test(negate: bool, pattern: str) -> BinOp:
    """value?pattern (or value'?pattern) as an operator whose right operand is ignored."""

    def test(value: Value, _: Value) -> int:
        result = pattern_match(V.to_str(value), pattern)
        return 1 - result if negate else result

    return test


def _no_operand() -> Value:
    return ""


def _chain(first: Thunk, steps: list[tuple[str, BinOp, Thunk]]) -> Thunk:
    def run() -> Value:
        acc = first()
        for kind, fn, operand in steps:
            if kind == "ANDAND":
                acc = 1 if V.is_true(acc) and V.is_true(operand()) else 0
            elif kind == "OROR":
                acc = 1 if V.is_true(acc) or V.is_true(operand()) else 0
            else:
                acc = fn(acc, operand())
        return acc

    return run
