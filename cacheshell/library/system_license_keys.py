"""%SYSTEM.License Key* accessors: the fields and capacities of the active key.

Without a valid active key, KeyCustomerName says why (as the License Key page does) and the other
accessors return "" for text and 0 for numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from cacheshell.lang.dates import date_to_h
from cacheshell.lang.refs import Argument
from cacheshell.lang.runtime import Runtime
from cacheshell.library.host import instance_of
from cacheshell.library.system_license import LICENSE, arg_int
from cacheshell.system.authkey import BODY_LENGTH, FEATURES, PLATFORMS
from cacheshell.system.instance import MISSING_KEY
from cacheshell.system.keyfile import FILE_TYPE_FIELD
from cacheshell.system.keys import LicenseKey

# The feature-bit digits of an AuthorizationKey body.
_FEATURE_DIGITS = 8

T = TypeVar("T")


def _read(ctx: Runtime, get: Callable[[LicenseKey], T], absent: T) -> T:
    key = instance_of(ctx).active_key()
    return absent if key is None else get(key)


@LICENSE.classmethod(
    "KeyCustomerName",
    "Return the CustomerName of the active key.",
    'With no valid active key, the reason instead: "License missing or unreadable", or why the '
    "key in mgr/ was refused.",
    "()",
)
def key_customer_name(ctx: Runtime) -> str:
    inst = instance_of(ctx)
    key = inst.active_key()
    if key is None:
        return inst.key_reason() or MISSING_KEY
    return key.file.customer_name


@LICENSE.classmethod(
    "KeyLicenseCapacity",
    "Return the LicenseCapacity text of the active key.",
    "The description of what the key authorizes, as written in cache.key.",
    "()",
)
def key_license_capacity(ctx: Runtime) -> str:
    return _read(ctx, lambda k: k.file.license_capacity, "")


@LICENSE.classmethod("KeyOrderNumber", "Return the OrderNumber of the active key.", signature="()")
def key_order_number(ctx: Runtime) -> int:
    return _read(ctx, lambda k: int(k.file.order_number), 0)


@LICENSE.classmethod(
    "KeyExpirationDate",
    "Return the expiration date of the active key as a $HOROLOG day.",
    "Show it with $ZDATE: Write $ZDATE($SYSTEM.License.KeyExpirationDate()).",
    "()",
)
def key_expiration_date(ctx: Runtime) -> int:
    return _read(ctx, lambda k: date_to_h(k.expiration), 0)


@LICENSE.classmethod(
    "KeyAuthorizationKey",
    "Return the AuthorizationKey of the active key.",
    "The capacity digits followed by the issuer's signature.",
    "()",
)
def key_authorization_key(ctx: Runtime) -> str:
    return _read(ctx, lambda k: k.file.authorization_key, "")


@LICENSE.classmethod(
    "KeyMachineID", "Return the MachineID of the active key (usually empty).", signature="()"
)
def key_machine_id(ctx: Runtime) -> str:
    return _read(ctx, lambda k: k.file.machine_id, "")


@LICENSE.classmethod(
    "KeyFileType",
    "Return the FileType of the active key's [ConfigFile] section.",
    'KeyFileType() gives "License 2013.1"; KeyFileType(1) gives the whole line, '
    '"FileType=License 2013.1".',
    "(IncludeKeyword)",
)
def key_file_type(ctx: Runtime, include_keyword: Argument = 0) -> str:
    prefix = f"{FILE_TYPE_FIELD}=" if arg_int(include_keyword) else ""
    return _read(ctx, lambda k: prefix + k.file.file_type, "")


@LICENSE.classmethod(
    "KeyVersion",
    "Return the version part of the active key's FileType, such as 2013.1.",
    signature="()",
)
def key_version(ctx: Runtime) -> str:
    return _read(ctx, lambda k: k.version, "")


@LICENSE.classmethod(
    "KeyProduct", "Return the product the active key licenses, such as Enterprise.", signature="()"
)
def key_product(ctx: Runtime) -> str:
    return _read(ctx, lambda k: k.product, "")


@LICENSE.classmethod(
    "KeyLicenseType",
    "Return the license type of the active key, such as Concurrent User.",
    "One of Concurrent User, Named User, Power Unit, Real Time.",
    "()",
)
def key_license_type(ctx: Runtime) -> str:
    return _read(ctx, lambda k: k.license_type, "")


@LICENSE.classmethod(
    "KeyServer",
    "Return the server type of the active key: Single or Multi.",
    "Only a Multi (multiserver) key may be shared by instances through a license server.",
    "()",
)
def key_server(ctx: Runtime) -> str:
    return _read(ctx, lambda k: k.server, "")


@LICENSE.classmethod(
    "KeyPlatform", "Return the platform the active key is licensed for.", signature="()"
)
def key_platform(ctx: Runtime) -> str:
    return _read(ctx, lambda k: PLATFORMS.get(k.platform_code, k.platform_code), "")


@LICENSE.classmethod(
    "KeyLicenseUnits", "Return the license units the active key authorizes.", signature="()"
)
def key_license_units(ctx: Runtime) -> int:
    return _read(ctx, lambda k: k.units, 0)


@LICENSE.classmethod(
    "KeyEnforcedUnits",
    "Return the license units the active key enforces.",
    "Usually the same as KeyLicenseUnits().",
    "()",
)
def key_enforced_units(ctx: Runtime) -> int:
    return _read(ctx, lambda k: k.enforced_units, 0)


@LICENSE.classmethod(
    "KeyCoresLicensed",
    "Return the processor cores the active key authorizes (0: no limit).",
    "The instance refuses a key whose core count is below the machine's.",
    "()",
)
def key_cores_licensed(ctx: Runtime) -> int:
    return _read(ctx, lambda k: k.cores, 0)


@LICENSE.classmethod(
    "KeyCoresEnforced",
    "Return the processor cores the active key enforces (0: no limit).",
    signature="()",
)
def key_cores_enforced(ctx: Runtime) -> int:
    return _read(ctx, lambda k: k.cores_enforced, 0)


# Caché converts the CPU code at positions 18-22 (23-27 enforced) to cores by a rule of its own
# that depends on the product (s_cpucheck in mcsub.c, not public); this model's code is the
# core count itself, so KeyCPUs* and KeyCores* agree.
@LICENSE.classmethod(
    "KeyCPUsLicensed",
    "Return the CPU code the active key licenses.",
    "The code at positions 18-22 of the AuthorizationKey, from which the licensed core count "
    "(KeyCoresLicensed) is derived; in this model the code is the core count (0: no limit).",
    "()",
)
def key_cpus_licensed(ctx: Runtime) -> int:
    return _read(ctx, lambda k: k.authorization.cores, 0)


@LICENSE.classmethod(
    "KeyCPUsEnforced",
    "Return the CPU code the active key enforces.",
    "The code at positions 23-27 of the AuthorizationKey (see KeyCPUsLicensed); it may be "
    "higher than the licensed code when the key was adjusted for a CPU counting issue.",
    "()",
)
def key_cpus_enforced(ctx: Runtime) -> int:
    return _read(ctx, lambda k: k.authorization.cores_enforced, 0)


@LICENSE.classmethod(
    "MaxBufferPool",
    "Return the largest buffer pool the active key authorizes, in MB (0: unlimited).",
    signature="()",
)
def max_buffer_pool(ctx: Runtime) -> int:
    return _read(ctx, lambda k: k.max_buffer_pool, 0)


@LICENSE.classmethod(
    "MaxDB",
    "Return how many non-system databases the active key authorizes (0: unlimited).",
    signature="()",
)
def max_db(ctx: Runtime) -> int:
    return _read(ctx, lambda k: k.max_databases, 0)


@LICENSE.classmethod(
    "MaxECPServers",
    "Return how many ECP servers the active key authorizes.",
    "Only meaningful when NetworkEnabled() is 1.",
    "()",
)
def max_ecp_servers(ctx: Runtime) -> int:
    return _read(ctx, lambda k: k.ecp_servers, 0)


@LICENSE.classmethod(
    "NetworkEnabled",
    "Return 1 if the active key enables ECP, 0 if it does not.",
    signature="()",
)
def network_enabled(ctx: Runtime) -> int:
    return _read(ctx, lambda k: int(k.network), 0)


@LICENSE.classmethod(
    "KeyFeatures",
    "Return the feature digits of the active key's AuthorizationKey.",
    "Eight hexadecimal digits; bit n set means extended feature n is authorized (see GetFeature).",
    "()",
)
def key_features(ctx: Runtime) -> str:
    start = BODY_LENGTH - _FEATURE_DIGITS
    return _read(ctx, lambda k: k.file.authorization_key[start:BODY_LENGTH], "")


@LICENSE.classmethod(
    "GetFeature",
    "Return 1 if the active key authorizes extended feature n, else 0.",
    "GetFeature(n), n: " + ", ".join(f"{n} {name}" for n, name in enumerate(FEATURES)) + ".",
    # Declared without formal arguments in Caché (a $SYSTEM object method): Help shows "()".
    "()",
)
def get_feature(ctx: Runtime, n: Argument = 0) -> int:
    bit = arg_int(n)
    if not 0 <= bit < 32:
        return 0
    return _read(ctx, lambda k: k.feature_bits >> bit & 1, 0)
