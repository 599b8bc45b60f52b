"""One instance, many OS processes: counts stay exact under concurrent logins and logouts, and a
process killed while holding a unit gives it back at the next access."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from cacheshell.system import authkey, keys, lifecycle, signing
from cacheshell.system.instance import Instance
from cacheshell.system.keyfile import render_key_file
from cacheshell.system.layout import DEFAULT_INSTANCE, InstanceLayout
from cacheshell.system.process import Identity, InstanceProcess

WORKERS = 8
CYCLES = 200

# Each worker logs in and out CYCLES times, under a new license ID each time. They all begin at
# one moment, after their imports, so that their transactions really overlap.
WORKER = textwrap.dedent("""
    import sys
    import time
    from pathlib import Path
    from cacheshell.system.instance import Instance
    from cacheshell.system.layout import InstanceLayout
    from cacheshell.system.process import Identity, InstanceProcess

    home, name, index, cycles = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    instance = Instance(InstanceLayout(Path(home), name))
    time.sleep(max(float(sys.argv[5]) - time.time(), 0))
    for cycle in range(cycles):
        client = f"10.{index}.{cycle // 250}.{cycle % 250}"
        process = InstanceProcess(instance, Identity("worker", client=client))
        process.attach()
        process.detach()
    print("done", index, flush=True)
""")


def started_instance(home: Path, units: int) -> Instance:
    key = keys.issue_from_spec(
        keys.KeySpec(units=units, multi=True),
        signing.training_private_key(),
        authkey.current_platform_code(),
    )
    instance, _ = lifecycle.create(
        InstanceLayout(home, DEFAULT_INSTANCE), key_text=render_key_file(key.file)
    )
    return instance


def stop_all(processes: list[subprocess.Popen]) -> None:
    for proc in processes:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)


def test_concurrent_logins_and_logouts_keep_exact_counts(cacheshell_home, tmp_path):
    instance = started_instance(cacheshell_home, 20)
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    begin = str(time.time() + 3)
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                str(script),
                str(cacheshell_home),
                DEFAULT_INSTANCE,
                str(i),
                str(CYCLES),
                begin,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        for i in range(WORKERS)
    ]
    try:
        outputs = [worker.communicate(timeout=120) for worker in workers]
    finally:
        stop_all(workers)
        instance.store.close()
    instance = Instance(InstanceLayout(cacheshell_home, DEFAULT_INSTANCE))
    for index, (worker, (out, err)) in enumerate(zip(workers, outputs, strict=True)):
        assert "database is locked" not in out + err
        assert (worker.returncode, out, err) == (0, f"done {index}\n", "")
    table = instance.table
    users = [p for p in table.processes() if p.kind != "System"]  # not the service's own
    assert (table.consumed(), users, table.entries()) == (0, [], [])
    assert 1 <= int(instance.store.get("max_consumed")) <= WORKERS
    counts = dict(
        instance.store.db.execute("SELECT kind, count(*) FROM events GROUP BY kind").fetchall()
    )
    counts.pop("server", None)  # the instance's first report to its license server, if made
    assert counts == {"grant": WORKERS * CYCLES, "release": WORKERS * CYCLES}
    instance.store.close()


def test_a_killed_process_unit_is_reclaimed_at_the_next_access(cacheshell_home):
    instance = started_instance(cacheshell_home, 5)
    exe = Path(sys.executable).with_name("cacheshell")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "cacheshell"]
    shell = subprocess.Popen(
        [*command, "-U", "USER"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
    )
    probe = None
    try:
        deadline = time.monotonic() + 30
        while not any(p.os_pid == shell.pid for p in instance.table.processes()):
            assert shell.poll() is None, shell.communicate()
            assert time.monotonic() < deadline, "the shell never logged in"
            time.sleep(0.05)
        assert instance.table.consumed() == 1
        os.kill(shell.pid, signal.SIGKILL)
        shell.wait(timeout=30)
        assert instance.table.consumed() == 1  # nobody has looked yet
        probe = InstanceProcess(instance, Identity("probe", client="10.0.0.1"))
        probe.attach()
        left = [p.pid for p in instance.table.processes() if p.kind != "System"]
        assert left == [probe.pid]
        assert [(e.license_id, e.connections) for e in instance.table.entries()] == [
            ("10.0.0.1", 1)
        ]
        assert instance.table.consumed() == 1
        died = instance.store.db.execute(
            "SELECT license_id, pid, detail FROM events WHERE kind='release'"
        ).fetchall()
        assert died == [
            (
                "127.0.0.1",
                instance.store.db.execute(
                    "SELECT pid FROM events WHERE kind='grant' ORDER BY id"
                ).fetchone()[0],
                "process died",
            )
        ]
    finally:
        if probe is not None:
            probe.detach()
        stop_all([shell])
        for stream in (shell.stdin, shell.stdout, shell.stderr):
            if stream is not None:
                stream.close()
    assert instance.table.consumed() == 0
    instance.store.close()
