"""Training keys: minting one for a lesson (each with an order number of its own), and an
instance's own training key, kept in mgr/training.key so that it can be activated again.

An instance made before training keys were kept, or made with a key of its own or as an
evaluation, has none: the first restore mints a fresh one (a new order number, the training
spec otherwise) and keeps it, so later restores bring back that same key. The original order
number of such an instance is not recorded anywhere, so it cannot be re-made.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from cacheshell.system import authkey, keys, signing
from cacheshell.system.console import INFO
from cacheshell.system.files import write_atomically
from cacheshell.system.instance import KEY_FILE, TRAINING_KEY_FILE, Activation, Instance
from cacheshell.system.keyfile import KeyFileError, render_key_file
from cacheshell.system.keys import LicenseKey

DEFAULT_UNITS = keys.TRAINING_KEY_SPEC.units
DEFAULT_CUSTOMER = keys.TRAINING_KEY_SPEC.customer


def order_numbers_in_use(home: Path) -> set[str]:
    """The order numbers of the keys of every instance of a home (cache.key and training.key,
    read from the files): a newly minted key must share units with none of them by accident."""
    found: set[str] = set()
    if not home.is_dir():
        return found
    for entry in home.iterdir():
        for name in (KEY_FILE, TRAINING_KEY_FILE):
            try:
                found.add(keys.load_key(entry / "mgr" / name).file.order_number)
            except KeyFileError:
                continue
    return found


def mint(
    *,
    units: int = DEFAULT_UNITS,
    multi: bool = True,
    customer: str = DEFAULT_CUSTOMER,
    order: str = "",
    home: Path,
) -> LicenseKey:
    """A key signed by the training issuer for this machine; without `order`, a new order
    number that no key of the home's instances has. Raises KeyFileError for a bad value."""
    order = order.strip()
    if order and not order.isdigit():
        raise KeyFileError(f"order number '{order}' is not a number")
    spec = replace(
        keys.TRAINING_KEY_SPEC,
        units=units,
        multi=multi,
        customer=customer,
        order_number=int(order) if order else keys.new_order_number(order_numbers_in_use(home)),
    )
    return keys.issue_from_spec(
        spec, signing.training_private_key(), authkey.current_platform_code()
    )


def training_key_path(instance: Instance) -> Path:
    return instance.layout.mgr / TRAINING_KEY_FILE


def training_key(instance: Instance) -> tuple[LicenseKey, bool]:
    """The instance's own training key, and whether it was minted now (see the module's note).
    A kept file that does not read raises KeyFileError: it is not replaced behind one's back."""
    path = training_key_path(instance)
    with instance.store.transaction():  # one process mints it, the others read that one
        if path.exists():
            return keys.load_key(path), False
        spec = keys.training_key_spec(avoid=order_numbers_in_use(instance.layout.home))
        key = keys.issue_from_spec(
            spec, signing.training_private_key(), authkey.current_platform_code()
        )
        write_atomically(path, render_key_file(key.file))
    instance.log.write(
        f"No training key was kept for instance {instance.name}: minted a new one "
        f"(OrderNumber {key.file.order_number}) in {path}",
        INFO,
    )
    return key, True


@dataclass(frozen=True)
class Restoration:
    key: LicenseKey
    minted: bool  # no training key was kept: this one was minted now
    already: bool  # it was the active key already
    activation: Activation


def restore(instance: Instance) -> Restoration:
    """Activate the instance's training key as the License Key page activates a file: checked,
    copied over mgr/cache.key through a temporary file and a rename, then Upgrade()."""
    key, minted = training_key(instance)
    active = instance.active_key()
    already = active is not None and active.file == key.file
    activation = instance.activate(training_key_path(instance))
    return Restoration(key, minted, already, activation)


def describe(restoration: Restoration, instance: Instance) -> str:
    """What a restore did, as one line."""
    key = restoration.key
    what = (
        f"Training key (OrderNumber {key.file.order_number}, {key.units} units"
        f"{', newly minted' if restoration.minted else ''})"
    )
    if restoration.already:
        return f"{what} is already the active key."
    if restoration.activation.result == "1":
        return f"{what} copied to {instance.key_path} and activated."
    if restoration.activation.check.valid:
        return f"{what} copied to {instance.key_path}; it takes effect at the next restart."
    return f"{what} is not valid here: {restoration.activation.check.reason}"
