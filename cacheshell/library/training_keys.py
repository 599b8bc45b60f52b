"""Training.World's keys: IssueKey mints a key file for a lesson, RestoreTrainingKey puts the
instance's own training key back (system/training_keys.py)."""

from __future__ import annotations

from pathlib import Path

from cacheshell.lang import values as V
from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.objects import REGISTRY
from cacheshell.lang.refs import Argument, deref
from cacheshell.lang.runtime import Runtime
from cacheshell.library import privileges
from cacheshell.library.help import HELP
from cacheshell.library.host import instance_of
from cacheshell.library.training_world import WORLD
from cacheshell.library.training_world import restart as world_restart
from cacheshell.system import training_keys
from cacheshell.system.keyfile import KeyFileError, render_key_file

# Help() on Training.World, as on the %SYSTEM classes: what a trainee calls it with.
REGISTRY.inherit("Training.World", HELP)


def _given(value: Argument) -> str:
    return V.to_str(deref(value))


@WORLD.classmethod(
    "IssueKey",
    "Write a key file signed by the training issuer; return its order number.",
    "IssueKey(file, units, customer, multi, order) mints a license key as `cacheshell key "
    f"issue` does: `units` license units (default {training_keys.DEFAULT_UNITS}), CustomerName "
    f'`customer` (default "{training_keys.DEFAULT_CUSTOMER}"), a Multiserver key unless `multi` '
    "is 0, Concurrent User, Enterprise, for this machine, expiring 12/31/2099. Without `order` "
    "it gets a new six-digit order number that no key of this host's instances has, so it "
    "shares units with none of them. The file goes to the current directory unless the name "
    "has a path; activate it with ##class(Portal.LicenseKey).Activate(file). A bad value "
    "raises <ILLEGAL VALUE>; a file that cannot be written, <NOTOPEN>. Needs the "
    "%Admin_Manage role, else <PROTECT>; a file outside the instance's directory needs %All.",
    f'(file, units={training_keys.DEFAULT_UNITS}, customer="{training_keys.DEFAULT_CUSTOMER}", '
    'multi=1, order="")',
)
def issue_key(
    ctx: Runtime,
    file: Argument,
    units: Argument = "",
    customer: Argument = "",
    multi: Argument = "",
    order: Argument = "",
) -> str:
    name = _given(file)
    privileges.require(ctx)  # it writes a file by name
    if not name:
        raise ObjectScriptError("ILLEGAL VALUE", "*no file name")
    count = _given(units)
    if count and (not count.isdigit() or int(count) < 1):
        raise ObjectScriptError("ILLEGAL VALUE", f"*units {count} is not a whole number from 1")
    try:
        key = training_keys.mint(
            units=int(count) if count else training_keys.DEFAULT_UNITS,
            multi=V.is_true(deref(multi)) if _given(multi) != "" else True,
            customer=_given(customer) or training_keys.DEFAULT_CUSTOMER,
            order=_given(order),
            home=instance_of(ctx).layout.home,
        )
    except KeyFileError as exc:
        raise ObjectScriptError("ILLEGAL VALUE", f"*{exc.reason}") from None
    privileges.write(ctx, name, Path.cwd(), render_key_file(key.file))
    return key.file.order_number


@WORLD.classmethod(
    "RestoreTrainingKey",
    "Activate the instance's own training key again; return 1 once it is active.",
    "RestoreTrainingKey() activates the training key the instance was created with (kept in "
    "mgr/training.key) as ##class(Portal.LicenseKey).Activate does: it is copied over "
    "mgr/cache.key and Upgrade() runs. When it has fewer units than the active key, the "
    "instance is restarted as Training.World.Restart() does (every process and session ends; "
    "this terminal is attached again), so the training key is active when it returns. An "
    "instance created before training keys were kept, or with a key of its own, gets a newly "
    "minted training key (a new order number), kept from then on. Writes what it did; "
    'returns 1, or "0|reason" when the key could not be activated. Needs the %Admin_Manage '
    "role, else <PROTECT>.",
    "()",
)
def restore_training_key(ctx: Runtime) -> int | str:
    privileges.require(ctx)  # it activates a key
    instance = instance_of(ctx)
    try:
        restored = training_keys.restore(instance)
    except KeyFileError as exc:
        raise ObjectScriptError("ILLEGAL VALUE", f"*{exc.reason}") from None
    ctx.out.write(training_keys.describe(restored, instance) + "\n")
    result = restored.activation.result
    if result == "1" or not restored.activation.check.valid:
        return 1 if result == "1" else result
    world_restart(ctx)
    active = instance.active_key()
    if active is None or active.file != restored.key.file:
        return f"0|{instance.key_reason() or 'the training key is not active after the restart'}"
    ctx.out.write(f"Instance {instance.name} restarted: the training key is active.\n")
    return 1
