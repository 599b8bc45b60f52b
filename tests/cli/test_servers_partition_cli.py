"""`cacheshell servers partition|heal|partition-instance|heal-instance NAME`: the training
world's partitions (Training.World's Partition, Heal, PartitionInstance, HealInstance) from the
shell, against a real license server on a free loopback port."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import run_cli

from cacheshell.system.instance import Instance
from cacheshell.system.layout import DEFAULT_INSTANCE, InstanceLayout


@pytest.fixture
def port(tmp_path: Path) -> Iterator[int]:
    """A license server on a free loopback port, in this test's CACHESHELL_HOME; stopped at the
    end."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cacheshell",
            "license-server",
            "--address",
            "127.0.0.1",
            "--port",
            "0",
            "--dir",
            str(tmp_path / "ls1"),
            "--idle-exit",
            "120",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=dict(os.environ),
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 60)
        found = re.search(
            r"listening on 127\.0\.0\.1:(\d+)", process.stdout.readline() if ready else ""
        )
        assert found, "the license server did not start"
        yield int(found.group(1))
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _partitioned(home: Path) -> object:
    instance = Instance(InstanceLayout(home, DEFAULT_INSTANCE))
    try:
        return instance.store.get("partitioned")
    finally:
        instance.store.close()


def test_partition_and_heal_on_both_sides(cacheshell_home: Path, tmp_path: Path, port: int) -> None:
    assert run_cli("-U", "USER", "Write 1").returncode == 0  # the default instance exists
    assert run_cli("servers", "add", "ls1", "127.0.0.1", str(port)).returncode == 0

    cut = run_cli("servers", "partition", "ls1")
    assert (cut.returncode, cut.stdout) == (
        0,
        "License server LS1 is cut off from instance CACHE.\n",
    )
    assert _partitioned(cacheshell_home) == "LS1"
    assert run_cli("servers", "partition", "LS1", "--instance", "CACHE").stdout == (
        "License server LS1 was already cut off from instance CACHE.\n"
    )
    assert run_cli("servers", "heal", "ls1").stdout == (
        "License server LS1 is reachable from instance CACHE again.\n"
    )
    assert _partitioned(cacheshell_home) is None
    assert run_cli("servers", "heal", "ls1").stdout == (
        "License server LS1 was not cut off from instance CACHE.\n"
    )

    marker = tmp_path / "ls1" / "partition-CACHE"
    ignored = run_cli("servers", "partition-instance", "ls1")
    assert (ignored.returncode, ignored.stdout) == (
        0,
        "License server LS1 ignores instance CACHE.\n",
    )
    assert marker.exists()
    assert run_cli("servers", "partition-instance", "ls1").stdout == (
        "License server LS1 was already ignoring instance CACHE.\n"
    )
    assert run_cli("servers", "heal-instance", "ls1").stdout == (
        "License server LS1 hears instance CACHE again.\n"
    )
    assert not marker.exists()
    assert run_cli("servers", "heal-instance", "ls1").stdout == (
        "License server LS1 was not ignoring instance CACHE.\n"
    )
    # As the ObjectScript methods say it, through the same engine functions.
    assert (
        run_cli("-U", "USER", 'Write ##class(Training.World).Partition("LS1")').stdout.strip()
        == "1"
    )
    assert run_cli("servers", "heal", "ls1").stdout == (
        "License server LS1 is reachable from instance CACHE again.\n"
    )


def test_errors_exit_2(cacheshell_home: Path) -> None:
    run_cli("-U", "USER", "Write 1")
    for verb in ("partition", "heal", "partition-instance", "heal-instance"):
        missing = run_cli("servers", verb, "ghost")
        assert (missing.returncode, missing.stderr) == (
            2,
            "cacheshell servers: no license server named GHOST is configured\n",
        )
    # Port 1024 on loopback: configured, but no license server of this host serves it.
    run_cli("servers", "add", "down", "127.0.0.1", "1024")
    down = run_cli("servers", "partition-instance", "down")
    assert (down.returncode, down.stderr) == (
        2,
        "cacheshell servers: license server DOWN is not running on this host\n",
    )
    nobody = run_cli("servers", "--instance", "NOPE", "partition", "down")
    assert (nobody.returncode, nobody.stderr) == (2, "cacheshell servers: no instance named NOPE\n")
