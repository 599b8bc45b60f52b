"""A process killed in the middle of activating a key leaves the old key active and valid."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date
from pathlib import Path

from cacheshell.system import authkey, keys, signing
from cacheshell.system.instance import Instance
from cacheshell.system.keyfile import render_key_file
from cacheshell.system.layout import InstanceLayout
from cacheshell.system.lifecycle import open_running

# The child activates a key but stops for good just before the rename that would publish it,
# the moment a crash does the most harm: the new file is complete but not yet in place.
CHILD = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from cacheshell.system.instance import Instance
    from cacheshell.system.layout import InstanceLayout

    def stall(src, dst):
        print("renaming", flush=True)
        time.sleep(120)

    os.replace = stall
    instance = Instance(InstanceLayout(Path(sys.argv[1]), "CACHE"))
    instance.activate(Path(sys.argv[2]))
""")


def test_killed_activation_keeps_the_old_key(cacheshell_home: Path, tmp_path: Path) -> None:
    layout = InstanceLayout(cacheshell_home, "CACHE")
    instance = open_running(layout, create_default=True)
    old_text = instance.key_path.read_text(encoding="utf-8")
    new_key = keys.issue_key(
        units=50,
        multi=True,
        expires=date(2099, 1, 1),
        customer="New Co",
        order_number=7,
        private_key=signing.training_private_key(),
        platform_code=authkey.current_platform_code(),
    )
    new_file = tmp_path / "new.key"
    new_file.write_text(render_key_file(new_key.file), encoding="utf-8")

    env = dict(os.environ)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(cacheshell_home), str(new_file)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        line = ""
        while time.monotonic() < deadline and "renaming" not in line:
            line = child.stdout.readline()
        assert "renaming" in line
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()

    assert instance.key_path.read_text(encoding="utf-8") == old_text
    reopened = Instance(layout)
    active = reopened.active_key()
    assert active is not None and active.units == 5
    assert reopened.key_status().status == "Valid"
    # The half-finished activation left only a temporary file beside the key...
    leftovers = [p.name for p in layout.mgr.iterdir() if p.name.endswith(".tmp")]
    assert len(leftovers) == 1 and leftovers[0].startswith(".cache.key.")
    # ...which the next start clears away, keeping the old key.
    reopened.stop()
    reopened.start()
    assert reopened.active_key().units == 5
    assert [p for p in layout.mgr.iterdir() if p.name.endswith(".tmp")] == []
