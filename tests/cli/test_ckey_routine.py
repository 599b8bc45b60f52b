"""^CKEY through the installed console script, as a user runs it.

The licensing chapter: "$System.License.CKEY displays the key. This subroutine is called by the
^CKEY program which is retained for compatibility." ^CKEY has no % in its name, so it lives in
the system database and runs from %SYS; from another namespace there is no such routine
(RERR_system, <NOROUTINE>).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli


def test_ckey_program_shows_what_the_class_method_shows() -> None:
    method = run_cli("-U", "%SYS", "Do $System.License.CKEY()")
    program = run_cli("-U", "%SYS", "Do ^CKEY")
    assert (program.returncode, program.stderr) == (0, "")
    assert "\nCache Key display:\n" in method.stdout
    assert program.stdout == method.stdout


def test_ckey_program_is_not_in_user() -> None:
    done = run_cli("Do ^CKEY")
    assert (done.returncode, done.stdout + done.stderr) == (
        1,
        "\nDO ^CKEY\n^\n<NOROUTINE> *CKEY\n",
    )


def test_ckey_program_source_reads_with_text() -> None:
    done = run_cli("-U", "%SYS", "Write $TEXT(+0^CKEY),!,$TEXT(+3^CKEY)")
    assert done.stdout == "CKEY\n Do $System.License.CKEY()\n"


# The %SYSTEM.License class reference names the utility label each report method is "the same
# as" (ShowServer^%SYS.LICENSE, counts^%SYS.LICENSE, CKEY^%SYS.LICENSE, ...); a % routine is seen
# from every namespace.
@pytest.mark.parametrize(
    ("label", "method"),
    [
        ("CKEY", "CKEY()"),
        ("ShowServer", "ShowServer()"),
        ("counts", "ShowCounts()"),
    ],
)
def test_the_license_utility_labels_show_what_their_methods_show(label: str, method: str) -> None:
    by_method = run_cli("-U", "USER", f"Do $System.License.{method}")
    by_label = run_cli("-U", "USER", f"Do {label}^%SYS.LICENSE")
    assert (by_label.returncode, by_label.stderr) == (0, "")
    assert by_label.stdout == by_method.stdout != ""


def test_the_license_utility_dump_label_writes_the_dump(cacheshell_home: Path) -> None:
    done = run_cli("-U", "USER", 'Do ldumpinuse^%SYS.LICENSE("inuse.dmp")')
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    dump = cacheshell_home / "CACHE" / "mgr" / "user" / "inuse.dmp"
    assert dump.read_text(encoding="utf-8").startswith("License Capacity = 5, Current use = 1")
