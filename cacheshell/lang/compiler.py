"""Compile command trees into closures.

A program is a list of lines; a line is a sequence of commands. The legacy one-line forms (If
without braces, Else, For without braces) take the rest of their line as their body, so the
compiler nests the rest of the line inside them instead of signalling at run time.
"""

from __future__ import annotations

from collections.abc import Callable

from cacheshell.lang import values as V
from cacheshell.lang.compile_expr import ExprCompiler, oref_of
from cacheshell.lang.compile_functions import (
    GLOBAL_REFS,
    ArgThunk,
    FnArgThunk,
    Glvn,
    Place,
    Thunk,
    global_place,
)
from cacheshell.lang.compile_lock import compile_lock
from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.markers import Star
from cacheshell.lang.nodes import Token, Tree
from cacheshell.lang.objects import Value
from cacheshell.lang.output import Output
from cacheshell.lang.parser import ParseNode
from cacheshell.lang.refs import Actual
from cacheshell.lang.routines import CompiledRoutine
from cacheshell.lang.runtime import Runtime
from cacheshell.lang.signals import (
    NOVALUE,
    ContinueSignal,
    HaltSignal,
    QuitSignal,
    ReturnSignal,
    ThrownObject,
    Unwind,
)
from cacheshell.lang.storage import SHORT_STRING
from cacheshell.lang.symbols import Subscripts, Symbols
from cacheshell.lang.values import Number
from cacheshell.lang.variables import Variables

Run = Callable[[], None]  # a compiled command, or a sequence of them
Setter = Callable[[Value], None]  # SET of one target, given the value


def _nothing() -> None:
    return None


def sequence(parts: list[Run]) -> Run:
    if not parts:
        return _nothing
    if len(parts) == 1:
        return parts[0]

    def run() -> None:
        for part in parts:
            part()

    return run


