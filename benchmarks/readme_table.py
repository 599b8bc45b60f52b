"""Write the README's table of figures from a run's own output:

    .venv/bin/python benchmarks/run.py --json bench.json
    .venv/bin/python benchmarks/readme_table.py bench.json [README.md]

The table (every row the run printed, then a verdict per target) replaces what stands between
the two marker lines in the README's "Benchmarks" section; the rest of the file is left as it is.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from figures import load, table

BEGIN = "<!-- figures: written by benchmarks/readme_table.py from benchmarks/run.py --json -->"
END = "<!-- /figures -->"
README = Path(__file__).resolve().parent.parent / "README.md"


class MarkerError(ValueError):
    """The README lacks the marker lines (or has them out of order)."""


def rewrite(text: str, lines: list[str]) -> str:
    """`text` with the block between the markers replaced by `lines` as a code block."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise MarkerError(f"the README needs the lines {BEGIN!r} and {END!r}, in that order")
    block = "\n".join([BEGIN, "```", *lines, "```", ""])
    return text[:start] + block + text[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("figures", type=Path, help="the file benchmarks/run.py --json wrote")
    parser.add_argument("readme", type=Path, nargs="?", default=README)
    args = parser.parse_args(argv)
    rows = load(args.figures)
    if not rows:
        print(f"readme_table: {args.figures} holds no figures", file=sys.stderr)
        return 1
    try:
        text = rewrite(args.readme.read_text(encoding="utf-8"), table(rows))
    except MarkerError as exc:
        print(f"readme_table: {args.readme}: {exc}", file=sys.stderr)
        return 1
    args.readme.write_text(text, encoding="utf-8")
    print(f"readme_table: {len(rows)} figures written to {args.readme}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
