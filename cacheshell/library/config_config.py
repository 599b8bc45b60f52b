"""Config.config: the [config] section of cache.cpf, from ObjectScript (Get and Modify).

The values are validated by system/settings.py. A running instance reads LicenseUpdatePeriod
at every tick of its service, so a modified period applies within a fraction of a second.
"""

from __future__ import annotations

from cacheshell.lang import status
from cacheshell.lang.objects import REGISTRY, Value
from cacheshell.lang.refs import Argument, Ref, deref
from cacheshell.lang.runtime import Runtime
from cacheshell.lang.values import to_num, to_str
from cacheshell.library.help import HELP
from cacheshell.library.host import instance_of
from cacheshell.library.privileges import require
from cacheshell.system import settings
from cacheshell.system.console import INFO

CONFIG = REGISTRY.define(
    "Config.config",
    "The [config] section of cache.cpf: LicenseUpdatePeriod, gmheap.",
    home="%SYS",  # the Config classes are in CACHESYS only, as in Caché
)
# Every Config class extends %SYSTEM.Help in Caché.
REGISTRY.inherit("Config.", HELP)

_PROPERTIES = ", ".join(settings.CONFIG_READERS)


def _other_file(cpf_file: Argument) -> str | None:
    """An error status when a CPF file other than the active one is named."""
    if to_str(deref(cpf_file)):
        return status.error(5001, "Only the active CPF file can be read or modified here")
    return None


def _number(value: int | float) -> Value:
    return to_num(str(value))


@CONFIG.classmethod(
    "Get",
    "Read the [config] properties into the array passed by reference.",
    f"Sets Properties(name) for each [config] property ({_PROPERTIES}) to the value the "
    "instance uses (its default when the cpf has none or one that is not usable), and to the "
    "text of any other line of the section. Returns a %Status.",
    '(&Properties, CPFFile="", Flags=1)',
)
def get(
    ctx: Runtime, properties: Argument | None = None, cpf_file: Argument = "", *_: Argument
) -> int | str:
    refused = _other_file(cpf_file)
    if refused is not None:
        return refused
    cpf = instance_of(ctx).cpf()
    known = settings.config_values(cpf)
    if isinstance(properties, Ref):
        properties.kill()
        for name, text in cpf.section(settings.CONFIG).items():
            if name not in known:
                properties.set(text, name)
        for name, value in known.items():
            properties.set(_number(value), name)
    return status.OK


@CONFIG.classmethod(
    "Modify",
    "Change the [config] properties given in the array passed by reference.",
    "Only the properties given change; each is validated first (LicenseUpdatePeriod: seconds, "
    f"{settings.MIN_UPDATE_PERIOD:g} to {settings.MAX_UPDATE_PERIOD:g}; gmheap: KB, 0 to "
    f"{settings.MAX_GMHEAP}), and when one is not valid nothing changes and the %Status says "
    "why. A running instance's license monitor takes a new LicenseUpdatePeriod at once and "
    "sends an update announcing it. Needs the %Admin_Manage role, else <PROTECT>. Returns a "
    "%Status.",
    '(&Properties, CPFFile="", Flags=1)',
)
def modify(
    ctx: Runtime, properties: Argument | None = None, cpf_file: Argument = "", *_: Argument
) -> int | str:
    require(ctx)  # it writes cache.cpf
    refused = _other_file(cpf_file)
    if refused is not None:
        return refused
    given: dict[str, str] = {}
    if isinstance(properties, Ref):
        for subs, value in properties.sym.nodes(properties.name):
            if len(subs) == 1:
                given[to_str(subs[0])] = to_str(value).strip()
    failed: Value = status.OK
    for name, text in given.items():
        problem = settings.check_config_value(name, text)
        if problem:
            failed = status.append(failed, status.error(5001, problem))
    if status.is_error(failed):
        return to_str(failed)
    instance = instance_of(ctx)
    cpf = instance.cpf()
    changes = []
    for name, text in given.items():
        before = cpf.get(settings.CONFIG, name, "")
        if before != text:
            cpf.set(settings.CONFIG, name, text)
            changes.append(f"{name}={text} (was {before or 'the default'})")
    if changes:
        cpf.save()
        instance.log.write("[config] modified: " + ", ".join(changes), INFO)
    return status.OK
