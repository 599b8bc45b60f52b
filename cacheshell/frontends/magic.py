"""The IPython extension: ObjectScript in notebook cells and at the IPython prompt.

    %load_ext cacheshell

    %%objectscript [--instance NAME] [--namespace NS | -U NS] [--user U] [--new]
                   [-i NAMES] [-o NAMES] [--no-raise]
    Set total=0 For i=1:1:10 { Set total=total+i }
    Write total

    %objectscript Write $Length("abc")        # $ and {} reach ObjectScript untouched

A cell runs in a session kept across cells, one per (instance, namespace, user): locals survive;
`--new` ends that session and starts a fresh one. Output is printed a whole line at a time. An
untrapped error (or a refused login) fails the cell, as a Python exception would, so that
nbconvert and papermill stop; it shows as the terminal shows it, never as a Python traceback.
`--no-raise` (for every cell: `%config ObjectScriptMagics.raise_errors = False`) prints it on
stderr instead and the cell succeeds. `Halt` ends the session; the next cell starts a new one.
Reports (ShowCounts...) render as HTML tables in a notebook and as text in a terminal IPython.
A short notice says when the instance's clock is simulated (see `clock_notice`).

Values crossing (conversions in `cacheshell.lang.crossing`):
  -i a,b   before the cell, Python variables a and b become ObjectScript locals a and b
  -o a,b   after the cell, ObjectScript locals a and b become Python variables a and b
  x = %objectscript $Piece("a,b",",",2)
           a line (or cell) that is one expression, not commands, returns its value as Write
           shows it: a canonical number as int or Decimal, anything else as str
  get_local("a") / push_local("a", value)
           the same from Python code, on the session the last magic used
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class, no_var_expand
from traitlets import Bool

from cacheshell.frontends.clock_notice import ClockNotice
from cacheshell.frontends.magic_options import Key, Options, parse_options, usage
from cacheshell.frontends.output import LineBuffer
from cacheshell.frontends.render import mimebundle
from cacheshell.lang import values as V
from cacheshell.lang.crossing import CrossingError
from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.objects import Row
from cacheshell.lang.values import Number
from cacheshell.session import LicenseLimitExceeded, Session, SessionError, session_for

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell
    from prompt_toolkit.document import Document
    from prompt_toolkit.formatted_text import StyleAndTextTuples
    from prompt_toolkit.lexers import Lexer


def _print(text: str) -> None:
    """Output goes to the sys.stdout of the moment: IPython replaces it while capturing."""
    sys.stdout.write(text)


def with_usage(func: Callable[..., object]) -> Callable[..., object]:
    """The magic's help (`%objectscript?`) ends with its options."""
    func.__doc__ = (func.__doc__ or "") + "\n" + usage()
    return func


class ObjectScriptCellError(Exception):
    """An ObjectScript error that failed a cell. IPython shows `_render_traceback_()` in place
    of a traceback: the error as the terminal shows it, and nothing of Python."""

    def __init__(self, message: str, lines: list[str]) -> None:
        super().__init__(message)
        self.lines = lines

    def _render_traceback_(self) -> list[str]:
        return self.lines


