"""The one INI reader: sections and their lines, in file order, nothing decided for the files."""

from __future__ import annotations

from cacheshell.system.ini import IniLine, IniSection, IniText, read_ini

TEXT = "stray\n; note\n[A]\n k = v \n\n  ; indented\n[a]\nno equals\n[A]\nx=1\n"


def test_sections_keep_their_lines_as_written_and_repeat_as_written() -> None:
    assert read_ini(TEXT) == IniText(
        before=(IniLine(1, "stray"),),
        sections=(
            IniSection("A", 3, (IniLine(4, " k = v "),)),
            IniSection("a", 7, (IniLine(8, "no equals"),)),
            IniSection("A", 9, (IniLine(10, "x=1"),)),
        ),
    )


def test_an_indented_semicolon_can_be_a_line_rather_than_a_comment() -> None:
    found = read_ini(TEXT, indented_comments=False)
    assert found.sections[0].lines == (IniLine(4, " k = v "), IniLine(6, "  ; indented"))


def test_an_entry_strips_the_keyword_and_keeps_the_value() -> None:
    assert IniLine(1, " k = v ").entry() == ("k", " v ")
    assert IniLine(1, "k==").entry() == ("k", "=")
    assert IniLine(1, "no equals").entry() is None
