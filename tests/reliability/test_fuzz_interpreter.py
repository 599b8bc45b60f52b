"""Property tests: whatever is typed at the terminal, cacheshell answers as Caché does, no faults.

Every input runs through the real Session API (conftest.Terminal.run) on a fresh Terminal.
Properties:
- no Python exception escapes `Terminal.run`, and none is swallowed either: the session turns an
  unexpected Python exception into `<SYSTEM> *TypeName: message`, which no ObjectScript input should
  ever produce, so a <SYSTEM> block fails the test too;
- whenever the input ends in an error, the output ends with the error block and its last line has
  the $ZERROR form `<NAME>entryref info` (Caché: `^<[A-Z ]+>(\\S*)( \\S.*)?$`);
- well-formed arithmetic over small integers evaluates strictly left to right, no precedence;
- `Set x="..."` then `Write x` gives back any printable string.

Inputs that legitimately never end (an argumentless FOR, a long HANG, a huge $JUSTIFY ...) are cut
off by a wall-clock limit and counted, not failed; the counts are printed by the last test.
"""

from __future__ import annotations

import re
import signal
from collections import Counter
from collections.abc import Iterator

import pytest
from conftest import Terminal
from hypothesis import example, given, settings
from hypothesis import strategies as st

ERROR_LINE = re.compile(r"^<[A-Z ]+>(\S*)( \S.*)?$")
TIME_LIMIT = 0.5  # seconds of wall-clock time one input may take
SETTINGS = settings(max_examples=300, deadline=None)
# The report after the file's tests counts what each of them tried: under pytest-xdist they run
# in one worker, so that it sees them all.
pytestmark = pytest.mark.xdist_group("fuzz-interpreter")

TRIED: Counter[str] = Counter()
SLOW: list[str] = []  # inputs cut off by TIME_LIMIT
ERRORS: Counter[str] = Counter()  # error names seen, e.g. SYNTAX, UNDEFINED


class _TimeUp(BaseException):
    """Raised by the alarm; a BaseException so the session's own `except Exception` lets it by."""


_ARMED = [False]


def _alarm(signum, frame):
    # The timer repeats: a tick that lands in Hypothesis's own code (its gc callback would swallow
    # the exception) is skipped, and the next tick, 50 ms later, raises again.
    if _ARMED[0] and "hypothesis" not in frame.f_code.co_filename:
        raise _TimeUp


