"""Reports as HTML tables, for front ends that show rich output (notebooks)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape

from cacheshell.lang.display import quote
from cacheshell.lang.lists import is_list

_NUMERIC = (int, float, Decimal)


def html_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A simple <table> with the title as its caption; every cell is escaped, a $List shown as
    $lb(...)."""
    parts = ['<table class="cacheshell-report">']
    if title:
        parts.append(f"<caption>{escape(title)}</caption>")
    if columns:
        head = "".join(f"<th>{escape(str(name))}</th>" for name in columns)
        parts.append(f"<thead><tr>{head}</tr></thead>")
    parts.append("<tbody>")
    for row in rows:
        cells = "".join(_cell(value) for value in row)
        parts.append(f"<tr>{cells}</tr>")
    parts.append("</tbody></table>")
    return "".join(parts)


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    if isinstance(value, str) and is_list(value):
        text = quote(value)  # a $List as ZWRITE shows it, $lb("a",1), not its length bytes
    if isinstance(value, _NUMERIC) and not isinstance(value, bool):
        return f'<td style="text-align:right">{escape(text)}</td>'
    return f"<td>{escape(text)}</td>"


def mimebundle(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[object]], text: str
) -> dict[str, str]:
    """The report as text/plain (its terminal text) and text/html (the table)."""
    return {"text/plain": text, "text/html": html_table(title, columns, rows)}
