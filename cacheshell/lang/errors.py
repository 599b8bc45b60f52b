"""The one ObjectScript error type, and the $ZERROR text Caché builds from it."""

from __future__ import annotations

# ANSI M codes that $ECODE reports for the errors that have one; the rest use Z<name>.
_ANSI_CODES = {
    "UNDEFINED": "M6",
    "DIVIDE": "M9",
    "SELECT": "M4",
    "NOLINE": "M13",
    "NAMESPACE": "M26",
    "NAKED": "M1",
}


class ObjectScriptError(Exception):
    """An ObjectScript run-time or syntax error such as <UNDEFINED> *x.

    `name` is the bracketed error name without brackets, `info` the text after it
    (for example "*x" or "*Foo,%SYSTEM.License"), `location` the entryref
    (label+offset^routine) when the error happened inside a routine.
    """

    def __init__(self, name: str, info: str = "", location: str = "") -> None:
        super().__init__(name, info)
        self.name = name
        self.info = info
        self.location = location
        # Column of the failing command in the source line, filled in by the interpreter.
        self.column: int | None = None
        self.source_line: str | None = None

    @property
    def zerror(self) -> str:
        """The $ZERROR text: <NAME>entryref info."""
        text = f"<{self.name}>{self.location}"
        if self.info:
            text += " " + self.info
        return text

    @property
    def ecode(self) -> str:
        if self.name == "UNDEFINED" and self.info.startswith("^"):
            return ",M7,"  # an undefined global (or process-private global): ISO 11756 M7
        code = _ANSI_CODES.get(self.name, "Z" + self.name)
        return f",{code},"

    def __str__(self) -> str:
        return self.zerror


def undefined(name: str) -> ObjectScriptError:
    return ObjectScriptError("UNDEFINED", "*" + name)
