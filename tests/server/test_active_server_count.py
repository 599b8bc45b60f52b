"""ActiveServerCount and ApplicationServerLogin connected to a real license server: the
instances the server's ActiveServerList shows with the active key's OrderNumber (S1
%SYSTEM.License.ActiveServerCount: "counts the number of instances using a license with the
same OrderNumber value as the active license key")."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from servers import PERIOD, Shell, eventually

from cacheshell.system import server_config
from cacheshell.system.cpf import Cpf
from cacheshell.system.instance import CPF_FILE
from cacheshell.system.layout import DEFAULT_INSTANCE, InstanceLayout

L = "$System.License."
COUNT = f'Set n={L}ActiveServerCount(.sc) Write n,"/",sc'


@pytest.mark.parametrize(
    ("servers_allowed", "answer"),
    [("1", "1/1"), ("2", "1/1"), ("0", "0/1")],  # (ApplicationServerLogin, its Status)
)
def test_counts_this_instance_once_the_server_knows_it(
    cacheshell_home: Path,
    daemons: Callable[[str], int],
    tmp_path: Path,
    servers_allowed: str,
    answer: str,
) -> None:
    port = daemons("ls1")
    shell = Shell(cacheshell_home)
    try:
        cpf = Cpf(InstanceLayout(cacheshell_home, DEFAULT_INSTANCE).mgr / CPF_FILE)
        cpf.set("config", "LicenseUpdatePeriod", str(PERIOD))
        cpf.save()
        server_config.create(cpf, "LS1", "127.0.0.1", port)
        shell.run('Set c=##class(Training.World).ConnectUser("ann","10.0.0.1")')
        eventually(lambda: shell.run(COUNT) == "1/1")
        app = tmp_path / "app.ini"
        app.write_text(f"[Dist]\nServers={servers_allowed}\n", encoding="utf-8")
        shell.run(f'Do {L}LoadAppLicenseFile("{app}","Dist")')
        code = f'Write {L}ApplicationServerLogin("Dist","Servers",.sc),"/",sc'
        assert shell.run(code) == answer
    finally:
        shell.close()
