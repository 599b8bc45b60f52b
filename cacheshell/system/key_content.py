"""The bytes a key's signature covers: its canonical content. Kept apart from the signing
itself, so that what only compares or sends keys (the license-server protocol) loads no
cryptography."""

from __future__ import annotations

import struct

from cacheshell.system.authkey import BODY_LENGTH
from cacheshell.system.keyfile import KeyFile, format_date

# Changing the canonical form must change this tag, so old signatures fail cleanly.
_DOMAIN = "cacheshell license key v1"


def canonical_content(key: KeyFile) -> bytes:
    """The signed bytes: every field but the signature digits, each length-prefixed UTF-8.

    FileType is included too, so a key cannot be relabelled as another version.
    """
    items = [
        _DOMAIN,
        key.file_type,
        key.license_capacity,
        key.customer_name,
        key.order_number,
        format_date(key.expiration_date),
        key.authorization_key[:BODY_LENGTH],
        key.machine_id,
    ]
    out = bytearray()
    for item in items:
        out += _field(item)
    out += struct.pack(">I", len(key.app_sections))
    for name, pairs in key.app_sections:
        out += _field(name) + struct.pack(">I", len(pairs))
        for keyword, value in pairs:
            out += _field(keyword) + _field(value)
    return bytes(out)


def _field(text: str) -> bytes:
    data = text.encode("utf-8")
    return struct.pack(">I", len(data)) + data
