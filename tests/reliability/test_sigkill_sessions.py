"""SIGKILL session processes at random moments while they log in and out, then check the
invariants: no unit leaked, the table and the counters agree, the key is intact."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from conftest import Terminal

from cacheshell.system import authkey, keys, signing
from cacheshell.system.keyfile import render_key_file
from cacheshell.system.layout import InstanceLayout
from cacheshell.system.lifecycle import open_running

SESSIONS = 8
SEED = 20261129
# Each session moves between license IDs as fast as it can and takes application units, so a
# kill lands in the middle of a transaction as often as between two.
LOOP = (
    'Do $SYSTEM.License.LoadAppLicenseFile("{ini}","Chaos") Write "ready",! '
    'For i=1:1 {{ Set id="user"_$Random(40) Set n=$SYSTEM.License.Login(id) '
    'Set sc=$SYSTEM.License.TakeApplicationLicense("Chaos","Seats",.c) }}'
)


def command() -> list[str]:
    exe = Path(sys.executable).with_name("cacheshell")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "cacheshell"]


def test_random_kills_leak_nothing(cacheshell_home: Path, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    instance = open_running(InstanceLayout(cacheshell_home, "CACHE"), create_default=True)
    key = keys.issue_key(
        units=100,
        multi=True,
        expires=date(2099, 1, 1),
        customer="Chaos",
        order_number=9,
        private_key=signing.training_private_key(),
        platform_code=authkey.current_platform_code(),
    )
    key_file = tmp_path / "chaos.key"
    key_file.write_text(render_key_file(key.file), encoding="utf-8")
    assert instance.activate(key_file).result == "1"
    key_text = instance.key_path.read_text(encoding="utf-8")
    ini = tmp_path / "chaos.ini"
    ini.write_text("[Chaos]\nSeats=1000\n", encoding="utf-8")

    processes = [
        subprocess.Popen(
            command() + ["-U", "USER", LOOP.format(ini=ini)],
            stdout=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        for _ in range(SESSIONS)
    ]
    kills = 0
    try:
        for proc in processes:
            assert proc.stdout.readline() == "ready\n"
        for proc in rng.sample(processes, len(processes)):
            time.sleep(rng.uniform(0.01, 0.3))
            proc.send_signal(signal.SIGKILL)
            kills += 1
        for proc in processes:
            proc.wait(timeout=30)
    finally:
        for proc in processes:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()

    # The next process to attach reclaims every entry of the dead ones.
    with Terminal() as term:
        table = term.session.instance.table
        left = [p.pid for p in table.processes() if p.kind != "System"]  # not the service's
        assert left == [term.session.process.pid]
        assert table.consumed() == 1
        assert sum(e.units for e in table.entries()) == 1
        assert term.run('Write $SYSTEM.License.GetAppLicenseUsed("Chaos","Seats")') == "0"
        assert term.run("Write $SYSTEM.License.GetKeyStatus()") == "Valid"
    assert instance.key_path.read_text(encoding="utf-8") == key_text
    print(f"\nsessions SIGKILLed: {kills}, license units leaked: 0, application units leaked: 0")