class Compiler(ExprCompiler):
    def __init__(self, rt: Runtime, source: str, routine: CompiledRoutine | None = None) -> None:
        self.rt = rt
        self.lines_text = source.splitlines() or [""]
        self.routine = routine  # a CompiledRoutine when compiling one, for entryrefs

    # -- program structure ------------------------------------------------------------------
    def program(self, tree: ParseNode) -> list[Run]:
        return [self.line(line) for line in tree.children]

    def block(self, tree: ParseNode) -> Run:
        return sequence([self.line(line) for line in tree.children])

    def line(self, tree: ParseNode) -> Run:
        return self.commands(tree.children)

    def commands(self, cmds: list[ParseNode]) -> Run:
        parts: list[Run] = []
        for i, cmd in enumerate(cmds):
            if cmd.data in ("if_legacy", "if_test", "else_cmd") or (
                cmd.data == "for_cmd" and not _has_block(cmd)
            ):
                rest = self.commands(cmds[i + 1 :])
                parts.append(self.locate(cmd, getattr(self, cmd.data)(cmd, rest)))
                break
            parts.append(self.locate(cmd, getattr(self, cmd.data)(cmd)))
        return sequence(parts)

    def locate(self, cmd: ParseNode, run: Run) -> Run:
        """Attach the failing command's place to errors raised while it runs."""
        token = cmd.children[0]
        line_no = token.line or 1
        column = (token.column or 1) - 1
        text = self.lines_text[line_no - 1] if line_no <= len(self.lines_text) else ""
        routine = self.routine
        rt = self.rt

        def located() -> None:
            if rt.on_command is not None:
                rt.on_command()
            try:
                run()
            except (ObjectScriptError, ThrownObject, Unwind) as err:
                if err.column is None:
                    err.column, err.source_line = column, text
                    if routine is not None and not err.location:
                        err.location = routine.entryref(line_no)
                raise

        return located

    def postcond(self, cmd: ParseNode, run: Run) -> Run:
        # Every command rule puts its [postcond] right after the keyword.
        children = cmd.children
        cond_tree = children[1] if len(children) > 1 else None
        if not (isinstance(cond_tree, Tree) and cond_tree.data == "postcond"):
            return run
        cond = self.expr(cond_tree.children[0])

        def guarded() -> None:
            if V.is_true(cond()):
                run()

        return guarded

    def args(self, cmd: ParseNode) -> list[ParseNode]:
        """The argument subtrees of a command (not its keyword, postconditional or tokens)."""
        return [
            c for c in cmd.children if isinstance(c, Tree) and c.data not in ("postcond", "block")
        ]

    # -- SET --------------------------------------------------------------------------------
    def set_cmd(self, cmd: ParseNode) -> Run:
        parts: list[Run] = []
        for arg in self.args(cmd):
            *targets, value_tree = [c for c in arg.children if not isinstance(c, Token)]
            value = self.expr(value_tree)
            setters = [self.setter(t, _numeric(value_tree)) for t in targets]
            parts.append(_assign(setters, value))
        return self.postcond(cmd, sequence(parts))

    def setter(self, target: ParseNode, numeric: bool = False) -> Setter:
        """How to store into `target`; `numeric` when the value is known to be a number."""
        rt = self.rt
        if target.data == "indirect":
            resolve = self.indirect_reference(target)

            def set_indirect(v: Value) -> None:
                store, name, subs = resolve()
                store.set(name, subs, v)

            return set_indirect
        if target.data in GLOBAL_REFS:
            place = global_place(rt, target, self.subscripts(target.children[-1]))

            def set_global(v: Value) -> None:
                store, name, subs = place()
                store.set(name, subs, v)

            return set_global
        head, *members = target.children
        if members:
            last = members[-1]
            if last.children[1] is not None:
                raise ObjectScriptError("SYNTAX")
            prefix = self.chain(Tree("chain", [head, *members[:-1]]))
            prop = str(last.children[0])
            return lambda v: oref_of(prefix()).set_property(prop, v)
        if head.data == "local":
            name, args = head.children
            name = str(name)
            if args is None:
                sym = rt.sym
                scalars, long, short = sym.scalars, sym.long, SHORT_STRING

                def set_scalar(v: Value) -> None:
                    # Inline for speed: only a long string, or a name holding one, is charged.
                    if (type(v) is str and len(v) > short) or (long and name in long):
                        sym.set_scalar(name, v)
                    else:
                        scalars[name] = v

                def set_number(v: Value) -> None:
                    if long and name in long:
                        sym.set_scalar(name, v)  # the long string it held is released
                    else:
                        scalars[name] = v

                return set_number if numeric else set_scalar
            subs = self.subscripts(args)
            sym = rt.sym
            if len(subs) == 1:
                (sub,) = subs
                return lambda v: sym.set(name, (sub(),), v)
            return lambda v: sym.set(name, tuple(s() for s in subs), v)
        if head.data == "dollar":
            return self.dollar_setter(head)
        raise ObjectScriptError("SYNTAX")

    def dollar_setter(self, head: ParseNode) -> Setter:
        from cacheshell.lang import lists, strings

        token, args = head.children
        name = str(token)[1:].upper()
        if args is None:
            return self.rt.special_setter(name)
        slots = args.children
        if not slots or slots[0] is None:
            raise ObjectScriptError("SYNTAX")
        ref = self.glvn(slots[0])
        rest = [self.function_argument(s) for s in slots[1:]]
        if name in ("PIECE", "P") and 2 <= len(slots) <= 4:
            return _modify(ref, lambda cur, v, a: strings.set_piece(cur, v, *a), rest)
        if name in ("EXTRACT", "E") and 1 <= len(slots) <= 3:
            return _modify(ref, lambda cur, v, a: strings.set_extract(cur, v, *a), rest)
        if name in ("LIST", "LI") and 1 <= len(slots) <= 3:
            positions = rest or [lambda: 1]
            return _modify(ref, lambda cur, v, a: lists.set_list(cur, v, *a), positions)
        raise ObjectScriptError("SYNTAX")

    # -- WRITE, ZWRITE ----------------------------------------------------------------------
    def write_cmd(self, cmd: ParseNode) -> Run:
        rt = self.rt
        out = rt.out
        args = self.args(cmd)
        if not args:
            return self.postcond(cmd, rt.write_locals)
        parts: list[Run] = []
        for arg in args:
            if arg.data == "write_formats":
                for fmt in arg.children:
                    kind = fmt.children[0].type
                    if kind == "FMT_NL":
                        parts.append(out.newline)
                    elif kind == "FMT_FF":
                        parts.append(out.form_feed)
                    else:
                        parts.append(_tab(out, self.expr(fmt.children[1])))
            elif arg.data == "write_char":
                parts.append(_write_char(rt, self.expr(arg.children[1])))
            else:
                parts.append(_write(out, self.expr(arg)))
        return self.postcond(cmd, sequence(parts))

    def zwrite_cmd(self, cmd: ParseNode) -> Run:
        rt = self.rt
        args = self.args(cmd)
        if not args:
            return self.postcond(cmd, rt.write_locals)
        parts: list[Run] = []
        for arg in args:
            try:
                ref = self.glvn(arg)
            except ObjectScriptError:
                parts.append(_zwrite_value(rt, self.expr(arg)))
            else:
                parts.append(_zwrite_reference(rt, ref))
        return self.postcond(cmd, sequence(parts))

    # -- KILL, NEW --------------------------------------------------------------------------
    def kill_cmd(self, cmd: ParseNode) -> Run:
        sym = self.rt.sym
        args = self.args(cmd)
        if not args:
            return self.postcond(cmd, sym.kill_all)
        parts: list[Run] = []
        for arg in args:
            if arg.data == "kill_except":
                keep = frozenset(str(n) for n in arg.children if n is not None)
                parts.append(_kill_except(sym, keep))
            elif arg.data in (*GLOBAL_REFS, "indirect"):
                resolve = (
                    self.indirect_reference(arg)
                    if arg.data == "indirect"
                    else self.glvn(arg).evaluate
                )
                parts.append(_kill_place(resolve))
            else:
                name, sub_args = arg.children
                parts.append(_kill_local(sym, str(name), self.subscripts(sub_args)))
        return self.postcond(cmd, sequence(parts))

    def new_cmd(self, cmd: ParseNode) -> Run:
        rt = self.rt
        args = self.args(cmd)
        if not args:
            return self.postcond(cmd, lambda: rt.new_except(frozenset()))
        parts: list[Run] = []
        for arg in args:
            if arg.data == "new_name":
                parts.append(_new_name(rt, str(arg.children[0])))
            elif arg.data == "new_special":
                parts.append(_new_special(rt, str(arg.children[0])[1:].upper()))
            else:
                keep = frozenset(str(n) for n in arg.children if n is not None)
                parts.append(_new_except(rt, keep))
        return self.postcond(cmd, sequence(parts))

    # -- MERGE, TSTART, TCOMMIT, TROLLBACK ---------------------------------------------------
    def merge_cmd(self, cmd: ParseNode) -> Run:
        parts: list[Run] = []
        for arg in self.args(cmd):
            destination, _eq, source = arg.children
            parts.append(_merge(self.place(destination), self.place(source)))
        return self.postcond(cmd, sequence(parts))

    def place(self, target: ParseNode) -> Place:
        """A MERGE operand: a local, a global or an indirect reference, nothing else."""
        if target.data == "chain" and len(target.children) == 1:
            return self.glvn(target).evaluate
        if target.data in (*GLOBAL_REFS, "indirect"):
            return self.glvn(target).evaluate
        raise ObjectScriptError("SYNTAX")

    def tstart_cmd(self, cmd: ParseNode) -> Run:
        return self.postcond(cmd, self.rt.tx.start)

    def tcommit_cmd(self, cmd: ParseNode) -> Run:
        return self.postcond(cmd, self.rt.tx.commit)

    def trollback_cmd(self, cmd: ParseNode) -> Run:
        tx = self.rt.tx
        count = next((c for c in cmd.children if isinstance(c, Token) and c.type == "NUMBER"), None)
        if count is None:
            return self.postcond(cmd, tx.roll_back)
        # TROLLBACK 1 undoes the innermost level; its argument can only be the literal 1
        # (Caché ObjectScript Reference, TROLLBACK, KEY=RCOS_CTROLLBACK).
        if str(count) != "1":
            raise ObjectScriptError("SYNTAX")
        return self.postcond(cmd, lambda: tx.roll_back(1))

    # -- DO, JOB, QUIT, HALT, HANG, XECUTE, ZNSPACE -----------------------------------------
    def do_cmd(self, cmd: ParseNode) -> Run:
        parts = []
        for arg in self.args(cmd):
            target, cond = arg.children
            run = self.call_target(target)
            if cond is not None:
                run = _when(self.expr(cond.children[0]), run)
            parts.append(run)
        return self.postcond(cmd, sequence(parts))

    def call_target(self, target: ParseNode) -> Run:
        rt = self.rt
        if target.data == "indirect":
            if target.children[1] is not None:
                raise ObjectScriptError("SYNTAX")
            text = self.atom(target.children[0])
            return lambda: rt.xecute("Do " + V.to_str(text()))
        if target.data == "entryref":
            label, _plus, offset, routine, args = target.children
            label_name = None if label is None else str(label)
            off = 0 if offset is None else V.to_int(str(offset))
            return _do(rt, label_name, str(routine)[1:], self.call_arguments(args), off)
        head, *members = target.children
        if head.data == "local" and not members:
            name, args = head.children
            return _do(rt, str(name), None, self.call_arguments(args), 0)
        value = self.chain(target)
        return lambda: (value(), None)[1]

    def dowhile_cmd(self, cmd: ParseNode) -> Run:
        body = self.block(
            next(c for c in cmd.children if isinstance(c, Tree) and c.data == "block")
        )
        tests = [self.expr(c) for c in self.args(cmd)]

        def run() -> None:
            try:
                while True:
                    try:
                        body()
                    except ContinueSignal:
                        pass
                    if not all(V.is_true(t()) for t in tests):
                        break
            except QuitSignal as q:
                _loop_quit(q)

        return self.postcond(cmd, run)

    def job_cmd(self, cmd: ParseNode) -> Run:
        parts = [self.job_target(arg.children[0]) for arg in self.args(cmd)]
        return self.postcond(cmd, sequence(parts))

    def job_target(self, target: ParseNode) -> Run:
        """JOB: the arguments are evaluated here; the entry point runs in a child process."""
        rt = self.rt
        if target.data == "entryref":
            label, _plus, offset, routine, args = target.children
            label_name = None if label is None else str(label)
            off = 0 if offset is None else V.to_int(str(offset))
            thunks = self.call_arguments(args)
            rname = str(routine)[1:]
            return lambda: rt.job(
                lambda child, a: child.call_label(label_name, rname, a, False, off),
                [t() for t in thunks],
            )
        head, *members = target.children
        if head.data == "local" and not members:
            name, args = head.children
            thunks, label_name = self.call_arguments(args), str(name)
            return lambda: rt.job(
                lambda child, a: child.call_label(label_name, None, a, False), [t() for t in thunks]
            )
        if head.data == "classref" and len(members) == 1:
            text = str(head.children[0])
            cls_name, method = text[text.index("(") + 1 : -1].strip(), members[0]
        elif (
            head.data == "dollar"
            and len(members) == 2
            and str(head.children[0]).upper() in ("$SYSTEM", "$SY")
        ):
            cls_name = rt.registry.resolve_system(str(members[0].children[0])).name
            method = members[1]
        else:
            raise ObjectScriptError("SYNTAX")  # only entry points and class methods can be jobbed
        method_name = str(method.children[0])
        thunks = self.call_arguments(method.children[1])
        return lambda: rt.job(
            lambda child, a: child.registry.resolve(cls_name, child.namespace).call_class_method(
                child, method_name, a
            ),
            [t() for t in thunks],
        )

    def quit_cmd(self, cmd: ParseNode) -> Run:
        signal = ReturnSignal if cmd.children[0].type == "RETURN" else QuitSignal
        args = self.args(cmd)
        value = self.expr(args[0]) if args else None

        def run() -> None:
            raise signal(value() if value is not None else NOVALUE)

        return self.postcond(cmd, run)

    def halt_cmd(self, cmd: ParseNode) -> Run:
        def run() -> None:
            raise HaltSignal()

        return self.postcond(cmd, run)

    def hang_cmd(self, cmd: ParseNode) -> Run:
        rt = self.rt
        parts = [_hang(rt, self.expr(arg)) for arg in self.args(cmd)]
        return self.postcond(cmd, sequence(parts))

    def xecute_cmd(self, cmd: ParseNode) -> Run:
        rt = self.rt
        parts: list[Run] = []
        for arg in self.args(cmd):
            code_tree, cond = arg.children
            code = self.expr(code_tree)
            test = self.expr(cond.children[0]) if cond is not None else None
            parts.append(_xecute(rt, code, test))
        return self.postcond(cmd, sequence(parts))

    def lock_cmd(self, cmd: ParseNode) -> Run:
        return self.postcond(cmd, compile_lock(self, cmd))

    def znspace_cmd(self, cmd: ParseNode) -> Run:
        rt = self.rt
        name = self.expr(self.args(cmd)[0])
        return self.postcond(cmd, lambda: rt.set_namespace(V.to_str(name())))

    # -- IF, ELSE ---------------------------------------------------------------------------
    def if_block(self, cmd: ParseNode) -> Run:
        branches: list[tuple[list[Thunk], Run]] = []
        tests: list[Thunk] = []
        otherwise: Run = _nothing
        for child in cmd.children[1:]:
            if child is None or isinstance(child, Token):
                continue
            if child.data == "block":
                branches.append((tests, self.block(child)))
                tests = []
            elif child.data == "elseif_clause":
                conds = [self.expr(c) for c in self.args(child)]
                branches.append((conds, self.block(child.children[-1])))
            elif child.data == "else_clause":
                otherwise = self.block(child.children[-1])
            else:
                tests.append(self.expr(child))

        def run() -> None:
            for conds, body in branches:
                if all(V.is_true(c()) for c in conds):
                    body()
                    return
            otherwise()

        return run

    def if_legacy(self, cmd: ParseNode, rest: Run) -> Run:
        rt = self.rt
        conds = [self.expr(c) for c in self.args(cmd)]

        def run() -> None:
            truth = all(V.is_true(c()) for c in conds)
            rt.test = 1 if truth else 0
            if truth:
                rest()

        return run

    def if_test(self, cmd: ParseNode, rest: Run) -> Run:
        rt = self.rt
        return lambda: rest() if rt.test else None

    def else_cmd(self, cmd: ParseNode, rest: Run) -> Run:
        rt = self.rt
        return lambda: None if rt.test else rest()

    # -- loops ------------------------------------------------------------------------------
    def for_cmd(self, cmd: ParseNode, rest: Run | None = None) -> Run:
        block = next((c for c in cmd.children if isinstance(c, Tree) and c.data == "block"), None)
        body = self.block(block) if block is not None else (rest or _nothing)
        name_tok = next(
            (c for c in cmd.children if isinstance(c, Token) and c.type == "NAME"), None
        )
        params = [c for c in cmd.children if isinstance(c, Tree) and c.data == "for_param"]
        if name_tok is None:
            return _forever(body)
        compiled: list[tuple[Thunk, Thunk | None, Thunk | None]] = []
        for param in params:
            # start[:step[:end]]: the grammar requires the start; what is left out is None.
            start, *more = param.children
            step, end = [*more, None, None][:2]
            compiled.append(
                (
                    self.expr(start),
                    None if step is None else self.expr(step),
                    None if end is None else self.expr(end),
                )
            )
        return _for_loop(self.rt.sym, str(name_tok), compiled, body)

    def while_cmd(self, cmd: ParseNode) -> Run:
        body = self.block(
            next(c for c in cmd.children if isinstance(c, Tree) and c.data == "block")
        )
        tests = [self.expr(c) for c in self.args(cmd)]

        def run() -> None:
            try:
                while all(V.is_true(t()) for t in tests):
                    try:
                        body()
                    except ContinueSignal:
                        pass
            except QuitSignal as q:
                _loop_quit(q)

        return run

    def continue_cmd(self, cmd: ParseNode) -> Run:
        def run() -> None:
            raise ContinueSignal()

        return self.postcond(cmd, run)

    # -- TRY, CATCH, THROW ------------------------------------------------------------------
    def try_cmd(self, cmd: ParseNode) -> Run:
        blocks = [c for c in cmd.children if isinstance(c, Tree) and c.data == "block"]
        body, handler = self.block(blocks[0]), self.block(blocks[1])
        var_tok = next((c for c in cmd.children if isinstance(c, Token) and c.type == "NAME"), None)
        var = None if var_tok is None else str(var_tok)
        rt = self.rt

        def run() -> None:
            try:
                body()
            except ObjectScriptError as err:
                caught = rt.exception_for(err)
            except ThrownObject as thrown:
                caught = thrown.oref
            else:
                return
            if var is not None:
                rt.sym.set_scalar(var, caught)
            handler()

        return run

    def throw_cmd(self, cmd: ParseNode) -> Run:
        value = self.expr(self.args(cmd)[0])

        def run() -> None:
            raise ThrownObject(oref_of(value()))

        return self.postcond(cmd, run)


