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

import hmac
import json
import secrets
import struct
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from cacheshell.system.licserver.bodies import (
    DECODERS,
    MAX_APPS,
    MAX_DATAGRAM,
    MAX_PARTS,
    MAX_SEQ,
    MAX_TEXT,
    answer_body,
    body_of,
    json_bytes,
    key_id,
    row_of,
)
from cacheshell.system.licserver.messages import (
    DUMP_REPORTS,
    GOODBYE_COUNT,
    GOODBYE_REPORT,
    ROW_REPORTS,
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

MAGIC = b"CSLS"
VERSION = 3
MAC_SIZE = 32
EPOCH_SIZE = 8
_HEADER = struct.Struct(">4sBB8s32sQ")
OVERHEAD = _HEADER.size + MAC_SIZE
NONCE_SIZE = 12
SEAL_OVERHEAD = NONCE_SIZE + 16  # the nonce and the Poly1305 tag of a sealed body
NO_KEY = bytes(32)
NO_EPOCH = bytes(EPOCH_SIZE)
_MAC_LABEL = b"cacheshell license server v3 mac"
_SEAL_LABEL = b"cacheshell license server v3 seal"
# The messages, and the limits of their fields, are part of this module's interface: callers
# import everything from here.
__all__ = [
    "DUMP_REPORTS",
    "GOODBYE_COUNT",
    "GOODBYE_REPORT",
    "MAX_APPS",
    "MAX_DATAGRAM",
    "MAX_PARTS",
    "MAX_SEQ",
    "MAX_TEXT",
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
    return _frame(msg.kind, json_bytes(body_of(msg)), keys, epoch, key, getattr(msg, "seq", 0))


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
    body = answer_body(who, counts, instances, reason)
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
        return epoch, DECODERS[kind](key, seq, _parse(body_bytes, loads or _loads))
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
    budget = limit - OVERHEAD - len(json_bytes(body_of(skeleton)))
    chunks: list[tuple[list[UserUse], list[str]]] = [([], [])]
    used = 0
    items: list[UserUse | str] = [*update.users, *update.removed]
    for item in items:
        size = len(json_bytes(row_of(item) if isinstance(item, UserUse) else item)) + 1
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
        used += len(json_bytes(list(rows[end]))) + 1
        if used > budget and end > start:
            break
        end += 1
    return end


def reply_budget(skeleton: Reply) -> int:
    """Bytes left for rows in a reply whose other fields are those of `skeleton`."""
    return MAX_DATAGRAM - OVERHEAD - SEAL_OVERHEAD - len(json_bytes(body_of(skeleton))) - 24


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
