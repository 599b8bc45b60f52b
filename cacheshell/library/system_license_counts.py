"""%SYSTEM.License counters of the local instance: units, connections, CSP, processes, and the
login-duration histogram. Every number comes from usage.py, as the reports' do."""

from __future__ import annotations

from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.lists import listbuild
from cacheshell.lang.refs import Argument, deref
from cacheshell.lang.runtime import Runtime
from cacheshell.lang.values import to_str
from cacheshell.library.host import instance_of
from cacheshell.library.privileges import require
from cacheshell.library.system_license import LICENSE
from cacheshell.system import table, usage
from cacheshell.system.usage import Counts


def _counts(ctx: Runtime) -> Counts:
    return usage.snapshot(instance_of(ctx))


# -- license units --------------------------------------------------------------------------
@LICENSE.classmethod(
    "LUAvailable",
    "Return the license units this instance can still grant.",
    "The units it may take (the key's, or the SetUserLimit cap) less those consumed now.",
    "()",
)
def lu_available(ctx: Runtime) -> int:
    return _counts(ctx).available


@LICENSE.classmethod(
    "LUConsumed",
    "Return the license units this instance has consumed now.",
    "One per license ID, or one per connection for an ID past MaxConnections().",
    "()",
)
def lu_consumed(ctx: Runtime) -> int:
    return _counts(ctx).consumed


@LICENSE.classmethod(
    "LUMinAvailable",
    "Return the fewest license units that were available since the start.",
    signature="()",
)
def lu_min_available(ctx: Runtime) -> int:
    return _counts(ctx).min_available


@LICENSE.classmethod(
    "LUMaxConsumed",
    "Return the most license units consumed at once since the start.",
    "Counted since the instance started, or since LUMaxConsumedReset().",
    "()",
)
def lu_max_consumed(ctx: Runtime) -> int:
    return _counts(ctx).max_consumed


@LICENSE.classmethod(
    "LUMaxConsumedReset",
    "Bring one or all of the peak counters down to their current values.",
    'With no argument: the license unit and connection peaks. "Users": LUMaxConsumed (and the '
    'maximum of active users ShowCounts shows); "Connections": InstanceConnectionsMax; '
    '"CSPUsers": MaxCSPUsers; "Processes": ProcMaxConsumed; "CSPGrace": MaxCSPGrace; '
    '"*": every one of them. Any other argument is <ILLEGAL VALUE>.\nReturns the value the '
    'reset counter had; LUMaxConsumed\'s for no argument and "*".',
    # Declared without formal arguments in Caché (a $SYSTEM object method): Help shows "()".
    "()",
)
def lu_max_consumed_reset(ctx: Runtime, what: Argument = "") -> int:
    choice = to_str(deref(what)).upper()
    if choice == "":
        names = usage.PEAKS["USERS"] + usage.PEAKS["CONNECTIONS"]
    elif choice == "*":
        names = tuple(name for group in usage.PEAKS.values() for name in group)
    elif choice in usage.PEAKS:
        names = usage.PEAKS[choice]
    else:
        raise ObjectScriptError("ILLEGAL VALUE")
    before = usage.reset_peaks(instance_of(ctx), names)
    return before[names[0]]


# -- connections, CSP and processes ---------------------------------------------------------
@LICENSE.classmethod(
    "InstanceConnections", "Return the processes connected to this instance now.", signature="()"
)
def instance_connections(ctx: Runtime) -> int:
    return _counts(ctx).connections


@LICENSE.classmethod(
    "InstanceConnectionsMax",
    "Return the most processes connected at once since the start.",
    'Counted since the instance started, or since LUMaxConsumedReset("Connections").',
    "()",
)
def instance_connections_max(ctx: Runtime) -> int:
    return _counts(ctx).max_connections


@LICENSE.classmethod("CSPUsers", "Return the CSP sessions active now.", signature="()")
def csp_users(ctx: Runtime) -> int:
    return _counts(ctx).csp_users


