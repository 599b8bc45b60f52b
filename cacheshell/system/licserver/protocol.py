"""Versioned, authenticated datagrams between instances and the license server.

Wire format, version 3. Every datagram is

    offset  size  field
    0       4     magic b"CSLS"
    4       1     version (3)
    5       1     kind (see Kind)
    6       8     epoch: drawn at random by the server at each start (zeros when unknown)
    14      32    key id: SHA-256 of the key's canonical content (zeros for PING and PONG)
    46      8     sequence number, unsigned big-endian
    54      n     body: a compact UTF-8 JSON object with one-letter fields (below); for KEY and
                  REPLY a 12-byte nonce and that JSON sealed with ChaCha20-Poly1305
    54+n    32    HMAC-SHA256 of bytes 0..54+n under the MAC key

and is at most MAX_DATAGRAM bytes, so it crosses an Ethernet path without IP fragmentation (a
lost fragment would lose the whole datagram).

Both keys come from the license domain secret (domain_secret.py: 32 random bytes in an
owner-only file, copied by the administrator to every host of the domain, never on the wire)
through HKDF-SHA256 with one label each: a MAC key that authenticates every datagram of every
kind, and a sealing key that hides KEY bodies (the key file) and REPLY bodies (user IDs,
customer names). Reading cache.key, or minting keys with the training issuer, gives nothing that
makes an accepted datagram.

The epoch is the server's: a request of another epoch (sent before the server restarted, or
captured on the way to another server) is refused as stale and answered with an EPOCH notice in
the server's epoch, which the client adopts before it registers and reports again in full. The
client accepts an answer only in the epoch it sent, with the sequence number it waits for; within
an epoch the sequence numbers refuse replays.

Version 3 made the secret the domain's (version 2 derived it from the key, which every reader of
the key file could) and added the epoch; each side drops (and counts) the other version's
datagrams rather than misreading them.

Bodies ("i" is always [host address, instance name, boot id, identity]; the identity, 16 hex
digits made when the instance was created, tells apart two instances of one name on one host):
  KEY      i, k: the key file text, sealed. Registers the key for the sending instance boot; the
           server checks that it matches the key id, its issuer's signature and Multiserver.
  UPDATE   i, p: [part, parts], f: 1 full / 0 delta, b: base sequence of a delta, t: the
           sender's update period (s), u/c: the instance's total units/connections after this
           update, r: [[user id, units, connections(, apps)], ...] rows set, x: [user id, ...]
           removed. The fourth cell of a row, sent only when the ID holds any, is the ISC.*
           application features the ID holds, "AppName,Feature;AppName,Feature", at most
           MAX_APPS characters.
           A full update lists every user; a delta lists the users changed since the update
           numbered b, the last one the server acknowledged. A long list is split into parts
           that share the sequence number and header fields; the server applies the update
           once all parts arrived (each part is authenticated on its own).
  ANSWER   i, s: ACK | NAK | RESYNC | REFUSED, u: combined units of the key, a: authorized
           units, m: maximum since the server started, n: instances using the key, l: the first
           16 of them [[address, name], ...] (fewer if long names would not fit), w: why a
           registration was REFUSED, or why a NAK answers one instance over a limit of the key
           (limits.py; empty for a NAK of units in use). The sequence number echoes the
           request's.
  QUERY    i, q: report kind, o: offset of the first row wanted. Reports that span keys show
           only the keys the asking instance boot registered in this epoch.
  REPLY    i, q, o, e: next offset (null after the last page), t: total rows, r: rows,
           v: {name: value} for scalar reports. Large reports come back in pages that fit.
  GOODBYE  i: the instance is shutting down. The server drops that boot's use from every key
           at once and replies with a REPLY, q: "goodbye", v: {"instances": the live instances
           it still serves, all keys counted, the one leaving excluded}. Its sequence number is
           checked like any request's, so a replayed GOODBYE is dropped.
  PING     n: nonce, and optionally a: the asking instance's name (so that a server holding
           that instance partitioned off in training stays silent to it too).
  PONG     n: the nonce echoed, v: server version.
  NEEDKEY  {}: the sending instance boot has not registered the request's key in this epoch
           (key id and seq echoed).
  EPOCH    i: a request of another epoch was refused; key id, seq and "i" echo it, the header
           carries the server's epoch.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import secrets
import struct
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from cacheshell.system.keyfile import KeyFileError
from cacheshell.system.keys import LicenseKey, read_key
from cacheshell.system.licserver.messages import (
    DUMP_REPORTS,
    GOODBYE_COUNT,
    GOODBYE_REPORT,
    ROW_REPORTS,
    STATUSES,
    VALUE_REPORTS,
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
    Row,
    Update,
    UserUse,
)
from cacheshell.system.signing import canonical_content

MAGIC = b"CSLS"
VERSION = 3
MAX_DATAGRAM = 1400
MAC_SIZE = 32
EPOCH_SIZE = 8
_HEADER = struct.Struct(">4sBB8s32sQ")
OVERHEAD = _HEADER.size + MAC_SIZE
NONCE_SIZE = 12
SEAL_OVERHEAD = NONCE_SIZE + 16  # the nonce and the Poly1305 tag of a sealed body
NO_KEY = bytes(32)
NO_EPOCH = bytes(EPOCH_SIZE)
MAX_SEQ = 2**64 - 1
_MAC_LABEL = b"cacheshell license server v3 mac"
_SEAL_LABEL = b"cacheshell license server v3 seal"
MAX_TEXT = 128  # user ids (Caché caps them at 64), host addresses, instance names
MAX_APPS = 512  # the application features of one user row ("AppName,Feature;...")
MAX_PARTS = 255
# The messages are part of this module's interface: callers import everything from here.
__all__ = [
    "DUMP_REPORTS",
    "GOODBYE_COUNT",
    "GOODBYE_REPORT",
    "MAX_APPS",
    "MAX_DATAGRAM",
    "NO_EPOCH",
    "ROW_REPORTS",
    "VALUE_REPORTS",
    "Answer",
    "DomainKeys",
    "EpochNotice",
    "ForgedDatagram",
    "Goodbye",
    "InstanceId",
    "KeyRegistration",
    "Kind",
    "MalformedDatagram",
    "Message",
    "NeedKey",
    "Ping",
    "Pong",
    "ProtocolError",
    "Query",
    "Reply",
    "Row",
    "UnknownVersion",
    "Update",
    "UserUse",
    "decode",
    "encode",
    "encode_answer",
    "key_id",
    "new_boot_id",
    "new_epoch",
    "new_identity",
    "new_nonce",
    "reply_budget",
    "rows_fitting",
    "split_update",
]


class ProtocolError(ValueError):
    """A datagram that is malformed, forged, too large or of an unknown version."""


class MalformedDatagram(ProtocolError):
    pass


class ForgedDatagram(ProtocolError):
    pass


class UnknownVersion(ProtocolError):
    pass


@dataclass(frozen=True)
class DomainKeys:
    """The keys of a license domain, derived from its secret: one to authenticate every
    datagram, one to seal the bodies that must not be read on the wire."""

    mac: bytes
    seal: ChaCha20Poly1305

    @classmethod
    def from_secret(cls, secret: bytes) -> DomainKeys:
        return cls(_derive(secret, _MAC_LABEL), ChaCha20Poly1305(_derive(secret, _SEAL_LABEL)))


def _derive(secret: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(secret)


# Bodies that carry what a sniffer must not read: the key file, and reports (user IDs and the
# key's [License] fields).
_SEALED_KINDS = (Kind.KEY, Kind.REPLY)
_KINDS = {kind.value: kind for kind in Kind}
_MAX_COUNT = 2**31 - 1


def key_id(key: LicenseKey) -> bytes:
    """What names a key on the wire: it is its content, so equal keys share one pool."""
    return hashlib.sha256(canonical_content(key.file)).digest()


def new_epoch() -> bytes:
    """A server's epoch, drawn at each start."""
    return secrets.token_bytes(EPOCH_SIZE)