def run_input(code: str, kind: str) -> tuple[str, object] | None:
    """Run one input on a fresh terminal: (output, error or None), or None if it ran too long."""
    TRIED[kind] += 1
    term = Terminal()
    outcomes = []
    real_execute = term.session.execute

    def execute(source: str):
        outcome = real_execute(source)
        outcomes.append(outcome)
        return outcome

    term.session.execute = execute
    previous = signal.signal(signal.SIGALRM, _alarm)
    _ARMED[0] = True
    signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT, 0.05)
    try:
        out = term.run(code)
    except _TimeUp:
        SLOW.append(code)
        return None
    finally:
        _ARMED[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        term.close()
    assert len(outcomes) == 1
    return out, outcomes[0].error


def check_terminal_answer(code: str, kind: str) -> None:
    result = run_input(code, kind)
    if result is None:
        return
    out, error = result
    if error is None:
        return
    ERRORS[error.name] += 1
    assert error.name != "SYSTEM", f"Python fault on {code!r}: {error.zerror}"
    assert out.endswith("\n"), f"{code!r} -> {out!r}"
    last = out[:-1].split("\n")[-1]
    assert ERROR_LINE.match(last), f"{code!r}: last line {last!r} is not a $ZERROR line"
    assert last == error.zerror, f"{code!r}: shows {last!r}, $ZERROR is {error.zerror!r}"
    caret = out[:-1].split("\n")[-2]
    assert caret.strip() == "^", f"{code!r}: caret line {caret!r}"


# -- 0. chosen edge inputs -------------------------------------------------------------------------
# Run as plain parametrized cases, so that a failure here does not stop the random search below.

EDGE_INPUTS = [
    "(" * 500,
    "Write " + "(" * 500 + "1" + ")" * 500,
    "Write " + "-" * 500 + "1",
    "Write " + "$E(" * 300 + '"x"' + ")" * 300,
    "Write " + "9" * 5000,
    "Write 1E999999999",
    "Write 1E-999999999",
    "Write " + "1E145*" * 3 + "1",
    "\x00\x01\x02\x7f\x1b[2J",
    "Write $C(0,7,27)",
    "\ud7ff\ue000\U0010ffff",
    "Set x=1\r\nWrite x",
    "\n\n\n",
    "",
    " ",
    'Set x=1 Write x+"3abc",!,$E("hello",*-1)',
    'Try { Throw ##class(%Exception.General).%New("e") } Catch ex { Write ex.Name }',
    'Xecute "Write 1 2"',
    'Write @""',
    "Write *1E9",
    'Write $FN(1,"",1E9)',
    "Write $J(1,10,1E9)",
    "Hang 1E20",
    'Throw ##class(%Exception.General).%New("a"_$C(10)_"b")',
]


@pytest.mark.parametrize("code", EDGE_INPUTS, ids=[repr(c)[:40] for c in EDGE_INPUTS])
def test_edge_input_never_faults(code: str) -> None:
    check_terminal_answer(code, "edge input")


# -- 1. random text ------------------------------------------------------------------------------

JUNK = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(max_codepoint=0x7F)),
    st.binary().map(lambda b: b.decode("latin-1")),
    st.integers(min_value=-(10**60), max_value=10**60).map(lambda n: "Write " + str(n)),
    st.integers(min_value=1, max_value=800).map(lambda n: "(" * n),
    st.integers(min_value=1, max_value=800).map(lambda n: "Write " + "(" * n + "1" + ")" * n),
)


@SETTINGS
@given(JUNK)
def test_random_text_never_faults(code: str) -> None:
    check_terminal_answer(code, "random text")


# -- 2. token soups ------------------------------------------------------------------------------

COMMANDS = [
    "Set ",
    "S ",
    "set ",
    "Write ",
    "W ",
    "w ",
    "ZWrite ",
    "ZW ",
    "ZWrite",
    "Kill ",
    "K ",
    "Kill",
    "Do ",
    "D ",
    "Quit ",
    "Quit",
    "Q ",
    "Return ",
    "RET ",
    "Halt",
    "H ",
    "Hang ",
    "If ",
    "I ",
    "ElseIf ",
    "Else ",
    "E ",
    "For ",
    "F ",
    "For",
    "While ",
    "Continue",
    "Try ",
    "Catch ",
    "Throw ",
    "New ",
    "N ",
    "Xecute ",
    "X ",
    "ZNspace ",
    "ZN ",
    "Job ",
    "J ",
    "Foo ",
]
OPERATORS = [
    "+",
    "-",
    "*",
    "/",
    "\\",
    "#",
    "**",
    "_",
    "=",
    "<",
    ">",
    "<=",
    ">=",
    "'",
    "'=",
    "'<",
    "'>",
    "[",
    "'[",
    "]",
    "]]",
    "&",
    "!",
    "&&",
    "||",
    "'&",
    "'!",
    "?",
    ":",
    "@",
    ".",
    "^",
    "?3N",
    '?1"-"',
    "?.A",
    '?1(1"a",1"b")',
    "*-1",
]
OPERANDS = [
    "x",
    "y",
    "%z",
    "x(1)",
    'x(1,"a")',
    "^g",
    "^g(1)",
    "obj",
    "ex",
    "1",
    "0",
    "2",
    "-1",
    ".5",
    "1E3",
    "1.",
    "007",
    "1E-3",
    "99999999999999999999999999",
    "1E145",
    "1E400",
    "1E-400",
    "9223372036854775807",
    '"a"',
    '""',
    '"say ""hi"""',
    '"3abc"',
    '"-5 degrees"',
    '"%SYS"',
    '"USER"',
    '"Write 1"',
    '"S x=1"',
    '"1+"',
    "$$f^r",
    "$$f()",
    "^r",
    "label^r",
    "##class(Nope).M()",
    '##class(%Exception.General).%New("e")',
    "$System.Nope.X()",
    "$SYSTEM.Status.OK()",
]
FUNCTIONS = [
    "$E(",
    "$P(",
    "$L(",
    "$S(",
    "$CASE(",
    "$C(",
    "$A(",
    "$LB(",
    "$LI(",
    "$LL(",
    "$LG(",
    "$LTS(",
    "$LFS(",
    "$J(",
    "$FN(",
    "$ZD(",
    "$ZDT(",
    "$ZT(",
    "$ZDH(",
    "$I(",
    "$D(",
    "$O(",
    "$G(",
    "$R(",
    "$TR(",
    "$REPLACE(",
    "$ZCVT(",
    "$ZSTRIP(",
    "$F(",
    "$RE(",
    "$NA(",
    "$Q(",
    "$NUMBER(",
    "$ZABS(",
    "$ZSQR(",
    "$ZH(",
    "$ISOBJECT(",
    "$CLASSNAME(",
    "$Nope(",
]
SPECIALS = ["$H", "$ZV", "$X", "$Y", "$T", "$ZE", "$J", "$NAMESPACE", "$IO", "$ZNAME", "$ZZ", "$"]
PUNCTUATION = [
    "(",
    ")",
    ",",
    " ",
    " ",
    "  ",
    "{",
    "}",
    " { ",
    " } ",
    "\n",
    " ;c",
    " //c",
    "/*c*/",
    '"',
]
FRAGMENTS = COMMANDS + OPERATORS + OPERANDS + FUNCTIONS + SPECIALS + PUNCTUATION

