"""The License Usage page's chart: units in use as a step line, the capacity as a line, the
license server's NAK periods as shaded spans, all placed on the same scales."""

from __future__ import annotations

import re
from html import unescape

import pytest

from cacheshell.frontends.portal.usage_chart import ChartData, render

# 720 x 220 with margins 44/12/12/40: x runs 44..708 over the times, y 180..12 over 0..top.
BASE = ChartData(
    points=[(0.0, 0), (10.0, 2), (20.0, 1)],
    capacity=5,
    naks=[],
    clock="wall",
    start=0.0,
    end=40.0,
)


def element(svg: str, cls: str) -> list[str]:
    return re.findall(rf'<\w+ class="{cls}"[^>]*>', svg)


@pytest.mark.parametrize(
    ("data", "cls", "expected"),
    [
        (BASE, "in-use", ['<path class="in-use" d="M44.0,180.0H210.0V124.0H376.0V152.0H708.0"/>']),
        (
            ChartData(**{**BASE.__dict__, "clock": "simulated"}),
            "in-use simulated",
            ['<path class="in-use simulated" d="M44.0,180.0H210.0V124.0H376.0V152.0H708.0"/>'],
        ),
        (BASE, "capacity", ['<line class="capacity" x1="44" y1="40.0" x2="708" y2="40.0">']),
        (
            ChartData(**{**BASE.__dict__, "naks": [(25.0, 30.0), (-5.0, 2.0)]}),
            "nak",
            [
                '<rect class="nak" x="459.0" y="12" width="83.0" height="168">',
                '<rect class="nak" x="44.0" y="12" width="33.2" height="168">',
            ],
        ),
        # Use above the capacity raises the scale: top = 7 + 1.
        (
            ChartData(**{**BASE.__dict__, "points": [(0.0, 7)]}),
            "in-use",
            ['<path class="in-use" d="M44.0,33.0H708.0"/>'],
        ),
    ],
)
def test_the_chart_places_each_series_on_its_scales(
    data: ChartData, cls: str, expected: list[str]
) -> None:
    assert element(render(data), cls) == expected


def test_the_legend_says_the_use_now_the_capacity_and_the_clock() -> None:
    legend = re.search(r'<text class="legend"[^>]*>(.*?)</text>', render(BASE))
    assert legend is not None
    assert unescape(re.sub(r"<[^>]+>", "|", legend.group(1))) == (
        "|\u2501 units in use (1)||\u2504 capacity (5)||\u2588 license server NAK"
        "||time: instance clock|"
    )