def new_boot_id() -> str:
    return secrets.token_hex(8)


def new_identity() -> str:
    """An instance's identity, drawn once when it is created."""
    return secrets.token_hex(8)


def new_nonce() -> str:
    return secrets.token_hex(8)


def encode(msg: Message, keys: DomainKeys, epoch: bytes) -> bytes:
    """The datagram for a message in `epoch`; raises ProtocolError when it would exceed
    MAX_DATAGRAM."""
    if isinstance(msg, Answer):
        return encode_answer(
            keys,
            epoch,
            (msg.key_id, msg.seq, msg.instance),
            (msg.status, msg.combined, msg.authorized, msg.maximum, msg.instance_count),
            msg.instances,
            msg.reason,
        )
    key = getattr(msg, "key_id", NO_KEY)
    return _frame(msg.kind, _json(_body(msg)), keys, epoch, key, getattr(msg, "seq", 0))


def encode_answer(
    keys: DomainKeys,
    epoch: bytes,
    request: tuple[bytes, int, InstanceId],
    counts: tuple[str, int, int, int, int],
    instances: tuple[tuple[str, str], ...],
    reason: str = "",
) -> bytes:
    """The datagram of an Answer (the server's hot path: no message object, no dict): to the
    request (key id, seq, instance), with (status, combined, authorized, maximum, instance
    count), the instances listed and the reason. The same bytes as any other encoding."""
    key, seq, who = request
    status, combined, authorized, maximum, count = counts
    body = _ANSWER_BODY % (
        _json([who.host, who.name, who.boot, who.identity]),
        _STATUS_JSON.get(status) or _json(status),
        combined,
        authorized,
        maximum,
        count,
        _json(reason) if reason else b'""',
        # The answers about a key list the same instances again and again: encode that once.
        _listed(instances),
    )
    return _frame(Kind.ANSWER, body, keys, epoch, key, seq)


