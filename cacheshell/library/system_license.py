"""%SYSTEM.License: license login, user identification and per-instance limits.

The class is spread over several modules (counters, keys, activation, reports), all registering
on the one ClassDef defined here (the license server members are in system_license_servers.py).
"""

from __future__ import annotations

from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.objects import REGISTRY
from cacheshell.lang.refs import Argument, deref
from cacheshell.lang.runtime import Runtime
from cacheshell.lang.values import to_int64, to_str
from cacheshell.library.host import instance_of, process_of
from cacheshell.library.monitor_license import notify
from cacheshell.library.privileges import require
from cacheshell.system import table
from cacheshell.system.license_table import USER

LICENSE = REGISTRY.define(
    "%SYSTEM.License",
    "The license API of the local instance: logins, counters, the key and usage reports.",
)

# A Real Time or Web Add-On key counts by username always: the setting cannot be changed.
_FIXED_USERNAME_TYPES = ("Real Time",)
_FIXED_USERNAME_FEATURES = ("WebAddOn",)


def arg_int(value: Argument) -> int:
    return to_int64(deref(value))


# -- login and identification ---------------------------------------------------------------
@LICENSE.classmethod(
    "Login",
    "Log this process in to the license system under an identifier you choose.",
    "The license ID becomes UserIdentifier@address, where address is the client's address: "
    "anything after an @ in UserIdentifier is replaced by it, and every | becomes /. The whole "
    "ID may have at most 64 characters, else <ILLEGAL VALUE>. The unit held under the old ID "
    "is given back once the new ID has one; the 25-connection rule applies to the new ID.\n"
    "Returns the number of connections now under the new ID (this one included), or 0 when "
    "no license unit is available, in which case the process keeps its old ID.",
    "(UserIdentifier)",
)
def login(ctx: Runtime, identifier: Argument = "") -> int:
    proc = process_of(ctx)
    text = to_str(deref(identifier))
    if len(table.license_login_id(text, proc.identity.client)) > table.MAX_LICENSE_ID:
        raise ObjectScriptError("ILLEGAL VALUE")
    count = proc.login(text)
    notify(ctx, proc.alert)
    return count


@LICENSE.classmethod(
    "DeferUserIdentification",
    "Choose deferred (1) or automatic (0) license login for processes of this instance.",
    "With 1, processes that start later take no license unit: they wait, as Pending processes, "
    "for the application to call Login(); one that never does pauses after its first 4000 "
    "commands and every 1000 after that. With 0 each process is identified and licensed as it "
    "starts. The setting holds for the whole instance until it restarts, so it is usually "
    "made in SYSTEM^%ZSTART. Setting it needs the %Admin_Manage role, else <PROTECT>.\n"
    "Returns the previous setting; without an argument, only returns the current one.",
    "(usage)",
)
def defer_user_identification(ctx: Runtime, usage: Argument | None = None) -> int:
    if usage is not None:
        # The reference notes name no privilege for the instance-wide setters but
        # SetUserLimit and SetConnectionLimit; this one changes how every later process is
        # licensed, so it is guarded with them (DESIGN decision 11). Reading stays open.
        require(ctx)
    store = instance_of(ctx).store
    with store.transaction():
        previous = int(store.get("deferred", 0))
        if usage is not None:
            store.put("deferred", 1 if arg_int(usage) else 0)
    return previous


@LICENSE.classmethod(
    "UserNameLicensing",
    "Show, or switch on (1) or off (0), licensing by $USERNAME instead of client address.",
    "With username licensing on, a process's license ID is $USERNAME@address, so two people "
    "behind one address count as two users. The change applies to this process at once (when "
    "its ID is still the automatic one) and to every process that starts afterwards.\n"
    "Returns the state before the call: 1 enabled, 0 disabled; without an argument it only "
    "returns the current state. Changing it needs the %Admin_Manage role, else <PROTECT>. "
    "Real Time and Web Add-On keys always license by username: changing the state with them "
    "gives <UNLICENSED>.",
    "(OnOffState)",
)
def user_name_licensing(ctx: Runtime, state: Argument | None = None) -> int:
    inst, proc = instance_of(ctx), process_of(ctx)
    store = inst.store
    previous = int(store.get("username_licensing", 0))
    if state is None:
        return previous
    require(ctx)  # instance-wide, as DeferUserIdentification: guarded, reading open
    key = inst.active_key()
    if key is not None and (
        key.license_type in _FIXED_USERNAME_TYPES
        or set(key.features) & set(_FIXED_USERNAME_FEATURES)
    ):
        raise ObjectScriptError("UNLICENSED")
    before = proc.automatic_license_id()
    with store.transaction():
        previous = int(store.get("username_licensing", 0))
        store.put("username_licensing", 1 if arg_int(state) else 0)
    after = proc.automatic_license_id()
    # Only an automatically chosen ID follows the setting; one set by Login() stays.
    if proc.kind == USER and proc.license_id == before and after != before:
        # Not a login: the process keeps its ID when there is no unit, and nothing is logged.
        if inst.table.relogin(proc.pid, after, record_refusal=False).granted:
            proc.license_id = after
            proc.alert = inst.check_alert()
            notify(ctx, proc.alert)
    return previous