# Raw soups: a command word followed by fragments in any order (mostly <SYNTAX>).
RAW_SOUP = st.tuples(
    st.sampled_from(COMMANDS),
    st.lists(
        st.one_of(
            st.sampled_from(OPERANDS),
            st.sampled_from(OPERATORS),
            st.sampled_from(FUNCTIONS),
            st.sampled_from(PUNCTUATION),
            st.sampled_from(FRAGMENTS),
        ),
        max_size=25,
    ),
).map(lambda parts: parts[0] + "".join(parts[1]))

# Shaped soups: commands assembled from the same fragments so that most of them parse and run,
# reaching the evaluator, the functions and the error paths rather than stopping at <SYNTAX>.
BINOPS = [op for op in OPERATORS if op[0] not in "'?:@.^" and op != "*-1"] + [
    "'=",
    "'<",
    "'[",
    "'&",
]
PATTERNS = [op for op in OPERATORS if op.startswith("?") and op != "?"]
FUNCTION_NAMES = [f[:-1] for f in FUNCTIONS]
ATOMS = (
    [o for o in OPERANDS if o not in ("^r", "label^r")]
    + [s for s in SPECIALS if s not in ("$ZZ", "$")]
    + ["$I(x)", "$G(x)", "$D(x)"]
)
EXPRESSION = st.recursive(
    st.sampled_from(ATOMS),
    lambda e: st.one_of(
        st.builds(lambda a, op, b: a + op + b, e, st.sampled_from(BINOPS), e),
        st.builds(
            lambda f, args: f + "(" + ",".join(args) + ")",
            st.sampled_from(FUNCTION_NAMES),
            st.lists(
                st.one_of(e, st.builds(lambda a, b: a + ":" + b, e, e)), min_size=1, max_size=4
            ),
        ),
        e.map(lambda x: "(" + x + ")"),
        st.builds(lambda u, x: u + x, st.sampled_from(["-", "+", "'", "@"]), e),
        st.builds(lambda x, p: x + p, e, st.sampled_from(PATTERNS)),
    ),
    max_leaves=6,
)
EXPRS = st.lists(EXPRESSION, min_size=1, max_size=3).map(",".join)
POSTCOND = st.one_of(st.just(""), EXPRESSION.map(lambda e: ":(" + e + ")"))
TARGET = st.sampled_from(
    [
        "x",
        "y",
        "x(1)",
        "x(1,2)",
        "^g(1)",
        '$P(x,",",2)',
        "$E(x,1)",
        "obj.Prop",
        "$X",
        "$NAMESPACE",
        "$ZE",
        "(x,y)",
    ]
)


