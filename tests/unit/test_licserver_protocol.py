"""License server datagrams: round trips, splitting, sealing, and every forgery rejected."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import struct

import pytest

from cacheshell.system.authkey import current_platform_code
from cacheshell.system.keyfile import render_key_file
from cacheshell.system.keys import KeySpec, issue_from_spec
from cacheshell.system.licserver.protocol import (
    MAX_DATAGRAM,
    NO_EPOCH,
    VERSION,
    Answer,
    DomainKeys,
    EpochNotice,
    ForgedDatagram,
    Goodbye,
    InstanceId,
    KeyRegistration,
    MalformedDatagram,
    Message,
    NeedKey,
    Ping,
    Pong,
    ProtocolError,
    Query,
    Reply,
    UnknownVersion,
    Update,
    UserUse,
    decode,
    encode,
    key_id,
    split_update,
)
from cacheshell.system.signing import training_private_key

KEY = issue_from_spec(KeySpec(units=5, multi=True), training_private_key(), current_platform_code())
OTHER = issue_from_spec(
    KeySpec(units=5, multi=True, order_number=100002),
    training_private_key(),
    current_platform_code(),
)
KID = key_id(KEY)
KEYS = DomainKeys.from_secret(bytes(range(32)))
OTHER_DOMAIN = DomainKeys.from_secret(bytes(range(1, 33)))
EPOCH = bytes.fromhex("0102030405060708")
WHO = InstanceId("10.0.0.1", "CACHE", "0123456789abcdef", "fedcba9876543210")
SAMPLES: list[Message] = [
    KeyRegistration(KID, 1, WHO, render_key_file(KEY.file)),
    Update(
        KID,
        2,
        WHO,
        True,
        0,
        15.0,
        3,
        4,
        (UserUse("alice@10.0.0.9", 1, 2), UserUse("bob@10.0.0.9", 2, 2)),
    ),
    Update(KID, 3, WHO, False, 2, 0.2, 2, 3, (UserUse("Zoë@10.0.0.9", 1, 1),), ("bob",)),
    Answer(KID, 3, WHO, "NAK", 6, 5, 7, 2, (("10.0.0.1", "CACHE"), ("10.0.0.2", "TEST"))),
    Answer(KID, 4, WHO, "REFUSED", 0, 5, 0, 0, reason="not Multi"),
    Query(KID, 5, WHO, "connections", 40),
    Reply(KID, 5, WHO, "connections", 40, 80, 120, (("alice", "shr", 1, "10.0.0.1", "A"),)),
    Reply(KID, 6, WHO, "summary", 0, None, 0, (), (("current", 3), ("host", "vm"))),
    Goodbye(KID, 7, WHO),
    Reply(KID, 7, WHO, "goodbye", 0, None, 0, (), (("instances", 2),)),
    Ping("00000000ffffffff"),
    Pong("00000000ffffffff", "cacheshell-1"),
    NeedKey(KID, 9),
    EpochNotice(KID, 10, WHO),
]


def mac(header_and_body: bytes, keys: DomainKeys = KEYS) -> bytes:
    """A datagram with a valid MAC around arbitrary content, as a domain member could make."""
    return header_and_body + hmac.digest(keys.mac, header_and_body, "sha256")


@pytest.mark.parametrize("msg", SAMPLES, ids=lambda msg: type(msg).__name__)
def test_every_message_survives_a_round_trip(msg: Message) -> None:
    data = encode(msg, KEYS, EPOCH)
    assert len(data) <= MAX_DATAGRAM
    assert decode(data, KEYS) == (EPOCH, msg)


def test_the_header_is_magic_version_kind_epoch_key_and_sequence() -> None:
    data = encode(SAMPLES[1], KEYS, EPOCH)
    assert struct.unpack_from(">4sBB8s32sQ", data) == (b"CSLS", 3, 2, EPOCH, KID, 2)
    assert json.loads(data[54:-32])["u"] == 3


@pytest.mark.parametrize(
    "answer",
    [
        Answer(KID, 3, WHO, "NAK", 6, 5, 7, 2, (("10.0.0.1", "CACHE"), ("10.0.0.2", "TEST"))),
        Answer(KID, 4, WHO, "REFUSED", 0, 5, 0, 0, reason='not "Multi" \u00e9'),
        Answer(KID, 5, WHO, "ACK", 0, 5, 0, 0),
    ],
    ids=["nak-listed", "refused-reason", "ack-alone"],
)
def test_an_answer_body_is_compact_json_with_its_fields_in_order(answer: Answer) -> None:
    # encode_answer writes the body without a dict: the very bytes json.dumps makes of one.
    who = answer.instance
    fields = {
        "i": [who.host, who.name, who.boot, who.identity],
        "s": answer.status,
        "u": answer.combined,
        "a": answer.authorized,
        "m": answer.maximum,
        "n": answer.instance_count,
        "w": answer.reason,
        "l": [list(pair) for pair in answer.instances],
    }
    expected = json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode()
    assert encode(answer, KEYS, EPOCH)[54:-32] == expected


@pytest.mark.parametrize("index", [0, 6], ids=["KeyRegistration", "Reply"])
def test_key_and_reply_bodies_are_sealed(index: int) -> None:
    """What a sniffer must not read (the key file, user IDs) is not in the datagram."""
    data = encode(SAMPLES[index], KEYS, EPOCH)
    assert KEY.file.authorization_key.encode() not in data
    assert b"License" not in data and b"alice" not in data


def test_a_hundred_long_user_ids_are_split_into_parts_that_fit() -> None:
    users = tuple(UserUse(f"{'x' * 50}{i:03d}@192.168.100.{i}", 1, 25) for i in range(100))
    whole = Update(KID, 7, WHO, True, 0, 15.0, 100, 2500, users)
    parts = split_update(whole)
    assert len(parts) > 1
    datagrams = [encode(part, KEYS, EPOCH) for part in parts]
    assert max(len(data) for data in datagrams) <= MAX_DATAGRAM
    decoded = [decode(data, KEYS)[1] for data in datagrams]
    assert [(p.part, p.parts, p.seq) for p in decoded] == [  # type: ignore[union-attr]
        (i, len(parts), 7) for i in range(len(parts))
    ]
    assert tuple(use for p in decoded for use in p.users) == users  # type: ignore[union-attr]


def test_a_small_update_is_one_part() -> None:
    assert split_update(SAMPLES[1]) == [SAMPLES[1]]  # type: ignore[arg-type]


def test_a_message_too_large_for_a_datagram_is_refused() -> None:
    rows = tuple(("u" * 60, "1", 1, "10.0.0.1", "A") for _ in range(40))
    with pytest.raises(ProtocolError):
        encode(Reply(KID, 1, WHO, "connections", 0, None, 40, rows), KEYS, EPOCH)


@pytest.mark.parametrize("msg", SAMPLES, ids=lambda msg: type(msg).__name__)
def test_every_flipped_bit_is_rejected(msg: Message) -> None:
    data = encode(msg, KEYS, EPOCH)
    for bit in range(len(data) * 8):
        forged = bytearray(data)
        forged[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(ProtocolError):
            decode(bytes(forged), KEYS)


@pytest.mark.parametrize("msg", SAMPLES, ids=lambda msg: type(msg).__name__)
def test_another_domain_s_datagrams_do_not_verify(msg: Message) -> None:
    with pytest.raises(ForgedDatagram):
        decode(encode(msg, OTHER_DOMAIN, EPOCH), KEYS)


def test_a_sealed_body_under_another_domain_s_seal_does_not_open() -> None:
    """A valid MAC is not enough: the body must open under this domain's sealing key."""
    mixed = DomainKeys(KEYS.mac, OTHER_DOMAIN.seal)
    with pytest.raises(ForgedDatagram):
        decode(encode(SAMPLES[0], mixed, EPOCH), KEYS)


