"""The ObjectScript pattern match operator `?`.

A pattern is a sequence of atoms, each a repeat count followed by pattern codes (the letters
of words.PATTERN_CODES, in either case), a string literal, or a parenthesised alternation of
sub-patterns. Matching is anchored and is done by tracking the set of reachable positions, so
backtracking never goes exponential.
"""

from __future__ import annotations

import functools
from typing import Union

from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.values import to_str
from cacheshell.lang.words import PATTERN_CODES

__all__ = ["PATTERN_REGEX", "compile_pattern", "match"]

# One bit per pattern code; a character's mask says which codes accept it.
_CODE_BITS = {code: 1 << bit for bit, code in enumerate(PATTERN_CODES)}
_CODE_CLASS = "[" + PATTERN_CODES.upper() + PATTERN_CODES.lower() + "]"

# Atom payloads: a code mask (int), a literal (str) or alternatives (tuple of sequences).
Payload = Union[int, str, "tuple[tuple[Atom, ...], ...]"]
Atom = tuple[int, "int | None", Payload]  # (min repeats, max repeats or None, payload)


# ---------------------------------------------------------------------------
# Regex for lexers: finds where a pattern written after `?` ends in a source line.


def _pattern_regex(depth: int) -> str:
    count = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]*)"
    body = rf'(?:{_CODE_CLASS}+|"(?:[^"]|"")*"'
    if depth > 0:
        inner = _pattern_regex(depth - 1)
        body += rf"|\({inner}(?:,{inner})*\)"
    body += ")"
    return rf"(?:{count}{body})+"


# Groups may nest three levels deep; deeper nesting is still fine for match() itself.
PATTERN_REGEX: str = _pattern_regex(3)


# ---------------------------------------------------------------------------
# Parsing


@functools.lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> tuple[Atom, ...]:
    """Parse pattern text into atoms; <SYNTAX> if it is not a valid pattern."""
    atoms, pos = _parse_sequence(pattern, 0)
    if pos != len(pattern):
        raise ObjectScriptError("SYNTAX")
    return atoms


def _parse_sequence(text: str, pos: int) -> tuple[tuple[Atom, ...], int]:
    """Atoms up to the end of text or an unconsumed `,` / `)`; at least one is required."""
    atoms: list[Atom] = []
    n = len(text)
    while pos < n and text[pos] not in ",)":
        low, high, pos = _parse_count(text, pos)
        if pos >= n:
            raise ObjectScriptError("SYNTAX")
        ch = text[pos]
        payload: Payload
        if ch == '"':
            payload, pos = _parse_literal(text, pos)
        elif ch == "(":
            payload, pos = _parse_group(text, pos)
        else:
            mask = 0
            while pos < n and text[pos].upper() in _CODE_BITS:
                mask |= _CODE_BITS[text[pos].upper()]
                pos += 1
            if not mask:
                raise ObjectScriptError("SYNTAX")
            payload = mask
        atoms.append((low, high, payload))
    if not atoms:
        raise ObjectScriptError("SYNTAX")
    return tuple(atoms), pos


def _parse_count(text: str, pos: int) -> tuple[int, int | None, int]:
    """Repeat count: n, n.m, .m, n. or a lone point (0 or more)."""
    start = pos
    while pos < len(text) and text[pos].isdigit() and text[pos].isascii():
        pos += 1
    first = text[start:pos]
    if pos < len(text) and text[pos] == ".":
        pos += 1
        second_start = pos
        while pos < len(text) and text[pos].isdigit() and text[pos].isascii():
            pos += 1
        second = text[second_start:pos]
        low = int(first) if first else 0
        high = int(second) if second else None
        if high is not None and low > high:
            raise ObjectScriptError("SYNTAX")
        return low, high, pos
    if not first:
        raise ObjectScriptError("SYNTAX")  # every atom needs a repeat count
    exact = int(first)
    return exact, exact, pos


