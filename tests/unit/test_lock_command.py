"""LOCK: which locks block which, counts, release, $TEST and timeouts, through two Sessions of
one instance in this process (each a process of the instance), and the language alone on the
bare host.

Sources, cited beside the cases:
- OSR: Caché ObjectScript Reference, LOCK, pp. 94-100 of the copy at
  https://www.yumpu.com/en/document/view/43134120/cache-objectscript-reference-intersystems-documentation/94
- TCOS: https://docs.intersystems.com/latest/csp/docbook/DocBook.UI.Page.cls?KEY=TCOS_Lock2
- TIMEOUT: https://docs.intersystems.com/irislatest/csp/docbook/DocBook.UI.Page.cls?KEY=RCOS_clock_timeout
- NAMESPACES: https://irisdocs.intersystems.com/irislatest/csp/docbook/DocBook.UI.Page.cls?KEY=GORIENT_locks_namespaces
"""

from __future__ import annotations

import pytest
from conftest import BareTerminal, Terminal

# (what the first process locks, what the second asks for with :0, its $TEST)
CONFLICTS = [
    ("^G(1)", "^G(1)", "0"),  # the same node (TCOS)
    ("^G(1)", "^G", "0"),  # an ancestor of a locked node (TCOS)
    ("^G(1)", "^G(1,2)", "0"),  # a descendant of a locked node (TCOS)
    ("^G(1)", "^G(2)", "1"),  # a sibling (TCOS)
    ("^G", "^G(1)", "0"),  # under a locked global (TCOS: descendants)
    ("^G(1)", "^G(1.0)", "0"),  # 1.0 is the subscript 1, as a global's subscript is
    ("^G(1)", '^G("1")', "0"),  # "1" is canonical: the same subscript
    ("^G(1)", '^G("01")', "1"),  # "01" is a string, not 1
    ("^G", "^g", "1"),  # lock names are case sensitive (OSR p. 96)
    ("^G", "^H", "1"),  # another name
    ("x", "x", "0"),  # a local lock name is seen by other processes (OSR p. 96)
    ("x", "^x", "1"),  # a and ^a are different lock names (OSR p. 96)
    ("x(1)", "x", "0"),  # local names have nodes as globals do (OSR p. 96)
    ('^G#"S"', '^G#"S"', "1"),  # shared locks coexist (TCOS)
    ('^G#"S"', "^G", "0"),  # a shared lock prevents an exclusive one (TCOS)
    ("^G", '^G#"s"', "0"),  # an exclusive lock prevents a shared one; either case (TCOS)
    ('^G(1)#"S"', "^G", "0"),  # ... on an ancestor too (TCOS)
    ("(^A,^B(1))", "^B", "0"),  # a list takes every name (OSR p. 94)
]


@pytest.mark.parametrize(("held", "wanted", "test"), CONFLICTS)
def test_a_lock_blocks_another_process(held: str, wanted: str, test: str) -> None:
    with Terminal() as first, Terminal() as second:
        first.run(f"Lock +{held}")
        assert second.run(f"Lock +{wanted}:0 Write $Test") == test


# (what the first process runs, what the second then asks for with :0, its $TEST)
SEQUENCES = [
    # Incremental locks are counted: taken twice, one - leaves one (OSR p. 99).
    ("Lock +^G,+^G Lock -^G", "^G", "0"),
    ("Lock +^G,+^G Lock -^G,-^G", "^G", "1"),
    # A simple lock first gives back every lock the process held (OSR p. 98).
    ("Lock ^G Lock ^H", "^G", "1"),
    ("Lock ^G Lock ^H", "^H", "0"),
    # Lock without an argument gives back all, with every count (OSR p. 94).
    ('Lock +^G,+^G,+^H#"S" Lock', "(^G,^H)", "1"),
    # Exclusive and shared counts are apart: -^G leaves the shared one (OSR pp. 99-100).
    ('Lock +^G,+^G#"S" Lock -^G', '^G#"S"', "1"),
    ('Lock +^G,+^G#"S" Lock -^G', "^G", "0"),
    # A - on a name not held does nothing (OSR p. 100).
    ("Lock +^G Lock -^H", "^G", "0"),
    # A process never blocks itself: it may lock the ancestor of its own lock (TCOS, OSR).
    ("Lock +^G(1),+^G:0 Lock -^G(1)", "^G", "0"),
    # HALT ends the process, and its locks with it (OSR p. 94).
    ("Lock +^G Halt", "^G", "1"),
    # A postconditional that is false runs nothing (OSR p. 95).
    ("Lock:0 +^G", "^G", "1"),
]


@pytest.mark.parametrize(("first_runs", "wanted", "test"), SEQUENCES)
def test_counts_and_release(first_runs: str, wanted: str, test: str) -> None:
    with Terminal() as first, Terminal() as second:
        first.run(first_runs)
        assert second.run(f"Lock +{wanted}:0 Write $Test") == test


def test_a_list_is_taken_all_or_none() -> None:
    # The list times out as a whole and takes none of its names (OSR p. 98).
    with Terminal() as first, Terminal() as second:
        first.run("Lock +^B")
        second.run("Lock +(^A,^B):0")
        assert first.run("Lock +^A:0 Write $Test") == "1"


def test_a_global_lock_name_is_per_database() -> None:
    # A lock on a global applies to the namespaces that use its database (NAMESPACES): USER
    # and %SYS each have their own.
    with Terminal() as first, Terminal(namespace="%SYS") as second:
        first.run("Lock +^G")
        assert second.run("Lock +^G:0 Write $Test") == "1"


