"""What compiled code needs from the process it runs in.

The compilers build closures over a `Runtime` and call nothing else on it; the interpreter
implements it. Typing against this Protocol keeps the compilers free of any import of the
interpreter, and mypy checks that the interpreter keeps its side.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Protocol

from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.host import Host
from cacheshell.lang.locking import LockRequest
from cacheshell.lang.markers import Omitted
from cacheshell.lang.objects import ObjectContext, ObjectInstance, Value
from cacheshell.lang.output import Output
from cacheshell.lang.refs import Actual
from cacheshell.lang.symbols import Subscripts, Symbols
from cacheshell.lang.transactions import Transactions
from cacheshell.lang.values import Number
from cacheshell.lang.variables import Variables

# A JOB's entry point: run in the child process with the arguments evaluated in the parent (a
# reference passes its variable's value); what it returns is not used.
JobStart = Callable[["Runtime", list[Value | Omitted]], object]


class Runtime(ObjectContext, Protocol):
    """One ObjectScript process as compiled code sees it (the registry and OREF numbers come
    from ObjectContext)."""

    test: int  # $TEST: set by IF with arguments, read by IF without and by ELSE
    namespace: str  # $NAMESPACE: where routines, globals and classes are looked up
    naked: tuple[str, Subscripts] | None  # the naked indicator: ^name and all but the last sub
    tx: Transactions  # TSTART levels

    @property
    def sym(self) -> Symbols:
        """The local variables; compiled code may hold on to the table and its `scalars`."""

    @property
    def out(self) -> Output:
        """The principal device."""

    @property
    def rng(self) -> random.Random:
        """Where $RANDOM draws from."""

    @property
    def host(self) -> Host:
        """The world around the process: user, clock, namespaces and their routines."""

    @property
    def on_command(self) -> Callable[[], None] | None:
        """Called before each command when set."""

    # -- variables --------------------------------------------------------------------------
    def globals(self) -> Variables:
        """The current namespace's globals."""

    def private_globals(self) -> Variables:
        """The process-private globals (^||name)."""

    def evaluate_indirect(self, text: str) -> Value:
        """@text as an expression: the value it has now."""

    def indirect_reference(self, text: str) -> tuple[Variables, str, Subscripts]:
        """@text as a variable: its store, name and subscripts."""

    def special_getter(self, name: str) -> Callable[[], Value]:
        """Reads the special variable $name (full name or abbreviation); <SYNTAX> if unknown."""

    def special_setter(self, name: str) -> Callable[[Value], None]:
        """Sets the special variable $name; <SYNTAX> if it is unknown or read-only."""

    def new_names(self, names: list[str]) -> None:
        """NEW x,y: save the variables until the current frame ends."""

    def new_except(self, keep: frozenset[str]) -> None:
        """NEW (x,y), or NEW without arguments: save every variable but those kept."""

    def new_special(self, name: str) -> None:
        """NEW $NAMESPACE."""

    # -- control ----------------------------------------------------------------------------
    def call_label(
        self,
        label: str | None,
        routine_name: str | None,
        args: Sequence[Actual],
        want_value: bool,
        offset: int = 0,
    ) -> Value:
        """DO or $$ of label+offset^routine with actual arguments: the QUIT value when one is
        wanted ($$), else "" (DO)."""

    def routine_text(self, name: str | None) -> tuple[str, str] | None:
        """(name, source) of a routine as the current namespace sees it, or of the routine
        running now when name is None; None when there is none."""

    def xecute(self, code: str) -> None:
        """XECUTE: compile and run code in a new frame."""

    def job(self, start: JobStart, args: Sequence[Actual]) -> None:
        """JOB: run `start` in a child process."""

    def hang(self, seconds: Number) -> None:
        """HANG: wait."""

    def lock(self, requests: Sequence[LockRequest], timeout: float | None) -> bool:
        """LOCK: take the locks at once, waiting up to `timeout` seconds (None: as long as it
        takes); whether they were taken."""

    def unlock(self, request: LockRequest) -> None:
        """LOCK -name: give back one count of a lock."""

    def unlock_all(self) -> None:
        """LOCK without arguments: give back every lock of the process."""

    def set_namespace(self, name: str) -> None:
        """ZNSPACE, SET $NAMESPACE: change the current namespace."""

    def exception_for(self, err: ObjectScriptError) -> ObjectInstance:
        """The %Exception.SystemException a CATCH receives for an error."""

    # -- output -----------------------------------------------------------------------------
    def write_char(self, code: int) -> None:
        """WRITE *code."""

    def write_locals(self) -> None:
        """WRITE or ZWRITE without arguments: every local variable."""

    def zwrite_value(self, value: Value) -> None:
        """ZWRITE of an expression's value."""

    def zwrite_reference(self, store: Variables, name: str, subs: Subscripts) -> None:
        """ZWRITE of a variable and its descendants."""
