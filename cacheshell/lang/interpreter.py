"""One ObjectScript process: its locals, device, frames and namespace, and running code in it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from cacheshell.lang import dates
from cacheshell.lang import values as V
from cacheshell.lang.compiler import Compiler
from cacheshell.lang.display import write_line, zwrite_line
from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.globals import GlobalStore
from cacheshell.lang.host import Host
from cacheshell.lang.locking import LockRequest, acquire
from cacheshell.lang.macros import expand
from cacheshell.lang.markers import OMITTED
from cacheshell.lang.objects import REGISTRY, ObjectInstance, Value
from cacheshell.lang.ordered import MemoryKV
from cacheshell.lang.output import Output
from cacheshell.lang.parser import ParseNode, parse
from cacheshell.lang.refs import Actual, Ref
from cacheshell.lang.routines import CompiledRoutine, split_source
from cacheshell.lang.runtime import JobStart
from cacheshell.lang.signals import (
    NOVALUE,
    ContinueSignal,
    HaltSignal,
    NoValue,
    QuitSignal,
    ThrownObject,
)
from cacheshell.lang.storage import Storage
from cacheshell.lang.symbols import MISSING, Missing, Saved, Subscripts, Symbols
from cacheshell.lang.transactions import Transactions
from cacheshell.lang.values import Number
from cacheshell.lang.variables import Variables
from cacheshell.lang.words import SPECIAL_VARIABLE_INDEX

# Deep enough for real recursion, shallow enough that Python's own stack never overflows first.
MAX_FRAMES = 400
_ZPI = Decimal("3.141592653589793238")
_XECUTE_CACHE_SIZE = 256


@dataclass
class Frame:
    routine: CompiledRoutine | None = None
    saved: list[tuple[str, Saved]] = field(default_factory=list)
    namespace: str | None = None  # set when NEW $NAMESPACE saved it


class Interpreter:
    def __init__(self, host: Host, sink: Callable[[str], None]) -> None:
        self.host = host
        self.out = Output(sink)
        # $ZSTORAGE: the locals and the process-private globals share this budget.
        self.storage = Storage()
        self.sym = Symbols(self.storage)
        self.registry = REGISTRY
        self.rng = host.rng
        self.test = 0
        self.zerror = ""
        self.ecode = ""
        self.zchild = 0
        self.job_id = host.job_id
        # Called before each command when set: a deferred-login process counts its commands.
        self.on_command: Callable[[], None] | None = None
        # Called before the process waits, so a front end can show what was written first.
        self.on_pause: Callable[[], None] | None = None
        self.namespace = host.default_namespace()
        self.frames: list[Frame] = [Frame()]
        self._orefs = 0
        self._routines: dict[tuple[str, str], tuple[float, CompiledRoutine]] = {}
        self._xecute: dict[str, list[Callable[[], None]]] = {}
        self._indirect: dict[str, Callable[[], tuple[Variables, str, Subscripts]]] = {}
        self.tx = Transactions()
        self._globals: dict[str, GlobalStore] = {}
        # Process-private globals (^||name): this process's alone, in no namespace, never
        # journalled or rolled back.
        private = MemoryKV(self.storage)
        self._private = GlobalStore(private, private, None)
        # The naked indicator: the last global reference's name and all but its last subscript.
        self.naked: tuple[str, Subscripts] | None = None

    # -- running code -----------------------------------------------------------------------
    def compile(self, source: str) -> list[Callable[[], None]]:
        return Compiler(self, source).program(parse(expand(source), shown=source))

    def run(self, source: str) -> None:
        """Run one input as typed at the prompt. Errors propagate, with $ZERROR set."""
        try:
            lines = self.compile(source)
        except ObjectScriptError as err:
            if err.source_line is None:
                err.source_line, err.column = source.splitlines()[0] if source else "", 0
            self.record(err)
            raise
        try:
            try:
                for line in lines:
                    line()
            except ContinueSignal as stray:
                raise stray.misplaced() from None
        except QuitSignal:
            pass  # QUIT at the prompt ends the line
        except ObjectScriptError as err:
            self.record(err)
            raise
        except ThrownObject as thrown:
            uncaught = self.uncaught_throw(thrown)
            self.record(uncaught)
            raise uncaught from None

    def record(self, err: ObjectScriptError) -> None:
        self.zerror = err.zerror
        self.ecode = err.ecode

    def uncaught_throw(self, thrown: ThrownObject) -> ObjectScriptError:
        ex = thrown.oref
        parts = [ex.cls.name]
        for prop in ("Name", "Code", "Data"):
            if prop in ex.props and ex.props[prop] != "":
                parts.append(_one_line(V.to_str(ex.props[prop])))
        err = ObjectScriptError("THROW", "*" + " ".join(parts), thrown.location)
        err.column, err.source_line = thrown.column, thrown.source_line
        return err

    def xecute(self, code: str) -> None:
        lines = self._xecute.get(code)
        if lines is None:
            lines = self.compile(code)
            if len(self._xecute) >= _XECUTE_CACHE_SIZE:
                self._xecute.clear()
            self._xecute[code] = lines
        self.push(Frame())
        try:
            for line in lines:
                line()
        except QuitSignal:
            pass
        except ContinueSignal as stray:
            raise stray.misplaced() from None
        finally:
            self.pop()

    def evaluate_indirect(self, text: str) -> Value:
        try:
            tree = parse(expand("Set %ind=" + text))
        except ObjectScriptError as err:
            raise _unplaced(err) from None
        set_arg = tree.children[0].children[0].children[-1]
        return Compiler(self, text).expr(set_arg.children[-1])()

    def indirect_reference(self, text: str) -> tuple[Variables, str, Subscripts]:
        """The variable a name string such as x, x(1,"a") or ^g(2) refers to."""
        resolve = self._indirect.get(text)
        if resolve is None:
            try:
                tree = parse("Set " + text + "=0")
            except ObjectScriptError as err:
                raise _unplaced(err) from None
            target = tree.children[0].children[0].children[-1].children[0]
            resolve = Compiler(self, text).glvn(target).evaluate
            if len(self._indirect) >= _XECUTE_CACHE_SIZE:
                self._indirect.clear()  # names built at run time are without number
            self._indirect[text] = resolve
        return resolve()

    def exception_for(self, err: ObjectScriptError) -> ObjectInstance:
        self.record(err)
        from cacheshell.lang.exceptions import system_exception

        return system_exception(self, err)

    def next_oref(self) -> int:
        self._orefs += 1
        return self._orefs

    # -- frames, NEW, routines --------------------------------------------------------------
    def push(self, frame: Frame) -> None:
        if len(self.frames) >= MAX_FRAMES:
            raise ObjectScriptError("FRAMESTACK")
        self.frames.append(frame)

    def pop(self) -> None:
        frame = self.frames.pop()
        for name, saved in reversed(frame.saved):
            self.sym.put(name, saved)
        if frame.namespace is not None:
            self.namespace = frame.namespace

    def new_names(self, names: list[str]) -> None:
        frame = self.frames[-1]
        for name in names:
            frame.saved.append((name, self.sym.take(name)))

    def new_except(self, keep: frozenset[str]) -> None:
        self.new_names([n for n in self.sym.names() if n not in keep])

    def new_special(self, name: str) -> None:
        if SPECIAL_VARIABLE_INDEX.get(name) not in ("NAMESPACE", "ZNSPACE"):
            raise ObjectScriptError("SYNTAX")
        frame = self.frames[-1]
        if frame.namespace is None:
            frame.namespace = self.namespace

    def current_routine(self) -> CompiledRoutine | None:
        for frame in reversed(self.frames):
            if frame.routine is not None:
                return frame.routine
        return None

    def load_routine(self, name: str) -> CompiledRoutine:
        found = self.host.routine_source(self.namespace, name)
        if found is None:
            raise ObjectScriptError("NOROUTINE", "*" + name)
        text, stamp = found
        key = (self.namespace, name)
        cached = self._routines.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        code, labels = split_source(text)
        routine = CompiledRoutine(name, labels)
        tree = parse(expand(code))
        routine.program = Compiler(self, text, routine).program(tree)
        routine.line_numbers = [_first_line(line) for line in tree.children]
        self._routines[key] = (stamp, routine)
        return routine

    def routine_text(self, name: str | None) -> tuple[str, str] | None:
        if name is None:
            current = self.current_routine()
            if current is None:
                return None
            name = current.name
        found = self.host.routine_source(self.namespace, name)
        return None if found is None else (name, found[0])

    def call_label(
        self,
        label: str | None,
        routine_name: str | None,
        args: Sequence[Actual],
        want_value: bool,
        offset: int = 0,
    ) -> Value:
        routine = self.load_routine(routine_name) if routine_name else self.current_routine()
        if routine is None:
            raise ObjectScriptError("NOLINE")
        index, params = routine.start(label, offset)
        if len(args) > len(params):
            raise ObjectScriptError("PARAMETER")
        frame = Frame(routine)
        self.push(frame)
        # References are read before the formals hide the caller's variables of the same name.
        bound = [(formal, _incoming(self.sym, a)) for formal, a in zip(params, args, strict=False)]
        for formal in params:
            frame.saved.append((formal, self.sym.take(formal)))
        result: Value | NoValue = NOVALUE
        try:
            for formal, (lent, _) in bound:
                if isinstance(lent, tuple):
                    self.sym.bind(formal, lent)
                elif lent is not MISSING:
                    self.sym.set_scalar(formal, lent)  # may be <STORE>: the frame still ends
            routine.run_from(index)
        except QuitSignal as q:
            result = q.value
        except ContinueSignal as stray:
            raise stray.misplaced() from None
        finally:
            outgoing = [(ref.name, self.sym.take(formal)) for formal, (_, ref) in bound if ref]
            self.pop()
            for name, state in outgoing:
                self.sym.put(name, state)
        if result is NOVALUE:
            if want_value:
                raise ObjectScriptError("COMMAND")
            return ""  # DO wants no value
        if not want_value:
            raise ObjectScriptError("COMMAND")
        return result

    def job(self, start: JobStart, args: Sequence[Actual]) -> None:
        """JOB: run the entry point now in a child process with its own locals and no device.

        As in Caché, an error in the child does not reach the parent; $ZCHILD names the child.
        """
        child = Interpreter(self.host, lambda _text: None)
        child.namespace = self.namespace
        child.frames[0].routine = self.current_routine()
        self.zchild = child.job_id = self.host.start_job()
        self.test = 1
        try:
            start(child, [V.to_str(a) if isinstance(a, Ref) else a for a in args])
        except (ObjectScriptError, ThrownObject, QuitSignal, HaltSignal):
            pass  # a HALT ends the child, not its parent
        finally:
            child.tx.roll_back()  # a process that ends inside a transaction has it rolled back
            self.host.end_job(child.job_id)

    # -- locks ------------------------------------------------------------------------------
    def lock(self, requests: Sequence[LockRequest], timeout: float | None) -> bool:
        host = self.host
        return acquire(
            host, lambda: host.now().timestamp(), self.job_id, requests, timeout, self.on_pause
        )

    def unlock(self, request: LockRequest) -> None:
        self.host.release_lock(self.job_id, request)

    def unlock_all(self) -> None:
        self.host.release_locks(self.job_id)

    # -- namespaces and globals ---------------------------------------------------------------
    def set_namespace(self, name: str) -> None:
        for known in self.host.namespaces():
            if known.upper() == name.upper():
                self.namespace = known
                return
        raise ObjectScriptError("NAMESPACE", "*" + name)

    def globals(self) -> GlobalStore:
        """The current namespace's globals; percent globals come from %SYS's database."""
        store = self._globals.get(self.namespace)
        if store is None:
            host = self.host
            store = GlobalStore(host.database(self.namespace), host.database("%SYS"), self.tx)
            self._globals[self.namespace] = store
        return store

    def private_globals(self) -> GlobalStore:
        return self._private

    # -- output -----------------------------------------------------------------------------
    def write_char(self, code: int) -> None:
        if code < 0:
            return  # device control codes (*-1, *-3) have no effect on a stream
        if code > 0x10FFFF:
            raise ObjectScriptError("FUNCTION")
        self.out.sink(chr(code))

    def write_locals(self) -> None:
        self._list_variables(write_line)

    def zwrite_value(self, value: Value) -> None:
        self.out.write(_display_value(value) + "\n")

    def zwrite_reference(self, store: Variables, name: str, subs: Subscripts) -> None:
        for path, value in store.nodes(name, subs):
            self.out.write(zwrite_line(name, path, value) + "\n")

    def _list_variables(self, fmt: Callable[[str, Subscripts, Value], str]) -> None:
        for name in self.sym.names():
            for subs, value in self.sym.nodes(name):
                self.out.write(fmt(name, subs, value) + "\n")

    def hang(self, seconds: Number) -> None:
        # A hang longer than a year is as good as forever; Ctrl-C still ends it.
        self.pause(min(float(seconds), 3.2e7))

    def pause(self, seconds: float) -> None:
        if self.on_pause is not None:
            self.on_pause()
        self.host.sleep(seconds)

    # -- special variables ------------------------------------------------------------------
    def special_getter(self, name: str) -> Callable[[], Value]:
        full = SPECIAL_VARIABLE_INDEX.get(name)
        if full is None:
            raise ObjectScriptError("SYNTAX")
        host, out = self.host, self.out
        getters: dict[str, Callable[[], Value]] = {
            "USERNAME": lambda: host.username,
            "JOB": lambda: self.job_id,
            "HOROLOG": lambda: dates.horolog(host.now()),
            "ZHOROLOG": lambda: _seconds(host.uptime()),
            "ZTIMESTAMP": lambda: dates.ztimestamp(host.utcnow()),
            "ZVERSION": lambda: host.version,
            "NAMESPACE": lambda: self.namespace,
            "ZNSPACE": lambda: self.namespace,
            "TEST": lambda: self.test,
            "X": lambda: out.x,
            "Y": lambda: out.y,
            "ZERROR": lambda: self.zerror,
            "ECODE": lambda: self.ecode,
            "IO": lambda: host.device,
            "PRINCIPAL": lambda: host.device,
            "ROLES": lambda: host.roles,
            "STACK": lambda: len(self.frames) - 1,
            "ESTACK": lambda: len(self.frames) - 1,
            "SYSTEM": lambda: host.system_name,
            "ZPI": lambda: _ZPI,
            "ZNAME": lambda: (self.current_routine() or _NO_ROUTINE).name,
            "ZCHILD": lambda: self.zchild,
            "ZPARENT": lambda: 0,
            "TLEVEL": lambda: self.tx.level,
            "ZSTORAGE": lambda: self.storage.kb,
            "STORAGE": self.sym.available,
        }
        return getters[full]

    def special_setter(self, name: str) -> Callable[[Value], None]:
        full = SPECIAL_VARIABLE_INDEX.get(name)

        def set_test(v: Value) -> None:
            self.test = 1 if V.is_true(v) else 0

        def cursor(attr: str) -> Callable[[Value], None]:
            def set_cursor(v: Value) -> None:
                n = V.to_int(v)
                if n < 0:
                    raise ObjectScriptError("ILLEGAL VALUE")
                setattr(self.out, attr, n)

            return set_cursor

        setters: dict[str, Callable[[Value], None]] = {
            "NAMESPACE": lambda v: self.set_namespace(V.to_str(v)),
            "ZNSPACE": lambda v: self.set_namespace(V.to_str(v)),
            "TEST": set_test,
            "X": cursor("x"),
            "Y": cursor("y"),
            "ECODE": lambda v: setattr(self, "ecode", V.to_str(v)),
            "ZERROR": lambda v: setattr(self, "zerror", V.to_str(v)),
            "ZSTORAGE": lambda v: self.storage.set_kb(V.to_int(v)),
        }
        if full not in setters:
            raise ObjectScriptError("SYNTAX")  # read-only special variables
        return setters[full]


@dataclass
class _NoRoutine:
    name: str = ""


_NO_ROUTINE = _NoRoutine()


def _seconds(elapsed: float) -> Value:
    """$ZHOROLOG: seconds with their fraction (microseconds at most), canonical."""
    return V.to_num(f"{max(elapsed, 0.0):.6f}")


def _first_line(line_tree: ParseNode) -> int:
    keyword = line_tree.children[0].children[0]  # the first command's keyword token
    line: int = keyword.line
    return line


def _incoming(sym: Symbols, actual: Actual) -> tuple[Saved | Value | Missing, Ref | None]:
    """What a formal parameter starts with: a variable lent by reference (and its Ref), or a
    value, or MISSING when the argument was left out."""
    if actual is OMITTED:
        return MISSING, None
    if isinstance(actual, Ref):
        return sym.lend(actual.name), actual
    return actual, None


def _unplaced(err: ObjectScriptError) -> ObjectScriptError:
    """An error in text built at run time (indirection) is shown at the command that ran it."""
    err.column = err.source_line = None
    return err


def _one_line(text: str) -> str:
    """Control characters shown as $c(n), so an error stays on its one line."""
    return "".join(f"$c({ord(c)})" if ord(c) < 32 else c for c in text)


def _display_value(value: Value) -> str:
    from cacheshell.lang.display import quote

    return quote(value)
