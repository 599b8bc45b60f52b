"""Completion and inspection of ObjectScript text, which every front end reaches through Shell.

`complete(text, cursor, local_names)` returns `(start, matches)`: the matches replace
`text[start:cursor]`. `inspect(text, cursor)` returns the help of the name under the cursor, or
None. Names come from the tables the parser and the interpreter use (words, intrinsics, the
class registry) and from the process's local variables; whether a word stands where a command
may start is decided by the grammar's own lexer and post-lexer, as when the line runs.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from cacheshell.lang.completeness import ends_hidden
from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.intrinsics import function_names, index
from cacheshell.lang.lexer import LexFailure
from cacheshell.lang.objects import REGISTRY, ClassDef, Member
from cacheshell.lang.parser import tokens as parser_tokens
from cacheshell.lang.words import COMMAND_NAMES, SPECIAL_VARIABLE_INDEX, SPECIAL_VARIABLES

_NAME = r"%?[A-Za-z][A-Za-z0-9]*"
# Each context is matched against the text before the cursor; the last group is the prefix.
_CLASS_MEMBER = re.compile(r"##class\([ \t]*(%?[A-Za-z][%\w.]*)[ \t]*\)\.(%?\w*)$", re.I)
_CLASS_NAME = re.compile(r"##class\([ \t]*(%?[%\w.]*)$", re.I)
_SYSTEM_MEMBER = re.compile(rf"\$(?:system|sy)\.({_NAME})\.(%?\w*)$", re.I)
_SYSTEM_CLASS = re.compile(r"\$(?:system|sy)\.(%?\w*)$", re.I)
_DOLLAR = re.compile(r"(?<![$\w])\$(%?\w*)$")
_WORD = re.compile(r"%?[A-Za-z0-9]*$")
# The word a command position turns into a keyword (see _at_command_position).
_PROBE = "WRITE"


def complete(text: str, cursor: int, local_names: Iterable[str]) -> tuple[int, list[str]]:
    """(start, matches) for the word before `cursor`; matches replace text[start:cursor]."""
    before = text[:cursor]
    line_start = before.rfind("\n") + 1
    line = before[line_start:]
    if ends_hidden(line):
        return cursor, []
    for pattern, source in (
        (_CLASS_MEMBER, _class_members),
        (_CLASS_NAME, lambda _: _class_names()),
        (_SYSTEM_MEMBER, _system_members),
        (_SYSTEM_CLASS, lambda _: REGISTRY.system_class_names()),
    ):
        found = pattern.search(line)
        if found:
            prefix = found.group(found.lastindex or 0)
            return cursor - len(prefix), _starting_with(source(found.group(1)), prefix)
    found = _DOLLAR.search(line)
    if found:
        typed = found.group(1)
        names = ["$" + _cased(name, typed) for name in _dollar_names()]
        return cursor - len(typed) - 1, _starting_with(names, "$" + typed)
    at_end = _WORD.search(line)
    assert at_end is not None  # the pattern matches the empty word at the end, at least
    word = at_end.group(0)
    head = line[: len(line) - len(word)]
    if word[:1].isdigit() or head.endswith((".", "^", "$", "#")) or head[-1:].isalnum():
        return cursor, []  # a number, a member, a global, a routine: nothing known to offer
    start = cursor - len(word)
    if _at_command_position(head):
        return start, _starting_with([_cased(c, word) for c in COMMAND_NAMES], word)
    return start, [n for n in local_names if n.startswith(word)]


def inspect(text: str, cursor: int) -> str | None:
    """Help for the class, member or $-function under the cursor, or None. Inside the
    parentheses of a call, the help of what is called."""
    found = _help_at(text, cursor)
    if found is None:
        paren = _open_paren(text, cursor)
        if paren is not None:
            found = _help_at(text, paren)
    return found


def _help_at(text: str, cursor: int) -> str | None:
    end = cursor
    while end < len(text) and (text[end].isalnum() or text[end] == "%"):
        end += 1
    line = text[:end][text.rfind("\n", 0, end) + 1 :]
    try:
        found = _CLASS_MEMBER.search(line)
        if found:
            return _member_help(REGISTRY.resolve(found.group(1)), found.group(2))
        found = _SYSTEM_MEMBER.search(line)
        if found:
            return _member_help(REGISTRY.resolve_system(found.group(1)), found.group(2))
        found = re.search(r"##class\([ \t]*(%?[A-Za-z][%\w.]*)$", line, re.I)
        if found:
            return _class_help(REGISTRY.resolve(found.group(1)))
        found = re.search(rf"\$(?:system|sy)\.({_NAME})$", line, re.I)
        if found:
            return _class_help(REGISTRY.resolve_system(found.group(1)))
    except ObjectScriptError:
        return None  # no such class
    found = _DOLLAR.search(line)
    if found and found.group(1):
        return _dollar_help(found.group(1).upper(), call=text[end : end + 1] == "(")
    return None


def _open_paren(text: str, cursor: int) -> int | None:
    """Where the innermost parenthesis still open at the cursor stands on its line."""
    start = text.rfind("\n", 0, cursor) + 1
    opened: list[int] = []
    quoted = False
    for i in range(start, cursor):
        ch = text[i]
        if ch == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif ch == "(":
            opened.append(i)
        elif ch == ")" and opened:
            opened.pop()
    return opened[-1] if opened else None


# -- where the word stands --------------------------------------------------------------------
def _at_command_position(head: str) -> bool:
    """Whether a command may start where `head` ends: the post-lexer reads a word there as a
    command keyword."""
    try:
        tokens = parser_tokens(head + _PROBE)
    except LexFailure:
        return False  # text the grammar cannot lex has no command position
    return bool(tokens) and tokens[-1].type == _PROBE and tokens[-1].start_pos == len(head)


# -- name sources -----------------------------------------------------------------------------
def _starting_with(names: list[str], prefix: str) -> list[str]:
    wanted = prefix.lower()
    return sorted({n for n in names if n.lower().startswith(wanted)}, key=lambda n: (n.lower(), n))


def _cased(name: str, typed: str) -> str:
    """Names follow the case the user typed: `wr` -> `write`, `Wr` -> `Write`, `WR` -> `WRITE`."""
    if typed.islower():
        return name.lower()
    if typed[:1].isupper() and typed[1:].islower():
        return name.capitalize()
    return name


@functools.cache
def _dollar_names() -> tuple[str, ...]:
    return tuple(sorted(set(function_names()) | set(SPECIAL_VARIABLES)))


def _class_names() -> list[str]:
    names = REGISTRY.class_names()
    # ##class(%Name) means %Library.Name: offer the short form too.
    names += ["%" + n[len("%Library.") :] for n in names if n.startswith("%Library.")]
    return names


def _class_members(class_name: str) -> list[str]:
    try:
        cls = REGISTRY.resolve(class_name)
    except ObjectScriptError:
        return []
    return _callable_members(cls)


def _system_members(class_name: str) -> list[str]:
    try:
        cls = REGISTRY.resolve_system(class_name)
    except ObjectScriptError:
        return []
    return _callable_members(cls)


def _callable_members(cls: ClassDef) -> list[str]:
    """What `##class(X).` may name: class methods (own and inherited) and %New."""
    names = list(REGISTRY.all_class_methods(cls))
    if cls.instance_type is not None:
        names.append("%New")
    return names


# -- help texts -------------------------------------------------------------------------------
def _find_member(cls: ClassDef, name: str) -> Member | None:
    members = REGISTRY.all_class_methods(cls) | cls.methods | cls.properties
    if name in members:
        return members[name]
    # $SYSTEM itself ignores case; a near miss in case still finds its help.
    return next((m for n, m in members.items() if n.lower() == name.lower()), None)


def _member_help(cls: ClassDef, name: str) -> str | None:
    member = _find_member(cls, name)
    if member is None:
        return None
    parts = [f"{cls.name}.{member.name}{member.signature or '()'}", member.summary]
    if member.details:
        parts.append(member.details)
    return "\n\n".join(parts)


def _class_help(cls: ClassDef) -> str:
    methods = ", ".join(sorted(REGISTRY.all_class_methods(cls), key=str.lower))
    return f"{cls.name}\n\n{cls.summary}" + (f"\n\nClass methods: {methods}" if methods else "")


def _dollar_help(name: str, call: bool) -> str | None:
    """A $name followed by ( is a function; otherwise a special variable when one is so named."""
    variable = SPECIAL_VARIABLE_INDEX.get(name)
    if variable is not None and not call:
        abbrev = SPECIAL_VARIABLES[variable]
        return f"${variable}" + (f" (${abbrev})" if abbrev else "") + ": a special variable."
    spec = index().get(name)
    if spec is not None:
        abbrev = f" (${spec.abbrev})" if spec.abbrev else ""
        return f"${spec.name}{abbrev}: {spec.help}"
    return None