def _has_block(cmd: ParseNode) -> bool:
    return any(isinstance(c, Tree) and c.data == "block" for c in cmd.children)


# -- one argument of a command: each binds what it needs, as a closure -------------------------
def _tab(out: Output, column: Thunk) -> Run:
    return lambda: out.tab(V.to_int(column()))


def _write_char(rt: Runtime, code: Thunk) -> Run:
    return lambda: rt.write_char(V.to_int(code()))


def _write(out: Output, value: Thunk) -> Run:
    return lambda: out.write(V.to_str(value()))


def _zwrite_value(rt: Runtime, value: Thunk) -> Run:
    return lambda: rt.zwrite_value(value())


def _zwrite_reference(rt: Runtime, ref: Glvn) -> Run:
    return lambda: rt.zwrite_reference(*ref.evaluate())


def _kill(store: Variables, name: str, subs: Subscripts) -> None:
    store.kill(name, subs)


def _merge(destination: Place, source: Place) -> Run:
    """MERGE: copy the source node and its descendants under the destination, keeping the
    destination's other nodes. The source is read whole first, so a merge into a part of
    itself copies what was there before."""

    def merge() -> None:
        s_store, s_name, s_subs = source()
        d_store, d_name, d_subs = destination()
        depth = len(s_subs)
        nodes = [(d_subs + path[depth:], value) for path, value in s_store.nodes(s_name, s_subs)]
        if nodes:
            d_store.set_many(d_name, nodes)

    return merge


