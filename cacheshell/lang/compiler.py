"""Compile command trees into closures.

A program is a list of lines; a line is a sequence of commands. The legacy one-line forms (If
without braces, Else, For without braces) take the rest of their line as their body, so the
compiler nests the rest of the line inside them instead of signalling at run time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lark import Token, Tree

from cacheshell.lang import values as V
from cacheshell.lang.compile_expr import ExprCompiler, Thunk, oref_of
from cacheshell.lang.errors import ObjectScriptError
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

Run = Callable[[], None]
Setter = Callable[[Any], None]


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
    def program(self, tree: Tree) -> list[Run]:
        return [self.line(line) for line in tree.children]

    def block(self, tree: Tree) -> Run:
        return sequence([self.line(line) for line in tree.children])

    def line(self, tree: Tree) -> Run:
        return self.commands(list(tree.children))

    def commands(self, cmds: list[Tree]) -> Run:
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

    def locate(self, cmd: Tree, run: Run) -> Run:
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

    def postcond(self, cmd: Tree, run: Run) -> Run:
        cond_tree = next(
            (c for c in cmd.children if isinstance(c, Tree) and c.data == "postcond"), None
        )
        if cond_tree is None:
            return run
        cond = self.expr(cond_tree.children[0])

        def guarded() -> None:
            if V.is_true(cond()):
                run()

        return guarded

    def args(self, cmd: Tree) -> list:
        """The argument subtrees of a command (not its keyword, postconditional or tokens)."""
        return [
            c for c in cmd.children if isinstance(c, Tree) and c.data not in ("postcond", "block")
        ]

    # -- SET --------------------------------------------------------------------------------
    def set_cmd(self, cmd: Tree) -> Run:
        parts = []
        for arg in self.args(cmd):
            *targets, value_tree = [c for c in arg.children if not isinstance(c, Token)]
            value = self.expr(value_tree)
            setters = [self.setter(t) for t in targets]
            parts.append(_assign(setters, value))
        return self.postcond(cmd, sequence(parts))

    def setter(self, target: Tree) -> Setter:
        rt = self.rt
        if target.data == "indirect":
            resolve = self.indirect_reference(target)

            def set_indirect(v: Any) -> None:
                store, name, subs = resolve()
                store.set(name, subs, v)

            return set_indirect
        if target.data == "global_ref":
            name, args = target.children
            subs = self.subscripts(args)
            gname = "^" + str(name)
            return lambda v: rt.globals().set(gname, tuple(s() for s in subs), v)
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
                scalars = rt.sym.scalars

                def set_scalar(v: Any) -> None:
                    scalars[name] = v

                return set_scalar
            subs = self.subscripts(args)
            sym = rt.sym
            return lambda v: sym.set(name, tuple(s() for s in subs), v)
        if head.data == "dollar":
            return self.dollar_setter(head)
        raise ObjectScriptError("SYNTAX")

    def dollar_setter(self, head: Tree) -> Setter:
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
    def write_cmd(self, cmd: Tree) -> Run:
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
                        column = self.expr(fmt.children[1])
                        parts.append(lambda column=column: out.tab(V.to_int(column())))
            elif arg.data == "write_char":
                code = self.expr(arg.children[1])
                parts.append(lambda code=code: rt.write_char(V.to_int(code())))
            else:
                value = self.expr(arg)
                parts.append(lambda value=value: out.write(V.to_str(value())))
        return self.postcond(cmd, sequence(parts))

    def zwrite_cmd(self, cmd: Tree) -> Run:
        rt = self.rt
        args = self.args(cmd)
        if not args:
            return self.postcond(cmd, rt.write_locals)
        parts = []
        for arg in args:
            try:
                ref = self.glvn(arg)
            except ObjectScriptError:
                value = self.expr(arg)
                parts.append(lambda value=value: rt.zwrite_value(value()))
            else:
                parts.append(lambda ref=ref: rt.zwrite_reference(*ref.evaluate()))
        return self.postcond(cmd, sequence(parts))

    # -- KILL, NEW --------------------------------------------------------------------------
    def kill_cmd(self, cmd: Tree) -> Run:
        sym = self.rt.sym
        args = self.args(cmd)
        if not args:
            return self.postcond(cmd, sym.kill_all)
        parts = []
        for arg in args:
            if arg.data == "kill_except":
                keep = frozenset(str(n) for n in arg.children if n is not None)
                parts.append(lambda keep=keep: sym.kill_all(keep))
            elif arg.data in ("global_ref", "indirect"):
                resolve = (
                    self.indirect_reference(arg)
                    if arg.data == "indirect"
                    else self.glvn(arg).evaluate
                )
                parts.append(lambda resolve=resolve: _kill(*resolve()))
            else:
                name, sub_args = arg.children
                subs = self.subscripts(sub_args)
                parts.append(lambda n=str(name), s=subs: sym.kill(n, tuple(x() for x in s)))
        return self.postcond(cmd, sequence(parts))

    def new_cmd(self, cmd: Tree) -> Run:
        rt = self.rt
        args = self.args(cmd)
        if not args:
            return self.postcond(cmd, lambda: rt.new_except(frozenset()))
        parts = []
        for arg in args:
            if arg.data == "new_name":
                parts.append(lambda n=str(arg.children[0]): rt.new_names([n]))
            elif arg.data == "new_special":
                special = str(arg.children[0])[1:].upper()
                parts.append(lambda n=special: rt.new_special(n))
            else:
                keep = frozenset(str(n) for n in arg.children if n is not None)
                parts.append(lambda keep=keep: rt.new_except(keep))
        return self.postcond(cmd, sequence(parts))

    # -- DO, JOB, QUIT, HALT, HANG, XECUTE, ZNSPACE -----------------------------------------
    def do_cmd(self, cmd: Tree) -> Run:
        parts = []
        for arg in self.args(cmd):
            target, cond = arg.children
            run = self.call_target(target)
            if cond is not None:
                run = _when(self.expr(cond.children[0]), run)
            parts.append(run)
        return self.postcond(cmd, sequence(parts))

    def call_target(self, target: Tree) -> Run:
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
            thunks = self.call_arguments(args)
            rname = str(routine)
            return lambda: rt.call_label(label_name, rname, [a() for a in thunks], False, off)
        head, *members = target.children
        if head.data == "local" and not members:
            name, args = head.children
            thunks = self.call_arguments(args)
            label_name = str(name)
            return lambda: rt.call_label(label_name, None, [a() for a in thunks], False)
        value = self.chain(target)
        return lambda: (value(), None)[1]

    def dowhile_cmd(self, cmd: Tree) -> Run:
        body = self.block(
            next(c for c in cmd.children if isinstance(c, Tree) and c.data == "block")
        )
        tests = [self.expr(c) for c in cmd.children if isinstance(c, Tree) and c.data == "expr"]

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

    def job_cmd(self, cmd: Tree) -> Run:
        parts = [self.job_target(arg.children[0]) for arg in self.args(cmd)]
        return self.postcond(cmd, sequence(parts))

    def job_target(self, target: Tree) -> Run:
        """JOB: the arguments are evaluated here; the entry point runs in a child process."""
        rt = self.rt
        if target.data == "entryref":
            label, _plus, offset, routine, args = target.children
            label_name = None if label is None else str(label)
            off = 0 if offset is None else V.to_int(str(offset))
            thunks = self.call_arguments(args)
            rname = str(routine)
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
            lambda child, a: child.registry.resolve(cls_name).call_class_method(
                child, method_name, a
            ),
            [t() for t in thunks],
        )

    def quit_cmd(self, cmd: Tree) -> Run:
        signal = ReturnSignal if cmd.children[0].type == "RETURN" else QuitSignal
        args = self.args(cmd)
        value = self.expr(args[0]) if args else None

        def run() -> None:
            raise signal(value() if value is not None else NOVALUE)

        return self.postcond(cmd, run)

    def halt_cmd(self, cmd: Tree) -> Run:
        def run() -> None:
            raise HaltSignal()

        return self.postcond(cmd, run)

    def hang_cmd(self, cmd: Tree) -> Run:
        rt = self.rt
        parts = []
        for arg in self.args(cmd):
            seconds = self.expr(arg)
            parts.append(lambda seconds=seconds: rt.hang(V.to_num(seconds())))
        return self.postcond(cmd, sequence(parts))

    def xecute_cmd(self, cmd: Tree) -> Run:
        rt = self.rt
        parts = []
        for arg in self.args(cmd):
            code_tree, cond = arg.children
            code = self.expr(code_tree)
            test = self.expr(cond.children[0]) if cond is not None else None
            parts.append(
                lambda code=code, test=test: (
                    rt.xecute(V.to_str(code())) if test is None or V.is_true(test()) else None
                )
            )
        return self.postcond(cmd, sequence(parts))

    def znspace_cmd(self, cmd: Tree) -> Run:
        rt = self.rt
        name = self.expr(self.args(cmd)[0])
        return self.postcond(cmd, lambda: rt.set_namespace(V.to_str(name())))

    # -- IF, ELSE ---------------------------------------------------------------------------
    def if_block(self, cmd: Tree) -> Run:
        branches: list[tuple[list[Thunk], Run]] = []
        tests: list[Thunk] = []
        otherwise: Run = _nothing
        for child in cmd.children[1:]:
            if child is None or isinstance(child, Token):
                continue
            if child.data == "expr":
                tests.append(self.expr(child))
            elif child.data == "block":
                branches.append((tests, self.block(child)))
                tests = []
            elif child.data == "elseif_clause":
                conds = [
                    self.expr(c) for c in child.children if isinstance(c, Tree) and c.data == "expr"
                ]
                branches.append((conds, self.block(child.children[-1])))
            elif child.data == "else_clause":
                otherwise = self.block(child.children[-1])

        def run() -> None:
            for conds, body in branches:
                if all(V.is_true(c()) for c in conds):
                    body()
                    return
            otherwise()

        return run

    def if_legacy(self, cmd: Tree, rest: Run) -> Run:
        rt = self.rt
        conds = [self.expr(c) for c in self.args(cmd)]

        def run() -> None:
            truth = all(V.is_true(c()) for c in conds)
            rt.test = 1 if truth else 0
            if truth:
                rest()

        return run

    def if_test(self, cmd: Tree, rest: Run) -> Run:
        rt = self.rt
        return lambda: rest() if rt.test else None

    def else_cmd(self, cmd: Tree, rest: Run) -> Run:
        rt = self.rt
        return lambda: None if rt.test else rest()

    # -- loops ------------------------------------------------------------------------------
    def for_cmd(self, cmd: Tree, rest: Run | None = None) -> Run:
        block = next((c for c in cmd.children if isinstance(c, Tree) and c.data == "block"), None)
        body = self.block(block) if block is not None else (rest or _nothing)
        name_tok = next(
            (c for c in cmd.children if isinstance(c, Token) and c.type == "NAME"), None
        )
        params = [c for c in cmd.children if isinstance(c, Tree) and c.data == "for_param"]
        if name_tok is None:
            return _forever(body)
        compiled = []
        for param in params:
            parts = [self.expr(p) if p is not None else None for p in param.children]
            compiled.append(parts + [None] * (3 - len(parts)))
        return _for_loop(self.rt.sym.scalars, str(name_tok), compiled, body)

    def while_cmd(self, cmd: Tree) -> Run:
        body = self.block(
            next(c for c in cmd.children if isinstance(c, Tree) and c.data == "block")
        )
        tests = [self.expr(c) for c in cmd.children if isinstance(c, Tree) and c.data == "expr"]

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

    def continue_cmd(self, cmd: Tree) -> Run:
        def run() -> None:
            raise ContinueSignal()

        return self.postcond(cmd, run)

    # -- TRY, CATCH, THROW ------------------------------------------------------------------
    def try_cmd(self, cmd: Tree) -> Run:
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
                rt.sym.scalars[var] = caught
            handler()

        return run

    def throw_cmd(self, cmd: Tree) -> Run:
        value = self.expr(self.args(cmd)[0])

        def run() -> None:
            raise ThrownObject(oref_of(value()))

        return self.postcond(cmd, run)


def _has_block(cmd: Tree) -> bool:
    return any(isinstance(c, Tree) and c.data == "block" for c in cmd.children)


def _kill(store: Any, name: str, subs: tuple) -> None:
    store.kill(name, subs)


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


def _modify(ref: Any, change: Callable[[str, Any, list], str], rest: list[Thunk]) -> Setter:
    def setter(value: Any) -> None:
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


def _for_loop(scalars: dict, name: str, params: list[list[Thunk | None]], body: Run) -> Run:
    def iterate(start: Any, step: Any, end: Any) -> None:
        # The step applies to the variable's current value, so the body may change it.
        value = start
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
                    scalars[name] = start
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