def _command(inner):
    simple = st.one_of(
        st.builds(lambda pc, t, e: f"Set{pc} {t}={e}", POSTCOND, TARGET, EXPRESSION),
        st.builds(
            lambda pc, args: f"Write{pc} {args}",
            POSTCOND,
            st.lists(
                st.one_of(EXPRESSION, st.sampled_from(["!", "#", "?5", "*65", "!!"])),
                min_size=1,
                max_size=4,
            ).map(",".join),
        ),
        st.builds(lambda e: f"ZWrite {e}", EXPRS),
        st.builds(lambda n: f"Kill {n}", st.sampled_from(["x", "x,y", "(x)", "x(1)"])),
        st.builds(
            lambda e: f"Do {e}",
            st.sampled_from(
                [
                    "^r",
                    "label^r",
                    "label",
                    "obj.M()",
                    "##class(Nope).M()",
                    "$System.Status.OK()",
                    "$System.Nope.M()",
                    "##class(%Exception.General).%New()",
                ]
            ),
        ),
        st.builds(lambda pc, e: f"Quit{pc} {e}", POSTCOND, EXPRESSION),
        st.builds(
            lambda e: f"Xecute {e}",
            st.one_of(
                EXPRESSION,
                st.sampled_from(['"Write 1"', '"S x=1,y=x+1"', '"Q 1"', '"W 1 2"', '""']),
            ),
        ),
        st.builds(lambda e: f"Throw {e}", EXPRESSION),
        st.builds(
            lambda e: f"ZN {e}", st.one_of(EXPRESSION, st.sampled_from(['"%SYS"', '"USER"']))
        ),
        st.builds(lambda e: f"Job {e}", st.sampled_from(["^r", "label^r(1)", "##class(A.B).M()"])),
        st.builds(
            lambda e: f"Hang {e}", st.sampled_from(["0", ".01", "-1", '"x"', "1E20", "-1E20"])
        ),
        st.builds(lambda e: f"New {e}", st.sampled_from(["x", "x,y", "(x)", "$NAMESPACE"])),
        st.sampled_from(
            ["Quit  ", "Halt  ", "Continue  ", "Kill  ", "Write  ", "ZWrite  ", "New  "]
        ),
    )
    if inner is None:
        return simple
    body = st.lists(inner, min_size=0, max_size=3).map(" ".join)
    return st.one_of(
        simple,
        st.builds(lambda e, b, c: f"If {e} {{ {b} }} Else {{ {c} }}", EXPRS, body, body),
        st.builds(lambda e, b: f"If {e} {b}", EXPRESSION, body),
        st.builds(
            lambda a, b: f"For i=1:1:{a} {{ {b} }}", st.sampled_from(["0", "3", "-1", '"2x"']), body
        ),
        st.builds(lambda e, b: f"For i={e} {{ {b} }}", EXPRS, body),
        st.builds(lambda b: f"Set i=0 While i<3 {{ Set i=i+1 {b} }}", body),
        st.builds(lambda b: f"Set i=0 Do {{ Set i=i+1 {b} }} While i<2", body),
        st.builds(
            lambda b, c: f"Try {{ {b} }} Catch ex {{ Write ex.Name,ex.Code {c} }}", body, body
        ),
    )


LINE = st.lists(_command(_command(None)), min_size=1, max_size=4).map(" ".join)
# Now and then one fragment is dropped in at a random place.
MUTATED_LINE = st.builds(
    lambda line, frag, at: line[: at % (len(line) + 1)] + frag + line[at % (len(line) + 1) :],
    LINE,
    st.sampled_from(FRAGMENTS),
    st.integers(min_value=0),
)
SOUP = st.one_of(RAW_SOUP, LINE, LINE, MUTATED_LINE)


@SETTINGS
@given(st.one_of(SOUP, st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=30).map("".join)))
def test_token_soup_never_faults(code: str) -> None:
    check_terminal_answer(code, "token soup")


# -- 3. left-to-right arithmetic -----------------------------------------------------------------
# An expression is a list [operand, op, operand, op, operand ...]; an operand is an int or a
# parenthesised sub-expression (a nested list).

