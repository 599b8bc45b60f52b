"""The one privilege model of the ObjectScript library (DESIGN decision 11).

Changing the key, the configuration or the license limits, loading application licenses, and
reading or writing a file by a caller-given path need %Admin_Manage (or %All); everyone else
gets <PROTECT>. Caché's <PROTECT> says nothing of the privilege that was missing, deliberately,
so that a user cannot map out what is needed (InterSystems Developer Community, "Fine tuning
access permissions for CSP application",
https://community.intersystems.com/post/fine-tuning-access-permissions-csp-application).

A path is followed to its real target and must lie inside the instance's directory tree
(<home>/<INSTANCE>/, which holds mgr/) unless the caller holds %All; outside it the caller gets
<PROTECT> naming the file it gave, as a <PROTECT> names the resource it refused (a global and
its directory: objectscript.md, error table). A write never follows a symbolic link at the name
itself, whoever writes.
"""

from __future__ import annotations

from pathlib import Path

from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.runtime import Runtime
from cacheshell.library.host import instance_of
from cacheshell.system import paths
from cacheshell.system.users import ADMIN_MANAGE, ALL, grants

ADMIN = ADMIN_MANAGE


def holds(ctx: Runtime, privilege: str) -> bool:
    """Whether the roles of $ROLES give `privilege` (users.grants: %Manager gives
    %Admin_Manage, %All gives every one)."""
    return grants({role.strip() for role in ctx.host.roles.split(",")}, privilege)


def require(ctx: Runtime, *privileges: str) -> None:
    """<PROTECT> unless the caller holds %All or one of `privileges` (%Admin_Manage when
    none is named)."""
    if not any(holds(ctx, privilege) for privilege in privileges or (ADMIN,)):
        raise ObjectScriptError("PROTECT")


def _refused(name: str) -> ObjectScriptError:
    return ObjectScriptError("PROTECT", f"*{name}")


def _no_nul(name: str) -> None:
    """No file name holds a NUL character: the operating system could not even look for it."""
    if "\0" in name:
        raise ObjectScriptError("NOTOPEN", "*" + name.replace("\0", "$C(0)"))


def _confine(ctx: Runtime, name: str, real: Path) -> None:
    if not holds(ctx, ALL) and not paths.inside(real, instance_of(ctx).layout.directory):
        raise _refused(name)


def readable(ctx: Runtime, name: str, base: Path) -> Path:
    """The real path of a file the caller names to be read (relative names from `base`):
    %Admin_Manage, and inside the instance's tree unless the caller holds %All."""
    require(ctx)
    _no_nul(name)
    real = paths.resolve(name, base)
    _confine(ctx, name, real)
    return real


def writable(ctx: Runtime, name: str, base: Path) -> Path:
    """Where a write of the file the caller names goes, checked as `readable` is; the last
    component is not followed (write() refuses a link there). Whoever writes, never over the
    state of the instance's home (paths.holds_state)."""
    require(ctx)
    _no_nul(name)
    target = paths.resolve_for_writing(name, base)
    _confine(ctx, name, target)
    if paths.holds_state(instance_of(ctx).layout.home, target):
        raise _refused(name)
    return target


def file_reason(name: str, real: Path, reason: str) -> str:
    """A reader's reason about a file, naming it as the caller did: `name: what is wrong`."""
    reason = reason.replace(str(real), name)
    return reason if name in reason else f"{name}: {reason}"


def write(ctx: Runtime, name: str, base: Path, text: str, make_directory: bool = False) -> Path:
    """Write a file the caller names; <PROTECT> as `writable` says, <NOTOPEN> naming the file
    when it cannot be written (a symbolic link or anything but a regular file there)."""
    target = writable(ctx, name, base)
    try:
        if make_directory:
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        paths.write_regular(target, text)
    except paths.PathRefused as exc:
        raise ObjectScriptError("NOTOPEN", f"*{name}: {exc.reason}") from None
    except OSError as exc:
        raise ObjectScriptError("NOTOPEN", f"*{name}: {exc.strerror or exc}") from None
    return target
