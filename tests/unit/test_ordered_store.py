"""The database file under globals: ordered keys, the undo journal of open transactions, and
the version readers cache by."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cacheshell.system.ordered_store import OrderedStore

DEAD_OWNER = "999999999:1"  # beyond any PID the kernel hands out


@pytest.fixture
def database(tmp_path: Path) -> Iterator[OrderedStore]:
    store = OrderedStore(tmp_path / "db" / "CACHE.DAT")
    yield store
    store.close()


def test_keys_come_in_byte_order_within_a_range(database: OrderedStore) -> None:
    database.put_many([(b"b", 2), (b"a", 1), (b"c", "three"), (b"ab", b"\x00")], journal=False)
    assert database.keys(b"a", b"c", 10) == [b"a", b"ab", b"b"]
    assert database.keys(b"a", b"c", 2) == [b"a", b"ab"]
    assert database.last_key(b"a", b"c") == b"b"
    assert database.items(b"b", b"\xff") == [(b"b", 2), (b"c", "three")]


def test_a_rollback_undoes_journalled_writes_newest_first(database: OrderedStore) -> None:
    database.put(b"k", 1, journal=False)
    database.put(b"k", 2, journal=True)
    mark = database.journal_length()
    database.put(b"k", 3, journal=True)
    database.delete(b"k", b"l", journal=True)
    database.put(b"new", 4, journal=True)
    database.roll_back(mark)
    assert (database.get(b"k"), database.get(b"new")) == (2, None)
    database.roll_back(0)
    assert database.get(b"k") == 1


def test_the_open_transaction_of_an_ended_process_is_rolled_back_on_open(tmp_path: Path) -> None:
    path = tmp_path / "db" / "CACHE.DAT"
    writer = OrderedStore(path)
    writer.put(b"k", "before", journal=False)
    writer.owner = DEAD_OWNER  # as if written by a process that has since died
    writer.put(b"k", "during", journal=True)
    writer.put(b"other", "during", journal=True)
    writer.close()
    reader = OrderedStore(path)
    assert (reader.get(b"k"), reader.get(b"other")) == ("before", None)
    reader.close()


def test_the_version_changes_with_every_write_and_is_even_between(database: OrderedStore) -> None:
    before = database.version()
    database.put(b"k", 1, journal=False)
    after = database.version()
    assert before is not None and after is not None
    assert (after - before, after % 2) == (2, 0)


def test_a_writer_killed_mid_write_leaves_no_version_to_cache_by(database: OrderedStore) -> None:
    # What a writer leaves when it dies between making the counter odd and even again.
    database._counter[0:8] = (7).to_bytes(8, "little")
    assert database.version() is None
    database.put(b"k", 1, journal=False)
    assert database.version() == 10