def _kill_place(resolve: Place) -> Run:
    return lambda: _kill(*resolve())


def _kill_local(sym: Symbols, name: str, subs: list[Thunk]) -> Run:
    return lambda: sym.kill(name, tuple(x() for x in subs))


def _kill_except(sym: Symbols, keep: frozenset[str]) -> Run:
    return lambda: sym.kill_all(keep)


def _new_name(rt: Runtime, name: str) -> Run:
    return lambda: rt.new_names([name])


def _new_special(rt: Runtime, name: str) -> Run:
    return lambda: rt.new_special(name)


def _new_except(rt: Runtime, keep: frozenset[str]) -> Run:
    return lambda: rt.new_except(keep)


def _hang(rt: Runtime, seconds: Thunk) -> Run:
    return lambda: rt.hang(V.to_num(seconds()))


def _xecute(rt: Runtime, code: Thunk, test: Thunk | None) -> Run:
    return lambda: rt.xecute(V.to_str(code())) if test is None or V.is_true(test()) else None


def _do(
    rt: Runtime, label: str | None, routine: str | None, args: list[ArgThunk], offset: int
) -> Run:
    """DO label+offset^routine(args): what the label QUITs with is not wanted."""

    def do() -> None:
        rt.call_label(label, routine, [a() for a in args], False, offset)

    return do


