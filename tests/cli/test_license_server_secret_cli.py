"""`cacheshell license-server --secret-file`: a secret file it cannot use stops it with one line
naming the file and what to do; by default it makes the home's on first need."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from conftest import run_cli

ADVICE = "copy license-server.secret from the license server host's CACHESHELL_HOME"


@pytest.mark.parametrize(
    ("content", "mode", "problem"),
    [
        (None, 0o600, "is missing: " + ADVICE),
        ("not a secret\n", 0o600, "is not 64 hex digits: " + ADVICE),
        ("ab" * 32 + "\n", 0o644, "is readable by other users: chmod 600 {path}"),
    ],
    ids=["missing", "malformed", "shared"],
)
def test_a_secret_file_it_cannot_use_is_one_line_and_exit_2(
    tmp_path: Path, content: str | None, mode: int, problem: str
) -> None:
    path = tmp_path / "domain.secret"
    if content is not None:
        path.write_text(content, encoding="ascii")
        os.chmod(path, mode)
    done = run_cli(
        "license-server", "--port", "0", "--dir", str(tmp_path / "ls"), "--secret-file", str(path)
    )
    line = f"license domain secret {path} " + problem.format(path=path)
    assert (done.returncode, done.stdout, done.stderr) == (
        2,
        "",
        f"cacheshell license-server: {line}\n",
    )


def test_without_a_secret_file_the_home_s_is_made_owner_only(cacheshell_home: Path) -> None:
    # With no instance to serve it stops by itself within about a second.
    done = run_cli("license-server", "--port", "0", "--idle-exit", "0.5")
    assert done.returncode == 0, done.stderr
    secret = cacheshell_home / "license-server.secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert len(bytes.fromhex(secret.read_text(encoding="ascii"))) == 32