SPACES = st.sampled_from(["", " "])
LEAF = st.integers(min_value=-9, max_value=9)
EXPR = st.recursive(
    st.lists(LEAF, min_size=1, max_size=1),
    lambda inner: st.tuples(
        st.one_of(LEAF, inner),
        st.lists(
            st.tuples(st.sampled_from("+-*"), SPACES, SPACES, st.one_of(LEAF, inner)), max_size=4
        ),
    ).map(lambda t: [t[0]] + [item for tail in t[1] for item in tail]),
    max_leaves=12,
)


def render(expr: list) -> str:
    def operand(item) -> str:
        return f"({render(item)})" if isinstance(item, list) else str(item)

    text = operand(expr[0])
    for i in range(1, len(expr), 4):
        op, before, after, item = expr[i : i + 4]
        text += f"{before}{op}{after}{operand(item)}"
    return text


def evaluate(expr: list) -> int:
    """Strict left to right, no precedence; a negative literal is unary minus on its digit."""

    def operand(item) -> int:
        return evaluate(item) if isinstance(item, list) else item

    value = operand(expr[0])
    for i in range(1, len(expr), 4):
        op, _, _, item = expr[i : i + 4]
        right = operand(item)
        value = value + right if op == "+" else value - right if op == "-" else value * right
    return value


def test_reference_evaluator_sanity() -> None:
    # The documented examples: WRITE 1 + 2 * 3 -> 9; 3 + 5 * 6 - 4 -> 44; -123 - 3 -> -126.
    assert evaluate([1, "+", " ", " ", 2, "*", " ", " ", 3]) == 9
    assert evaluate([3, "+", "", "", 5, "*", "", "", 6, "-", "", "", 4]) == 44
    assert render([-123, "-", " ", " ", 3]) == "-123 - 3"
    assert evaluate([-123, "-", " ", " ", 3]) == -126
    assert evaluate([2, "*", "", "", [3, "+", "", "", 4]]) == 14


@SETTINGS
@given(EXPR)
@example([1, "+", " ", " ", 2, "*", " ", " ", 3])
@example([3, "+", " ", " ", 5, "*", " ", " ", 6, "-", " ", " ", 4])
@example([-1, "-", "", "", -1])
@example([0, "*", "", "", -5])
def test_arithmetic_is_left_to_right(expr: list) -> None:
    source = "Write " + render(expr)
    result = run_input(source, "arithmetic")
    assert result is not None, f"{source!r} did not finish"
    out, error = result
    assert error is None, f"{source!r} -> {out!r}"
    assert out == str(evaluate(expr)), source


# -- 4. string literals round-trip ---------------------------------------------------------------

PRINTABLE = st.text(st.characters(blacklist_categories=("Cs",))).filter(str.isprintable)


@SETTINGS
@given(PRINTABLE)
@example('"')
@example('""')
@example('say "hi"')
@example("Hello, World!")
@example(" ;not a comment // nor this /* nor */ this")
@example("{}")
@example("\u00e9\u4e2d\U0001f600")
def test_string_literal_round_trips(text: str) -> None:
    TRIED["string round-trip"] += 1
    with Terminal() as term:
        literal = '"' + text.replace('"', '""') + '"'
        assert term.run("Set x=" + literal) == ""
        assert term.run("Write x") == text
        assert term.run("Write " + literal) == text


# -- report --------------------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def report_counts(pytestconfig: pytest.Config) -> Iterator[None]:
    """After the file's tests, in the process that ran them: how many inputs were tried, and
    what came of them (run with `-s -n 0` to see it)."""
    yield
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        total = sum(TRIED.values())
        print()
        print(f"fuzz inputs tried: {total} ({', '.join(f'{k}: {v}' for k, v in TRIED.items())})")
        print(f"fuzz error names seen: {dict(ERRORS.most_common())}")
        print(f"fuzz inputs cut off after {TIME_LIMIT}s: {len(SLOW)}")
        for code in SLOW[:10]:
            print(f"  slow: {code[:120]!r}")