def _when(test: Thunk, run: Run) -> Run:
    """A per-argument postconditional (DO A:x=1)."""

    def guarded() -> None:
        if V.is_true(test()):
            run()

    return guarded


def _assign(setters: list[Setter], value: Thunk) -> Run:
    if len(setters) == 1:
        (setter,) = setters

        def assign_one() -> None:
            setter(value())

        return assign_one

    def assign_many() -> None:
        v = value()
        for setter in setters:
            setter(v)

    return assign_many


def _modify(
    ref: Glvn, change: Callable[[str, Value, list[Actual | Star]], str], rest: list[FnArgThunk]
) -> Setter:
    def setter(value: Value) -> None:
        store, name, subs = ref.evaluate()
        current = V.to_str(store.get(name, subs)) if store.data(name, subs) % 2 else ""
        store.set(name, subs, change(current, value, [r() for r in rest]))

    return setter


def _loop_quit(q: QuitSignal) -> None:
    """QUIT inside a loop ends the loop; RETURN goes further; a QUIT with a value is an error."""
    if isinstance(q, ReturnSignal):
        raise q
    if q.value is not NOVALUE:
        raise q.misplaced()


def _forever(body: Run) -> Run:
    def run() -> None:
        try:
            while True:
                try:
                    body()
                except ContinueSignal:
                    pass
        except QuitSignal as q:
            _loop_quit(q)

    return run