@LICENSE.classmethod(
    "MaxCSPUsers", "Return the most CSP sessions active at once since the start.", signature="()"
)
def max_csp_users(ctx: Runtime) -> int:
    return _counts(ctx).max_csp_users


@LICENSE.classmethod(
    "CSPGrace",
    "Return the CSP sessions whose unit is held in the grace period now.",
    "A CSP session that ends after a single page keeps its license unit for up to 10 minutes, "
    "in case the user comes back.",
    "()",
)
def csp_grace(ctx: Runtime) -> int:
    return _counts(ctx).grace


@LICENSE.classmethod(
    "MaxCSPGrace",
    "Return the most CSP sessions in the grace period at once since the start.",
    signature="()",
)
def max_csp_grace(ctx: Runtime) -> int:
    return _counts(ctx).max_grace


@LICENSE.classmethod(
    "ProcConsumed",
    "Return the user processes running now.",
    "Processes that hold a license or wait for one (deferred login); system processes are not "
    "counted.",
    "()",
)
def proc_consumed(ctx: Runtime) -> int:
    return _counts(ctx).processes


@LICENSE.classmethod(
    "ProcMaxConsumed",
    "Return the most user processes running at once since the start.",
    signature="()",
)
def proc_max_consumed(ctx: Runtime) -> int:
    return _counts(ctx).max_processes


# Only a Real Time key restricts processes (IRIS %SYSTEM.License: ProcAvailable is "only meaningful
# for 'Real Time' licenses"); in this model its user processes are counted against its enforced
# units. Other license types, the training key's Concurrent User among them, give 0.
_PROCESS_TYPES = ("Real Time",)


def _process_cap(ctx: Runtime) -> int | None:
    key = instance_of(ctx).active_key()
    if key is None or key.license_type not in _PROCESS_TYPES:
        return None
    return key.enforced_units


@LICENSE.classmethod(
    "ProcAvailable",
    "Return how many more user processes the key lets this instance start.",
    "Only a license type that restricts processes (Real Time) has such a number: its enforced "
    "units less ProcConsumed(). Other types, such as the Concurrent User training key, give 0.",
    "()",
)
def proc_available(ctx: Runtime) -> int:
    cap = _process_cap(ctx)
    return 0 if cap is None else max(cap - _counts(ctx).processes, 0)


@LICENSE.classmethod(
    "ProcMinAvailable",
    "Return the fewest more user processes that were allowed since the start.",
    "The low-water mark of ProcAvailable(): the enforced units less ProcMaxConsumed(). Only a "
    "license type that restricts processes (Real Time) has one; other types, such as the "
    "Concurrent User training key, give 0.",
    "()",
)
def proc_min_available(ctx: Runtime) -> int:
    cap = _process_cap(ctx)
    return 0 if cap is None else max(cap - _counts(ctx).max_processes, 0)


# -- login durations ------------------------------------------------------------------------
@LICENSE.classmethod(
    "ReadDurationValues",
    "Return the upper bounds, in seconds, of the login-duration buckets.",
    "A $LIST of five bounds; a sixth bucket holds every login longer than the last bound.",
    "()",
)
def read_duration_values(ctx: Runtime) -> str:
    return listbuild(*table.DURATION_BOUNDS)


@LICENSE.classmethod(
    "ReadDurationCounts",
    "Return how many logins ended in each login-duration bucket.",
    "A $LIST of six counts, in the order of ReadDurationValues() followed by the unbounded "
    "bucket. A login is counted when its process ends.",
    "()",
)
def read_duration_counts(ctx: Runtime) -> str:
    return listbuild(*usage.duration_counts(instance_of(ctx)))


@LICENSE.classmethod(
    "ClearDurationCounts",
    "Empty the login-duration histogram.",
    "Needs the %Manager role, else <PROTECT>.\nReturns the counts it held, as "
    "ReadDurationCounts() gave them.",
    "()",
)
def clear_duration_counts(ctx: Runtime) -> str:
    require(ctx, "%Manager")
    return listbuild(*usage.clear_durations(instance_of(ctx)))