def test_the_epoch_travels_as_sent_and_unknown_is_zeros() -> None:
    assert decode(encode(SAMPLES[1], KEYS, NO_EPOCH), KEYS)[0] == bytes(8)


def test_a_registration_must_carry_the_key_its_id_names() -> None:
    swapped = KeyRegistration(KID, 1, WHO, render_key_file(OTHER.file))
    with pytest.raises(MalformedDatagram):
        decode(encode(swapped, KEYS, EPOCH), KEYS)
    with pytest.raises(MalformedDatagram):
        decode(encode(KeyRegistration(KID, 1, WHO, "[License]\n"), KEYS, EPOCH), KEYS)


@pytest.mark.parametrize("msg", SAMPLES, ids=lambda msg: type(msg).__name__)
def test_every_truncation_is_rejected(msg: Message) -> None:
    data = encode(msg, KEYS, EPOCH)
    for length in range(len(data)):
        with pytest.raises(ProtocolError):
            decode(data[:length], KEYS)
    with pytest.raises(ProtocolError):
        decode(data + b"\0", KEYS)


def test_garbage_is_rejected() -> None:
    rng = random.Random(4001)
    for _ in range(2000):
        garbage = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 300)))
        if rng.random() < 0.5:
            garbage = b"CSLS" + bytes([VERSION]) + garbage  # get past the cheap checks
        with pytest.raises(ProtocolError):
            decode(garbage, KEYS)


@pytest.mark.parametrize("version", [1, 2, 4], ids=["version-1", "version-2", "version-4"])
def test_an_unknown_version_is_rejected_even_with_a_valid_mac(version: int) -> None:
    data = bytearray(encode(SAMPLES[1], KEYS, EPOCH)[:-32])
    data[4] = version
    with pytest.raises(UnknownVersion):
        decode(mac(bytes(data)), KEYS)


