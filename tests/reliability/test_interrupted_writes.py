"""Every writer of an instance's files writes through one temporary file and a rename: a crash
just before the rename leaves the old file in place and a temporary file that the next start of
the instance clears away."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cacheshell.system.layout import InstanceLayout
from cacheshell.system.lifecycle import open_running

# The child does one write and dies where the rename would publish it.
CHILD = textwrap.dedent("""
    import logging, os, sys
    from datetime import date
    from pathlib import Path
    from cacheshell.system import authkey, keys, signing
    from cacheshell.system.instance import Instance
    from cacheshell.system.keyfile import render_key_file
    from cacheshell.system.layout import InstanceLayout
    from cacheshell.system.monitor import server_directory
    from cacheshell.system.namespaces import Namespaces
    from cacheshell.system.licserver import protocol
    from cacheshell.system.licserver.server import LicenseServer

    os.replace = lambda src, dst: os._exit(3)
    instance = Instance(InstanceLayout(Path(sys.argv[1]), "CACHE"))
    writer = sys.argv[2]
    if writer == "key":
        instance.activate(instance.key_path)
    elif writer == "cpf":
        cpf = instance.cpf()
        cpf.set("config", "LicenseUpdatePeriod", "5")
        cpf.save()
    elif writer == "routine":
        Namespaces(instance.layout).save_routine("USER", "Hello", "Hello\\n quit\\n")
    elif writer == "dump":
        key = keys.issue_key(
            units=5,
            multi=True,
            expires=date(2099, 1, 1),
            customer="Dump Co",
            order_number=1,
            private_key=signing.training_private_key(),
            platform_code=authkey.current_platform_code(),
        )
        directory = server_directory(instance)
        directory.mkdir(exist_ok=True)  # as the daemon makes it (the default LOCAL may have)
        server = LicenseServer(directory, 1.0, logging.getLogger("dump"), secret=bytes(32))
        me = protocol.InstanceId(
            "127.0.0.1", "CACHE", protocol.new_boot_id(), protocol.new_identity()
        )
        kid, keys, epoch = protocol.key_id(key), server.keys, server.epoch
        text = render_key_file(key.file)
        server.handle(protocol.encode(protocol.KeyRegistration(kid, 1, me, text), keys, epoch))
        server.handle(protocol.encode(protocol.Query(kid, 2, me, "dumpservers"), keys, epoch))
    sys.exit(0)
""")

# writer: the file it writes, relative to mgr/
TARGETS = {
    "key": "cache.key",
    "cpf": "cache.cpf",
    "routine": "user/routines/Hello.mac",
    "dump": "licenseserver/dumpservers.txt",
}


def leftovers(mgr: Path) -> list[str]:
    return sorted(str(path.relative_to(mgr)) for path in mgr.rglob("*.tmp"))


@pytest.mark.parametrize("writer", list(TARGETS))
def test_a_crash_before_the_rename_keeps_the_old_file_and_start_clears_the_rest(
    cacheshell_home: Path, writer: str
) -> None:
    layout = InstanceLayout(cacheshell_home, "CACHE")
    instance = open_running(layout, create_default=True)
    target = layout.mgr / TARGETS[writer]
    before = target.read_bytes() if target.exists() else None

    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(cacheshell_home), writer],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, errors = child.communicate(timeout=60)
    assert child.returncode == 3, errors

    temporary = Path(TARGETS[writer]).with_name(f".{target.name}.{child.pid}.tmp")
    assert leftovers(layout.mgr) == [str(temporary)]
    assert (target.read_bytes() if target.exists() else None) == before
    instance.stop()
    instance.start()
    assert leftovers(layout.mgr) == []
    assert (target.read_bytes() if target.exists() else None) == before
