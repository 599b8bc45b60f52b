"""The index of every $-function, by full name and by official abbreviation.

The plain functions come from the tables of strings.py, lists.py and dates.py; the special forms,
which the expression compiler compiles itself (compile_functions.py), are declared here. The
compiler, the Pygments lexer and completion all read this index, so a function added to one of
those tables, or here, is parsed, compiled, highlighted and offered without touching anything
else.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from cacheshell.lang.function_spec import UNBOUNDED, Function, FunctionSpec, SpecialForm

SPECIAL_FORMS: tuple[SpecialForm, ...] = (
    SpecialForm(
        "SELECT",
        "S",
        1,
        UNBOUNDED,
        "The value after the first true condition: $SELECT(cond:value,...).",
    ),
    SpecialForm(
        "CASE",
        None,
        2,
        UNBOUNDED,
        "The value paired with the first match: $CASE(target,value:result,...,:default).",
    ),
    SpecialForm("GET", "G", 1, 2, 'A variable\'s value, or a default ("") when it is undefined.'),
    SpecialForm(
        "DATA",
        "D",
        1,
        1,
        "Whether a variable is defined: 0, 1 (value), 10 (descendants), 11 (both).",
    ),
    SpecialForm(
        "ORDER", "O", 1, 3, "The next (or, with -1, previous) subscript at one level of an array."
    ),
    SpecialForm("QUERY", "Q", 1, 1, "The next node of an array in full, as a reference string."),
    SpecialForm("NAME", "NA", 1, 1, "The reference of a variable node as a string."),
    SpecialForm(
        "INCREMENT", "I", 1, 2, "Add to a variable (1 by default) and return the new value."
    ),
    SpecialForm("RANDOM", "R", 1, 1, "A random integer from 0 to n-1."),
    SpecialForm("ISOBJECT", None, 1, 1, "1 if the value is an object reference, else 0."),
    SpecialForm(
        "CLASSNAME", None, 0, 1, "The class name of an object reference (or of the current class)."
    ),
    SpecialForm("LISTNEXT", None, 3, 3, "Step through a $LIST: $LISTNEXT(list,ptr,value)."),
    SpecialForm(
        "LISTUPDATE",
        "LU",
        2,
        UNBOUNDED,
        "A copy of a list with elements replaced: $LISTUPDATE(list,pos,[bool:]value,...).",
    ),
    SpecialForm("TEXT", "T", 1, 1, "A line of a routine's source: $TEXT(label+offset^routine)."),
)


def _index(functions: Iterable[Function]) -> dict[str, Function]:
    index: dict[str, Function] = {}
    for spec in functions:
        index[spec.name] = spec
        if spec.abbrev:
            index.setdefault(spec.abbrev, spec)
    return index


@functools.cache
def index() -> dict[str, Function]:
    """Every $-function by full name and by abbreviation. Built on first use, so a process that
    calls no function never loads the function tables."""
    from cacheshell.lang import dates, lists, numeric, qnames, strings

    plain: list[FunctionSpec] = [
        *strings.FUNCTIONS.values(),
        *numeric.FUNCTIONS.values(),
        *qnames.FUNCTIONS.values(),
        *lists.FUNCTIONS.values(),
        *dates.FUNCTIONS.values(),
    ]
    # A special form's name or abbreviation wins over a plain function's, as the compiler's would.
    return _index(plain) | _index(SPECIAL_FORMS)


def function_names() -> list[str]:
    """Full names of every $-function, for completion and help."""
    return sorted({spec.name for spec in index().values()})
