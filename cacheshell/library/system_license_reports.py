"""%SYSTEM.License reports of the local instance: CKEY, Decode, ShowCounts and the three dumps.

The text comes from system/reports.py over the rows of system/usage.py.
"""

from __future__ import annotations

from pathlib import Path

from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.refs import Argument, deref
from cacheshell.lang.runtime import Runtime
from cacheshell.lang.values import to_str
from cacheshell.library.host import instance_of, session_of
from cacheshell.library.system_license import LICENSE
from cacheshell.system import reports, usage
from cacheshell.system.authkey import BODY_LENGTH, KEY_LENGTH, decode_authorization, decode_body
from cacheshell.system.files import write_atomically
from cacheshell.system.keyfile import KeyFileError
from cacheshell.system.namespaces import Namespaces

ALL_FILE, IN_USE_FILE, PID_FILE = "all.dmp", "inuse.dmp", "piduse.dmp"


@LICENSE.classmethod(
    "CKEY",
    "Display the active key and how many license units are available.",
    "Shows the [License] fields of the active key, then the units available now, the fewest "
    "available since the start, and the most that can be. The same report as ^CKEY.",
    "()",
)
def ckey(ctx: Runtime) -> str:
    inst = instance_of(ctx)
    text = reports.ckey(inst.key_path, usage.key_fields(inst), usage.snapshot(inst))
    ctx.out.write(text)
    return ""


@LICENSE.classmethod(
    "Decode",
    "Display what the active key's AuthorizationKey authorizes.",
    "Product, license type, server type, platform, units, cores and extended features.",
    "()",
)
def decode(ctx: Runtime) -> str:
    inst = instance_of(ctx)
    key = inst.active_key()
    if key is None:
        ctx.out.write(f"\nNo active license key: {inst.key_reason() or 'none installed'}\n")
        return ""
    rows = usage.decode_rows(key.authorization)
    ctx.out.write(reports.decode("AuthorizationKey of the active key:", rows))
    return ""


@LICENSE.classmethod(
    "DecodeAuth",
    "Display what a given AuthorizationKey authorizes.",
    "Accepts a whole signed AuthorizationKey or its first 46 digits; the signature is not "
    "checked here (IsValidKey does that for a key file).",
    "(key)",
)
def decode_auth(ctx: Runtime, key: Argument = "") -> str:
    text = to_str(deref(key)).strip()
    try:
        auth = decode_authorization(text)[0] if len(text) == KEY_LENGTH else decode_body(text)
    except KeyFileError as exc:
        ctx.out.write(f"\nCannot decode: {exc.reason}\n")
        return ""
    title = f"AuthorizationKey {text[:BODY_LENGTH]}:"
    ctx.out.write(reports.decode(title, usage.decode_rows(auth)))
    return ""


@LICENSE.classmethod(
    "ShowCounts",
    "Display the license counters of this instance.",
    "Units authorized, available now and at the lowest; active users now and at the most "
    "(distinct license IDs, so fewer than the units consumed when an ID passed MaxConnections); "
    "CSP users and CSP sessions in the grace period, now and at the most.",
    "()",
)
def show_counts(ctx: Runtime) -> str:
    rows = usage.counts_rows(instance_of(ctx))
    # Text at a terminal; a table where the front end shows rich output (a notebook).
    session_of(ctx).show_table(
        "License counts",
        ["Count", "Counter"],
        [(value, label) for label, value in rows],
        reports.show_counts(rows),
    )
    return ""


def _write_dump(ctx: Runtime, name: Argument, default: str, text: str) -> str:
    """Write a dump; a name without a path goes to the namespace's directory (mgr/user/ for
    USER), the process's current directory as Caché's dumps use it ("in the current
    directory", licensing chapter, Methods to Show Local License Information)."""
    file = to_str(deref(name)) or default
    path = Path(file)
    if not path.is_absolute():
        path = Namespaces(instance_of(ctx).layout).directory(ctx.namespace) / path
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomically(path, text)  # owner-only, as every file under mgr/ is
    except OSError as exc:
        raise ObjectScriptError("NOTOPEN", f"*{file}: {exc.strerror or exc}") from None
    return file


_DUMP_COLUMNS = (
    "Each line: the slot number, the license ID, its connections, its CSP sessions, and the "
    "seconds since it took its unit."
)


@LICENSE.classmethod(
    "DumpLocalAll",
    "Write every slot of the local license table to a file (all.dmp).",
    "The file goes to the namespace's directory (mgr/user/ for USER, mgr/ for %SYS) unless the "
    "name has a path. A header gives the "
    "capacity, the units in use and those remaining; then one line per license ID in use and "
    'one "free" line per unit still available. ' + _DUMP_COLUMNS + "\nReturns the file name.",
    "(filename)",
)
def dump_local_all(ctx: Runtime, filename: Argument = "") -> str:
    inst = instance_of(ctx)
    text = reports.dump_all(usage.snapshot(inst), usage.user_rows(inst, include_free=True))
    return _write_dump(ctx, filename, ALL_FILE, text)


@LICENSE.classmethod(
    "DumpLocalInUse",
    "Write the slots of the local license table in use to a file (inuse.dmp).",
    "As DumpLocalAll, without the free slots. " + _DUMP_COLUMNS + "\nReturns the file name.",
    "(filename)",
)
def dump_local_in_use(ctx: Runtime, filename: Argument = "") -> str:
    inst = instance_of(ctx)
    text = reports.dump_in_use(usage.snapshot(inst), usage.user_rows(inst))
    return _write_dump(ctx, filename, IN_USE_FILE, text)


@LICENSE.classmethod(
    "DumpLocalPID",
    "Write license use by process to a file (piduse.dmp).",
    "One tab-separated line per process, the instance's own (System) ones included: PID, "
    "process type (System, User, Pending, Diagnostic ...), "
    "license ID, login type, then the connections, peak connections, CSP sessions and units "
    "of its license ID, the seconds it has held the ID and any grace seconds left. Processes "
    "sharing an ID repeat its numbers, so the columns do not add up.\nReturns the file name.",
    "(filename)",
)
def dump_local_pid(ctx: Runtime, filename: Argument = "") -> str:
    text = reports.dump_pid(usage.process_rows(instance_of(ctx)))
    return _write_dump(ctx, filename, PID_FILE, text)
