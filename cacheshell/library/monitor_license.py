"""%Monitor.System.License: the alert raised when available license units run low.

The engine checks after every login and logout (Instance.check_alert) and writes the alert to
the console log once per crossing. The notification method named by SetNotify is ObjectScript,
so it can only run where ObjectScript is running: it is called when the crossing happens inside
a %SYSTEM.License call of this process (Login, UserNameLicensing). A crossing caused by a
terminal starting or ending is logged but notifies nobody. A class that is not registered is
skipped; an error inside the method is logged and does not fail the login that raised it.
"""

from __future__ import annotations

from cacheshell.lang import status
from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.objects import REGISTRY, full_class_name
from cacheshell.lang.refs import Argument, deref
from cacheshell.lang.runtime import Runtime
from cacheshell.lang.values import to_int64, to_str
from cacheshell.library.host import instance_of
from cacheshell.library.privileges import require
from cacheshell.system.console import WARNING

MONITOR = REGISTRY.define(
    "%Monitor.System.License",
    "License monitoring: an alert when available license units fall too low.",
)


@MONITOR.classmethod(
    "SetAlert",
    "Raise an alert when available license units fall below a minimum.",
    "After each login or logout the instance compares the units still available with the "
    'minimum; when they fall below it, the console log gets "Available licenses have fallen '
    'below minimum of N" and the method named by SetNotify() is called. The alert is raised '
    "once per crossing and again only after availability has come back to the minimum. "
    "0 turns the alert off. Needs the %Admin_Manage role, else <PROTECT>.\nReturns a %Status.",
    "(min)",
)
def set_alert(ctx: Runtime, minimum: Argument = 0) -> int:
    # A setting of the whole instance's license monitoring (DESIGN decision 11).
    require(ctx)
    value = to_int64(deref(minimum))
    if value < 0:
        raise ObjectScriptError("ILLEGAL VALUE")
    inst = instance_of(ctx)
    with inst.store.transaction():
        inst.store.put("alert_minimum", value)
        inst.store.put("alert_low", 0)  # a new minimum starts a new watch
    notify(ctx, inst.check_alert())
    return status.OK


@MONITOR.classmethod(
    "SetNotify",
    "Name a class method to call with the alert text when the alert is raised.",
    "The method is called as ##class(Class).Method(text) in the process whose license call "
    'raised the alert; a class that does not exist is skipped. SetNotify("") stops the '
    "calls. Needs the %Admin_Manage role, else <PROTECT>.\nReturns a %Status.",
    "(class, method)",
)
def set_notify(ctx: Runtime, class_name: Argument = "", method: Argument = "") -> int:
    # The method named runs in whichever process raises the alert, an administrator's too:
    # naming it is the administrator's to do.
    require(ctx)
    store = instance_of(ctx).store
    with store.transaction():
        store.put("alert_notify_class", to_str(deref(class_name)) or None)
        store.put("alert_notify_method", to_str(deref(method)) or None)
    return status.OK


def notify(ctx: Runtime, message: str) -> None:
    """Pass an alert that just fired to the method SetNotify named, if any."""
    if not message:
        return
    inst = instance_of(ctx)
    class_name = to_str(inst.store.get("alert_notify_class", ""))
    method = to_str(inst.store.get("alert_notify_method", ""))
    if not class_name or not method:
        return
    cls = ctx.registry.find(full_class_name(class_name))
    if cls is None:
        return
    try:
        cls.call_class_method(ctx, method, [message])
    except ObjectScriptError as err:
        inst.log.write(
            f"License alert notification {class_name}.{method} failed: {err.zerror}", WARNING
        )
