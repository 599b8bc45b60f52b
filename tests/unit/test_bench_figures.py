"""The benchmark run's figures (benchmarks/figures.py): each target's verdict, and the README's
table written from a run's saved figures (benchmarks/readme_table.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from figures import Figures, Row, load, table
from readme_table import BEGIN, END, MarkerError, rewrite


@pytest.mark.parametrize(
    ("value", "ratio", "target", "verdict"),
    [
        ("0.187", 0.63, "<= 0.5x", False),  # an "x" target bounds the ratio
        ("0.187", 0.50, "<= 0.5x", True),
        ("4,577", 0.15, ">= 0.50x", False),
        ("30,100", 0.51, ">= 0.50x", True),
        ("0.037", 0.16, "<= 20 ms", True),  # any other unit bounds the value
        ("1,200", 0.01, "<= 288 B", False),  # thousands separators are read
        ("1.66", 0.83, "<= 2 periods of silence", True),
        ("2.40", 1.20, "<= 2 periods of silence", False),
        ("2,701", 0.06, "(speed relative to it)", None),  # a note, not a bound
        ("126", 1.1, "once", None),
        ("40,780", 4.18, "", None),
    ],
)
def test_a_target_is_judged_on_the_ratio_or_the_value(
    value: str, ratio: float, target: str, verdict: bool | None
) -> None:
    assert Row("figure", value, "baseline 1", ratio, target).verdict() is verdict


def test_the_table_lists_every_row_then_a_verdict_per_target(tmp_path: Path) -> None:
    figures = Figures(echo=False)
    figures.row("start-up vs IPython (s)", "0.187", "ipython -c pass 0.294", 0.636, "<= 0.5x")
    figures.row("peak memory, loop (KiB)", "40,780", "python -c pass 9,748", 4.183, "")
    figures.row("complete (ms)", "0.037", "rlcompleter 0.232", 0.159, "<= 20 ms")
    figures.save(tmp_path / "bench.json")
    assert table(load(tmp_path / "bench.json")) == [
        "figure                   cacheshell               baseline      ratio  target",
        "start-up vs IPython (s)       0.187  ipython -c pass 0.294      0.64x  <= 0.5x",
        "peak memory, loop (KiB)      40,780   python -c pass 9,748      4.18x",
        "complete (ms)                 0.037      rlcompleter 0.232      0.16x  <= 20 ms",
        "",
        "targets: 1 of 2 met",
        "NOT met  start-up vs IPython (s): 0.64x, target <= 0.5x",
        "met      complete (ms): 0.037, target <= 20 ms",
    ]


def test_the_readme_block_between_the_markers_is_replaced_and_nothing_else() -> None:
    readme = f"## Benchmarks\n\nLatest run:\n\n{BEGIN}\n```\nold table\n```\n{END}\n\nProse.\n"
    assert rewrite(readme, ["figure  new", "row     1"]) == (
        f"## Benchmarks\n\nLatest run:\n\n{BEGIN}\n```\nfigure  new\nrow     1\n```\n{END}\n\n"
        "Prose.\n"
    )


def test_a_readme_without_the_markers_is_refused() -> None:
    with pytest.raises(MarkerError):
        rewrite("## Benchmarks\n\n```\nold table\n```\n", ["figure"])
