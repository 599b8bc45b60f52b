"""Ed25519 signatures over a key's canonical content, and the issuers an installation trusts."""

from __future__ import annotations

from dataclasses import replace
from importlib import resources
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

from cacheshell.system.authkey import BODY_LENGTH, decode_authorization, decode_body
from cacheshell.system.key_content import canonical_content as canonical_content
from cacheshell.system.keyfile import KeyFile, KeyFileError

TRUST_STORE = "trusted-issuers"
TRAINING_PUBLIC_KEY = "training-issuer.pub"
TRAINING_PRIVATE_KEY = "training-issuer.key"


def sign(key_without_signature: KeyFile, private_key: Ed25519PrivateKey) -> KeyFile:
    """The key with its AuthorizationKey completed by a signature (any old one is replaced)."""
    body = key_without_signature.authorization_key[:BODY_LENGTH]
    auth = decode_body(body)
    unsigned = replace(key_without_signature, authorization_key=body)
    signature = private_key.sign(canonical_content(unsigned))
    return replace(unsigned, authorization_key=auth.encode(signature))


def verify(key: KeyFile, public_keys: list[Ed25519PublicKey]) -> bool:
    """True when one of the public keys signed exactly this content."""
    try:
        _, signature = decode_authorization(key.authorization_key)
    except KeyFileError:
        return False
    content = canonical_content(key)
    for public_key in public_keys:
        try:
            public_key.verify(signature, content)
        except InvalidSignature:
            continue
        return True
    return False


def training_public_key() -> Ed25519PublicKey:
    """The bundled training issuer's public key."""
    loaded = load_pem_public_key(_bundled(TRAINING_PUBLIC_KEY))
    if not isinstance(loaded, Ed25519PublicKey):
        raise TypeError(f"{TRAINING_PUBLIC_KEY} is not an Ed25519 public key")
    return loaded


def training_private_key() -> Ed25519PrivateKey:
    """The bundled training issuer's private key (public on purpose: see issuer/README)."""
    loaded = load_pem_private_key(_bundled(TRAINING_PRIVATE_KEY), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise TypeError(f"{TRAINING_PRIVATE_KEY} is not an Ed25519 private key")
    return loaded


def trusted_public_keys(home: Path) -> list[Ed25519PublicKey]:
    """The training issuer plus every readable Ed25519 `*.pub` in `<home>/trusted-issuers/`."""
    keys = [training_public_key()]
    store = home / TRUST_STORE
    try:
        paths = sorted(store.glob("*.pub"))
    except OSError:
        return keys
    for path in paths:
        try:
            loaded = load_pem_public_key(path.read_bytes())
        except (OSError, ValueError, UnsupportedAlgorithm):
            # One bad file in the trust store must not make every other issuer untrusted.
            continue
        if isinstance(loaded, Ed25519PublicKey):
            keys.append(loaded)
    return keys


def _bundled(name: str) -> bytes:
    return resources.files("cacheshell.system").joinpath("issuer", name).read_bytes()
