"""What the License Key page compares before activation: the current and the new key, field by
field (reports.activation_report sets them side by side)."""

from __future__ import annotations

from cacheshell.system.keyfile import format_date
from cacheshell.system.keys import LicenseKey


def _fields(key: LicenseKey | None, missing: str) -> list[str]:
    if key is None:
        return [missing, "", "", "", "", "", "", ""]
    return [
        key.file.customer_name,
        key.file.order_number,
        format_date(key.expiration),
        str(key.units),
        key.license_type,
        key.server,
        key.product,
        ", ".join(key.features) or "none",
    ]


_LABELS = [
    "CustomerName",
    "OrderNumber",
    "ExpirationDate",
    "LicenseUnits",
    "LicenseType",
    "Server",
    "Product",
    "Features",
]


def comparison_rows(
    current: LicenseKey | None, new: LicenseKey, missing: str
) -> list[tuple[str, str, str]]:
    """(field, current value, new value) for each field the page compares."""
    return list(zip(_LABELS, _fields(current, missing), _fields(new, ""), strict=True))
