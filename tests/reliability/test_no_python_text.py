"""No Python exception text reaches a user through any error.

Large tables of bad input go through the shell as a user types them: every registered class
method with too many arguments and with arguments of the wrong kind, every $-function with too
few, too many and bad arguments, operators on odd operands, bad numbers, bad references and
routine names. Each must end in output or an ObjectScript error (<SYNTAX>, <UNDEFINED> *x,
ERROR #nnnn: ...), never in the text of a Python exception, which the shell would otherwise
show wrapped in a <SYSTEM> error.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator

import pytest

from cacheshell.lang.intrinsics import index
from cacheshell.lang.objects import REGISTRY

PYTHON_MARKERS = (
    "<SYSTEM>",
    "Traceback",
    "Error:",  # TypeError:, ValueError:, KeyError:, OverflowError: ...
    "Exception:",
    "object has no attribute",
    "positional argument",
    "NoneType",
    "invalid literal",
    "unsupported operand",
    "decimal.",
)

BAD_VALUES = ('""', '"x"', "-1", "1E30", "$LB(1)", "##class(%Library.DynamicObject).%New()")
ODD_VALUES = (
    *BAD_VALUES,
    "1e-30",
    ".5",
    '"1e999999999"',
    '"-"',
    '"1E"',
    "9999999999999999999999",
    '"9E145"',
    "$C(0)",
    '"%"',
)
OPERATORS = ("+", "-", "*", "/", "\\", "#", "**", "_", "=", "<", ">", "[", "]", "]]", "&", "!")


def _positional(fn: Callable[..., object]) -> int:
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(1 for p in inspect.signature(fn).parameters.values() if p.kind in kinds)


def class_method_calls() -> Iterator[str]:
    """Each class method with 12 arguments, and with its own count of each bad value."""
    for cname, cls in sorted(REGISTRY.classes.items()):
        for mname, member in sorted(REGISTRY.all_class_methods(cls).items()):
            yield f"Do ##class({cname}).{mname}({','.join(['1'] * 12)})"
            count = max(_positional(member.impl) - 1, 0)
            for bad in BAD_VALUES:
                yield f"Set x=##class({cname}).{mname}({','.join([bad] * count)})"
        if cls.instance_type is None:
            continue
        for mname, member in sorted(cls.methods.items()):
            new = f"Set o=##class({cname}).%New() "
            yield new + f"Set x=o.{mname}({','.join(['1'] * 12)})"
            count = max(_positional(member.impl) - 2, 0)
            for bad in BAD_VALUES:
                yield new + f"Set x=o.{mname}({','.join([bad] * count)})"


def function_calls() -> Iterator[str]:
    """Each $-function, by each spelling, with no, too few, enough and too many bad values."""
    for spelling, spec in sorted(index().items()):
        counts = {0, spec.min_args, max(spec.min_args - 1, 0), min(spec.max_args, 6) + 1}
        for count in sorted(counts):
            for bad in (*BAD_VALUES, "1e-30", ".5", '"1e999999999"'):
                yield f"Set x=${spelling}({','.join([bad] * count)})"


def expressions() -> Iterator[str]:
    """Operators, conversions, indirection, references and routine names gone wrong."""
    for a in ODD_VALUES:
        yield from (f"Write +{a}", f"Write -{a}", f"Write '{a}", f"Write @{a}", f"Xecute {a}")
        yield from (f"Do @{a}", f"Write $TEXT(@{a})", f"Set x({a})=1", f"Set $X={a}")
        yield from (f"Write $QS({a},{a})", f"Write $LISTUPDATE({a},{a},{a}:{a})")
        yield from (f"Write $TEXT(+{a}^R)", f"Write $ZH+{a}", f"Write $ZHEX({a})")
        for b in ODD_VALUES[:8]:
            yield from (f"Write {a}{op}{b}" for op in OPERATORS)
    yield from (
        "Write 1e",
        "Write 1.2.3",
        "Write $TEXT(",
        "Write $TEXT()",
        "Write $T(^)",
        "Do ^",
        "Do ^a..b",
        "Do ^.a",
        "Do ^a.",
        "Write ^a.",
        "Do ^%SYS.NOPE",
        "Write $$^Nope.Rtn()",
        "Write $ZH(1)",
        "Write $LU()",
        "Write $LU($LB(1),-1,2)",
    )


def leaks(term, inputs: Iterator[str]) -> list[str]:
    """The inputs whose output or error shows Python exception text, with what it showed."""
    found = []
    for code in inputs:
        shown = term.run(code)
        term.shell.finish_line()
        if any(marker in shown for marker in PYTHON_MARKERS):
            found.append(f"{code} => {shown.strip().splitlines()[-1]}")
    return found


@pytest.fixture(autouse=True)
def _scratch_directory(tmp_path, monkeypatch):
    # The Dump methods write the files they are given, relative to the current directory.
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(
    "inputs", [class_method_calls, function_calls, expressions], ids=lambda f: f.__name__
)
def test_bad_input_on_the_bare_host_shows_no_python_text(bare_term, inputs):
    assert leaks(bare_term, inputs()) == []


def test_bad_arguments_to_every_class_method_in_a_session_show_no_python_text(term):
    # In a Session the license classes run for real: their arguments reach the instance.
    assert leaks(term, class_method_calls()) == []