# Operators whose result is always a number: arithmetic, comparisons, logic.
_NUMERIC_OPS = frozenset(
    "PLUS MINUS STAR SLASH BACKSLASH HASH POW EQ LT GT LE GE NEQ NLT NGT CONTAINS NCONTAINS "
    "FOLLOWS NFOLLOWS SORTSAFTER NSORTSAFTER AND OR NAND NOR ANDAND OROR".split()
)


def _numeric(expr: ParseNode) -> bool:
    """Whether an expression's value is a number whatever its operands: its last operator is
    arithmetic, a comparison or logic, or it is a unary operator or a number literal alone."""
    kind = expr.data
    if kind == "expr":
        last = expr.children[-2]  # the last operator, unless a pattern test ends the expression
        return isinstance(last, Token) and last.type in _NUMERIC_OPS
    return kind in ("unary", "number")


def _for_loop(
    sym: Symbols,
    name: str,
    params: list[tuple[Thunk, Thunk | None, Thunk | None]],
    body: Run,
) -> Run:
    scalars = sym.scalars

    def iterate(start: Number, step: Number, end: Number | None) -> None:
        # The step applies to the variable's current value, so the body may change it.
        value = start
        if name in sym.long:
            sym.set_scalar(name, value)  # the long string it held is released
        while True:
            if end is not None and (value > end if step >= 0 else value < end):
                return
            scalars[name] = value
            try:
                body()
            except ContinueSignal:
                pass
            current = scalars.get(name, value)
            if type(current) is int and type(step) is int:
                value = current + step
            else:
                value = V.add(current, step)

    def run() -> None:
        try:
            for start_t, step_t, end_t in params:
                start = start_t()
                if step_t is None:
                    sym.set_scalar(name, start)  # any value: a long string is charged
                    try:
                        body()
                    except ContinueSignal:
                        pass
                    continue
                start, step = V.to_num(start), V.to_num(step_t())
                end = V.to_num(end_t()) if end_t is not None else None
                iterate(start, step, end)
        except QuitSignal as q:
            _loop_quit(q)

    return run
