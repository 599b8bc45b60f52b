"""License keys as the instance sees them: reading, minting, validity and upgrade comparison."""

from __future__ import annotations

import math
import random
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from cacheshell.system.authkey import (
    PRODUCTS,
    Authorization,
    decode_authorization,
    feature_bits,
    feature_names,
    platform_name,
)
from cacheshell.system.bounded import KEY_FILE_BYTES, read_text_bounded
from cacheshell.system.keyfile import (
    KeyFile,
    KeyFileError,
    Sections,
    file_version,
    format_date,
    parse_key_file,
)

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

# An instance with no key runs as an evaluation with this many license units.
EVALUATION_UNITS = 5
# The license table grows in 64 KB pages of 227 entries (a Unicode instance).
PAGE_ENTRIES = 227
PAGE_BYTES = 65536
# A key needing this many more pages than the active one cannot be fully activated live.
RESTART_PAGES = 1000
TROUBLED_DAYS = 30
DEFAULT_FILE_TYPE = "License 2013.1"
POWER_UNIT = "Power Unit"

_PRODUCT_LEVEL = {name: int(code) for code, name in PRODUCTS.items()}
_CAPACITY_NOUNS = {
    "Concurrent User": "Concurrent Users",
    "Named User": "Named Users",
    "Power Unit": "Power Units",
    "Real Time": "Real Time Users",
}


@dataclass(frozen=True)
class LicenseKey:
    """A parsed key file with its decoded AuthorizationKey (not yet checked for validity)."""

    file: KeyFile
    authorization: Authorization

    @property
    def units(self) -> int:
        return self.authorization.units

    @property
    def enforced_units(self) -> int:
        return self.authorization.enforced_units

    @property
    def server(self) -> str:
        return self.authorization.server

    @property
    def is_multiserver(self) -> bool:
        return self.authorization.server == "Multi"

    @property
    def license_type(self) -> str:
        return self.authorization.license_type

    @property
    def product(self) -> str:
        return self.authorization.product

    @property
    def cores(self) -> int:
        return self.authorization.cores

    @property
    def cores_enforced(self) -> int:
        return self.authorization.cores_enforced

    @property
    def platform_code(self) -> str:
        return self.authorization.platform_code

    @property
    def max_buffer_pool(self) -> int:
        return self.authorization.max_buffer_pool

    @property
    def max_databases(self) -> int:
        return self.authorization.max_databases

    @property
    def ecp_servers(self) -> int:
        return self.authorization.ecp_servers

    @property
    def network(self) -> bool:
        return self.authorization.network

    @property
    def feature_bits(self) -> int:
        return self.authorization.features

    @property
    def features(self) -> tuple[str, ...]:
        return feature_names(self.authorization.features)

    @property
    def expiration(self) -> date:
        return self.file.expiration_date

    @property
    def version(self) -> str:
        return file_version(self.file.file_type)


@dataclass(frozen=True)
class KeySpec:
    """What to put in a key to be minted."""

    units: int
    multi: bool = False
    license_type: str = "Concurrent User"
    product: str = "Enterprise"
    expires: date = date(2099, 12, 31)
    customer: str = "cacheshell training"
    order_number: int = 100001
    features: tuple[str, ...] = ()
    cores: int = 0
    app_sections: Sections = ()
    max_buffer_pool: int = 0
    max_databases: int = 0
    ecp_servers: int = 0
    network: bool = False


TRAINING_KEY_SPEC = KeySpec(units=5, multi=True)


def new_order_number(avoid: Collection[str] = (), rng: random.Random | None = None) -> int:
    """A six-digit order number of a key's own, none of `avoid` (the order numbers of keys in
    use) nor the spec's fixed one. Equal keys share their units on a license server: two keys
    minted apart must not share by accident."""
    draw = rng or random.SystemRandom()
    taken = {str(TRAINING_KEY_SPEC.order_number), *avoid}
    while str(order := draw.randrange(100000, 1000000)) in taken:
        continue
    return order


