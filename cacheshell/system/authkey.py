"""The AuthorizationKey: capacities at fixed positions, then an Ed25519 signature in hex."""

from __future__ import annotations

import platform
import re
from dataclasses import dataclass

from cacheshell.system.keyfile import KeyFileError

# Code digit -> name, in Caché's order; comparisons of product level follow these codes.
PRODUCTS = {
    "0": "Evaluation",
    "1": "Entree",
    "2": "Elite",
    "3": "Executive",
    "4": "Enterprise",
    "5": "Edge",
    "6": "Extreme",
    "7": "Real Time Elite",
}
LICENSE_TYPES = {
    "1": "Concurrent User",
    "2": "Named User",
    "3": "Power Unit",
    "4": "Real Time",
}
# Caché reads both 0 and 1 as Single; this model writes 1.
SERVERS = {"0": "Single", "1": "Single", "2": "Multi"}
SERVER_CODES = {"Single": "1", "Multi": "2"}
# Bit n of the feature field is feature n.
FEATURES = (
    "WebAddOn",
    "Ensemble",
    "Shadowing",
    "BIUser",
    "BIDevelopment",
    "HealthShare",
    "TrakCare",
    "IPNeutral",
    "DeepSeeRun",
    "DeepSeeAnalyze",
    "DeepSeeModel",
    "iKnow",
    "HealthShareFoundation",
    "CType",
    "DeepSeeVRExecution",
    "ExtremeNoUserLimit",
    "DeepSeeVRFormatDef",
    "DeepSeeVRDataDef",
    "ShardMasterServer",
    "ShardWorkerServer",
)
# The platform codes are this model's own: Caché's table is not public. 52 and 55 agree with
# the two published keys (Red Hat x86-64, Windows x86-64); the others are invented.
PLATFORMS = {
    "52": "Linux x86-64",
    "53": "Linux ARM64",
    "54": "Linux (other architecture)",
    "55": "Windows x86-64",
    "56": "macOS",
    "57": "Windows ARM64",
    "99": "Other platform",
}

BODY_LENGTH = 46
SIGNATURE_BYTES = 64
KEY_LENGTH = BODY_LENGTH + 2 * SIGNATURE_BYTES
# Positions 28-38 (11 digits, zeros in keys minted before they were used) carry the capacities
# this model places there, as Caché's key carries them somewhere of its own: the buffer pool in MB
# and the databases (0: unlimited), the ECP servers, and whether ECP is enabled.
_BODY = re.compile(
    r"(?P<product>\d)(?P<type>\d)(?P<server>\d)(?P<platform>\d\d)(?P<units>\d{6})"
    r"(?P<enforced>\d{6})(?P<cores>\d{5})(?P<cores_enforced>\d{5})"
    r"(?P<buffer_pool>\d{5})(?P<databases>\d{3})(?P<ecp_servers>\d{2})(?P<network>[01])"
    r"(?P<features>[0-9A-F]{8})"
)
_SIGNATURE = re.compile(r"[0-9A-F]{128}")


@dataclass(frozen=True)
class Authorization:
    """The capacities an AuthorizationKey grants; cores 0 means no core limit."""

    product: str
    license_type: str
    server: str
    platform_code: str
    units: int
    enforced_units: int
    cores: int = 0
    cores_enforced: int = 0
    features: int = 0
    max_buffer_pool: int = 0  # MB; 0: unlimited
    max_databases: int = 0  # non-system databases; 0: unlimited
    ecp_servers: int = 0
    network: bool = False  # ECP enabled

    def __post_init__(self) -> None:
        _code_for(PRODUCTS, self.product, "product")
        _code_for(LICENSE_TYPES, self.license_type, "license type")
        if self.server not in SERVER_CODES:
            raise KeyFileError(f"unknown server type '{self.server}' (Single or Multi)")
        if self.platform_code not in PLATFORMS:
            raise KeyFileError(f"unknown platform code '{self.platform_code}'")
        for what, value, digits in (
            ("units", self.units, 6),
            ("enforced units", self.enforced_units, 6),
            ("cores", self.cores, 5),
            ("cores enforced", self.cores_enforced, 5),
            ("buffer pool MB", self.max_buffer_pool, 5),
            ("databases", self.max_databases, 3),
            ("ECP servers", self.ecp_servers, 2),
        ):
            if not 0 <= value < 10**digits:
                raise KeyFileError(f"{what} {value} is out of range 0..{10**digits - 1}")
        if not 0 <= self.features < 1 << 32:
            raise KeyFileError(f"feature bits {self.features:#x} do not fit in 32 bits")

    def body(self) -> str:
        """The 46 characters before the signature."""
        return (
            _code_for(PRODUCTS, self.product, "product")
            + _code_for(LICENSE_TYPES, self.license_type, "license type")
            + SERVER_CODES[self.server]
            + self.platform_code
            + f"{self.units:06d}{self.enforced_units:06d}"
            + f"{self.cores:05d}{self.cores_enforced:05d}"
            + f"{self.max_buffer_pool:05d}{self.max_databases:03d}{self.ecp_servers:02d}"
            + ("1" if self.network else "0")
            + f"{self.features:08X}"
        )

    def encode(self, signature: bytes) -> str:
        """The full AuthorizationKey text: body then the signature in upper-case hex."""
        if len(signature) != SIGNATURE_BYTES:
            raise KeyFileError(f"a signature has {SIGNATURE_BYTES} bytes, not {len(signature)}")
        return self.body() + signature.hex().upper()


