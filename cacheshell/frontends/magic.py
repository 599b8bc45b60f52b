"""The IPython extension: ObjectScript in notebook cells and at the IPython prompt.

    %load_ext cacheshell

    %%objectscript [--instance NAME] [--namespace NS | -U NS] [--user U] [--new]
                   [-i NAMES] [-o NAMES]
    Set total=0 For i=1:1:10 { Set total=total+i }
    Write total

    %objectscript Write $Length("abc")        # $ and {} reach ObjectScript untouched

A cell runs in a session kept across cells, one per (instance, namespace, user): locals survive;
`--new` ends that session and starts a fresh one. Output is printed; an error shows as the
terminal shows it (on stderr), never as a Python traceback. `Halt` ends the session; the next
cell starts a new one. Reports (ShowCounts...) render as HTML tables in a notebook and as text
in a terminal IPython.

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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class, no_var_expand

from cacheshell.frontends.render import mimebundle
from cacheshell.lang import values as V
from cacheshell.lang.crossing import CrossingError
from cacheshell.lang.objects import Row
from cacheshell.lang.values import Number
from cacheshell.session import Session, SessionError, session_for

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell
    from prompt_toolkit.document import Document
    from prompt_toolkit.formatted_text import StyleAndTextTuples
    from prompt_toolkit.lexers import Lexer

Key = tuple[str, str, str]
_VALUED = {
    "--instance": "instance",
    "--namespace": "namespace",
    "-U": "namespace",
    "--user": "user",
    "-i": "inputs",
    "--input": "inputs",
    "-o": "outputs",
    "--output": "outputs",
}
_FLAGS = {"--new": "new"}


@dataclass
class Options:
    instance: str | None = None
    namespace: str = "USER"
    user: str | None = None
    new: bool = False
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)

    @property
    def key(self) -> Key:
        return ((self.instance or "CACHE").upper(), self.namespace.upper(), self.user or "")


def parse_options(line: str) -> tuple[Options, str]:
    """Leading options, then the rest of the line as ObjectScript code, spacing kept."""
    options = Options()
    rest = line.lstrip()
    while rest:
        word, _, after = rest.partition(" ")
        if word in _FLAGS:
            setattr(options, _FLAGS[word], True)
        elif word in _VALUED:
            value, _, after = after.lstrip().partition(" ")
            if not value:
                raise UsageError(f"{word} needs a value")
            attr = _VALUED[word]
            if attr in ("inputs", "outputs"):
                getattr(options, attr).extend(n for n in value.split(",") if n)
            else:
                setattr(options, attr, value)
        else:
            break
        rest = after.lstrip()
    return options, rest


@magics_class
class ObjectScriptMagics(Magics):
    def __init__(self, shell: InteractiveShell) -> None:
        super().__init__(shell)
        self.sessions: dict[Key, Session] = {}
        self.current: Key | None = None
        # None: HTML tables when the shell runs in a kernel (a notebook), text otherwise.
        self.html: bool | None = None

    @no_var_expand
    @line_cell_magic
    def objectscript(self, line: str, cell: str | None = None) -> object:
        """Run ObjectScript: `%objectscript CODE` or a `%%objectscript [options]` cell.

        Options: --instance NAME, --namespace NS (-U NS), --user U, --new,
        -i NAMES (Python variables into locals), -o NAMES (locals into Python variables).
        """
        options, code = parse_options(line)
        if cell is not None:
            if code.strip():
                raise UsageError(f"unexpected text after the options: {code.strip()}")
            code = cell
        session = self._session(options)
        for name in options.inputs:
            self._push(session, name)
        result = self._run(session, code)
        for name in options.outputs:
            self._pull(session, name)
        return result

    # -- sessions ---------------------------------------------------------------------------
    def _session(self, options: Options) -> Session:
        key = options.key
        if options.new:
            self.end(key)
        session = self.sessions.get(key)
        if session is None:
            try:
                session = session_for(options.instance, None, options.namespace, options.user)
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
    def _run(self, session: Session, code: str) -> object:
        session.on_table = self._show_table if self._wants_html() else None
        cell = session.run_cell(code)
        outcome = cell.outcome
        if outcome.halted:
            session.finish_line()
            if self.current is not None:
                self.end(self.current)
            print(
                "(the ObjectScript session ended; the next cell starts a new one)", file=sys.stderr
            )
            return None
        if outcome.error is not None:
            sys.stdout.flush()
            sys.stderr.write(session.error_text(outcome.error))
            sys.stderr.flush()
            return None
        if cell.value is not None:
            return _value_of(cell.value)
        session.finish_line()
        sys.stdout.flush()
        return None

    def _wants_html(self) -> bool:
        if self.html is not None:
            return self.html
        return getattr(self.shell, "kernel", None) is not None

    def _show_table(self, title: str, columns: list[str], rows: Sequence[Row], text: str) -> None:
        from IPython.display import display

        sys.stdout.flush()
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
