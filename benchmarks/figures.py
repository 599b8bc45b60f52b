"""The figures of a benchmark run: each recorded by one `row()` as (name, value, baseline, ratio,
target), printed as it comes, judged against its target at the end, and kept as JSON so that
the README's table is written from a run's own output (benchmarks/readme_table.py)."""

from __future__ import annotations

import json
import operator
import re
from dataclasses import asdict, dataclass
from pathlib import Path

HEADER = ("figure", "cacheshell", "baseline", "ratio", "target")
# A checkable target: "<= 0.5x" and ">= 0.50x" bound the ratio; any other unit ("<= 20 ms",
# "<= 288 B", "<= 2 periods of silence") bounds the value, which is given in that unit. Targets
# such as "once" or "(speed relative to it)" are notes, with no verdict.
_TARGET = re.compile(r"^\s*(<=|>=|<|>)\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*(x\b)?")
_COMPARE = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}
_NUMBER = re.compile(r"-?[0-9][0-9,]*(?:\.[0-9]+)?")


@dataclass(frozen=True)
class Row:
    name: str
    value: str
    baseline: str
    ratio: float
    target: str

    def measured(self) -> tuple[str, float] | None:
        """What the target bounds, as shown and as a number: the ratio for an "Nx" target, the
        value otherwise; None when the target is a note, not a bound."""
        bound = _TARGET.match(self.target)
        if bound is None:
            return None
        if bound.group(3):
            return f"{self.ratio:.2f}x", self.ratio
        number = _NUMBER.search(self.value)
        if number is None:
            return None
        return self.value, float(number.group().replace(",", ""))

    def verdict(self) -> bool | None:
        """Whether the figure meets its target; None when the target is a note, not a bound."""
        bound, measured = _TARGET.match(self.target), self.measured()
        if bound is None or measured is None:
            return None
        sign, limit = bound.group(1), float(bound.group(2).replace(",", ""))
        return bool(_COMPARE[sign](measured[1], limit))


class Figures:
    """The rows of one run, in the order they were measured."""

    def __init__(self, echo: bool = True) -> None:
        self.rows: list[Row] = []
        self.echo = echo

    def row(self, name: str, value: str, baseline: str, ratio: float, target: str) -> None:
        """Record one figure (and print it at once: a long run shows its progress)."""
        self.rows.append(Row(name, value, baseline, ratio, target))
        if self.echo:
            print(_line(self.rows[-1], WIDTHS), flush=True)

    def save(self, path: Path) -> None:
        path.write_text(
            json.dumps([asdict(r) for r in self.rows], indent=1) + "\n", encoding="utf-8"
        )


def load(path: Path) -> list[Row]:
    return [Row(**fields) for fields in json.loads(path.read_text(encoding="utf-8"))]


# Column widths of the printed rows (a figure's name, its value, its baseline).
WIDTHS = (30, 12, 28)


def header(widths: tuple[int, int, int] = WIDTHS) -> str:
    name, value, baseline = widths
    return (
        f"{HEADER[0]:<{name}}  {HEADER[1]:>{value}}  {HEADER[2]:>{baseline}}  "
        f"{HEADER[3]:>9}  {HEADER[4]}"
    )


def _line(row: Row, widths: tuple[int, int, int]) -> str:
    name, value, baseline = widths
    return (
        f"{row.name:<{name}}  {row.value:>{value}}  {row.baseline:>{baseline}}  "
        f"{row.ratio:>8.2f}x  {row.target}".rstrip()
    )


def verdicts(rows: list[Row]) -> list[str]:
    """One line per figure that has a target to meet: met or NOT met."""
    lines = []
    for row in rows:
        met, measured = row.verdict(), row.measured()
        if met is not None and measured is not None:
            lines.append(
                f"{'met' if met else 'NOT met':<8} {row.name}: {measured[0]}, target {row.target}"
            )
    return lines


def table(rows: list[Row]) -> list[str]:
    """The whole table, columns as wide as their widest entry, then the verdicts."""
    widths = (
        max([len(HEADER[0]), *(len(r.name) for r in rows)]),
        max([len(HEADER[1]), *(len(r.value) for r in rows)]),
        max([len(HEADER[2]), *(len(r.baseline) for r in rows)]),
    )
    lines = [header(widths), *(_line(r, widths) for r in rows)]
    found = verdicts(rows)
    met = sum(line.startswith("met ") for line in found)
    return [*lines, "", f"targets: {met} of {len(found)} met", *found]