def _frame(kind: Kind, body: bytes, keys: DomainKeys, epoch: bytes, key: bytes, seq: int) -> bytes:
    """Header, body (sealed for the kinds that are) and MAC: the datagram."""
    header = _HEADER.pack(MAGIC, VERSION, kind, epoch, key, seq)
    if kind in _SEALED_KINDS:
        nonce = secrets.token_bytes(NONCE_SIZE)
        body = nonce + keys.seal.encrypt(nonce, body, header)
    head = header + body
    data = head + hmac.digest(keys.mac, head, "sha256")
    if len(data) > MAX_DATAGRAM:
        raise ProtocolError(f"{kind.name} of {len(data)} bytes exceeds {MAX_DATAGRAM}")
    return data


def decode(
    data: bytes, keys: DomainKeys, loads: Callable[[bytes], Any] | None = None
) -> tuple[bytes, Message]:
    """The epoch and message of a datagram; raises ProtocolError unless it is whole and
    authentic. `loads` reads a body's JSON (a ValueError for what is not): the standard
    library's unless a caller brings a faster one (the server's orjson)."""
    if len(data) < OVERHEAD or len(data) > MAX_DATAGRAM:
        raise MalformedDatagram(f"datagram of {len(data)} bytes")
    magic, version, kind_code, epoch, key, seq = _HEADER.unpack_from(data)
    if magic != MAGIC:
        raise MalformedDatagram("bad magic")
    if version != VERSION:
        raise UnknownVersion(f"version {version}")
    kind = _KINDS.get(kind_code)
    if kind is None:
        raise MalformedDatagram(f"unknown kind {kind_code}")
    body_bytes, mac = data[_HEADER.size : -MAC_SIZE], data[-MAC_SIZE:]
    if not hmac.compare_digest(hmac.digest(keys.mac, data[:-MAC_SIZE], "sha256"), mac):
        raise ForgedDatagram(f"bad MAC on {kind.name}")
    if kind in _SEALED_KINDS:
        body_bytes = _open(keys, data[: _HEADER.size], body_bytes, kind)
    try:
        return epoch, _DECODERS[kind](key, seq, _parse(body_bytes, loads or _loads))
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedDatagram(f"bad {kind.name} body: {exc}") from None


