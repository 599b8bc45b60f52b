"""The one reader of the .ini texts Caché keeps: cache.cpf, cache.key and application license
files. It finds the [Section] headers and the lines under each; the files' own rules (what is a
duplicate, what is too long, what is an error) stay with the modules that read them.

Not configparser: it strips every value, while a key file keeps a value as written (it may begin
with a space); it reads an indented line as the continuation of the one before, where a key file
reads a keyword=value line; it refuses lines before the first section, which cache.cpf ignores;
and it words its own errors, where LoadAppLicenseFile and key activation must say exactly what
they always said.
"""

from __future__ import annotations

from typing import NamedTuple


class IniLine(NamedTuple):
    """A line that is neither blank, a comment nor a section header."""

    number: int  # from 1
    text: str  # as written, without its line break

    @property
    def stripped(self) -> str:
        return self.text.strip()

    def entry(self) -> tuple[str, str] | None:
        """(keyword, value) of a keyword=value line, the keyword stripped and the value as
        written; None for a line without '='."""
        keyword, equals, value = self.text.partition("=")
        return (keyword.strip(), value) if equals else None


class IniSection(NamedTuple):
    name: str  # between the brackets, as written (names are case-sensitive)
    number: int  # the header's line
    lines: tuple[IniLine, ...]


class IniText(NamedTuple):
    before: tuple[IniLine, ...]  # the lines before the first header
    sections: tuple[IniSection, ...]  # in file order; a repeated name appears again


def read_ini(text: str, indented_comments: bool = True) -> IniText:
    """The sections of an .ini text. A header is a line that is [name] once stripped; a line
    starting with ';' is a comment, also after spaces unless `indented_comments` is false."""
    before: list[IniLine] = []
    found: list[tuple[str, int, list[IniLine]]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or (stripped if indented_comments else raw).startswith(";"):
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            found.append((stripped[1:-1], number, []))
        else:
            (found[-1][2] if found else before).append(IniLine(number, raw))
    sections = tuple(IniSection(name, number, tuple(lines)) for name, number, lines in found)
    return IniText(tuple(before), sections)
