"""%SYSTEM.License key checks and activation: IsValidKey, CheckKeyForUpgrade, Upgrade and the
status of the active key."""

from __future__ import annotations

from pathlib import Path

from cacheshell.lang import status
from cacheshell.lang.lists import listbuild
from cacheshell.lang.objects import Value
from cacheshell.lang.refs import Argument, Ref, deref
from cacheshell.lang.runtime import Runtime
from cacheshell.lang.values import to_str
from cacheshell.library import privileges
from cacheshell.library.host import instance_of
from cacheshell.library.system_license import LICENSE
from cacheshell.system import keys
from cacheshell.system.instance import Instance
from cacheshell.system.keyfile import KeyFileError
from cacheshell.system.keys import LicenseKey

# %Status codes: the file is absent; anything else wrong with it (the text says what).
_NO_FILE = 5012
_GENERAL = 5001


def _load_checked(ctx: Runtime, inst: Instance, name: str) -> tuple[int | str, LicenseKey | None]:
    """(%Status, key): the key file `name` (relative to the current directory) if valid here.
    Reading a file by name needs %Admin_Manage, inside the instance's tree unless %All."""
    privileges.require(ctx)
    if not name:
        return status.error(_NO_FILE, name), None
    path = privileges.readable(ctx, name, Path.cwd())
    if not path.is_file():
        return status.error(_NO_FILE, name), None
    try:
        key = keys.load_key(path)
    except KeyFileError as exc:
        return status.error(_GENERAL, privileges.file_reason(name, path, exc.reason)), None
    check = inst.check(key)
    if not check.valid:
        return status.error(_GENERAL, check.reason), None
    return status.OK, key


def _set(target: Argument | None, value: Value) -> None:
    if isinstance(target, Ref):
        target.set(value)


def _list_value(text: str) -> int | str:
    # Counts go into the $LIST as numbers, names as strings.
    return int(text) if text.isdigit() else text


@LICENSE.classmethod(
    "IsValidKey",
    "Check a license key file for this instance; return a %Status.",
    "$$$OK when the file holds a key valid on this platform today: signed by a trusted issuer, "
    "not expired, for this platform and version. Otherwise an error %Status saying why.\n"
    "RequiresRestart (by reference) is set to 1 when activating the key would have to wait "
    "for a restart (fewer units, a change to or from Power Unit, a much larger license table), "
    'else 0; RestartReason to the reason, or "". Reading a file needs the %Admin_Manage role, '
    "else <PROTECT>; a file outside the instance's directory needs %All.",
    "(PathAndFileName, .RequiresRestart, .RestartReason)",
)
def is_valid_key(
    ctx: Runtime,
    file: Argument = "",
    requires_restart: Argument | None = None,
    restart_reason: Argument | None = None,
) -> int | str:
    inst = instance_of(ctx)
    sc, key = _load_checked(ctx, inst, to_str(deref(file)))
    comparison = keys.compare_keys(inst.active_key(), key) if key is not None else None
    if comparison is not None and comparison.restart_required:
        _set(requires_restart, 1)
        _set(restart_reason, "; ".join(comparison.restart_reasons))
    else:
        _set(requires_restart, 0)
        _set(restart_reason, "")
    return sc


@LICENSE.classmethod(
    "CheckKeyForUpgrade",
    "Return 1 if a new key file authorizes less than the active key.",
    "Reductions (by reference) is killed, then gets one node per reduction, each $LB(old,new): "
    'Reductions("Cores"), ("Users"), ("Server"), ("LicenseType"), ("Product"), and '
    'Reductions("Feature",name) for each feature the new key drops. Status (by reference) is '
    "what IsValidKey() returns for the file; an invalid file gives 0 and no reductions. "
    "Guarded as IsValidKey().",
    "(NewKeyFile, .Reductions, .Status)",
)
def check_key_for_upgrade(
    ctx: Runtime,
    file: Argument = "",
    reductions: Argument | None = None,
    status_out: Argument | None = None,
) -> int:
    inst = instance_of(ctx)
    sc, key = _load_checked(ctx, inst, to_str(deref(file)))
    _set(status_out, sc)
    if isinstance(reductions, Ref):
        reductions.kill()
    if key is None:
        return 0
    found = keys.compare_keys(inst.active_key(), key).reductions
    if isinstance(reductions, Ref):
        for what, old, new in found:
            subs = ("Feature", what.split(":", 1)[1]) if what.startswith("Feature:") else (what,)
            reductions.set(listbuild(_list_value(old), _list_value(new)), *subs)
    return 1 if found else 0


@LICENSE.classmethod(
    "IsPendingActivation",
    "Return 1 if mgr/cache.key is valid but not the active key, else 0.",
    "0 too when the file is the active key, is missing or is not valid. A key that Upgrade() "
    "deferred to the next restart is pending.",
    "()",
)
def is_pending_activation(ctx: Runtime) -> int:
    return int(instance_of(ctx).is_pending_activation())


@LICENSE.classmethod(
    "GetKeyStatus",
    "Return the state of the active key: Valid, Invalid or Troubled.",
    "Troubled means valid but expiring within 30 days; GetKeyInvalidReason() says more.",
    "()",
)
def get_key_status(ctx: Runtime) -> str:
    return instance_of(ctx).key_status().status


@LICENSE.classmethod(
    "GetKeyInvalidReason",
    'Return why the active key is invalid or troubled ("" if valid).',
    signature="()",
)
def get_key_invalid_reason(ctx: Runtime) -> str:
    return instance_of(ctx).key_status().reason


@LICENSE.classmethod(
    "Upgrade",
    "Activate the cache.key that was copied into the manager directory.",
    'Returns 1 when the key is active now, or "0|reason". A key with fewer units, or a change '
    "to or from Power Unit, waits for the next restart; when gmheap cannot hold a larger table "
    "the key is activated but the table keeps its size (see the console log). From the shell "
    "prompt of the operating system, even when every license unit is in use: "
    "csession CACHE -U %SYS '##Class(%SYSTEM.License).Upgrade()'. Needs the %Admin_Manage "
    "role, else <PROTECT>.",
    "()",
)
def upgrade(ctx: Runtime) -> int | str:
    privileges.require(ctx)  # it changes the active key
    result = instance_of(ctx).upgrade()
    return 1 if result == "1" else result