@LICENSE.classmethod(
    "GetUserId",
    "Return the license ID of this process, or of the process PID.",
    "An empty result means the process holds no license ID: it deferred its license login and "
    "has not called Login() yet, or no such process is attached to the instance. "
    "GetUserId(PID) gives the license ID of another process.",
    # Declared without formal arguments in Caché (a $SYSTEM object method): Help shows "()".
    "()",
)
def get_user_id(ctx: Runtime, pid: Argument | None = None) -> str:
    wanted = process_of(ctx).pid if pid is None else arg_int(pid)
    row = instance_of(ctx).table.process(wanted)
    return row.license_id if row is not None else ""


@LICENSE.classmethod(
    "ConnectionCount",
    "Return how many connections the license ID has on this instance.",
    "Normally between 0 and MaxConnections(); a larger count means the ID passed the limit "
    "and now takes one license unit per connection until all its connections end.",
    "(UserIdentifier)",
)
def connection_count(ctx: Runtime, license_id: Argument = "") -> int:
    return instance_of(ctx).table.connection_count(to_str(deref(license_id)))


@LICENSE.classmethod(
    "MaxConnections",
    "Return how many connections one license ID may have on one unit (25).",
    "The next connection turns the ID into one unit per connection; it stays so until every "
    "connection of the ID has ended. The number is fixed: it does not depend on the key.",
    "()",
)
def max_connections(ctx: Runtime) -> int:
    return table.MAX_CONNECTIONS


@LICENSE.classmethod(
    "SetConnectionLimit",
    "Cap the connections one license ID may have on this instance.",
    "0 removes the cap. SetConnectionLimit($SYSTEM.License.MaxConnections()) keeps every ID on "
    "one unit. A connection over the cap is refused as any other (Login() returns 0, a new "
    "terminal gets <LICENSE LIMIT EXCEEDED>) but is not written to the console log. Needs the "
    "%Admin_Manage role, else <PROTECT>.\nReturns the previous cap.",
    "(MaxCon)",
)
def set_connection_limit(ctx: Runtime, limit: Argument = 0) -> int:
    require(ctx)
    value = arg_int(limit)
    if value < 0:
        raise ObjectScriptError("ILLEGAL VALUE")
    store = instance_of(ctx).store
    with store.transaction():
        previous = int(store.get("connection_limit", 0))
        store.put("connection_limit", value)
    return previous


@LICENSE.classmethod(
    "GetConnectionLimit",
    "Return the per-ID connection cap set by SetConnectionLimit (0: none).",
    signature="()",
)
def get_connection_limit(ctx: Runtime) -> int:
    return int(instance_of(ctx).store.get("connection_limit", 0))


@LICENSE.classmethod(
    "SetUserLimit",
    "Cap the license units this instance may take.",
    "Instances sharing a multiserver key use it to divide the key's units among them. 0 removes "
    "the cap. Needs the %Admin_Manage role, else <PROTECT>.\nReturns the previous limit, as "
    "GetUserLimit() gave it.",
    "(MaxLU)",
)
def set_user_limit(ctx: Runtime, limit: Argument = 0) -> int:
    require(ctx)
    value = arg_int(limit)
    if value < 0:
        raise ObjectScriptError("ILLEGAL VALUE")
    store = instance_of(ctx).store
    with store.transaction():
        previous = get_user_limit(ctx)
        store.put("user_limit", value)
    return previous


@LICENSE.classmethod(
    "GetUserLimit",
    "Return the unit cap set by SetUserLimit, or the key's units when none is.",
    signature="()",
)
def get_user_limit(ctx: Runtime) -> int:
    store = instance_of(ctx).store
    return int(store.get("user_limit", 0)) or int(store.get("capacity", 0))