def _open(keys: DomainKeys, header: bytes, sealed: bytes, kind: Kind) -> bytes:
    if len(sealed) < SEAL_OVERHEAD:
        raise MalformedDatagram(f"{kind.name} body too short to be sealed")
    try:
        return keys.seal.decrypt(sealed[:NONCE_SIZE], sealed[NONCE_SIZE:], header)
    except InvalidTag:
        raise ForgedDatagram(f"{kind.name} body does not open") from None


def split_update(update: Update, limit: int = MAX_DATAGRAM) -> list[Update]:
    """The update as parts that each encode within `limit` bytes (rows first, then removals)."""
    skeleton = replace(update, users=(), removed=(), part=MAX_PARTS, parts=MAX_PARTS)
    budget = limit - OVERHEAD - len(_json(_body(skeleton)))
    chunks: list[tuple[list[UserUse], list[str]]] = [([], [])]
    used = 0
    items: list[UserUse | str] = [*update.users, *update.removed]
    for item in items:
        size = len(_json(_row(item) if isinstance(item, UserUse) else item)) + 1
        if size > budget:
            raise ProtocolError("a user id is too long for one datagram")
        if used + size > budget:
            chunks.append(([], []))
            used = 0
        users, removed = chunks[-1]
        if isinstance(item, UserUse):
            users.append(item)
        else:
            removed.append(item)
        used += size
    if len(chunks) > MAX_PARTS:
        raise ProtocolError(f"an update of {len(chunks)} parts exceeds {MAX_PARTS}")
    return [
        replace(update, users=tuple(users), removed=tuple(removed), part=index, parts=len(chunks))
        for index, (users, removed) in enumerate(chunks)
    ]


def rows_fitting(rows: list[Row], start: int, budget: int) -> int:
    """The end of the page of rows from `start` whose JSON fits in `budget` bytes (≥ 1 row)."""
    used, end = 0, start
    while end < len(rows):
        used += len(_json(list(rows[end]))) + 1
        if used > budget and end > start:
            break
        end += 1
    return end


def reply_budget(skeleton: Reply) -> int:
    """Bytes left for rows in a reply whose other fields are those of `skeleton`."""
    return MAX_DATAGRAM - OVERHEAD - SEAL_OVERHEAD - len(_json(_body(skeleton))) - 24


# One encoder for every datagram: json.dumps() with options would build a new one each call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def _json(value: Any) -> bytes:
    return _ENCODER.encode(value).encode()


# An ANSWER body, fields in this order: i, s, u, a, m, n, w, l (encode_answer fills it).
_ANSWER_BODY = b'{"i":%s,"s":%s,"u":%d,"a":%d,"m":%d,"n":%d,"w":%s,"l":%s}'
_STATUS_JSON = {status: _json(status) for status in STATUSES}


@functools.lru_cache(maxsize=256)
def _listed(instances: tuple[tuple[str, str], ...]) -> bytes:
    return _json([list(pair) for pair in instances])


def _loads(body: bytes) -> Any:
    return json.loads(body.decode("utf-8"))  # str: json skips sniffing the encoding


def _parse(body: bytes, loads: Callable[[bytes], Any]) -> dict[str, Any]:
    try:
        parsed = loads(body)
    except (ValueError, RecursionError):  # orjson's errors are ValueErrors too
        raise MalformedDatagram("body is not JSON") from None
    if not isinstance(parsed, dict):
        raise MalformedDatagram("body is not a JSON object")
    return parsed


def _row(use: UserUse) -> list[Any]:
    """A user row on the wire: the application cell only when the ID holds any."""
    if use.apps:
        return [use.user, use.units, use.connections, use.apps]
    return [use.user, use.units, use.connections]


def _body(msg: Message) -> dict[str, Any]:
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
            r=[_row(use) for use in msg.users],
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
_new_use = partial(tuple.__new__, UserUse)  # a UserUse of 4 checked cells, without __new__'s call


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


_DECODERS: dict[Kind, Callable[[bytes, int, dict[str, Any]], Message]] = {
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
