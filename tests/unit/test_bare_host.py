"""The bare interpreter host keeps routines in memory, as an instance keeps them in its
databases: a routine saved again runs its new text, and percent routines live in %SYS."""

from __future__ import annotations

import pytest
from conftest import BareTerminal


def test_a_routine_saved_again_runs_its_new_text(bare_term: BareTerminal) -> None:
    bare_term.routine("v", 'v Write "one"\n Quit\n')
    first = bare_term.run("Do ^v")
    bare_term.routine("v", 'v Write "two"\n Quit\n')
    assert (first, bare_term.run("Do ^v")) == ("one", "two")


def test_a_percent_routine_is_seen_from_every_namespace(bare_term: BareTerminal) -> None:
    bare_term.routine("%v", "v Write $NAMESPACE\n Quit\n", namespace="USER")
    bare_term.run('ZN "%SYS"')
    assert bare_term.run("Do v^%v") == "%SYS"


def test_a_routine_belongs_to_its_namespace(bare_term: BareTerminal) -> None:
    bare_term.routine("v", 'v Write "user"\n Quit\n', namespace="USER")
    bare_term.run('ZN "%SYS"')
    assert bare_term.run("Do ^v") == "\nDO ^v\n^\n<NOROUTINE> *v\n"


# The licensing classes need an instance: on the bare host (the language alone) a call ends in
# <PROTECT>, as the classes find no session to work on.
@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "Write $System.License.LUConsumed()",
            "\nWRITE $System.License.LUConsumed()\n^\n<PROTECT> *no instance\n",
        ),
        (
            "Do $SYSTEM.License.ShowCounts()",
            "\nDO $SYSTEM.License.ShowCounts()\n^\n<PROTECT> *no instance\n",
        ),
        (
            "Write ##class(%SYSTEM.License).KeyCustomerName()",
            "\nWRITE ##class(%SYSTEM.License).KeyCustomerName()\n^\n<PROTECT> *no instance\n",
        ),
    ],
)
def test_a_licensing_class_on_the_bare_host_is_protected(
    bare_term: BareTerminal, line: str, expected: str
) -> None:
    assert bare_term.run(line) == expected
