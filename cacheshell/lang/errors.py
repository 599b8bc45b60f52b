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

# The number Caché gives each system error: %Exception.SystemException's Code, the number after
# the name in DisplayString() (`<UNDEFINED> 9 zMain+3^Foo.1 x`). Caché's own table of them is the
# CACHE_ERxxx list of the call-in header ccallin.h ("Definitions for the Call-In Interface to
# Cache"; CacheErrxlate() turns each back into its name), which reads <SYNTAX> 3, <UNDEFINED> 9,
# <DIVIDE> 18, <PARAMETER> 40, <ILLEGAL VALUE> 80. Only errors that this product raises are here.
ERROR_CODES: dict[str, int] = {
    "MAXNUMBER": 1,
    "SELECT": 2,
    "SYNTAX": 3,
    "MAXSTRING": 5,
    "FUNCTION": 6,
    "INTERRUPT": 7,
    "NOLINE": 8,
    "UNDEFINED": 9,
    "SYSTEM": 10,
    "COMMAND": 12,
    "STORE": 15,
    "SUBSCRIPT": 16,
    "NOROUTINE": 17,
    "DIVIDE": 18,
    "FRAMESTACK": 21,
    "UNIMPLEMENTED": 22,
    "NOTOPEN": 24,
    "PROTECT": 27,
    "DATABASE": 28,
    "FILEFULL": 29,
    "NAKED": 30,
    "DISKHARD": 33,
    "PARAMETER": 40,
    "ILLEGAL VALUE": 80,
    "LIST": 82,
    "NAMESPACE": 83,
    "LICENSE LIMIT EXCEEDED": 104,
    "NULL VALUE": 109,
    "VALUE OUT OF RANGE": 112,
    "RANGE": 113,
    "INVALID OREF": 119,
    "METHOD DOES NOT EXIST": 120,
    "PROPERTY DOES NOT EXIST": 121,
    "CLASS DOES NOT EXIST": 122,
    "CANNOT SET THIS PROPERTY": 130,
    "INVALID ARGUMENT": 164,
    "LICENSE ALLOCATION EXCEEDED": 172,
    "TRANSACTION LEVEL": 173,
    "UNLICENSED": 180,
    "THROW": 183,
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
    def code(self) -> int:
        """Caché's number for the error (0 for a name outside its table)."""
        return ERROR_CODES.get(self.name, 0)

    @property
    def data(self) -> str:
        """The info as %Exception.SystemException's Data holds it: without the leading `*`."""
        return self.info[1:] if self.info.startswith("*") else self.info

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
