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
from conftest import DEFAULT_WEB_PORT, free_udp_port, stop_instances

from cacheshell.system.instance import Instance
from cacheshell.system.layout import InstanceLayout

pytestmark = DEFAULT_WEB_PORT  # its instances look for their portal's port from 57772 up
ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PROMPT = "$ "
# Where the README's examples show the reader's home directory.
SHOWN_HOME = "/home/you"
ELLIPSIS = "..."
# The port of the default license server, as the README shows it (Caché's 4001); the run uses
# a port of its own (CACHESHELL_LICENSE_PORT), so that it shares no server with the developer's.
SHOWN_PORT = 4001
# The portal's port, as the README shows it (the first instance's default); the run's instance
# gets the first free one from there, which another install on the host may have moved.
SHOWN_WEB_PORT = 57772
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


def normalize(line: str, home: Path, port: int = SHOWN_PORT, web_port: int = SHOWN_WEB_PORT) -> str:
    line = line.replace(str(home), SHOWN_HOME).rstrip()
    line = line.replace(f"//127.0.0.1:{web_port}/", f"//127.0.0.1:{SHOWN_WEB_PORT}/")
    line = re.sub(rf"\b(port (?:= )?){port}\b", rf"\g<1>{SHOWN_PORT}", line)
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
def the_readers_environment(home: Path, port: int) -> dict[str, str]:
    """A shell before the README's set-up puts the commands on the PATH: a home of its own,
    none of the suite's settings (so the default install is the one used) but the license
    server's port, no venv active."""
    venv_bin = str(Path(sys.prefix) / "bin")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("CACHESHELL_") and key not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    path = [part for part in env.get("PATH", "").split(os.pathsep) if part != venv_bin]
    env.update(HOME=str(home), PATH=os.pathsep.join(path), CACHESHELL_LICENSE_PORT=str(port))
    return env


def a_clone(tmp_path: Path) -> Path:
    """The root of a clone after `make run`: its examples/ and the venv the set-up built."""
    clone = tmp_path / "cacheshell"
    shutil.copytree(ROOT / "examples", clone / "examples")
    shutil.copy(README, clone / "README.md")
    (clone / ".venv").symlink_to(sys.prefix, target_is_directory=True)
    return clone


MARKER = "<<cacheshell README command>>"


def run_in_one_shell(commands: list[Command], cwd: Path, env: dict[str, str]) -> list[list[str]]:
    """Type every command into one shell, in order, as a reader does (so what one command sets
    up, the next one has); what each printed, stdout and stderr together, as lines."""
    script = ["exec 2>&1"]
    for n, command in enumerate(commands):
        script += [f"printf '\\n{MARKER}%d\\n' {n}", command.line]
    script.append(f"printf '\\n{MARKER}end\\n'")
    done = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    chunks = re.split(rf"\n{re.escape(MARKER)}(?:\d+|end)\n", done.stdout)
    assert len(chunks) == len(commands) + 2, f"the shell stopped early:\n{done.stdout}"
    return [chunk.rstrip("\n").split("\n") if chunk.strip("\n") else [] for chunk in chunks[1:-1]]


def run_as_typed(line: str, cwd: Path, env: dict[str, str]) -> list[str]:
    (shown,) = run_in_one_shell([Command(line, [])], cwd, env)
    return shown


def web_server_port(installs: Path) -> int:
    """The port the tour's instance was given in its cache.cpf."""
    found = re.search(
        r"^WebServerPort=(\d+)$", (installs / "CACHE" / "mgr" / "cache.cpf").read_text(), re.M
    )
    return int(found.group(1)) if found else SHOWN_WEB_PORT


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
    port = free_udp_port()
    env = the_readers_environment(home, port)
    clone = a_clone(tmp_path)
    commands = [
        command for block in command_blocks(README.read_text(encoding="utf-8")) for command in block
    ]
    assert len(commands) >= 10, "the README's tour has lost its command blocks"
    key = installs / "CACHE" / "mgr" / "cache.key"
    try:
        printed = run_in_one_shell(commands, clone, env)
        web_port = web_server_port(installs)
        for command, shown in zip(commands, printed, strict=True):
            actual = [normalize(line, home, port, web_port) for line in shown]
            expected = [normalize(line, home) for line in command.expected]
            assert matches(expected, actual), (
                f"$ {command.line}\nREADME shows:\n"
                + "\n".join(command.expected)
                + "\nit printed:\n"
                + "\n".join(shown)
            )
        # The plot the README shows is the one its tour draws.
        drawn = clone / "usage.png"
        assert drawn.read_bytes().startswith(PNG_SIGNATURE)
        if os.environ.get(REGENERATE):
            shutil.copy(drawn, SHOWN_PLOT)
        # The tour leaves the instance as it found it: on its training key, every client gone
        # but the session that asks, the wall clock.
        training = key.with_name("training.key").read_text(encoding="utf-8")
        assert key.read_text(encoding="utf-8") == training, "the tour changed the key"
        after = run_as_typed(
            ". .venv/bin/activate && cacheshell -U USER 'Write $System.License.LUConsumed()'",
            clone,
            env,
        )
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
