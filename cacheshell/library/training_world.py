"""Training.World: the outside world a trainee drives from the shell, over
cacheshell.system.world: it connects clients (one, many from one address, batch jobs), opens CSP
sessions, moves the clock, restarts and resets, and shows the license event history.

What it makes are Training.Client, Training.Group and Training.CSPSession objects
(training_clients.py); its license-server rehearsals are training_servers.py's, and its training
keys training_keys.py's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from cacheshell.lang import values as V
from cacheshell.lang.dates import h_to_date, horolog
from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.objects import REGISTRY, Row, Value
from cacheshell.lang.refs import Argument, deref
from cacheshell.lang.runtime import Runtime
from cacheshell.library import privileges
from cacheshell.library.host import instance_of, process_of
from cacheshell.library.training_access import as_number, as_text, guarded, world_of
from cacheshell.library.training_clients import (
    CSP_SESSION,
    GROUP,
    ClientObject,
    CspObject,
    GroupObject,
    client_object,
)
from cacheshell.system import reports
from cacheshell.system.process import LicenseRefused
from cacheshell.system.usage import event_rows
from cacheshell.system.world import CONNECTION_KINDS, DEFAULT_CSP_TIMEOUT, LOCAL_ADDRESS

WORLD = REGISTRY.define(
    "Training.World",
    "The world outside the instance: clients, firewalls, batch jobs, CSP sessions, the clock.",
)

_KINDS = ", ".join(f'"{kind}"' for kind in CONNECTION_KINDS)


def _h(seconds: float) -> str:
    return horolog(datetime.fromtimestamp(seconds))


def _from_h(value: str) -> float:
    day, _, seconds = value.partition(",")
    try:
        start = datetime.combine(h_to_date(int(day)), datetime.min.time())
        return (start + timedelta(seconds=int(V.to_num(seconds or 0)))).timestamp()
    except (ValueError, OverflowError):
        raise ObjectScriptError("ILLEGAL VALUE", f"*{value}") from None


@WORLD.classmethod(
    "Connect",
    "Connect a client from an address; return its Training.Client.",
    f"Connect(address, how) starts a simulated process for a client at `address` connecting "
    f'as {_KINDS} (default "Terminal"). Its license user ID is the address (user@address '
    "with username licensing on); with deferred login it holds no unit until Login(). A "
    "refused login raises <LICENSE LIMIT EXCEEDED>.",
    '(address, how="Terminal")',
)
def connect(ctx: Runtime, address: Argument, how: Argument = "Terminal") -> ClientObject:
    world = world_of(ctx)
    return client_object(
        ctx, guarded(lambda: world.connect(as_text(address), as_text(how) or "Terminal"))
    )


@WORLD.classmethod(
    "ConnectUser",
    "Connect a named user; return the Training.Client.",
    "ConnectUser(user, address) starts a simulated process for `user` at `address` (default "
    "127.0.0.1) licensed as user@address, as username licensing or an explicit Login(user) "
    "would license it. A refused login raises <LICENSE LIMIT EXCEEDED>.",
    '(user, address="127.0.0.1")',
)
def connect_user(ctx: Runtime, user: Argument, address: Argument = LOCAL_ADDRESS) -> ClientObject:
    world = world_of(ctx)
    where = as_text(address) or LOCAL_ADDRESS
    return client_object(ctx, guarded(lambda: world.connect_user(as_text(user), where)))


@WORLD.classmethod(
    "ConnectMany",
    "Connect count processes from one address; return a Training.Group.",
    "ConnectMany(address, count, how) plays a firewall or terminal server: `count` processes "
    "share the address, so they share one license user ID. Up to 25 processes hold one unit; "
    "the 26th turns the ID into one unit per process until every one of them has ended. All or "
    "none: if one is refused, those already connected end again and <LICENSE LIMIT EXCEEDED> "
    "is raised.",
    '(address, count, how="Terminal")',
)
def connect_many(
    ctx: Runtime, address: Argument, count: Argument, how: Argument = "Terminal"
) -> GroupObject:
    world = world_of(ctx)
    where, many, kind = as_text(address), as_number(count), as_text(how) or "Terminal"
    clients = guarded(lambda: world.connect_many(where, many, kind))
    group = GroupObject(ctx, GROUP)
    group.clients = [client_object(ctx, client) for client in clients]
    group.props.update(Count=len(clients), Address=clients[0].address)
    return group


@WORLD.classmethod(
    "Batch",
    "Start a batch job, licensed by its PID; return its Training.Client.",
    "Batch() plays a job started by the at daemon or a batch queue: it belongs to no user, so "
    "its license user ID is its own process ID and it never shares a unit.",
    "()",
)
def batch(ctx: Runtime) -> ClientObject:
    world = world_of(ctx)
    return client_object(ctx, guarded(world.batch))


@WORLD.classmethod(
    "StartCSP",
    "Open a CSP session; return its Training.CSPSession.",
    "StartCSP(timeout) opens a simulated web session that times out `timeout` seconds (default "
    "900) after its last page, on the instance clock. Until Login(user) its session ID is its "
    "license user ID: one unit per session.",
    "(timeout=900)",
)
def start_csp(ctx: Runtime, timeout: Argument = DEFAULT_CSP_TIMEOUT) -> CspObject:
    world = world_of(ctx)
    seconds = as_number(timeout) if as_text(timeout) != "" else DEFAULT_CSP_TIMEOUT
    session = guarded(lambda: world.csp_start(seconds))
    obj = CspObject(ctx, CSP_SESSION)
    obj.session = session
    obj.props.update(SessionId=session.session_id, LicenseId=session.license_id, Pages=0)
    return obj


@WORLD.classmethod(
    "SimulateClock",
    "Switch the instance to a simulated clock; return its time as $H.",
    "SimulateClock(start) freezes the instance's time at `start` (a $H value; default now). "
    "From then on only AdvanceClock() moves it, for every process of the instance.",
    '(start="")',
)
def simulate_clock(ctx: Runtime, start: Argument = "") -> str:
    privileges.require(ctx)  # the instance's clock and life: the administrator's
    given = as_text(start)
    world = world_of(ctx)
    return _h(world.simulate_clock(_from_h(given) if given else None))


# A thousand years: further on the clock's time would leave what a timestamp can hold.
_LONGEST_STEP = 1000 * 366 * 86400


@WORLD.classmethod(
    "AdvanceClock",
    "Move the simulated clock forward; return the new time as $H.",
    "AdvanceClock(seconds) lets `seconds` pass (switching to the simulated clock if needed): "
    "CSP sessions past their timeout end and CSP grace periods run out.",
    "(seconds)",
)
def advance_clock(ctx: Runtime, seconds: Argument) -> str:
    privileges.require(ctx)  # the instance's clock and life: the administrator's
    world = world_of(ctx)
    amount = float(V.to_num(deref(seconds)))
    if abs(amount) > _LONGEST_STEP:
        raise ObjectScriptError("VALUE OUT OF RANGE")
    return _h(guarded(lambda: world.advance_clock(amount)))


@WORLD.classmethod(
    "UseWallClock",
    "Go back to the wall clock; return the time as $H.",
    "UseWallClock() ends the simulation: the instance reads the real time again.",
    "()",
)
def use_wall_clock(ctx: Runtime) -> str:
    privileges.require(ctx)  # the instance's clock and life: the administrator's
    return _h(world_of(ctx).use_wall_clock())


@WORLD.classmethod(
    "Restart",
    "Restart the instance: every process and session ends; return 1.",
    "Restart() stops the instance (every simulated and real process loses its unit, the "
    "table is cleared) and starts it again, reading cache.key anew. This terminal is attached "
    "again afterwards so that it keeps working; SYSTEM^%ZSTART is not run.",
    "()",
)
def restart(ctx: Runtime) -> int:
    privileges.require(ctx)  # the instance's clock and life: the administrator's
    world_of(ctx).restart()
    process = process_of(ctx)
    if process is not None and process.attached:
        try:
            process.attach()
        except LicenseRefused as exc:
            raise ObjectScriptError(exc.error) from None
    return 1


@WORLD.classmethod(
    "Reset",
    "End every simulated client and CSP session, back to the wall clock; return how many ended.",
    "Reset() returns the training world to a known state: every simulated client and CSP "
    "session of the instance ends, whichever session made it and whether or not it was "
    "detached (CSP grace-period holds end too); the counters' peaks and low-water mark "
    "(ShowCounts' Maximum and Minimum lines) start again from the use now; the instance reads "
    "the wall clock again; the "
    "holds of StopServer/KillServer and the cuts of Partition/PartitionInstance are lifted. "
    "Returns the number of clients and CSP sessions it ended. The key, the configuration and "
    "real sessions are left as they are.",
    "()",
)
def reset(ctx: Runtime) -> int:
    privileges.require(ctx)  # the instance's clock and life: the administrator's
    world = world_of(ctx)
    return guarded(world.reset)


@WORLD.classmethod(
    "Consumed",
    "Return the license units the local table holds now.",
    "Consumed() counts units as the local license table does after expiring CSP sessions and "
    "grace periods whose time has passed.",
    "()",
)
def consumed(ctx: Runtime) -> int:
    instance = instance_of(ctx)
    instance.table.expire_sessions()
    return instance.table.consumed()


@WORLD.classmethod(
    "Events",
    "Write the last n entries of the license event history.",
    "Events(n) writes the last `n` (default 20) entries: time, kind (grant, connect, denied, "
    "per-process, reset, release, grace, killed), license user ID, process ID and detail.",
    "(n=20)",
)
def events(ctx: Runtime, n: Argument = 20) -> str:
    last = as_number(n) if as_text(n) != "" else 20
    for line in reports.events(event_rows(instance_of(ctx), last=last)):
        ctx.out.write(line + "\n")
    return ""


@WORLD.query(
    "EventList",
    reports.EVENT_COLUMNS,
    "The license event history, oldest first.",
    "EventList(n) returns the last `n` entries, or all of them when n is omitted, with the "
    "columns Time, Kind, LicenseId, PID and Detail.",
    '(n="")',
)
def event_list(ctx: Runtime, n: Value = "") -> Iterator[Row]:
    last = as_number(n) if as_text(n) != "" else None
    for event in event_rows(instance_of(ctx), last=last):
        yield reports.event_cells(event)
