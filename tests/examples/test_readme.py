"""The README's command blocks, run exactly as printed, in order, on one fresh install with the
default settings, from the root of a clone (a copy of its examples/), with the installed commands
on the PATH as the README's set-up puts them there; each command's output must be what the README
shows, with only what differs from run to run masked (times, process IDs, the training key's
random order number, the user's home directory)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import stop_instances

from cacheshell.system.instance import Instance
from cacheshell.system.layout import InstanceLayout

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PROMPT = "$ "
# Where the README's examples show the reader's home directory.
SHOWN_HOME = "/home/you"
ELLIPSIS = "..."
# The README shows the plot its tour draws; run this test with CACHESHELL_REGENERATE_DOCS=1 to
# draw it again.
SHOWN_PLOT = ROOT / "docs" / "usage.png"
REGENERATE = "CACHESHELL_REGENERATE_DOCS"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Command:
    line: str
    expected: list[str]


def command_blocks(text: str) -> list[list[Command]]:
    """Each fenced block whose lines start with a prompt, as its commands with the lines each
    is shown to print. Blocks without a prompt (synopses, the architecture) are not commands."""
    blocks: list[list[Command]] = []
    for body in re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.M | re.S):
        lines = body.rstrip("\n").split("\n")
        if not lines or not lines[0].startswith(PROMPT):
            continue
        commands: list[Command] = []
        for line in lines:
            if line.startswith(PROMPT):
                commands.append(Command(line[len(PROMPT) :], []))
            else:
                commands[-1].expected.append(line)
        blocks.append(commands)
    return blocks


# -- what may differ from run to run --------------------------------------------------------------
_TIME = re.compile(r"\b\d\d/\d\d/\d{4} \d\d:\d\d:\d\d\b")
# An event row's process ID: a number standing alone between the license ID and the detail.
_EVENT_PID = re.compile(r"(?<=\s)\d{1,7}(?=\s{2,}\S)")
# The training key's order number is drawn at random when the instance is made (6 digits).
_TRAINING_ORDER = re.compile(r"(OrderNumber\s+)\d{6}\b")
_STARTED_PID = re.compile(r"\(pid \d+\)")


def normalize(line: str, home: Path) -> str:
    line = line.replace(str(home), SHOWN_HOME).rstrip()
    line = _TRAINING_ORDER.sub(r"\1<ORDER>", line)
    line = _STARTED_PID.sub("(pid <PID>)", line)
    if _TIME.search(line):
        line = _EVENT_PID.sub("<PID>", _TIME.sub("<TIME>", line))
        line = re.sub(r" {2,}", "  ", line)
    return line


def matches(expected: list[str], actual: list[str]) -> bool:
    """Line by line; a line `...` in the README stands for any number of lines."""
    if not expected:
        return not actual
    if expected[0] == ELLIPSIS:
        return any(matches(expected[1:], actual[skip:]) for skip in range(len(actual) + 1))
    return bool(actual) and expected[0] == actual[0] and matches(expected[1:], actual[1:])


# -- the run --------------------------------------------------------------------------------------
def the_readers_environment(home: Path) -> dict[str, str]:
    """A shell after the README's set-up: the venv's commands first on the PATH, a home of its
    own, and none of the suite's settings (so the default install is the one used)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("CACHESHELL_") and key not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    venv_bin = Path(sys.executable).parent
    env.update(HOME=str(home), PATH=f"{venv_bin}{os.pathsep}{env.get('PATH', '')}")
    env["VIRTUAL_ENV"] = str(venv_bin.parent)
    return env


def a_clone(tmp_path: Path) -> Path:
    """The README's commands run from the root of a clone; they read its examples/."""
    clone = tmp_path / "cacheshell"
    shutil.copytree(ROOT / "examples", clone / "examples")
    shutil.copy(README, clone / "README.md")
    return clone


def run_as_typed(line: str, cwd: Path, env: dict[str, str]) -> list[str]:
    done = subprocess.run(
        ["bash", "-c", line],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    return (done.stdout + done.stderr).rstrip("\n").split("\n") if done.stdout + done.stderr else []


def on_a_simulated_clock(installs: Path) -> bool:
    instance = Instance(InstanceLayout(installs, "CACHE"))
    try:
        return instance.clock.simulated
    finally:
        instance.store.close()


def test_the_readme_blocks_as_typed(tmp_path: Path) -> None:
    home = tmp_path / "you"
    home.mkdir()
    installs = home / ".cacheshell"
    env = the_readers_environment(home)
    clone = a_clone(tmp_path)
    blocks = command_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 5, "the README's tour has lost its command blocks"
    key = installs / "CACHE" / "mgr" / "cache.key"
    first_key = ""
    try:
        for commands in blocks:
            for command in commands:
                shown = run_as_typed(command.line, clone, env)
                actual = [normalize(line, home) for line in shown]
                expected = [normalize(line, home) for line in command.expected]
                assert matches(expected, actual), (
                    f"$ {command.line}\nREADME shows:\n"
                    + "\n".join(command.expected)
                    + "\nit printed:\n"
                    + "\n".join(shown)
                )
                if not first_key and key.exists():
                    first_key = key.read_text(encoding="utf-8")
        # The plot the README shows is the one its tour draws.
        drawn = clone / "usage.png"
        assert drawn.read_bytes().startswith(PNG_SIGNATURE)
        if os.environ.get(REGENERATE):
            shutil.copy(drawn, SHOWN_PLOT)
        # The tour leaves the instance as it found it.
        assert key.read_text(encoding="utf-8") == first_key, "the tour changed the key"
        after = run_as_typed("cacheshell -U USER 'Write $System.License.LUConsumed()'", clone, env)
        assert after == ["1"], f"units left in use after the tour: {after}"
        assert not on_a_simulated_clock(installs), "the tour left the clock simulated"
    finally:
        stop_instances(installs)


def test_the_plot_the_readme_shows_is_there() -> None:
    assert f"]({SHOWN_PLOT.relative_to(ROOT)})" in README.read_text(encoding="utf-8")
    assert SHOWN_PLOT.read_bytes().startswith(PNG_SIGNATURE)


@pytest.mark.parametrize(
    ("expected", "actual", "same"),
    [
        (["a", "...", "d"], ["a", "b", "c", "d"], True),
        (["a", "...", "d"], ["a", "d"], True),
        (["a", "d"], ["a", "b", "d"], False),
        (["a"], ["a", "b"], False),
    ],
)
def test_an_ellipsis_stands_for_lines(expected: list[str], actual: list[str], same: bool) -> None:
    assert matches(expected, actual) is same


def test_what_is_masked(tmp_path: Path) -> None:
    row = "11/29/2026 05:15:20  grant        127.0.0.1                 7562        units +1"
    assert normalize(row, tmp_path) == "<TIME>  grant  127.0.0.1  <PID>  units +1"
    assert normalize("OrderNumber          538214        42", tmp_path) == (
        "OrderNumber          <ORDER>        42"
    )
    assert normalize(f"copied to {tmp_path}/.cacheshell/x", tmp_path) == (
        f"copied to {SHOWN_HOME}/.cacheshell/x"
    )
