"""Config.config on a running instance with a license server: a LicenseUpdatePeriod set through
ObjectScript applies at once (updates flow at the new rate, no restart), and restoring the
default is read back by Get. The instance starts at the defaults of a fresh install. The Config
classes are in %SYS only, as in Caché: the shell goes there first."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from servers import Shell, eventually, without_default

from cacheshell.system import server_config
from cacheshell.system.cpf import Cpf
from cacheshell.system.instance import CPF_FILE
from cacheshell.system.layout import DEFAULT_INSTANCE, InstanceLayout

SET_PERIOD = (
    'Kill p Set p("LicenseUpdatePeriod")={period} '
    "Set sc=##class(Config.config).Modify(.p) Write $System.Status.IsOK(sc)"
)


def test_a_period_set_through_config_config_applies_without_a_restart(
    cacheshell_home: Path, daemons: Callable[[str], int]
) -> None:
    port = daemons("ls1")
    shell = Shell(cacheshell_home)
    try:
        assert shell.run('ZNspace "%SYS"') == ""
        cpf = Cpf(InstanceLayout(cacheshell_home, DEFAULT_INSTANCE).mgr / CPF_FILE)
        assert cpf.get("config", "LicenseUpdatePeriod") == ""  # a fresh install's default: 15 s
        without_default(cpf)
        server_config.create(cpf, "LS1", "127.0.0.1", port)
        # A new license user changes the table: the monitor reports at once, so it finds LS1.
        shell.run('Set c=##class(Training.World).ConnectUser("ann","10.0.0.1")')
        eventually(lambda: shell.state("active_server") == f"LS1 127.0.0.1 {port}")

        assert shell.run(SET_PERIOD.format(period=".5")) == "1"
        start = int(str(shell.state("monitor_seq")))
        began = time.monotonic()
        eventually(lambda: int(str(shell.state("monitor_seq"))) >= start + 5, timeout=10)
        # Five updates at 0.5 s: about 2 s (at the old 15 s period it would take a minute).
        assert 1.5 <= time.monotonic() - began <= 4.0
        assert shell.state("active_server") == f"LS1 127.0.0.1 {port}"
        assert shell.state("nak") in (0, None)

        assert shell.run(SET_PERIOD.format(period=15)) == "1"
        assert (
            shell.run('Kill p Do ##class(Config.config).Get(.p) Write p("LicenseUpdatePeriod")')
            == "15"
        )
        # The change itself is announced by one update; then the 15 s period holds.
        time.sleep(0.5)
        settled = int(str(shell.state("monitor_seq")))
        time.sleep(1.5)  # three of the short periods: a real wait, nothing to poll for
        assert int(str(shell.state("monitor_seq"))) == settled
        assert Cpf(cpf.path).get("config", "LicenseUpdatePeriod") == "15"
    finally:
        shell.close()


def test_an_out_of_range_period_is_an_error_status_and_changes_nothing(
    cacheshell_home: Path,
) -> None:
    shell = Shell(cacheshell_home)
    try:
        assert shell.run('ZNspace "%SYS"') == ""
        out = shell.run(
            'Set p("LicenseUpdatePeriod")=0.1,p("gmheap")=1024 '
            "Set sc=##class(Config.config).Modify(.p) "
            "Write $System.Status.IsOK(sc),! Do $System.Status.DisplayError(sc) "
            "Kill p Do ##class(Config.config).Get(.p) "
            'Write !,p("LicenseUpdatePeriod")," ",p("gmheap")'
        )
        assert out == (
            "0\n\n"
            "ERROR #5001: LicenseUpdatePeriod=.1 is below the minimum of 0.2 seconds\n\n"
            "15 37568"
        )
    finally:
        shell.close()
