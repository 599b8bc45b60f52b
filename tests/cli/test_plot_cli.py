"""`cacheshell plot [NAME] -o FILE`: the license use plot as a PNG, as a user runs it."""

from __future__ import annotations

from pathlib import Path

from conftest import Terminal, run_cli

W = "##class(Training.World)."


def test_cacheshell_plot_writes_a_png(tmp_path: Path) -> None:
    with Terminal() as term:
        term.run(f'Do {W}SimulateClock() Set c={W}ConnectUser("ann","10.0.0.1") Do c.End()')
    done = run_cli("plot", "-o", str(tmp_path / "usage.png"))
    assert (done.stdout, done.stderr, done.returncode) == (
        f"Wrote {tmp_path / 'usage.png'}\n",
        "",
        0,
    )
    assert (tmp_path / "usage.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cacheshell_plot_of_no_such_instance_exits_2(cacheshell_home: Path) -> None:
    done = run_cli("plot", "NOPE", "-o", "x.png")
    assert (done.stdout, done.returncode) == ("", 2)
    assert done.stderr == f"cacheshell plot: no instance named NOPE in {cacheshell_home}\n"
