"""One ObjectScript process as a front end drives it: the cell-level API.

The terminal, the IPython magic and the Jupyter kernel run inputs and notebook cells, show errors
as the terminal does, read and write locals, hook output, pauses and tables, and ask for
completion and inspection through this class, never through the interpreter behind it.
`execute` is the one place where a Python fault becomes an ObjectScript error, so no input ever
reaches a user as a traceback. Cells, completion and the crossing of values are imported when a
face first uses them: a one-shot command needs none of them.
"""

from __future__ import annotations

import errno
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cacheshell.lang.display import error_block
from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.host import Host
from cacheshell.lang.interpreter import Interpreter
from cacheshell.lang.objects import Row, Value
from cacheshell.lang.signals import HaltSignal
from cacheshell.lang.symbols import Subscripts

Write = Callable[[str], None]
# A report as a table: (title, column names, rows, the report's text).
TableHook = Callable[[str, list[str], Sequence[Row], str], None]

# Each ObjectScript DO level costs about a dozen Python frames; room for the interpreter's own
# <FRAMESTACK> limit to be reached first.
_RECURSION_LIMIT = 12_000


@dataclass(frozen=True)
class Outcome:
    error: ObjectScriptError | None = None
    halted: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class CellResult:
    outcome: Outcome
    # What a cell that is one expression wrote: the cell's value (Out[n]), not output.
    value: str | None = None


