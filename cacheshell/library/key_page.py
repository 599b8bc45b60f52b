"""Portal.LicenseKey: the Management Portal's License Key page, from ObjectScript.

Activating a key checks it, shows it beside the current one with every reduction, copies it into
mgr/ as cache.key through a temporary file and a rename, and runs Upgrade().
"""

from __future__ import annotations

from pathlib import Path

from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.objects import REGISTRY
from cacheshell.lang.refs import Argument, deref
from cacheshell.lang.runtime import Runtime
from cacheshell.lang.values import to_str
from cacheshell.library import privileges
from cacheshell.library.host import instance_of, session_of
from cacheshell.system import keys
from cacheshell.system.instance import MISSING_KEY
from cacheshell.system.key_comparison import comparison_rows
from cacheshell.system.keyfile import KeyFileError
from cacheshell.system.reports import activation_report

PAGE = REGISTRY.define(
    "Portal.LicenseKey", "The License Key page: compare and activate license key files."
)


def _key_file(ctx: Runtime, file: Argument) -> tuple[str, Path]:
    """(the name as given, where it really leads): reading a key file by name needs
    %Admin_Manage, inside the instance's tree unless the caller holds %All."""
    name = to_str(deref(file))
    return name, privileges.readable(ctx, name, Path.cwd())


def _load(name: str, path: Path) -> keys.LicenseKey:
    try:
        return keys.load_key(path)
    except KeyFileError as exc:
        raise ObjectScriptError(
            "ILLEGAL VALUE", f"*{privileges.file_reason(name, path, exc.reason)}"
        ) from None


def _show(
    ctx: Runtime,
    current: keys.LicenseKey | None,
    new: keys.LicenseKey,
    check: keys.KeyCheck,
    comparison: keys.Comparison | None,
    missing: str,
) -> None:
    """The comparison as text, or as a table of the two keys where the front end shows one."""
    rows = comparison_rows(current, new, missing)
    text = activation_report(rows, check, comparison)
    session_of(ctx).show_table(
        "License key comparison", ["Field", "Current key", "New key"], rows, text
    )


@PAGE.classmethod(
    "Compare",
    "Show a key file beside the active key, without activating it.",
    "Writes both keys' fields side by side, the reductions the new key would "
    "bring, and whether activating it would need a restart. Returns 1 when the "
    "file holds a valid key, else 0. Needs the %Admin_Manage role, else <PROTECT>; a file "
    "outside the instance's directory needs %All.",
    "(file)",
)
def compare(ctx: Runtime, file: Argument) -> int:
    instance = instance_of(ctx)
    new = _load(*_key_file(ctx, file))
    check = instance.check(new)
    current = instance.active_key()
    comparison = keys.compare_keys(current, new) if check.valid else None
    missing = instance.key_reason() or MISSING_KEY
    _show(ctx, current, new, check, comparison, missing)
    return 1 if check.valid else 0


@PAGE.classmethod(
    "Activate",
    "Activate a key file placed anywhere: check, show, copy, Upgrade().",
    "An invalid key is never copied. The file is copied into the instance's mgr "
    "directory as cache.key (through a temporary file and a rename), then "
    'Upgrade() runs. Returns what Upgrade() returned: 1, or "0|reason". Guarded as '
    "Compare().",
    "(file)",
)
def activate(ctx: Runtime, file: Argument) -> str:
    instance = instance_of(ctx)
    name, real = _key_file(ctx, file)
    missing = instance.key_reason() or MISSING_KEY
    path = Path(name)
    try:
        result = instance.activate(real)
    except KeyFileError as exc:
        raise ObjectScriptError(
            "ILLEGAL VALUE", f"*{privileges.file_reason(name, real, exc.reason)}"
        ) from None
    _show(ctx, result.current, result.new, result.check, result.comparison, missing)
    if result.result == "1":
        ctx.out.write(
            f"License key activated. File {path} has been copied to {instance.key_path}.\n"
        )
    elif result.check.valid:
        ctx.out.write(
            f"File {path} has been copied to {instance.key_path}; it takes effect "
            f"at the next restart.\n"
        )
    return result.result