@magics_class
class ObjectScriptMagics(Magics):
    raise_errors = Bool(
        True,
        help="An ObjectScript error fails the cell, so that nbconvert --execute and papermill "
        "stop. False: it is shown on stderr and the cell succeeds (one cell: --no-raise).",
    ).tag(config=True)

    def __init__(self, shell: InteractiveShell) -> None:
        super().__init__(shell)
        self.sessions: dict[Key, Session] = {}
        self.current: Key | None = None
        # None: HTML tables when the shell runs in a kernel (a notebook), text otherwise.
        self.html: bool | None = None
        self.clock = ClockNotice()

    @no_var_expand
    @line_cell_magic
    @with_usage
    def objectscript(self, line: str, cell: str | None = None) -> object:
        """Run ObjectScript: `%objectscript CODE` or a `%%objectscript [options]` cell.

        An untrapped error, or a login refused with <LICENSE LIMIT EXCEEDED>, fails the cell
        (raises ObjectScriptCellError, shown as the terminal shows the error).
        """
        options, code = parse_options(line)
        if cell is not None:
            if code.strip():
                raise UsageError(f"unexpected text after the options: {code.strip()}")
            code = cell
        raising = self.raise_errors and not options.no_raise
        try:
            session = self._session(options)
        except LicenseLimitExceeded as exc:
            self._fail(str(exc), [str(exc)], raising)
            return None
        for name in options.inputs:
            self._push(session, name)
        result, error = self._run(session, code)
        for name in options.outputs:
            self._pull(session, name)
        if error is not None:
            self._fail(error.zerror, session.error_text(error), raising)
        return result

    def _fail(self, message: str, shown: str | list[str], raising: bool) -> None:
        """The error as the terminal shows it: the cell fails, or (not raising) on stderr."""
        text = shown if isinstance(shown, str) else "\n".join(shown) + "\n"
        if not raising:
            sys.stderr.write(text)
            sys.stderr.flush()
            return
        if text.startswith("\n\n") and not self._in_kernel():
            # A terminal prints the error on stdout: not after an unfinished line.
            sys.stdout.write("\n")
            sys.stdout.flush()
        raise ObjectScriptCellError(message, text.strip("\n").split("\n"))

    # -- sessions ---------------------------------------------------------------------------
    def _session(self, options: Options) -> Session:
        key = options.key
        if options.new:
            self.end(key)
        session = self.sessions.get(key)
        if session is None:
            try:
                session = session_for(options.instance, None, options.namespace, options.user)
            except LicenseLimitExceeded:
                raise
            except SessionError as exc:
                raise UsageError(str(exc)) from None
            self.sessions[key] = session
        self.current = key
        return session

    def end(self, key: Key) -> None:
        session = self.sessions.pop(key, None)
        if session is not None:
            session.close()

    def close_all(self) -> None:
        for key in list(self.sessions):
            self.end(key)

    def session(self) -> Session:
        """The session the last magic used."""
        if self.current is None or self.current not in self.sessions:
            raise UsageError("no ObjectScript session yet: run a %%objectscript cell first")
        return self.sessions[self.current]

    # -- running ----------------------------------------------------------------------------
    def _run(self, session: Session, code: str) -> tuple[object, ObjectScriptError | None]:
        """Run the code, its output in whole lines; (the cell's value, its untrapped error)."""
        out = LineBuffer(_print)

        def write(text: str) -> None:
            out.write(text)
            if "\n" in text:
                out.flush_lines()

        def pause() -> None:
            out.flush()  # what was written before a Hang shows during it
            sys.stdout.flush()
            self.clock.paused(session)

        def table(title: str, columns: list[str], rows: Sequence[Row], text: str) -> None:
            out.flush()
            self._show_table(title, columns, rows, text)

        session.on_output, session.on_pause = write, pause
        session.on_table = table if self._wants_html() else None
        try:
            cell = session.run_cell(code)
            if cell.outcome.error is None and cell.value is None:
                session.finish_line()
        finally:
            out.flush()
            sys.stdout.flush()
            session.on_output, session.on_pause, session.on_table = _print, None, None
        self._notice(session)
        outcome = cell.outcome
        if outcome.halted:
            if self.current is not None:
                self.end(self.current)
            # Halt is how a session ends, not an error: a notice on stdout.
            print("(the ObjectScript session ended; the next cell starts a new one)")
            return None, None
        if outcome.error is not None:
            return None, outcome.error
        return (None if cell.value is None else _value_of(cell.value)), None

    def _notice(self, session: Session) -> None:
        notice = self.clock.after_cell(session)
        if notice is not None:
            from IPython.display import display

            display({"text/plain": notice}, raw=True)  # type: ignore[no-untyped-call]

    def _wants_html(self) -> bool:
        return self._in_kernel() if self.html is None else self.html

    def _in_kernel(self) -> bool:
        """The shell runs in a kernel (a notebook), not at a terminal."""
        return getattr(self.shell, "kernel", None) is not None

    def _show_table(self, title: str, columns: list[str], rows: Sequence[Row], text: str) -> None:
        from IPython.display import display

        sys.stdout.flush()  # output before the table shows before it
        display(mimebundle(title, columns, rows, text), raw=True)  # type: ignore[no-untyped-call]

    # -- values -----------------------------------------------------------------------------
    def _user_ns(self) -> dict[str, object]:
        """The Python variables of the shell the magics are registered with."""
        if self.shell is None:
            raise UsageError("the cacheshell magics are not registered with a shell")
        namespace: dict[str, object] = self.shell.user_ns
        return namespace

    def _push(self, session: Session, name: str) -> None:
        user_ns = self._user_ns()
        if name not in user_ns:
            raise UsageError(f"-i {name}: no Python variable named {name}")
        try:
            session.set_local(name, user_ns[name])
        except CrossingError as exc:
            raise UsageError(f"-i {name}: {exc}") from None

    def _pull(self, session: Session, name: str) -> None:
        try:
            self._user_ns()[name] = session.get_local(name)
        except CrossingError as exc:
            sys.stderr.write(f"-o {name}: {exc}\n")


