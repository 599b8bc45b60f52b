"""The IPython extension through InteractiveShell: %%objectscript cells and %objectscript lines."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from cacheshell.frontends.magic import (
    ObjectScriptCellError,
    ObjectScriptMagics,
    get_local,
    parse_options,
    push_local,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def ip(cacheshell_home: Path) -> Iterator[InteractiveShell]:
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "cacheshell")
    try:
        yield shell
    finally:
        shell.run_line_magic("unload_ext", "cacheshell")
        for name in ("x", "v", "pylist", "total", "n", "s", "lab"):
            shell.user_ns.pop(name, None)


def run(ip: InteractiveShell, cell: str) -> tuple[Any, str, str]:
    """(result, stdout, stderr) of one cell."""
    with capture_output() as io:
        result = ip.run_cell(cell)
    assert result.error_in_exec is None and result.error_before_exec is None
    return result.result, io.stdout, io.stderr


def magics(ip: InteractiveShell) -> ObjectScriptMagics:
    return ip.magics_manager.registry[ObjectScriptMagics.__name__]


def test_a_cell_prints_its_output(ip: InteractiveShell) -> None:
    _, out, err = run(ip, '%%objectscript\nWrite "hello, world",!\nWrite 1+1')
    assert out == "hello, world\n2\n"
    assert err == ""


def test_locals_survive_across_cells(ip: InteractiveShell) -> None:
    run(ip, "%%objectscript\nSet total=0 For i=1:1:10 { Set total=total+i }")
    _, out, _ = run(ip, "%%objectscript\nWrite total")
    assert out == "55\n"


def test_new_starts_a_fresh_session(ip: InteractiveShell) -> None:
    run(ip, "%%objectscript\nSet x=1")
    _, out, _ = run(ip, "%%objectscript --new\nWrite $Data(x)")
    assert out == "0\n"


def test_each_namespace_has_its_own_session(ip: InteractiveShell) -> None:
    run(ip, "%%objectscript\nSet x=1")
    _, out, _ = run(ip, '%%objectscript --namespace %SYS\nWrite $Namespace," ",$Data(x)')
    assert out == "%SYS 0\n"
    _, out, _ = run(ip, '%%objectscript\nWrite $Namespace," ",x')
    assert out == "USER 1\n"


def test_dollar_and_braces_reach_objectscript_untouched(ip: InteractiveShell) -> None:
    ip.user_ns["x"] = "python"
    _, out, _ = run(ip, '%objectscript Set s="{x}" Write $Length(s)," ",s," ",$Extract("$x")')
    assert out == "3 {x} $\n"


def failed(ip: InteractiveShell, cell: str) -> tuple[BaseException, str, str]:
    """(the error that failed the cell, stdout, stderr): a terminal IPython prints the error on
    stdout."""
    with capture_output() as io:
        result = ip.run_cell(cell)
    assert result.error_before_exec is None
    assert result.error_in_exec is not None
    return result.error_in_exec, io.stdout, io.stderr


def test_an_error_fails_the_cell_shown_as_the_terminal_shows_it(ip: InteractiveShell) -> None:
    error, out, err = failed(ip, "%objectscript Write undefinedName")
    assert isinstance(error, ObjectScriptCellError)
    assert str(error) == "<UNDEFINED> *undefinedName"
    assert out == "WRITE undefinedName\n^\n<UNDEFINED> *undefinedName\n"
    assert err == ""


def test_output_before_an_error_is_kept_and_its_line_ended(ip: InteractiveShell) -> None:
    _, out, _ = failed(ip, '%%objectscript\nWrite "partial"\nWrite 1/0')
    assert out == "partial\nWRITE 1/0\n^\n<DIVIDE>\n"


def test_an_error_in_a_routine_shows_where_it_happened(ip: InteractiveShell) -> None:
    _, out, _ = failed(ip, '%%objectscript\nXecute "Set x=1/0"')
    assert "Traceback" not in out
    assert out.endswith("<DIVIDE>\n")


def test_no_raise_prints_the_error_on_stderr_and_the_cell_succeeds(ip: InteractiveShell) -> None:
    result, out, err = run(ip, "%objectscript --no-raise Write undefinedName")
    assert result is None
    assert out == ""
    assert err == "\nWRITE undefinedName\n^\n<UNDEFINED> *undefinedName\n"


def test_raise_errors_false_is_the_default_for_every_cell(ip: InteractiveShell) -> None:
    ip.run_line_magic("config", "ObjectScriptMagics.raise_errors = False")
    try:
        _, out, err = run(ip, '%%objectscript\nWrite "partial"\nWrite 1/0')
    finally:
        ip.run_line_magic("config", "ObjectScriptMagics.raise_errors = True")
    assert out == "partial"
    assert err == "\n\nWRITE 1/0\n^\n<DIVIDE>\n"


def test_a_refused_login_fails_the_cell(ip: InteractiveShell) -> None:
    fill = (
        "%%objectscript\nDo $System.License.UserNameLicensing(1)\n"
        'For i=1:1 { Set u(i)=##class(Training.World).ConnectUser("u"_i,"10.0.0."_i) }'
    )
    error, out, _ = failed(ip, fill)
    assert out.endswith("\n<LICENSE LIMIT EXCEEDED>\n")
    error, out, err = failed(ip, '%%objectscript --user zed\nWrite "in"')
    assert isinstance(error, ObjectScriptCellError)
    assert (out, err) == ("<LICENSE LIMIT EXCEEDED>\n", "")
    _, out, err = run(ip, '%%objectscript --user zed --no-raise\nWrite "in"')
    assert (out, err) == ("", "<LICENSE LIMIT EXCEEDED>\n")


def test_halt_ends_the_session_and_the_next_cell_starts_a_new_one(ip: InteractiveShell) -> None:
    run(ip, "%objectscript Set x=1")
    _, out, err = run(ip, "%objectscript Halt")
    assert "session ended" in out and err == ""
    _, out, _ = run(ip, "%objectscript Write $Data(x)")
    assert out == "0\n"


def test_python_values_go_in_with_i_and_come_out_with_o(ip: InteractiveShell) -> None:
    ip.user_ns.update(n=2.5, s="abc")
    run(ip, "%%objectscript -i n,s -o total\nSet total=n*2_s")
    assert ip.user_ns["total"] == "5abc"
    run(ip, "%%objectscript -o n\nSet n=n/2")
    assert ip.user_ns["n"] == Decimal("1.25")


def test_an_array_comes_out_as_a_dict_of_subscripts(ip: InteractiveShell) -> None:
    run(ip, '%%objectscript -o x\nSet x=0,x(1)="a",x(2,"k")=3')
    assert ip.user_ns["x"] == {(): 0, (1,): "a", (2, "k"): 3}


def test_an_expression_line_returns_its_value(ip: InteractiveShell) -> None:
    run(ip, 'v = %objectscript $Piece("a,b,c",",",2)')
    assert ip.user_ns["v"] == "b"
    run(ip, "v = %objectscript 6*7")
    assert ip.user_ns["v"] == 42


def test_get_local_and_push_local_use_the_last_session(ip: InteractiveShell) -> None:
    run(ip, "%objectscript Set x=10")
    assert get_local("x") == 10
    push_local("x", {1: "one", (2, 3): True})
    _, out, _ = run(ip, '%objectscript Write $Data(x)," ",x(1)," ",x(2,3)')
    assert out == "10 one 1\n"


def test_a_missing_output_variable_is_reported(ip: InteractiveShell) -> None:
    _, _, err = run(ip, "%%objectscript -o nothere\nSet y=1")
    assert err == "-o nothere: <UNDEFINED> *nothere\n"


def test_a_value_python_cannot_pass_is_a_usage_error(ip: InteractiveShell) -> None:
    ip.user_ns["pylist"] = [1, 2]
    with capture_output() as io:
        ip.run_cell("%%objectscript -i pylist\nWrite 1")
    assert "UsageError" in io.stderr
    assert "cannot become an ObjectScript value" in io.stderr
    assert "Traceback" not in io.stderr


def test_an_unknown_instance_is_a_usage_error(ip: InteractiveShell) -> None:
    with capture_output() as io:
        ip.run_cell("%%objectscript --instance NOSUCH\nWrite 1")
    assert "UsageError: no instance named NOSUCH" in io.stderr


def test_show_counts_is_text_in_a_terminal_and_a_table_in_a_notebook(ip: InteractiveShell) -> None:
    _, out, _ = run(ip, "%objectscript Do $System.License.ShowCounts()")
    assert "Total authorized license units" in out
    magics(ip).html = True
    with capture_output() as io:
        ip.run_cell("%objectscript Do $System.License.ShowCounts()")
    assert io.stdout == ""
    (table,) = io.outputs
    assert "<caption>License counts</caption>" in table.data["text/html"]
    assert "Total authorized license units" in table.data["text/plain"]


def test_a_list_in_a_query_column_shows_as_zwrite_shows_it(ip: InteractiveShell) -> None:
    ip.user_ns["lab"] = str(EXAMPLES / "lab_application.ini")
    run(
        ip,
        '%%objectscript -i lab\nSet sc=$SYSTEM.License.LoadAppLicenseFile(lab,"LabApp")\n'
        'Set sc=$SYSTEM.License.TakeApplicationLicense("LabApp","Lab Administrators",.n)',
    )
    magics(ip).html = True
    with capture_output() as io:
        ip.run_cell(
            '%objectscript Do ##class(%ResultSet).RunQuery("%SYSTEM.License",'
            '"ApplicationUserList","LabApp",1)'
        )
    (table,) = io.outputs
    assert "<td>$lb(&quot;Lab Administrators=1&quot;)</td>" in table.data["text/html"]


def test_options_are_read_before_the_code() -> None:
    options, code = parse_options("--namespace %SYS -i a,b --new Write -1")
    assert (options.namespace, options.inputs, options.new) == ("%SYS", ["a", "b"], True)
    assert code == "Write -1"
    options, code = parse_options("-1+2")
    assert code == "-1+2"


def test_the_terminal_highlights_objectscript_cells_with_the_lexer() -> None:
    from types import SimpleNamespace

    from IPython.terminal.ptutils import IPythonPTLexer
    from prompt_toolkit.document import Document

    from cacheshell.frontends.magic import highlight_cells

    lexer = IPythonPTLexer()
    highlight_cells(SimpleNamespace(pt_app=SimpleNamespace(lexer=lexer)))
    tokens = lexer.lex_document(Document('%%objectscript\nWrite $Length("abc")'))(1)
    assert ("class:pygments.keyword", "Write") in tokens
    assert ("class:pygments.name.builtin", "$Length") in tokens


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("%objectscript --bogus Write 1", "UsageError: unknown option --bogus"),
        ("%objectscript -x Write 1", "UsageError: unknown option -x"),
        ("%%objectscript --namespace\nWrite 1", "UsageError: --namespace needs a value"),
    ],
)
def test_an_unknown_option_is_a_usage_error_naming_the_options(
    ip: InteractiveShell, line: str, shown: str
) -> None:
    with capture_output() as io:
        result = ip.run_cell(line)
    assert result.error_in_exec is not None
    assert io.stderr.startswith(shown)
    assert io.stdout == ""


def test_the_usage_error_lists_the_options(ip: InteractiveShell) -> None:
    with capture_output() as io:
        ip.run_cell("%objectscript --bogus Write 1")
    assert io.stderr == (
        "UsageError: unknown option --bogus: the options come before the code, `--` ends them\n"
        "%objectscript [--instance NAME] [--namespace NS] [--user U] [--new] [-i NAMES] "
        "[-o NAMES] [--no-raise] CODE\n"
    )


def test_code_may_start_with_a_dash_as_an_expression(ip: InteractiveShell) -> None:
    run(ip, "v = %objectscript -1+2")
    assert ip.user_ns["v"] == 1
    run(ip, "%objectscript Set x=5")
    run(ip, "v = %objectscript -- -x+1")
    assert ip.user_ns["v"] == -4


def test_the_help_lists_the_options(ip: InteractiveShell) -> None:
    with capture_output() as io:
        ip.run_cell("%objectscript?")
    for option in ("--instance NAME", "--namespace NS, -U NS", "-i NAMES, --input NAMES"):
        assert option in io.stdout
    assert "--no-raise" in io.stdout and "ObjectScriptMagics.raise_errors = False" in io.stdout


def notices(ip: InteractiveShell, cell: str) -> list[str]:
    """The displays a cell showed besides its output: here, notices about the clock."""
    with capture_output() as io:
        result = ip.run_cell(cell)
    assert result.error_in_exec is None
    return [shown.data["text/plain"] for shown in io.outputs]


def test_a_notice_says_once_when_the_clock_is_simulated(ip: InteractiveShell) -> None:
    start = '%objectscript Do ##class(Training.World).SimulateClock("67538,19000")'
    assert notices(ip, start) == [
        "(simulated clock: 11/29/2025 05:16:40. Time moves only when code moves it: "
        "AdvanceClock, or a Hang, which returns at once)"
    ]
    assert notices(ip, "%objectscript Write 1") == []
    assert notices(ip, "%objectscript Hang 30") == [
        "(simulated clock: 11/29/2025 05:17:10. The Hang returned at once and moved the clock on)"
    ]
    assert notices(ip, "%objectscript Hang 30") == []
    assert notices(ip, "%objectscript Do ##class(Training.World).UseWallClock()") == []
    (again,) = notices(ip, start)  # a new simulation is news again
    assert again.startswith("(simulated clock: 11/29/2025 05:16:40. Time moves only")


# -- the simulated clients a magic's session made end with it: at --new and at Halt --------------
W = "##class(Training.World)"
CONSUMED = "Write $System.License.LUConsumed()"


@pytest.mark.parametrize(
    ("ending", "next_cell"),
    [
        ("", f"%%objectscript --new\n{CONSUMED}"),
        ("Halt", f"%%objectscript\n{CONSUMED}"),
    ],
)
def test_a_session_that_ends_takes_its_clients_with_it(ip, ending, next_cell):
    _, out, _ = run(
        ip,
        f'%%objectscript\nSet c={W}.ConnectUser("u1","10.0.0.1"),s={W}.StartCSP() '
        f"Do s.View(),s.View() {CONSUMED},!\n{ending}",
    )
    assert out.startswith("3\n")  # then, after a Halt, the notice that the session ended
    _, out, _ = run(ip, next_cell)
    assert out == "1\n"