class Shell:
    def __init__(self, host: Host, write: Write) -> None:
        if sys.getrecursionlimit() < _RECURSION_LIMIT:
            sys.setrecursionlimit(_RECURSION_LIMIT)
        self.interp = Interpreter(host, write)
        # Set by a front end that shows rich output: reports go to it as tables instead of
        # being written as text to the principal device.
        self.on_table: TableHook | None = None

    # -- hooks ------------------------------------------------------------------------------
    @property
    def on_output(self) -> Write:
        """Where WRITE's text goes."""
        return self.interp.out.sink

    @on_output.setter
    def on_output(self, write: Write) -> None:
        self.interp.out.sink = write

    @property
    def on_pause(self) -> Callable[[], None] | None:
        """Called before the process waits (Hang, a pause), so a front end can show its output."""
        return self.interp.on_pause

    @on_pause.setter
    def on_pause(self, hook: Callable[[], None] | None) -> None:
        self.interp.on_pause = hook

    # -- running ----------------------------------------------------------------------------
    @property
    def namespace(self) -> str:
        return self.interp.namespace

    @property
    def prompt(self) -> str:
        # An open transaction shows its level: TL1:USER> (Caché Terminal).
        level = self.interp.tx.level
        return f"TL{level}:{self.namespace}>" if level else f"{self.namespace}>"

    def execute(self, source: str) -> Outcome:
        """Run one input as typed at the prompt."""
        try:
            self.interp.run(source)
        except HaltSignal:
            self.interp.unlock_all()  # the process ends: so do its locks
            return Outcome(halted=True)
        except ObjectScriptError as err:
            return Outcome(error=err)
        except KeyboardInterrupt:
            return Outcome(error=self._fault("INTERRUPT", "", source))
        except RecursionError:
            return Outcome(error=self._fault("FRAMESTACK", "", source))
        except MemoryError:
            return Outcome(error=self._fault("STORE", "", source))
        except TimeoutError as exc:  # a lock another process holds stayed taken: not a fault
            return Outcome(error=self._fault("LOCKED", f"*{exc}", source))
        except OSError as exc:  # a file the process needs failed it: the disk's error names
            name, info = file_error_name(exc), f"*{file_error_text(exc)}"
            return Outcome(error=self._fault(name, info, source))
        except Exception as exc:  # noqa: BLE001 - the one place a Python fault becomes an error
            return Outcome(error=self._fault("SYSTEM", f"*{type(exc).__name__}: {exc}", source))
        return Outcome()

    def run_cell(self, text: str) -> CellResult:
        """Run a notebook cell: commands, or one expression whose written value is the result."""
        from cacheshell.lang.cells import read_cell

        cell = read_cell(text)
        if not cell.expression:
            return CellResult(self.execute(cell.code))
        outcome, value = self._captured(cell.code)
        return CellResult(outcome, value)

    def evaluate(self, expression: str) -> tuple[Outcome, str]:
        """An expression's value as `Write` shows it, leaving the device as it was."""
        return self._captured("Write " + expression)

    def _captured(self, source: str) -> tuple[Outcome, str]:
        out = self.interp.out
        write, column = out.sink, out.x
        written: list[str] = []
        out.sink = written.append
        try:
            outcome = self.execute(source)
        finally:
            out.sink = write
            out.x = column  # what was captured was a value, not output on the device
        return outcome, "".join(written)

    def _fault(self, name: str, info: str, source: str) -> ObjectScriptError:
        err = ObjectScriptError(name, info)
        err.source_line, err.column = (source.splitlines() or [""])[0], 0
        self.interp.record(err)
        return err

    # -- showing ----------------------------------------------------------------------------
    def error_text(self, err: ObjectScriptError) -> str:
        """The error as the terminal prints it, starting on a fresh line after a blank one."""
        lead = "\n" if self.interp.out.x else ""
        self.interp.out.x = 0
        return lead + "\n" + error_block(err, typed=not err.location)

    def finish_line(self) -> None:
        """The terminal starts the next prompt on a new line."""
        self.interp.out.fresh_line()

    def show_table(self, title: str, columns: list[str], rows: Sequence[Row], text: str) -> None:
        """A report: its text on the device, or a table where the front end shows one."""
        if self.on_table is None:
            self.interp.out.write(text)
            return
        self.interp.out.fresh_line()
        self.on_table(title, columns, rows, text)

    # -- locals -----------------------------------------------------------------------------
    def local_names(self) -> list[str]:
        return self.interp.sym.names()

    def get_local(self, name: str) -> Value | dict[Subscripts, Value]:
        """A local as a Python value (see `crossing`); raises crossing.CrossingError."""
        from cacheshell.lang import crossing

        return crossing.get_local(self.interp.sym, name)

    def set_local(self, name: str, value: object) -> None:
        """Set a local from a Python value (see `crossing`); raises crossing.CrossingError."""
        from cacheshell.lang import crossing

        crossing.set_local(self.interp.sym, name, value)

    # -- completion and inspection ----------------------------------------------------------
    def complete(self, text: str, cursor: int) -> tuple[int, list[str]]:
        """(start, matches) for the word before the cursor: they replace text[start:cursor]."""
        from cacheshell.lang import completion

        return completion.complete(text, cursor, self.local_names())

    def inspect(self, text: str, cursor: int) -> str | None:
        """The help of the class, member or $-function under the cursor, or None."""
        from cacheshell.lang import completion

        return completion.inspect(text, cursor)


# Caché's names for a file that fails a process (System Error Messages, RERR_SYSTEM,
# https://docs.intersystems.com/latest/csp/docbook/DocBook.UI.Page.cls?KEY=RERR_SYSTEM): no
# permission or a read-only file system <PROTECT>, no space <FILEFULL>, anything else the disk
# reports <DISKHARD>. An error that names itself (`error_name`) keeps its name.
_FILE_ERRORS = {
    errno.EACCES: "PROTECT",
    errno.EPERM: "PROTECT",
    errno.EROFS: "PROTECT",
    errno.ENOSPC: "FILEFULL",
    errno.EDQUOT: "FILEFULL",
    errno.EFBIG: "FILEFULL",
}


def file_error_name(exc: OSError) -> str:
    named = getattr(exc, "error_name", None)
    if isinstance(named, str):
        return named
    return _FILE_ERRORS.get(exc.errno or 0, "DISKHARD")


def file_error_text(exc: OSError) -> str:
    """The error's text without Python's decoration ([Errno 13] ...: '/path')."""
    if exc.strerror is None:
        return str(exc)
    return f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
