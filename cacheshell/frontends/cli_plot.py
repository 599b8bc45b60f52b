"""`cacheshell plot [NAME] [-o FILE]`: the license use of an instance over time, as a PNG."""

from __future__ import annotations

import argparse
import sys

from cacheshell.frontends.plot import PlotUnavailable, write_usage_png
from cacheshell.system.layout import DEFAULT_INSTANCE


def main(argv: list[str]) -> int:
    """0 written; 2 when it cannot be (no such instance, no matplotlib, a file not written)."""
    parser = argparse.ArgumentParser(
        prog="cacheshell plot",
        description="Plot an instance's license units consumed over time (needs matplotlib).",
    )
    parser.add_argument("name", metavar="NAME", nargs="?", default=DEFAULT_INSTANCE)
    parser.add_argument(
        "-o", dest="output", default="usage.png", metavar="FILE", help="default usage.png"
    )
    args = parser.parse_args(argv)
    try:
        written = write_usage_png(args.name, args.output)
    except (PlotUnavailable, ValueError) as exc:
        sys.stderr.write(f"cacheshell plot: {exc}\n")
        return 2
    except OSError as exc:
        sys.stderr.write(f"cacheshell plot: cannot write {args.output}: {exc.strerror or exc}\n")
        return 2
    print(f"Wrote {written}")
    return 0