def decode_body(text: str) -> Authorization:
    """The Authorization in the first 46 characters of a key; raises KeyFileError."""
    match = _BODY.fullmatch(text)
    if match is None:
        # Not quoted: the text may come from any file a caller named (IsValidKey).
        raise KeyFileError("AuthorizationKey does not have the 46-character layout")
    fields = match.groupdict()
    for table, code, what in (
        (PRODUCTS, fields["product"], "product"),
        (LICENSE_TYPES, fields["type"], "license type"),
        (SERVERS, fields["server"], "server"),
        (PLATFORMS, fields["platform"], "platform"),
    ):
        if code not in table:
            raise KeyFileError(f"AuthorizationKey has an unknown {what} code '{code}'")
    return Authorization(
        product=PRODUCTS[fields["product"]],
        license_type=LICENSE_TYPES[fields["type"]],
        server=SERVERS[fields["server"]],
        platform_code=fields["platform"],
        units=int(fields["units"]),
        enforced_units=int(fields["enforced"]),
        cores=int(fields["cores"]),
        cores_enforced=int(fields["cores_enforced"]),
        features=int(fields["features"], 16),
        max_buffer_pool=int(fields["buffer_pool"]),
        max_databases=int(fields["databases"]),
        ecp_servers=int(fields["ecp_servers"]),
        network=fields["network"] == "1",
    )


def decode_authorization(text: str) -> tuple[Authorization, bytes]:
    """(capacities, signature) from a full AuthorizationKey; raises KeyFileError."""
    if len(text) != KEY_LENGTH:
        raise KeyFileError(
            f"AuthorizationKey has {len(text)} characters; a signed key has {KEY_LENGTH}"
        )
    signature = text[BODY_LENGTH:]
    if not _SIGNATURE.fullmatch(signature):
        raise KeyFileError("AuthorizationKey signature is not 128 upper-case hex digits")
    return decode_body(text[:BODY_LENGTH]), bytes.fromhex(signature)


def feature_bits(names: tuple[str, ...] | list[str]) -> int:
    """The feature field for a list of feature names; raises KeyFileError on an unknown one."""
    bits = 0
    for name in names:
        if name not in FEATURES:
            raise KeyFileError(f"unknown feature '{name}' (known: {', '.join(FEATURES)})")
        bits |= 1 << FEATURES.index(name)
    return bits


def feature_names(bits: int) -> tuple[str, ...]:
    """Names of the bits set, in bit order; bits without a name read as "Feature<n>"."""
    return tuple(
        FEATURES[n] if n < len(FEATURES) else f"Feature{n}" for n in range(32) if bits >> n & 1
    )


def platform_name(code: str) -> str:
    return f"{PLATFORMS.get(code, 'unknown platform')} ({code})"


def platform_code_for(system: str, machine: str) -> str:
    """This model's platform code for a `platform.system()`/`platform.machine()` pair."""
    arch = machine.lower()
    x86 = arch in ("x86_64", "amd64", "x64")
    arm = arch in ("aarch64", "arm64", "armv8", "armv8l")
    if system == "Linux":
        return "52" if x86 else "53" if arm else "54"
    if system == "Windows":
        return "55" if x86 else "57" if arm else "99"
    if system == "Darwin":
        return "56"
    return "99"


def current_platform_code() -> str:
    """The platform code of the machine running cacheshell."""
    return platform_code_for(platform.system(), platform.machine())


def describe(auth: Authorization) -> list[tuple[str, str]]:
    """The decoded capacities as (label, value) rows, for Decode() and `key show`."""
    features = feature_names(auth.features)
    return [
        ("Product", auth.product),
        ("License Type", auth.license_type),
        ("Server", auth.server),
        ("Platform", platform_name(auth.platform_code)),
        ("License Units", str(auth.units)),
        ("Enforced Units", str(auth.enforced_units)),
        ("Cores Licensed", _cores(auth.cores)),
        ("Cores Enforced", _cores(auth.cores_enforced)),
        ("Features", ", ".join(features) if features else "none"),
    ]


def _cores(count: int) -> str:
    return str(count) if count else "unlimited"


def _code_for(table: dict[str, str], name: str, what: str) -> str:
    for code, known in table.items():
        if known == name:
            return code
    raise KeyFileError(f"unknown {what} '{name}' (choose {', '.join(table.values())})")