I_CELL = b'"i":["h","n","0123456789abcdef","fedcba9876543210"]'
UPDATE_TAIL = b'"p":[0,1],"f":1,"b":0,"t":1,"u":0,"c":0,"r":[],"x":[]'


def with_rows(row: bytes) -> bytes:
    """An update body of one user row, the rest of it well formed."""
    return b"{" + I_CELL + b',"p":[0,1],"f":1,"b":0,"t":1,"u":1,"c":1,"r":[' + row + b'],"x":[]}'


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        (2, b"[]"),
        (2, b"not json"),
        (2, b"{" + I_CELL + b"}"),
        (2, b"{" + I_CELL + b',"p":[0,1],"f":true,"b":0,"t":1,"u":0,"c":0,"r":[],"x":[]}'),
        (2, b"{" + I_CELL + b',"p":[1,1],"f":1,"b":0,"t":1,"u":0,"c":0,"r":[],"x":[]}'),
        (2, b"{" + I_CELL + b',"p":[0,1],"f":1,"b":0,"t":1,"u":-1,"c":0,"r":[],"x":[]}'),
        (2, b"{" + I_CELL + b',"p":[0,1],"f":1,"b":0,"t":1,"u":0,"c":0,"r":[["u",1]],"x":[]}'),
        (2, with_rows(b'["u",1,1,"a","b"]')),
        (2, with_rows(b'"u"')),
        (2, with_rows(b"[7,1,1]")),
        (2, with_rows(b'["' + b"u" * 129 + b'",1,1]')),
        (2, with_rows(b'["u",true,1]')),
        (2, with_rows(b'["u",1,1.0]')),
        (2, with_rows(b'["u",1,-1]')),
        (2, with_rows(b'["u",2147483648,1]')),
        (2, with_rows(b'["u",1,1,7]')),
        (2, with_rows(b'["u",1,1,"' + b"a" * 513 + b'"]')),
        (2, b'{"i":["h","n","XYZ","fedcba9876543210"],' + UPDATE_TAIL + b"}"),
        (2, b'{"i":["h","n","0123456789abcdef"],' + UPDATE_TAIL + b"}"),
        (2, b'{"i":["h","n","0123456789abcdef","FEDCBA9876543210"],' + UPDATE_TAIL + b"}"),
        (2, b'{"i":["h","n","0123456789abcdef",""],' + UPDATE_TAIL + b"}"),
        (2, b'{"i":["h","n","0123456789abcdef","fedcba9876543210","x"],' + UPDATE_TAIL + b"}"),
        (9, b'{"i":["h","n","0123456789abcdef"]}'),
        (9, b'{"i":["h","n","0123456789abcdef",7]}'),
        (9, b'{"i":["h","n","0123456789abcdef","fedcba98765432100"]}'),
        (9, b"{}"),
        (2, b"[" * 5000 + b"]" * 5000),
    ],
    ids=[
        "array",
        "text",
        "fields-missing",
        "bool-for-int",
        "part-out-of-range",
        "negative",
        "short-row",
        "five-cell-row",
        "row-not-a-list",
        "number-for-user",
        "long-user",
        "bool-for-units",
        "float-for-connections",
        "negative-connections",
        "units-over-count",
        "number-for-apps",
        "long-apps",
        "bad-boot",
        "no-identity",
        "upper-case-identity",
        "empty-identity",
        "five-cell-i",
        "goodbye-without-identity",
        "goodbye-number-identity",
        "goodbye-long-identity",
        "goodbye-without-i",
        "deep-nesting",
    ],
)
def test_an_authentic_but_malformed_body_is_rejected(kind: int, body: bytes) -> None:
    header = struct.pack(">4sBB8s32sQ", b"CSLS", VERSION, kind, EPOCH, KID, 1)
    with pytest.raises(MalformedDatagram):
        decode(mac(header + body), KEYS)


@pytest.mark.parametrize(
    ("row", "use"),
    [
        (b'["' + b"u" * 128 + b'",0,0]', UserUse("u" * 128, 0, 0)),
        (b'["u",2147483647,2147483647]', UserUse("u", 2**31 - 1, 2**31 - 1)),
        (b'["u",1,1,""]', UserUse("u", 1, 1)),
        (b'["u",1,1,"' + b"a" * 512 + b'"]', UserUse("u", 1, 1, "a" * 512)),
    ],
    ids=["longest-user", "largest-counts", "empty-apps", "longest-apps"],
)
def test_a_user_row_at_the_limits_is_read(row: bytes, use: UserUse) -> None:
    header = struct.pack(">4sBB8s32sQ", b"CSLS", VERSION, 2, EPOCH, KID, 1)
    _epoch, update = decode(mac(header + with_rows(row)), KEYS)
    assert isinstance(update, Update) and update.users == (use,)


def test_the_key_id_is_the_hash_of_the_canonical_content() -> None:
    from cacheshell.system.signing import canonical_content

    assert KID == hashlib.sha256(canonical_content(KEY.file)).digest()
    assert KID != key_id(OTHER)
