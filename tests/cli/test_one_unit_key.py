"""With a 1-unit key, a second distinct user's session is refused and -B still gets in."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from conftest import run_cli

from cacheshell.system.instance import Instance
from cacheshell.system.layout import InstanceLayout


def command() -> list[str]:
    exe = Path(sys.executable).with_name("cacheshell")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "cacheshell"]


def test_second_user_refused_and_the_administrator_session_gets_in(
    tmp_path: Path,
    cacheshell_home: Path,
) -> None:
    key = tmp_path / "one.key"
    assert run_cli("key", "issue", "--units", "1", "-o", str(key)).returncode == 0
    assert run_cli("control", "create", "ONE", "--key", str(key)).returncode == 0
    assert run_cli("ONE", "-U", "%SYS", "Do $SYSTEM.License.UserNameLicensing(1)").returncode == 0

    alice = subprocess.Popen(
        command() + ["ONE", "-U", "USER", "--user", "alice"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        alice.stdin.write('Write "in",!\n')
        alice.stdin.flush()
        assert alice.stdout.readline() == "in\n"
        bob = run_cli("ONE", "-U", "USER", "--user", "bob", "Write 1")
        assert (bob.stdout, bob.returncode) == ("<LICENSE LIMIT EXCEEDED>\n", 1)
        admin = run_cli(
            "ONE",
            "-U",
            "%SYS",
            "--user",
            "bob",
            "-B",
            'Write $SYSTEM.License.LUAvailable(),"|",$SYSTEM.License.GetUserId()',
        )
        assert (admin.stdout, admin.returncode) == ("0|bob@127.0.0.1\n", 0)
    finally:
        alice.stdin.close()
        alice.wait(timeout=30)
        alice.stdout.close()
    log = Instance(InstanceLayout(cacheshell_home, "ONE")).log.tail(20)
    assert any("License limit exceeded" in line and "'bob@127.0.0.1'" in line for line in log)
    # Alice left: her unit is back.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        done = run_cli("ONE", "-U", "USER", "--user", "bob", "Write $SYSTEM.License.GetUserId()")
        if done.returncode == 0:
            break
    assert done.stdout == "bob@127.0.0.1\n"
