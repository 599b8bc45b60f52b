"""Routines: .mac source with labels in column 1 and commands after leading white space."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field

from cacheshell.lang.errors import ObjectScriptError

_LABEL = re.compile(r"(%?[A-Za-z0-9][A-Za-z0-9]*)(\(([^)]*)\))?")


@dataclass
class Label:
    name: str
    params: list[str]
    source_line: int  # 1-based


@dataclass
class CompiledRoutine:
    name: str
    labels: dict[str, Label] = field(default_factory=dict)
    program: list[Callable[[], None]] = field(default_factory=list)
    line_numbers: list[int] = field(default_factory=list)  # source line of each program line

    def entryref(self, line_no: int) -> str:
        """label+offset^routine for a source line, as $ZERROR shows it."""
        above = [lb for lb in self.labels.values() if lb.source_line <= line_no]
        if not above:
            return f"+{line_no}^{self.name}"
        label = max(above, key=lambda lb: lb.source_line)
        offset = line_no - label.source_line
        return f"{label.name}{'+' + str(offset) if offset else ''}^{self.name}"

    def start(self, label: str | None, offset: int = 0) -> tuple[int, list[str]]:
        """Index of the first program line to run, and the label's formal parameters."""
        if label is None:
            line, params = 1, []
        else:
            found = self.labels.get(label)
            if found is None:
                raise ObjectScriptError("NOLINE")
            line, params = found.source_line, found.params
        target = line + offset
        if offset and bisect_right(self.line_numbers, target) == bisect_left(
            self.line_numbers, target
        ):
            raise ObjectScriptError("NOLINE")
        return bisect_left(self.line_numbers, target), params

    def run_from(self, index: int) -> None:
        for line in self.program[index:]:
            line()


def split_source(text: str) -> tuple[str, dict[str, Label]]:
    """Blank out the labels (keeping columns) so the rest parses as one program."""
    code_lines: list[str] = []
    labels: dict[str, Label] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line or line[0] in " \t":
            code_lines.append(line)
            continue
        if line.startswith((";", "#;", "//")):
            code_lines.append("")
            continue
        m = _LABEL.match(line)
        if m is None:
            raise ObjectScriptError("SYNTAX")
        params = [p.strip() for p in (m.group(3) or "").split(",") if p.strip()]
        labels.setdefault(m.group(1), Label(m.group(1), params, number))
        code_lines.append(" " * m.end() + line[m.end() :])
    return "\n".join(code_lines), labels


_LINE_REF = re.compile(
    r"(%?[A-Za-z0-9]+)?(?:\+(\d+))?(?:\^(%?[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)*))?"
)


def parse_line_ref(text: str) -> tuple[str | None, int | None, str | None]:
    """label+offset^routine as $TEXT(@x) reads it: (label, offset, routine); <SYNTAX> if not."""
    m = _LINE_REF.fullmatch(text)
    if m is None or not text:
        raise ObjectScriptError("SYNTAX")
    label, offset, routine = m.groups()
    return label, None if offset is None else int(offset), routine


def source_line(name: str, text: str, label: str | None, offset: int) -> str:
    """$TEXT: the line at label+offset of a routine's source ("" when there is none); +0 is the
    routine's name. A tab that is the line's first white space reads as a space."""
    lines = text.splitlines()
    if label is None:
        if offset == 0:
            return name
        number = offset
    else:
        found = split_source(text)[1].get(label)
        if found is None:
            return ""
        number = found.source_line + offset
    if not 1 <= number <= len(lines):
        return ""
    line = lines[number - 1]
    blank = next((i for i, c in enumerate(line) if c in " \t"), None)
    if blank is not None and line[blank] == "\t":
        line = line[:blank] + " " + line[blank + 1 :]
    return line
