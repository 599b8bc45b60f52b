"""`cacheshell kernel install [--user|--sys-prefix|--prefix P]` and `cacheshell kernel list`.

A wheel install already puts the kernelspec in <sys.prefix>/share/jupyter/kernels/objectscript;
`install` serves other layouts (a Jupyter in another environment). The installed kernel.json
names this interpreter, so that Jupyter starts the kernel where cacheshell is installed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

KERNEL_NAME = "objectscript"


def kernelspec_source() -> Path:
    """The packaged kernelspec files: shared-data of the wheel, or the source tree's kernel/."""
    installed = Path(sys.prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME
    if (installed / "kernel.json").is_file():
        return installed
    source = Path(__file__).resolve().parents[2] / "kernel"
    if (source / "kernel.json").is_file():
        return source
    raise FileNotFoundError(
        f"the objectscript kernelspec files were not found (looked in {installed} and {source})"
    )


def write_kernelspec(target: Path, python: str | None = None) -> Path:
    """Copy the kernelspec into `target`, its argv starting with `python` (this interpreter)."""
    target.mkdir(parents=True, exist_ok=True)
    for item in kernelspec_source().iterdir():
        if item.is_file():
            shutil.copy(item, target / item.name)
    spec_path = target / "kernel.json"
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    spec["argv"][0] = python or sys.executable
    spec_path.write_text(json.dumps(spec, indent=2) + "\n", encoding="utf-8")
    return target


def install(user: bool = False, prefix: str | None = None) -> str:
    from jupyter_client.kernelspec import KernelSpecManager

    with tempfile.TemporaryDirectory() as tmp:
        source = write_kernelspec(Path(tmp) / KERNEL_NAME)
        return KernelSpecManager().install_kernel_spec(
            str(source), KERNEL_NAME, user=user, prefix=prefix
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cacheshell kernel", description="The ObjectScript Jupyter kernel's spec."
    )
    commands = parser.add_subparsers(dest="action", required=True)
    inst = commands.add_parser("install", help="install the kernelspec for Jupyter")
    where = inst.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="in the user's Jupyter directory")
    where.add_argument(
        "--sys-prefix", action="store_true", help=f"in this environment ({sys.prefix})"
    )
    where.add_argument("--prefix", help="under PREFIX/share/jupyter/kernels")
    commands.add_parser("list", help="list the kernelspecs Jupyter finds")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:1] == ["kernel"]:
        words = words[1:]  # mounted as `cacheshell kernel ...`
    args = build_parser().parse_args(words)
    if args.action == "install":
        prefix = sys.prefix if args.sys_prefix else args.prefix
        try:
            path = install(user=args.user, prefix=prefix)
        except (OSError, FileNotFoundError) as exc:
            sys.stderr.write(f"cacheshell kernel install: {exc}\n")
            return 1
        print(f"Installed the {KERNEL_NAME} kernelspec in {path}")
        return 0
    from jupyter_client.kernelspec import KernelSpecManager

    specs = KernelSpecManager().get_all_specs()
    width = max((len(name) for name in specs), default=0)
    for name, info in sorted(specs.items()):
        print(f"{name:<{width}}  {info['resource_dir']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
