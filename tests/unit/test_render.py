"""Rich output: reports as HTML tables through the session's show_table hook, and the plot of
license use over time."""

from __future__ import annotations

import io
import sys
import types
from decimal import Decimal
from typing import Any

import pytest

from cacheshell.frontends.plot import PlotUnavailable, plot_license_use, usage_series
from cacheshell.frontends.render import html_table, mimebundle
from cacheshell.lang.lists import listbuild
from cacheshell.session import Session
from cacheshell.system.events import EventKind
from cacheshell.system.usage import EventRow, counts_rows


def test_a_table_has_a_caption_a_header_and_escaped_cells() -> None:
    html = html_table("A <b> & c", ["Name", "Units"], [("<script>", 1), ('"x" & y', None)])
    assert html == (
        '<table class="cacheshell-report"><caption>A &lt;b&gt; &amp; c</caption>'
        "<thead><tr><th>Name</th><th>Units</th></tr></thead><tbody>"
        '<tr><td>&lt;script&gt;</td><td style="text-align:right">1</td></tr>'
        "<tr><td>&quot;x&quot; &amp; y</td><td></td></tr>"
        "</tbody></table>"
    )


def test_numbers_are_right_aligned_and_strings_are_not() -> None:
    html = html_table("", ["n"], [(Decimal("1.5"),), ("7",), (True,)])
    assert "<caption>" not in html
    assert '<td style="text-align:right">1.5</td>' in html
    assert "<td>7</td>" in html
    assert "<td>True</td>" in html


def test_a_mimebundle_carries_the_text_and_the_table() -> None:
    bundle = mimebundle("T", ["a"], [(1,)], "text\n")
    assert bundle["text/plain"] == "text\n"
    assert bundle["text/html"].startswith('<table class="cacheshell-report"><caption>T</caption>')


class Shown:
    def __init__(self) -> None:
        self.tables: list[tuple[str, list[str], list[tuple], str]] = []

    def __call__(self, title: str, columns: list[str], rows: list[tuple], text: str) -> None:
        self.tables.append((title, columns, rows, text))


def test_show_counts_is_text_without_a_rich_front_end() -> None:
    out = io.StringIO()
    session = Session(sink=out.write)
    try:
        assert session.execute("Do $System.License.ShowCounts()").ok
    finally:
        session.close()
    assert out.getvalue().startswith("\n     5 Total authorized license units\n")


def test_show_counts_goes_to_the_table_hook_with_the_rows_its_text_shows() -> None:
    out = io.StringIO()
    session = Session(sink=out.write)
    shown = Shown()
    session.on_table = shown
    try:
        session.execute('Write "x"  Do $System.License.ShowCounts()')
        rows = counts_rows(session.instance)
    finally:
        session.close()
    assert out.getvalue() == "x\n"  # the table starts on a fresh line; no text written
    ((title, columns, table_rows, text),) = shown.tables
    assert (title, columns) == ("License counts", ["Count", "Counter"])
    assert table_rows == [(value, label) for label, value in rows]
    for value, label in table_rows:
        assert f"{value:>6} {label}" in text
    html = html_table(title, columns, table_rows)
    assert '<td style="text-align:right">5</td><td>Total authorized license units</td>' in html
    assert "<td>CSP sessions currently in &#x27;grace period&#x27;</td>" in html


def event(time: float, kind: str, lid: str, detail: str = "", units: int | None = None) -> EventRow:
    return EventRow(time, EventKind(kind), lid, None, detail, units)


def test_the_usage_series_replays_grants_and_releases_per_license_id() -> None:
    events = [
        event(1, "grant", "a", "units +1", 1),
        event(2, "connect", "a", "units +0", 0),
        event(3, "grant", "b", "units +1", 1),
        event(4, "denied", "c", "no license unit available"),
        event(5, "connect", "a", "units +1", 1),  # past MaxConnections: one unit per process
        event(6, "release", "a", "process ended"),
        event(7, "grace", "b", "held for the CSP grace period"),
        event(8, "release", "b", "CSP grace period over"),
    ]
    assert usage_series(events) == [(1, 1), (3, 2), (5, 3), (6, 1), (8, 0)]


def test_the_plot_says_to_install_matplotlib_when_it_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(PlotUnavailable, match="pip install matplotlib"):
        plot_license_use("CACHE")


class FakeAxes:
    def __init__(self) -> None:
        self.calls: dict[str, tuple[tuple, dict]] = {}
        self.figure = types.SimpleNamespace(autofmt_xdate=lambda: None)

    def __getattr__(self, name: str) -> Any:
        def record(*args: Any, **kwargs: Any) -> None:
            self.calls[name] = (args, kwargs)

        return record


def test_the_plot_draws_consumed_units_and_the_capacity(monkeypatch: pytest.MonkeyPatch) -> None:
    axes = FakeAxes()
    pyplot = types.ModuleType("matplotlib.pyplot")
    pyplot.subplots = lambda **_: (axes.figure, axes)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "matplotlib", types.ModuleType("matplotlib"))
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", pyplot)
    session = Session(sink=lambda _text: None)
    try:
        figure = plot_license_use(session.instance)
    finally:
        session.close()
    assert figure is axes.figure
    (times, values), options = axes.calls["step"]
    assert values == [1, 1]  # this session's unit, from its grant to now
    assert options["where"] == "post"
    (capacity,), _ = axes.calls["axhline"]
    assert capacity == 5


def test_query_results_and_the_key_comparison_reach_the_rich_hook(tmp_path) -> None:
    """RunQuery and the License Key page hand their rows to a front end that shows tables."""
    from datetime import date

    from conftest import Terminal

    from cacheshell.system import authkey, keys, signing
    from cacheshell.system.keyfile import render_key_file

    shown: list[tuple[str, list[str], list[tuple]]] = []
    with Terminal() as term:
        term.session.on_table = lambda title, columns, rows, text: shown.append(
            (title, columns, rows)
        )
        term.run('Do ##class(%ResultSet).RunQuery("%SYSTEM.License","Counts")')
        key = keys.issue_key(
            units=9,
            multi=True,
            expires=date(2099, 1, 1),
            customer="Rich",
            order_number=1,
            private_key=signing.training_private_key(),
            platform_code=authkey.current_platform_code(),
        )
        path = tmp_path / "rich.key"
        path.write_text(render_key_file(key.file), encoding="utf-8")
        term.run(f'Do ##class(Portal.LicenseKey).Compare("{path}")')
    assert shown[0][0] == "%SYSTEM.License:Counts"
    assert shown[0][1] == ["InstanceLicenseUse", "License Units"]
    assert shown[1][0] == "License key comparison"
    assert ("LicenseUnits", "5", "9") in shown[1][2]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (listbuild("a", "b", 1), "<td>$lb(&quot;a&quot;,&quot;b&quot;,1)</td>"),
        (
            listbuild("x", listbuild(2, ""), None),
            "<td>$lb(&quot;x&quot;,$lb(2,&quot;&quot;),)</td>",
        ),
        ("plain text", "<td>plain text</td>"),
    ],
)
def test_a_list_in_a_cell_shows_as_zwrite_shows_it(value: str, shown: str) -> None:
    assert html_table("", ["AppLicenses"], [(value,)]).endswith(
        f"<tbody><tr>{shown}</tr></tbody></table>"
    )
