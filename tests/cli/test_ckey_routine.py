"""^CKEY through the installed console script, as a user runs it.

The licensing chapter: "$System.License.CKEY displays the key. This subroutine is called by the
^CKEY program which is retained for compatibility." ^CKEY has no % in its name, so it lives in
the system database and runs from %SYS; from another namespace there is no such routine
(RERR_system, <NOROUTINE>).
"""

from __future__ import annotations

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