def _parse_literal(text: str, pos: int) -> tuple[str, int]:
    """A quoted literal starting at pos, with "" standing for one quote."""
    pos += 1
    parts: list[str] = []
    while True:
        end = text.find('"', pos)
        if end < 0:
            raise ObjectScriptError("SYNTAX")
        parts.append(text[pos:end])
        if text.startswith('""', end):
            parts.append('"')
            pos = end + 2
        else:
            return "".join(parts), end + 1


def _parse_group(text: str, pos: int) -> tuple[tuple[tuple[Atom, ...], ...], int]:
    """(p1,p2,...) where each alternative is a full pattern."""
    alternatives: list[tuple[Atom, ...]] = []
    pos += 1
    while True:
        seq, pos = _parse_sequence(text, pos)
        alternatives.append(seq)
        if pos >= len(text):
            raise ObjectScriptError("SYNTAX")
        if text[pos] == ")":
            return tuple(alternatives), pos + 1
        pos += 1  # the comma


# ---------------------------------------------------------------------------
# Matching


@functools.lru_cache(maxsize=4096)
def _char_mask(ch: str) -> int:
    """Which pattern codes accept this character."""
    code = ord(ch)
    mask = _CODE_BITS["E"]
    if code < 32 or code == 127:
        return mask | _CODE_BITS["C"]
    if 48 <= code <= 57:
        return mask | _CODE_BITS["N"]
    if ch.isalpha():
        mask |= _CODE_BITS["A"]
        if ch.islower():
            mask |= _CODE_BITS["L"]
        elif ch.isupper():
            mask |= _CODE_BITS["U"]
        return mask
    # Printable and neither letter nor digit (space included) is punctuation.
    if ch.isprintable() and not ch.isalnum():
        mask |= _CODE_BITS["P"]
    return mask


def _sequence_ends(atoms: tuple[Atom, ...], value: str, starts: set[int]) -> set[int]:
    """Every position where the atom sequence can end when started at any of `starts`."""
    for atom in atoms:
        ends: set[int] = set()
        for start in starts:
            ends |= _atom_ends(atom, value, start)
        if not ends:
            return ends
        starts = ends
    return starts


def _atom_ends(atom: Atom, value: str, start: int) -> set[int]:
    low, high, payload = atom
    if type(payload) is int:
        limit = len(value) if high is None else min(len(value), start + high)
        pos = start
        if payload & 4:  # E takes anything
            pos = limit
        else:
            while pos < limit and _char_mask(value[pos]) & payload:
                pos += 1
        first = start + low
        return set(range(first, pos + 1)) if first <= pos else set()
    if type(payload) is str:
        if not payload:
            return {start}
        ends: set[int] = {start} if low == 0 else set()
        step = len(payload)
        count = 0
        pos = start
        while (high is None or count < high) and value.startswith(payload, pos):
            pos += step
            count += 1
            if count >= low:
                ends.add(pos)
        return ends
    return _group_ends(low, high, payload, value, start)  # type: ignore[arg-type]


def _group_ends(
    low: int,
    high: int | None,
    alternatives: tuple[tuple[Atom, ...], ...],
    value: str,
    start: int,
) -> set[int]:
    """Ends of `low` to `high` repetitions of an alternation."""
    current = {start}
    ends: set[int] = {start} if low == 0 else set()
    count = 0
    while high is None or count < high:
        following: set[int] = set()
        for alt in alternatives:
            following |= _sequence_ends(alt, value, current)
        count += 1
        if not following:
            break
        if count >= low:
            if following <= ends:
                break  # no new position can be reached by more repetitions
            ends |= following
        elif following == current:
            # A fixed point below the minimum: every further repetition gives the same set.
            ends |= following
            break
        current = following
    return ends


def match(value: str, pattern: str) -> int:
    """value?pattern: 1 if the whole value matches the pattern, else 0."""
    atoms = compile_pattern(pattern)
    text = value if type(value) is str else to_str(value)
    return 1 if len(text) in _sequence_ends(atoms, text, {0}) else 0
