"""A sample of the %SYSTEM.License members and the %SYS-only Config classes through the installed
console script, as `csession <instance> -U NS "code"` runs them (licensing chapter: the
Upgrade procedure uses `-U %SYS`)."""

from __future__ import annotations

import pytest
from conftest import run_cli

L = "$System.License."


@pytest.mark.parametrize(
    ("namespace", "code", "status", "stdout"),
    [
        ("USER", f"Write {L}MaxDB(),{L}NetworkEnabled(),{L}ProcAvailable()", 0, "000\n"),
        # This instance, counted by its default LOCAL license server.
        ("USER", f'Write {L}ActiveServerCount(.sc)," ",$System.Status.IsOK(sc)', 0, "1 1\n"),
        (
            "USER",
            'Do ##class(Config.config).Get(.p) Write p("LicenseUpdatePeriod")',
            1,
            '\nDO ##class(Config.config).Get(.p) Write p("LicenseUpdatePeriod")\n^\n'
            "<CLASS DOES NOT EXIST> *Config.config\n",
        ),
        ("%SYS", 'Do ##class(Config.config).Get(.p) Write p("LicenseUpdatePeriod")', 0, "15\n"),
    ],
)
def test_members_and_config_through_the_console_script(
    namespace: str, code: str, status: int, stdout: str
) -> None:
    proc = run_cli("-U", namespace, code)
    assert (proc.returncode, proc.stdout) == (status, stdout)
