"""The IPython extension through InteractiveShell: %%objectscript cells and %objectscript lines."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from cacheshell.frontends.magic import ObjectScriptMagics, get_local, parse_options, push_local


@pytest.fixture
def ip(cacheshell_home: Path) -> Iterator[InteractiveShell]:
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "cacheshell")
    try:
        yield shell
    finally:
        shell.run_line_magic("unload_ext", "cacheshell")
        for name in ("x", "v", "pylist", "total", "n", "s"):
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


def test_an_error_shows_as_the_terminal_shows_it_without_a_traceback(ip: InteractiveShell) -> None:
    result, out, err = run(ip, "%objectscript Write undefinedName")
    assert result is None
    assert out == ""
    assert err == "\nWRITE undefinedName\n^\n<UNDEFINED> *undefinedName\n"
    assert "Traceback" not in err


def test_output_before_an_error_is_kept(ip: InteractiveShell) -> None:
    _, out, err = run(ip, '%%objectscript\nWrite "partial"\nWrite 1/0')
    assert out == "partial"
    assert err.endswith("<DIVIDE>\n")


def test_halt_ends_the_session_and_the_next_cell_starts_a_new_one(ip: InteractiveShell) -> None:
    run(ip, "%objectscript Set x=1")
    _, _, err = run(ip, "%objectscript Halt")
    assert "session ended" in err
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