def _value_of(text: str) -> str | Number:
    """What an expression wrote, as a Python value: canonical numbers become numbers."""
    return V.to_num(text) if V.is_canonical_number(text) else text


def _magics() -> ObjectScriptMagics:
    from IPython import get_ipython

    shell = get_ipython()
    magics = shell and shell.magics_manager.registry.get(ObjectScriptMagics.__name__)
    if not isinstance(magics, ObjectScriptMagics):
        raise UsageError("the cacheshell extension is not loaded: %load_ext cacheshell")
    return magics


def get_local(name: str) -> object:
    """An ObjectScript local of the session the last magic used, as a Python value."""
    return _magics().session().get_local(name)


def push_local(name: str, value: object) -> None:
    """Set an ObjectScript local of the session the last magic used from a Python value."""
    _magics().session().set_local(name, value)


def highlight_cells(shell: object) -> None:
    """Highlight %%objectscript cells at the IPython terminal prompt (not in kernels)."""
    lexer = getattr(getattr(shell, "pt_app", None), "lexer", None)
    table = getattr(lexer, "magic_lexers", None)
    if isinstance(table, dict):
        table["objectscript"] = _LazyLexer()


class _LazyLexer:
    """prompt_toolkit lexing with the project's Pygments lexer, built on first use."""

    def __init__(self) -> None:
        self._lexer: Lexer | None = None

    def lex_document(self, document: Document) -> Callable[[int], StyleAndTextTuples]:
        if self._lexer is None:
            from prompt_toolkit.lexers import PygmentsLexer, SimpleLexer

            try:
                from cacheshell.frontends.lexer import ObjectScriptLexer
            except ImportError:
                self._lexer = SimpleLexer()
            else:
                self._lexer = PygmentsLexer(ObjectScriptLexer)
        return self._lexer.lex_document(document)


def load_ipython_extension(ipython: InteractiveShell) -> None:
    ipython.register_magics(ObjectScriptMagics(ipython))
    highlight_cells(ipython)


def unload_ipython_extension(ipython: InteractiveShell) -> None:
    magics = ipython.magics_manager.registry.get(ObjectScriptMagics.__name__)
    if magics is not None:
        magics.close_all()
    lexer = getattr(getattr(ipython, "pt_app", None), "lexer", None)
    table = getattr(lexer, "magic_lexers", None)
    if isinstance(table, dict):
        table.pop("objectscript", None)
