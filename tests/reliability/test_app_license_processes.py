"""Application units across real OS processes: a SIGKILLed holder's units return, and concurrent
takes never exceed a pool."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import Terminal, run_cli

POOL = "[LabApp]\nLab Devices=5\n"
L = "$SYSTEM.License"


def script_command() -> list[str]:
    exe = Path(sys.executable).with_name("cacheshell")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "cacheshell"]


def test_a_killed_process_gives_back_its_application_units(tmp_path: Path) -> None:
    ini = tmp_path / "lab.ini"
    ini.write_text(POOL, encoding="utf-8")
    with Terminal() as term:
        assert term.run(f'Write {L}.LoadAppLicenseFile("{ini}","LabApp")') == "0"
        holder = subprocess.Popen(
            script_command() + ["-U", "USER"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        try:
            holder.stdin.write(
                f'For i=1:1:3 {{ Set sc={L}.TakeApplicationLicense("LabApp",'
                f'"Lab Devices",.c) }} Write "held ",c,!\n'
            )
            holder.stdin.flush()
            deadline = time.monotonic() + 30
            line = ""
            while "held" not in line and time.monotonic() < deadline:
                line = holder.stdout.readline()
            assert line.strip() == "held 3"
            assert term.run(f'Write {L}.GetAppLicenseUsed("LabApp","Lab Devices")') == "3"
            os.kill(holder.pid, signal.SIGKILL)
            holder.wait(timeout=10)
        finally:
            if holder.poll() is None:
                holder.kill()
                holder.wait()
            holder.stdin.close()
            holder.stdout.close()
        # The next access to the table reclaims the dead process's entries.
        with Terminal():
            pass
        assert term.run(f'Write {L}.GetAppLicenseUsed("LabApp","Lab Devices")') == "0"


def test_concurrent_takes_never_exceed_the_pool(tmp_path: Path) -> None:
    ini = tmp_path / "lab.ini"
    ini.write_text(POOL, encoding="utf-8")
    with Terminal() as term:
        assert term.run(f'Write {L}.LoadAppLicenseFile("{ini}","LabApp")') == "0"
        code = (
            f'Set n=0 For i=1:1:10 {{ Set sc={L}.TakeApplicationLicense("LabApp",'
            f'"Lab Devices",.c) Set:sc n=n+1 }} Write n Hang 1'
        )
        workers = [
            subprocess.Popen(
                script_command() + ["-U", "USER", code],
                stdout=subprocess.PIPE,
                text=True,
                env=dict(os.environ),
            )
            for _ in range(4)
        ]
        taken = []
        for worker in workers:
            out, _ = worker.communicate(timeout=60)
            taken.append(int(out.strip()))
        assert sum(taken) == 5
        assert term.run(f'Write {L}.GetAppLicenseUsed("LabApp","Lab Devices")') == "0"
    assert run_cli("-U", "USER", "Write 1").returncode == 0
