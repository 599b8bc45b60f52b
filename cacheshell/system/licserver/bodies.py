"""The JSON bodies of the license server's datagrams (protocol.py frames them): each message
written as a compact object with one-letter fields, and each kind's object read back and
checked field by field into its message, with the limits of those fields. The format is
protocol.py's docstring."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from cacheshell.system.key_content import canonical_content
from cacheshell.system.keyfile import KeyFileError
from cacheshell.system.keys import LicenseKey, read_key
from cacheshell.system.licserver.messages import (
    STATUSES,
    Answer,
    EpochNotice,
    Goodbye,
    InstanceId,
    KeyRegistration,
    Kind,
    Message,
    NeedKey,
    Ping,
    Pong,
    Query,
    Reply,
    Update,
    UserUse,
)

MAX_DATAGRAM = 1400
MAX_SEQ = 2**64 - 1
MAX_TEXT = 128  # user ids (Caché caps them at 64), host addresses, instance names
MAX_APPS = 512  # the application features of one user row ("AppName,Feature;...")
MAX_PARTS = 255
_MAX_COUNT = 2**31 - 1


def key_id(key: LicenseKey) -> bytes:
    """What names a key on the wire: it is its content, so equal keys share one pool."""
    return hashlib.sha256(canonical_content(key.file)).digest()


# One encoder for every datagram: json.dumps() with options would build a new one each call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def json_bytes(value: Any) -> bytes:
    return _ENCODER.encode(value).encode()


# An ANSWER body, fields in this order: i, s, u, a, m, n, w, l (answer_body fills it).
_ANSWER_BODY = b'{"i":%s,"s":%s,"u":%d,"a":%d,"m":%d,"n":%d,"w":%s,"l":%s}'
_STATUS_JSON = {status: json_bytes(status) for status in STATUSES}


@functools.lru_cache(maxsize=256)
def _listed(instances: tuple[tuple[str, str], ...]) -> bytes:
    return json_bytes([list(pair) for pair in instances])


def answer_body(
    who: InstanceId,
    counts: tuple[str, int, int, int, int],
    instances: tuple[tuple[str, str], ...],
    reason: str,
) -> bytes:
    """An ANSWER body without a message object or a dict (the server's hot path): the very
    bytes json_bytes(body_of(answer)) makes."""
    status, combined, authorized, maximum, count = counts
    return _ANSWER_BODY % (
        json_bytes([who.host, who.name, who.boot, who.identity]),
        _STATUS_JSON.get(status) or json_bytes(status),
        combined,
        authorized,
        maximum,
        count,
        json_bytes(reason) if reason else b'""',
        # The answers about a key list the same instances again and again: encode that once.
        _listed(instances),
    )


def row_of(use: UserUse) -> list[Any]:
    """A user row on the wire: the application cell only when the ID holds any."""
    if use.apps:
        return [use.user, use.units, use.connections, use.apps]
    return [use.user, use.units, use.connections]


def body_of(msg: Message) -> dict[str, Any]:
    if isinstance(msg, Ping):
        return {"n": msg.nonce, "a": msg.instance} if msg.instance else {"n": msg.nonce}
    if isinstance(msg, Pong):
        return {"n": msg.nonce, "v": msg.version}
    if isinstance(msg, NeedKey):
        return {}
    who = msg.instance
    out: dict[str, Any] = {"i": [who.host, who.name, who.boot, who.identity]}
    if isinstance(msg, Goodbye | EpochNotice):
        return out  # who is leaving (or whose request was stale) is all they say
    if isinstance(msg, KeyRegistration):
        out["k"] = msg.key_text
    elif isinstance(msg, Update):
        out.update(
            p=[msg.part, msg.parts],
            f=int(msg.full),
            b=msg.base,
            t=msg.period,
            u=msg.units,
            c=msg.connections,
            r=[row_of(use) for use in msg.users],
            x=list(msg.removed),
        )
    elif isinstance(msg, Answer):
        # encode_answer writes these fields, and "l", without this dict: the hot path.
        out.update(
            s=msg.status,
            u=msg.combined,
            a=msg.authorized,
            m=msg.maximum,
            n=msg.instance_count,
            w=msg.reason,
            l=[list(pair) for pair in msg.instances],
        )
    elif isinstance(msg, Query):
        out.update(q=msg.report, o=msg.offset)
    else:
        out.update(
            q=msg.report,
            o=msg.offset,
            e=msg.next_offset,
            t=msg.total,
            r=[list(row) for row in msg.rows],
            v=dict(msg.values),
        )
    return out


# Field checks: JSON gives loose types (true is an int in Python); the wire must be exact.


def _text(value: Any, limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise ValueError("expected a short string")
    return value


def _count(value: Any, high: int = _MAX_COUNT) -> int:
    if type(value) is not int or not 0 <= value <= high:
        raise ValueError("expected a count")
    return value


def _hex16(value: Any) -> str:
    if not isinstance(value, str) or len(value) != 16 or value.strip("0123456789abcdef"):
        raise ValueError("expected 16 hex digits")
    return value


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError("expected a list")
    return value


def _instance(body: dict[str, Any]) -> InstanceId:
    # Exactly four cells. A three-cell "i" (no identity) is not taken with an empty identity:
    # only a version 1 sender writes one, and its header is dropped before the body is read;
    # in version 2 it is malformed, and taking it would let every such sender of one name on
    # a host pass for the same instance again.
    host, name, boot, identity = _list(body["i"])
    return InstanceId(_text(host), _text(name), _hex16(boot), _hex16(identity))


def _scalar(value: Any) -> str | int:
    if isinstance(value, str) or type(value) is int:
        return value
    raise ValueError("expected a string or an integer")


def _user_rows(rows: list[Any]) -> tuple[UserUse, ...]:
    """The rows of an update, checked: the hot loop of the server. One pass with the checks
    inline and each UserUse made in C (a column-wise check costs more below ~50 rows, and a
    datagram carries at most ~45)."""
    made: list[UserUse] = []
    keep = made.append
    for row in rows:
        if type(row) is not list:
            raise ValueError(_BAD_ROW)
        cells = len(row)
        if cells == 3:
            user, units, connections = row
            apps = ""
        elif cells == 4:
            user, units, connections, apps = row
            if type(apps) is not str or len(apps) > MAX_APPS:
                raise ValueError(_BAD_ROW)
        else:
            raise ValueError(_BAD_ROW)
        if (
            type(user) is not str
            or len(user) > MAX_TEXT
            or type(units) is not int
            or type(connections) is not int
            or not 0 <= units <= _MAX_COUNT
            or not 0 <= connections <= _MAX_COUNT
        ):
            raise ValueError(_BAD_ROW)
        keep(_new_use((user, units, connections, apps)))
    return tuple(made)


_BAD_ROW = "expected [user id, units, connections(, apps)]"
# A UserUse of 4 checked cells, made in C without the Python __new__ of a named tuple.
_new_use = functools.partial(tuple.__new__, UserUse)


def _decode_key(key: bytes, seq: int, body: dict[str, Any]) -> KeyRegistration:
    text = _text(body["k"], MAX_DATAGRAM)
    try:
        license_key = read_key(text)
    except KeyFileError as exc:
        raise ValueError(f"no readable key: {exc.reason}") from None
    if key_id(license_key) != key:
        raise ValueError("the key does not match its key id")
    return KeyRegistration(key, seq, _instance(body), text)


def _decode_update(key: bytes, seq: int, body: dict[str, Any]) -> Update:
    part, parts = _list(body["p"])
    if not 0 <= _count(part) < _count(parts, MAX_PARTS):
        raise ValueError("part out of range")
    period = body["t"]
    if type(period) not in (int, float) or not 0.01 <= period <= 86400:
        raise ValueError("period out of range")
    full = _count(body["f"], 1) == 1
    users = _user_rows(_list(body["r"]))
    removed = tuple(_text(user) for user in _list(body["x"]))
    if full and removed:
        raise ValueError("a full update removes nothing")
    return Update(
        key,
        seq,
        _instance(body),
        full,
        _count(body["b"], MAX_SEQ),
        float(period),
        _count(body["u"]),
        _count(body["c"]),
        users,
        removed,
        part,
        parts,
    )


def _decode_answer(key: bytes, seq: int, body: dict[str, Any]) -> Answer:
    status = body["s"]
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    listed = tuple((_text(address), _text(name)) for address, name in map(_list, _list(body["l"])))
    return Answer(
        key,
        seq,
        _instance(body),
        status,
        _count(body["u"]),
        _count(body["a"]),
        _count(body["m"]),
        _count(body["n"]),
        listed,
        _text(body["w"], 512),
    )


def _decode_query(key: bytes, seq: int, body: dict[str, Any]) -> Query:
    return Query(key, seq, _instance(body), _text(body["q"], 32), _count(body["o"]))


def _decode_goodbye(key: bytes, seq: int, body: dict[str, Any]) -> Goodbye:
    return Goodbye(key, seq, _instance(body))


def _decode_reply(key: bytes, seq: int, body: dict[str, Any]) -> Reply:
    following = body["e"]
    values = body["v"]
    if not isinstance(values, dict):
        raise ValueError("values are not an object")
    return Reply(
        key,
        seq,
        _instance(body),
        _text(body["q"], 32),
        _count(body["o"]),
        None if following is None else _count(following),
        _count(body["t"]),
        tuple(tuple(_scalar(cell) for cell in _list(row)) for row in _list(body["r"])),
        tuple((_text(name), _scalar(value)) for name, value in values.items()),
    )


DECODERS: dict[Kind, Callable[[bytes, int, dict[str, Any]], Message]] = {
    Kind.KEY: _decode_key,
    Kind.UPDATE: _decode_update,
    Kind.ANSWER: _decode_answer,
    Kind.QUERY: _decode_query,
    Kind.REPLY: _decode_reply,
    Kind.GOODBYE: _decode_goodbye,
    Kind.PING: lambda _key, _seq, body: Ping(_hex16(body["n"]), _text(body.get("a", ""))),
    Kind.PONG: lambda _key, _seq, body: Pong(_hex16(body["n"]), _text(body["v"], 32)),
    Kind.NEEDKEY: lambda key, seq, _body: NeedKey(key, seq),
    Kind.EPOCH: lambda key, seq, body: EpochNotice(key, seq, _instance(body)),
}
