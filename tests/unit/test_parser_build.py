"""The grammar ships inside the installed package; its parse tables are built by Lark once per
grammar and kept in a per-user cache that is never stale, never fatal and never read from a place
another user may write to."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import marshal
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from cacheshell.lang import parse_cache
from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.grammar import full_text
from cacheshell.lang.lalr import LalrParser
from cacheshell.lang.lexer import Lexer
from cacheshell.lang.nodes import Token, Tree
from cacheshell.lang.parse_cache import cache_directory, cache_key, load_tables
from cacheshell.lang.parse_tables import ParseTables
from cacheshell.lang.parser import grammar_text, parse

# A grammar small enough to build in a few milliseconds.
TINY = 'start: NAME (_COMMA NAME)*\nNAME: /[a-z]+/\n_COMMA: ","\n'


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "cacheshell"


def _parses(tables: ParseTables) -> bool:
    """Whether the tables parse the tiny grammar's text as they should. (Lark numbers the states
    differently from one build to the next, so tables are compared by what they do.)"""
    tree = LalrParser(tables).parse(Lexer(tables).tokens("ab,c"))
    return tree == Tree("start", [Token("NAME", "ab"), Token("NAME", "c")])


def _entries(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.glob("tables-*.marshal"))


def test_the_grammar_file_is_inside_the_installed_package() -> None:
    packaged = resources.files("cacheshell") / "grammar" / "objectscript.lark"
    assert packaged.is_file()
    assert grammar_text() == packaged.read_text(encoding="utf-8")


def test_the_key_covers_what_words_py_adds_to_the_grammar() -> None:
    assert full_text().startswith(grammar_text().rstrip("\n"))
    assert cache_key(full_text()) != cache_key(grammar_text())


def test_a_changed_grammar_text_gets_a_new_entry(cache_home: Path) -> None:
    load_tables(TINY, ())
    load_tables(TINY.replace("[a-z]+", "[a-z0-9]+"), ())
    assert _entries(cache_home) == sorted(
        f"tables-{cache_key(text)}.marshal" for text in (TINY, TINY.replace("[a-z]+", "[a-z0-9]+"))
    )


def test_writing_an_entry_keeps_only_the_newest_and_removes_older_formats(
    cache_home: Path,
) -> None:
    cache_home.mkdir(mode=0o700)
    stale = []
    for age in range(parse_cache.KEPT + 2):  # entries of earlier grammars, oldest last
        entry = cache_home / f"tables-old{age}.marshal"
        entry.write_bytes(b"x")
        os.utime(entry, (1_000_000_000 - age, 1_000_000_000 - age))
        stale.append(entry.name)
    (cache_home / "grammar-5bf0fffe6fcdb872.lark-cache").write_bytes(b"a pickled parser")
    dead_writer = cache_home / ".tables-abc.tmp"
    dead_writer.write_bytes(b"half")
    os.utime(dead_writer, (1_000_000_000, 1_000_000_000))
    live_writer = cache_home / ".tables-def.tmp"
    live_writer.write_bytes(b"being written now")

    load_tables(TINY, ())

    newest = f"tables-{cache_key(TINY)}.marshal"
    assert _entries(cache_home) == sorted([newest, *stale[: parse_cache.KEPT - 1]])
    assert sorted(p.name for p in cache_home.iterdir() if not p.name.startswith("tables-")) == [
        ".tables-def.tmp"
    ]
    assert _parses(load_tables(TINY, ()))


def test_loading_an_entry_removes_nothing(cache_home: Path) -> None:
    load_tables(TINY, ())
    for n in range(parse_cache.KEPT + 1):
        (cache_home / f"tables-other{n}.marshal").write_bytes(b"x")
    before = _entries(cache_home)
    load_tables(TINY, ())  # read from the cache: nothing written, nothing pruned
    assert _entries(cache_home) == before
    assert len(before) == parse_cache.KEPT + 2


def test_another_lark_gets_a_new_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "__init__.py"
    other.write_text('__version__ = "9.9.9"\n')
    before = cache_key(TINY)
    monkeypatch.setattr(
        parse_cache.importlib.util,
        "find_spec",
        lambda name: type("Spec", (), {"origin": str(other)})(),
    )
    assert cache_key(TINY) != before


def test_the_terminals_the_post_lexer_keeps_name_another_entry() -> None:
    assert cache_key(TINY, ("NAME",)) != cache_key(TINY, ())


def test_an_entry_is_loaded_as_stored(cache_home: Path) -> None:
    built = load_tables(TINY, ())
    assert _parses(built)
    assert load_tables(TINY, ()) == built


def _sealed(data: bytes) -> bytes:
    """An entry as the cache writes one: the digest of its data, then the data."""
    return hashlib.sha256(data).digest() + data


def _data(entry: Path) -> bytes:
    return entry.read_bytes()[hashlib.sha256().digest_size :]


def _edited(data: bytes) -> bytes:
    """Tables of the same shape, which marshal still reads: the symbol list reversed."""
    tables = marshal.loads(data)
    tables[3] = tables[3][::-1]
    return marshal.dumps(tables)


@pytest.mark.parametrize(
    "damage",
    [
        lambda entry: entry[: len(entry) // 2],  # truncated
        lambda entry: b"",  # empty
        lambda entry: _sealed(marshal.dumps([1, 2, 3])),  # data, but not tables
        lambda entry: _sealed(marshal.dumps([[1], {}, {}, [], [], 0, 0, []])),  # wrong inside
        lambda entry: _sealed(b"\xff" + entry[33:]),  # not marshal's format
        lambda entry: entry[:32] + _edited(entry[32:]),  # edited: marshal reads it
        lambda entry: entry[:-1] + bytes([entry[-1] ^ 1]),  # one bit flipped
    ],
    ids=["truncated", "empty", "wrong-shape", "wrong-content", "not-marshal", "edited", "bit"],
)
def test_a_damaged_entry_is_rebuilt(cache_home: Path, damage) -> None:
    load_tables(TINY, ())
    (entry,) = cache_home.glob("tables-*.marshal")
    entry.write_bytes(damage(entry.read_bytes()))
    assert _parses(load_tables(TINY, ()))
    assert _parses(ParseTables.from_data(marshal.loads(_data(entry))))


def test_the_cache_directory_is_made_owner_only(cache_home: Path) -> None:
    load_tables(TINY, ())
    assert cache_home.stat().st_mode & 0o777 == 0o700
    (entry,) = cache_home.glob("tables-*.marshal")
    assert entry.stat().st_mode & 0o777 == 0o600


def test_a_directory_others_may_write_to_is_not_used(cache_home: Path) -> None:
    cache_home.mkdir(mode=0o777)
    cache_home.chmod(0o777)  # (the umask may have taken bits off)
    assert cache_directory() is None
    load_tables(TINY, ())
    assert _entries(cache_home) == []


def test_an_entry_others_may_write_to_is_not_loaded(cache_home: Path) -> None:
    load_tables(TINY, ())
    (entry,) = cache_home.glob("tables-*.marshal")
    planted = marshal.loads(_data(entry))
    planted[4] = [(0, []) for _ in planted[4]]  # tables that accept nothing
    entry.write_bytes(_sealed(marshal.dumps(planted)))
    entry.chmod(0o666)
    assert _parses(load_tables(TINY, ()))
    assert entry.stat().st_mode & 0o777 == 0o600  # replaced by the rebuilt entry


def test_an_unwritable_cache_place_is_no_error(tmp_path: Path, monkeypatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # a file where the directory would be
    assert cache_directory() is None
    assert _parses(load_tables(TINY, ()))


def test_a_process_that_parses_from_the_cache_does_not_import_lark(tmp_path: Path) -> None:
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path))
    code = (
        "import sys\nfrom cacheshell.lang.parser import parse\n"
        "parse('Set x=1 Write x,!')\nprint('lark' in sys.modules)"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        ).stdout
        for _ in range(2)
    ]
    assert runs == ["True\n", "False\n"]  # the first builds the tables with Lark


# parse() pauses the cyclic collector while it builds a tree; whatever the outcome, the collector
# is left as the caller had it.
@pytest.mark.parametrize(
    ("enabled", "source"),
    [(True, "Write 1"), (True, "Write (1"), (False, "Write 1"), (False, "Write (1")],
)
def test_a_parse_leaves_the_collector_as_it_found_it(enabled: bool, source: str) -> None:
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        with contextlib.suppress(ObjectScriptError):
            parse(source)
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