# (what a USER process locks, what a %SYS process asks for with :0, its $TEST)
ACROSS_NAMESPACES = [
    # A percent global lives in the system database whatever the namespace (GORIENT_ch_enviro:
    # ^% globals map to CACHESYS), so its lock name is one for every namespace (NAMESPACES).
    ("^%G(1)", "^%G(1)", "0"),
    ("^%G", "^%G(2)", "0"),
    ("^%G(1)", "^%G(2)", "1"),
    # A process-private global is in no namespace: its lock name is one for the instance.
    ("^||P(1)", "^||P(1)", "0"),
    ("^||P(1)", "^P(1)", "1"),  # ^||P and ^P are different names
]


@pytest.mark.parametrize(("held", "wanted", "test"), ACROSS_NAMESPACES)
def test_lock_names_seen_from_another_namespace(held: str, wanted: str, test: str) -> None:
    with Terminal() as first, Terminal(namespace="%SYS") as second:
        first.run(f"Lock +{held}")
        assert second.run(f"Lock +{wanted}:0 Write $Test") == test


def test_a_naked_reference_names_the_lock_after_the_last_global() -> None:
    # ^(2) after a reference to ^G(1) is ^G(2) (ISO M naked indicator; RCOS_vzreference).
    with Terminal() as first, Terminal() as second:
        first.run("Set ^G(1)=1,x=^G(1) Lock +^(2)")
        assert second.run("Lock +^G(2):0 Write $Test") == "0"
        assert second.run("Lock +^G(1):0 Write $Test") == "1"


def test_a_local_lock_name_applies_across_namespaces() -> None:
    # "It applies only to that machine, but does apply across namespaces" (OSR p. 96).
    with Terminal() as first, Terminal(namespace="%SYS") as second:
        first.run("Lock +x")
        assert second.run("Lock +x:0 Write $Test") == "0"


def test_closing_a_session_gives_its_locks_back() -> None:
    with Terminal() as second:
        with Terminal() as first:
            first.run("Lock +^G(1)")
        assert second.run("Lock +^G:0 Write $Test") == "1"


def test_a_jobbed_child_is_a_process_of_its_own(term: Terminal) -> None:
    # The parent's lock blocks the child.
    term.routine("R", "child Lock +^G:0 Set ^T=$Test Quit\n")
    term.run("Lock +^G Job child^R")
    assert term.run("Write ^T") == "0"


def test_a_jobbed_childs_locks_end_with_it() -> None:
    with Terminal() as first, Terminal() as second:
        first.routine("R", "child Lock +^K Quit\n")
        first.run("Job child^R")
        assert second.run("Lock +^K:0 Write $Test") == "1"


def test_a_timed_lock_on_a_simulated_clock_returns_at_once() -> None:
    # The wait moves the simulated clock past the timeout, as a Hang does, instead of waiting.
    with Terminal() as first, Terminal() as second:
        clock = first.session.instance.clock
        clock.simulate(1_000_000.0)
        first.run("Lock +^G")
        second.run("Lock +^G:5")
        assert clock.now() == 1_000_005.0


def test_the_timeout_counts_whole_seconds() -> None:
    # Caché cuts a fraction of a LOCK timeout off (the Caché reference's LOCK page, as
    # translated in https://juejin.cn/post/6850418118792724493: "小数秒被截断为整数部分").
    with Terminal() as first, Terminal() as second:
        clock = first.session.instance.clock
        clock.simulate(1_000_000.0)
        first.run("Lock +^G")
        second.run("Lock +^G:2.9")
        assert clock.now() == 1_000_002.0


# The language alone: (input, what the terminal shows).
BARE = [
    # L is LOCK's abbreviation (OSR table of abbreviations).
    ('L +^G(1) W "ok"', "ok"),
    # A lock without a timeout leaves $TEST alone (TIMEOUT).
    ("Set $Test=0 Lock +^G Write $Test", "0"),
    # With one, $TEST says whether the lock was taken (TIMEOUT).
    ("Set $Test=0 Lock +^G:0 Write $Test", "1"),
    # Lock types are S, E, I and D (OSR p. 95); any other letter is no lock type.
    ('Lock +^G#"Z"', '\nLOCK +^G#"Z"\n^\n<SYNTAX>\n'),
    # Lock escalation is not modelled: it says so rather than pretending.
    ('Lock +^G#"E"', '\nLOCK +^G#"E"\n^\n<UNIMPLEMENTED>\n'),
    # Subscripts are evaluated as a global reference's are.
    ('Lock +^G("")', '\nLOCK +^G("")\n^\n<SUBSCRIPT>\n'),
    ("Lock +^G(x)", "\nLOCK +^G(x)\n^\n<UNDEFINED> *x\n"),
    # A child started by JOB is another process: the parent's lock blocks it.
    ("Lock +^G Job child^R Write ^T", "0"),
    # ... and its HALT ends it, not the parent.
    ('Job halt^R Write "still here"', "still here"),
]


@pytest.mark.parametrize(("code", "shown"), BARE)
def test_lock_on_the_bare_host(bare_term: BareTerminal, code: str, shown: str) -> None:
    bare_term.routine("R", "child Lock +^G:0 Set ^T=$Test Quit\nhalt Halt\n")
    assert bare_term.run(code) == shown
