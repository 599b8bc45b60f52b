"""Globals on an instance: kept in each namespace's database file, shared by every session and
kept after it ends; process-private globals are not."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from conftest import Terminal


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# (what the first session types, what the second types, what the second shows)
ACROSS_SESSIONS = [
    # A global is on disk, global to every process ("Globals", Caché Basic tutorial TBAS_Global).
    ('Set ^g(1)="kept",^g(2)=2.5', "ZWrite ^g", '^g(1)="kept"\n^g(2)=2.5\n'),
    ("Set ^g(1)=1 Kill ^g(1)", "Write $Data(^g(1))", "0"),
    # Percent globals are in CACHESYS, seen from every namespace (GORIENT_ch_enviro).
    ("Set ^%shared=7", 'ZN "%SYS" Write ^%shared', "7"),
    ('ZN "%SYS" Set ^sys=1', "Write $Data(^sys)", "0"),  # ^sys belongs to %SYS only
    # A process-private global is the process's alone (GGBL: process-private globals).
    ("Set ^||mine=1", "Write $Data(^||mine)", "0"),
    # Ending the process rolls its open transaction back (RCOS_ctstart; the Terminal's exit).
    ("Set ^t=1 TStart  Set ^t=2,^t(1)=1", "Write ^t,$Data(^t(1))", "10"),
    ("TStart  Set ^t=2 TCommit", "Write ^t", "2"),
    ("Write $Increment(^n),$Increment(^n)", "Write $Increment(^n)", "3"),
]


@pytest.mark.parametrize(
    ("first", "second", "shown"), ACROSS_SESSIONS, ids=[f for f, _, _ in ACROSS_SESSIONS]
)
def test_globals_outlive_the_session(first: str, second: str, shown: str) -> None:
    with Terminal() as one:
        one.run(first)
    with Terminal() as two:
        assert two.run(second) == shown


def test_a_write_by_another_session_is_seen_by_the_next_order(term: Terminal) -> None:
    term.run("For i=1:1:100 Set ^w(i*2)=i")
    assert term.run("Write $Order(^w(10))") == "12"  # a batch of ^w's subscripts is read ahead
    with Terminal() as other:
        other.run("Set ^w(11)=0 Kill ^w(12)")
    assert term.run("Write $Order(^w(10)),$Order(^w(13))") == "1114"


def test_the_databases_are_owner_only_files_apart_from_the_license_table(
    term: Terminal, cacheshell_home: Path
) -> None:
    term.run('Set ^u=1 ZN "%SYS" Set ^s=1')
    mgr = cacheshell_home / "CACHE" / "mgr"
    found = {
        str(p.relative_to(mgr)): (mode(p), mode(p.parent))
        for p in sorted(mgr.glob("*/CACHE.DAT*"))
        if not p.name.endswith(("-wal", "-shm"))
    }
    assert found == {
        "cachesys/CACHE.DAT": (0o600, 0o700),
        "cachesys/CACHE.DAT-gen": (0o600, 0o700),
        "user/CACHE.DAT": (0o600, 0o700),
        "user/CACHE.DAT-gen": (0o600, 0o700),
    }
    assert (mgr / "cache.db").exists()


def test_the_prompt_shows_the_transaction_level(term: Terminal) -> None:
    term.run("TStart  TStart")
    assert term.session.prompt == "TL2:USER>"
