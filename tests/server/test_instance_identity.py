"""Two installs on one host, each with an instance named CACHE, and one real license server: the
server tells them apart by identity, and their own training keys keep their units apart."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import stop_instances
from servers import PERIOD, Shell, copy_secret, eventually, mint, without_default

from cacheshell.system import lifecycle, server_config
from cacheshell.system.cpf import Cpf
from cacheshell.system.instance import CPF_FILE, Instance
from cacheshell.system.keyfile import render_key_file
from cacheshell.system.keys import LicenseKey, load_key
from cacheshell.system.layout import DEFAULT_INSTANCE, InstanceLayout, cacheshell_home
from cacheshell.system.licserver.client import LicenseClient
from cacheshell.system.monitor import InstanceClient, host_address, instance_identity

W = "##class(Training.World)."
# The clients below report with a long period: the server never expires them during a test.
LONG_PERIOD = 3600.0


SHARED = mint(10, 300001)


def install(home: Path) -> Instance:
    """A fresh install in `home`: its default instance CACHE, created and started, given the
    license domain secret of the servers' home (CACHESHELL_HOME) first."""
    copy_secret(cacheshell_home(), home)
    return lifecycle.create(InstanceLayout(home, DEFAULT_INSTANCE))[0]


@pytest.fixture(autouse=True)
def stop_installs(tmp_path: Path) -> Iterator[None]:
    """Every instance an install of this module started is stopped at the end."""
    yield
    for home in tmp_path.iterdir():
        if home.is_dir():
            stop_instances(home)


def report_to(home: Path, port: int) -> None:
    cpf = Cpf(InstanceLayout(home, DEFAULT_INSTANCE).mgr / CPF_FILE)
    cpf.set("config", "LicenseUpdatePeriod", str(PERIOD))
    cpf.save()
    without_default(cpf)
    server_config.create(cpf, "LS", "127.0.0.1", port)


def users(prefix: str, count: int) -> dict[str, tuple[int, int]]:
    return {f"{prefix}{i}@10.0.0.9": (1, 1) for i in range(count)}


@pytest.fixture
def clients() -> Iterator[Callable[..., LicenseClient]]:
    made: list[LicenseClient] = []

    def make(key: LicenseKey, name: str = DEFAULT_INSTANCE, **options: str) -> LicenseClient:
        made.append(
            LicenseClient(key, "127.0.0.1", name, period=LONG_PERIOD, timeout=3.0, **options)
        )
        return made[-1]

    yield make
    for client in made:
        client.close()


def test_two_instances_of_one_name_in_two_homes_are_counted_apart(
    tmp_path: Path, daemons: Callable[[str], int]
) -> None:
    port = daemons("ls")
    server = ("127.0.0.1", port)
    shared = tmp_path / "shared.key"
    shared.write_text(render_key_file(SHARED.file), encoding="utf-8")
    homes = [tmp_path / "alice-home", tmp_path / "ci-home"]
    for home in homes:
        # Each install mints its own training key; the admin loads one key file on both.
        assert install(home).activate(shared).result == "1"
        report_to(home, port)
    one, two = Shell(homes[0]), Shell(homes[1])
    try:
        eventually(lambda: one.state("active_server") and two.state("active_server"))
        for shell, names in ((one, ["u1", "u2"]), (two, ["u3", "u4", "u5"])):
            for n, name in enumerate(names):
                shell.run(f'Set c{n}={W}ConnectUser("{name}","10.0.0.1")')
        # Each terminal is licensed as 127.0.0.1: one ID on both instances, one unit.
        eventually(lambda: one.state("dist_current") == 6 and two.state("dist_current") == 6)
        with LicenseClient(SHARED, "127.0.0.1", "observer", timeout=3.0) as observer:
            summary = observer.summary(server)
            assert summary is not None
            assert (summary["current"], summary["instances"]) == (6, 2)
            me = host_address()
            assert observer.active_server_list(server) == [
                (me, DEFAULT_INSTANCE, "300001"),
                (me, DEFAULT_INSTANCE, "300001"),
            ]
            rows = observer.connection_list(server)
            assert rows is not None
            assert sorted(str(row[0]) for row in rows if row[1] != "shr") == [
                "127.0.0.1",
                "u1@10.0.0.1",
                "u2@10.0.0.1",
                "u3@10.0.0.1",
                "u4@10.0.0.1",
                "u5@10.0.0.1",
            ]
    finally:
        one.close()
        two.close()


def test_two_installs_with_their_own_training_keys_never_count_against_each_other(
    tmp_path: Path, daemons: Callable[[str], int], clients: Callable[..., LicenseClient]
) -> None:
    server = ("127.0.0.1", daemons("ls"))
    installs = [install(tmp_path / "alice-home"), install(tmp_path / "ci-home")]
    found = [load_key(instance.key_path) for instance in installs]
    assert found[0].file.order_number != found[1].file.order_number
    speakers = [
        clients(key, identity=instance_identity(instance.store))
        for key, instance in zip(found, installs, strict=True)
    ]
    # Ten IDs in all: on one shared key that would be a NAK, 10 units of 5 on 2 instances.
    for speaker, prefix in zip(speakers, ("alice", "ci"), strict=True):
        answer = speaker.send_update(server, users(prefix, 5))
        assert answer is not None
        assert (answer.status, answer.combined, answer.authorized, answer.instance_count) == (
            "ACK",
            5,
            5,
            1,
        )
    # The server serves both keys; each install is shown only the key it registered.
    assert [len(speaker.key_list(server) or []) for speaker in speakers] == [1, 1]
    for speaker in speakers:
        assert (speaker.summary(server) or {}).get("current") == 5


def test_an_instance_keeps_its_identity_across_restarts(cacheshell_home: Path) -> None:
    instance = install(cacheshell_home)
    identity = instance.store.get("identity")
    assert isinstance(identity, str) and len(identity) == 16
    before = InstanceClient(instance, load_key(instance.key_path), PERIOD).instance
    instance.stop()
    instance.start()
    after = InstanceClient(instance, load_key(instance.key_path), PERIOD).instance
    assert (after.identity, after.name) == (before.identity, before.name) == (identity, "CACHE")
    assert after.boot != before.boot
    # An instance created before identities existed gets one on first need, and keeps it.
    instance.store.put("identity", None)
    made = instance_identity(instance.store)
    assert made != identity and instance_identity(instance.store) == made


def test_a_restart_with_the_same_identity_replaces_the_old_boot(
    daemons: Callable[[str], int], clients: Callable[..., LicenseClient]
) -> None:
    server = ("127.0.0.1", daemons("ls"))
    first = clients(SHARED, identity="0123456789abcdef")
    assert first.send_update(server, users("old", 3)) is not None
    again = clients(SHARED, identity="0123456789abcdef")  # a new boot, the same instance
    answer = again.send_update(server, users("new", 1))
    assert answer is not None and (answer.combined, answer.instance_count) == (1, 1)
