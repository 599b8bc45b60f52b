"""What the License Key page shows before activation: the current and the new key side by side,
every reduction the new key brings, and whether a restart is needed and why."""

from __future__ import annotations

from cacheshell.system.keyfile import format_date
from cacheshell.system.keys import Comparison, KeyCheck, LicenseKey

# How each reduction is announced, by the name CheckKeyForUpgrade gives it.
_WARNINGS = {
    "Cores": "Reduce the number of supported cores from {old} to {new}.",
    "Users": "Reduce the number of license units from {old} to {new}.",
    "Server": "Change the supported server type from {old} to {new}.",
    "LicenseType": "Change the supported license type from {old} to {new}.",
    "Product": "Reduce the product level from {old} to {new}.",
}
_COLUMN = 22
_WIDTH = 34


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


def side_by_side(current: LicenseKey | None, new: LicenseKey, missing: str) -> str:
    lines = [f"{'':<{_COLUMN}}{'Current key':<{_WIDTH}}New key"]
    for label, old, fresh in comparison_rows(current, new, missing):
        lines.append(f"{label:<{_COLUMN}}{old[: _WIDTH - 1]:<{_WIDTH}}{fresh}")
    return "\n".join(lines)


def reduction_warnings(comparison: Comparison) -> list[str]:
    warnings = []
    for what, old, new in comparison.reductions:
        if what.startswith("Feature:"):
            warnings.append(f"The new key does not enable {what.split(':', 1)[1]}.")
        else:
            warnings.append(_WARNINGS[what].format(old=old, new=new))
    return warnings


def activation_report(
    current: LicenseKey | None,
    new: LicenseKey,
    check: KeyCheck,
    comparison: Comparison | None,
    missing: str,
) -> str:
    """The text shown before (and after) activating `new` in place of `current`."""
    lines = [side_by_side(current, new, missing), ""]
    if not check.valid:
        lines.append(f"The new key is not valid: {check.reason}")
        lines.append("It was not activated.")
        return "\n".join(lines) + "\n"
    if check.status == "Troubled":
        lines.append(f"Warning: {check.reason}")
    if comparison is not None:
        for warning in reduction_warnings(comparison):
            lines.append(f"Warning: {warning}")
        if comparison.restart_required:
            lines.append("A restart of the instance is required for the new key to take effect:")
            lines.extend(f"  {reason}" for reason in comparison.restart_reasons)
        else:
            lines.append("No restart is needed: the new key takes effect at once.")
    return "\n".join(lines) + "\n"