def training_key_spec(rng: random.Random | None = None, avoid: Collection[str] = ()) -> KeySpec:
    """The training key of a new instance, with a six-digit order number of its own."""
    return replace(TRAINING_KEY_SPEC, order_number=new_order_number(avoid, rng))


@dataclass(frozen=True)
class KeyCheck:
    valid: bool
    status: str  # "Valid", "Invalid" or "Troubled"
    reason: str = ""


@dataclass(frozen=True)
class Comparison:
    """What a new key takes away from the active one, and whether activation waits a restart."""

    reductions: tuple[tuple[str, str, str], ...]
    restart_required: bool
    restart_reasons: tuple[str, ...]


def read_key(text: str) -> LicenseKey:
    """A LicenseKey from key file text; raises KeyFileError when malformed."""
    file = parse_key_file(text)
    authorization, _ = decode_authorization(file.authorization_key)
    return LicenseKey(file, authorization)


def load_key(path: Path | str) -> LicenseKey:
    """A LicenseKey from a file; unreadable files raise KeyFileError too."""
    try:
        text = read_text_bounded(path, KEY_FILE_BYTES, "key file")
    except UnicodeDecodeError:
        raise KeyFileError(f"{path} is not a text file") from None
    except OSError as exc:
        raise KeyFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    return read_key(text)


def issue_key(
    *,
    units: int,
    multi: bool = False,
    license_type: str = "Concurrent User",
    product: str = "Enterprise",
    expires: date,
    customer: str,
    order_number: int | str,
    features: tuple[str, ...] | list[str] = (),
    cores: int = 0,
    app_sections: Sections = (),
    private_key: Ed25519PrivateKey,
    platform_code: str,
    file_type: str = DEFAULT_FILE_TYPE,
    machine_id: str = "",
    max_buffer_pool: int = 0,
    max_databases: int = 0,
    ecp_servers: int = 0,
    network: bool = False,
) -> LicenseKey:
    """Mint a signed key; raises KeyFileError for a value a key cannot hold."""
    order = str(order_number)
    if not order.isdigit():
        raise KeyFileError(f"order number '{order}' is not a number")
    auth = Authorization(
        product=product,
        license_type=license_type,
        server="Multi" if multi else "Single",
        platform_code=platform_code,
        units=units,
        enforced_units=units,
        cores=cores,
        cores_enforced=cores,
        features=feature_bits(list(features)),
        max_buffer_pool=max_buffer_pool,
        max_databases=max_databases,
        ecp_servers=ecp_servers,
        network=network,
    )
    file = KeyFile(
        file_type=file_type,
        license_capacity=capacity_text(auth, file_version(file_type)),
        customer_name=customer,
        order_number=order,
        expiration_date=expires,
        authorization_key=auth.body(),
        machine_id=machine_id,
        app_sections=tuple((name, tuple(pairs)) for name, pairs in app_sections),
    )
    from cacheshell.system.signing import sign  # cryptography: only to issue or check a key

    return LicenseKey(sign(file, private_key), auth)


def issue_from_spec(
    spec: KeySpec, private_key: Ed25519PrivateKey, platform_code: str
) -> LicenseKey:
    return issue_key(
        units=spec.units,
        multi=spec.multi,
        license_type=spec.license_type,
        product=spec.product,
        expires=spec.expires,
        customer=spec.customer,
        order_number=spec.order_number,
        features=spec.features,
        cores=spec.cores,
        app_sections=spec.app_sections,
        private_key=private_key,
        platform_code=platform_code,
        max_buffer_pool=spec.max_buffer_pool,
        max_databases=spec.max_databases,
        ecp_servers=spec.ecp_servers,
        network=spec.network,
    )


def capacity_text(auth: Authorization, version: str) -> str:
    """The LicenseCapacity description, in the manner of a real key's."""
    platform = platform_name(auth.platform_code).rsplit(" (", 1)[0]
    text = (
        f"Cache {version} {auth.product} - {_CAPACITY_NOUNS[auth.license_type]}"
        f" for {platform}:{auth.units}"
    )
    return ", ".join([text, *feature_names(auth.features)])


