"""`cacheshell servers partition|heal|partition-instance|heal-instance NAME`: the training
world's partitions (Training.World's Partition, Heal, PartitionInstance, HealInstance) from the
shell, against a real license server on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import run_cli, start_license_server, stop_processes

from cacheshell.system.instance import Instance
from cacheshell.system.layout import DEFAULT_INSTANCE, InstanceLayout
from cacheshell.system.licserver.daemon import DEFAULT_PERIOD


@pytest.fixture
def port(tmp_path: Path) -> Iterator[int]:
    """A license server on a free loopback port, with the default update period; stopped at the
    end."""
    process, found = start_license_server(tmp_path / "ls1", period=DEFAULT_PERIOD)
    try:
        yield found
    finally:
        stop_processes([process])


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