def is_pre_51(version: str) -> bool:
    """Keys of Caché before 5.1 ("License 5.0", "License 4.1"); 2005 and later are year-based."""
    parts = [int(part) for part in version.split(".")]
    major, minor = parts[0], parts[1] if len(parts) > 1 else 0
    return major < 2000 and (major, minor) < (5, 1)


def check_key(
    key: LicenseKey, public_keys: list[Ed25519PublicKey], platform_code: str, today: date
) -> KeyCheck:
    """Valid, Invalid (with why) or Troubled (valid but expiring within 30 days)."""
    from cacheshell.system.signing import verify  # cryptography: only to issue or check a key

    if not verify(key.file, public_keys):
        return _invalid(
            "License key signature is not valid: the key was changed after it "
            "was issued, or its issuer is not trusted"
        )
    if is_pre_51(key.version):
        return _invalid(
            f"License key is for Cache {key.version}; keys from versions before "
            "5.1 do not work with this version"
        )
    if key.platform_code != platform_code:
        return _invalid(
            f"License key is for {platform_name(key.platform_code)}, "
            f"but this machine is {platform_name(platform_code)}"
        )
    days_left = (key.expiration - today).days
    when = format_date(key.expiration)
    if days_left < 0:
        return _invalid(f"License key expired on {when}")
    if days_left == 0:
        return KeyCheck(True, "Troubled", f"License key expires today ({when})")
    if days_left <= TROUBLED_DAYS:
        plural = "day" if days_left == 1 else "days"
        return KeyCheck(True, "Troubled", f"License key expires in {days_left} {plural}, on {when}")
    return KeyCheck(True, "Valid")


def table_pages(units: int) -> int:
    """64 KB pages of license table needed for a key of `units` license units."""
    return math.ceil(units / PAGE_ENTRIES)


def compare_keys(current: LicenseKey | None, new: LicenseKey) -> Comparison:
    """Reductions from the active key to `new`, and the restart rules of an upgrade.

    With no active key the instance runs as an evaluation of EVALUATION_UNITS Concurrent User
    units: nothing is reduced, but the unit and page rules compare against that.
    """
    reductions: list[tuple[str, str, str]] = []
    if current is not None:
        if _core_limit(new.cores) < _core_limit(current.cores):
            reductions.append(("Cores", _cores(current.cores), _cores(new.cores)))
        if new.units < current.units:
            reductions.append(("Users", str(current.units), str(new.units)))
        if current.is_multiserver and not new.is_multiserver:
            reductions.append(("Server", current.server, new.server))
        if new.license_type != current.license_type:
            reductions.append(("LicenseType", current.license_type, new.license_type))
        if _PRODUCT_LEVEL[new.product] < _PRODUCT_LEVEL[current.product]:
            reductions.append(("Product", current.product, new.product))
        reductions.extend(
            (f"Feature:{name}", "1", "0") for name in current.features if name not in new.features
        )
    old_units = current.units if current is not None else EVALUATION_UNITS
    old_type = current.license_type if current is not None else "Concurrent User"
    reasons: list[str] = []
    if (old_type == POWER_UNIT) != (new.license_type == POWER_UNIT):
        reasons.append(
            f"The license type changes from {old_type} to {new.license_type}: "
            "a change to or from Power Unit takes effect at the next restart"
        )
    if new.units < old_units:
        reasons.append(
            f"The new key has fewer license units ({old_units} to {new.units}): "
            "the reduction takes effect at the next restart"
        )
    old_pages, new_pages = table_pages(old_units), table_pages(new.units)
    if new_pages - old_pages >= RESTART_PAGES:
        reasons.append(
            f"The new key needs {new_pages - old_pages} more 64 KB pages of license "
            f"table ({old_pages} to {new_pages}): the instance must restart to "
            "allocate them"
        )
    return Comparison(tuple(reductions), bool(reasons), tuple(reasons))


def _invalid(reason: str) -> KeyCheck:
    return KeyCheck(False, "Invalid", reason)


def _core_limit(cores: int) -> float:
    # 0 cores in a key means no core limit, which no number of cores reduces.
    return cores if cores else math.inf


def _cores(cores: int) -> str:
    return str(cores) if cores else "unlimited"
