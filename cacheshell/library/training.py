"""Training.World and its objects: the outside world a trainee drives from the shell (clients,
firewalls, batch jobs, CSP sessions, the clock, restarts), over cacheshell.system.world (and its
license servers over cacheshell.system.world_servers).

The clients and CSP sessions a session makes are its own: they end when its process ends
(Halt, exit, a kill), unless Detach() lets them outlive it. Killing the last local variable
that refers to one does not end it: nothing here counts references."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import TypeVar

from cacheshell.lang import values as V
from cacheshell.lang.dates import h_to_date, horolog
from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.objects import REGISTRY, ObjectInstance, Row, Value
from cacheshell.lang.refs import Argument, deref
from cacheshell.lang.runtime import Runtime
from cacheshell.library.host import instance_of, process_of
from cacheshell.system import reports
from cacheshell.system.instance import Instance
from cacheshell.system.process import LicenseRefused
from cacheshell.system.usage import event_rows
from cacheshell.system.world import (
    CONNECTION_KINDS,
    DEFAULT_CSP_TIMEOUT,
    LOCAL_ADDRESS,
    Client,
    CspSession,
    Refused,
    World,
)
from cacheshell.system.world_errors import WorldError
from cacheshell.system.world_servers import partition_instance as world_partition_instance
from cacheshell.system.world_servers import partition_server as world_partition_server
from cacheshell.system.world_servers import start_server as world_start_server
from cacheshell.system.world_servers import stop_server as world_stop_server

WORLD = REGISTRY.define(
    "Training.World",
    "The world outside the instance: clients, firewalls, batch jobs, CSP sessions, the clock.",
)
CLIENT = REGISTRY.define("Training.Client", "A simulated client process made by Training.World.")
GROUP = REGISTRY.define(
    "Training.Group", "Many simulated processes from one address (a firewall, a terminal server)."
)
CSP_SESSION = REGISTRY.define("Training.CSPSession", "A simulated CSP (web) session.")

_KINDS = ", ".join(f'"{kind}"' for kind in CONNECTION_KINDS)

T = TypeVar("T")


def _world(ctx: Runtime) -> World:
    """The world as this session sees it: what it makes, its process owns."""
    process = process_of(ctx)
    return World(instance_of(ctx), owner=process.pid if process.attached else None)


def _text(value: Argument) -> str:
    return V.to_str(deref(value))


def _number(value: Argument) -> int:
    return V.to_int(deref(value))


def _h(seconds: float) -> str:
    return horolog(datetime.fromtimestamp(seconds))


def _from_h(value: str) -> float:
    day, _, seconds = value.partition(",")
    try:
        start = datetime.combine(h_to_date(int(day)), datetime.min.time())
        return (start + timedelta(seconds=int(V.to_num(seconds or 0)))).timestamp()
    except (ValueError, OverflowError):
        raise ObjectScriptError("ILLEGAL VALUE", f"*{value}") from None


def _guard(action: Callable[[], T]) -> T:
    """Run a world action with its failures as ObjectScript errors: a refusal is what a real
    login shows, <LICENSE LIMIT EXCEEDED>; a request that makes no sense is <ILLEGAL VALUE>."""
    try:
        return action()
    except Refused:
        raise ObjectScriptError("LICENSE LIMIT EXCEEDED") from None
    except WorldError as exc:
        raise ObjectScriptError("ILLEGAL VALUE", f"*{exc}") from None


class _Made(ObjectInstance):
    """An object the world made; ObjectScript reads its properties but does not set them."""

    def set_property(self, name: str, value: Value) -> None:
        if name in self.props:
            raise ObjectScriptError("CANNOT SET THIS PROPERTY", f"*{name},{self.cls.name}")
        super().set_property(name, value)


class ClientObject(_Made):
    client: Client
    instance: Instance

    @classmethod
    def make(cls, ctx: Runtime, client: Client) -> ClientObject:
        obj = cls(ctx, CLIENT)
        obj.instance = instance_of(ctx)
        obj.update(client)
        return obj

    def update(self, client: Client) -> None:
        self.client = client
        self.props.update(
            PID=client.pid, Address=client.address, How=client.how, LicenseId=client.license_id
        )

    def get_property(self, name: str) -> Value:
        if name == "LicenseId":
            # Another session may have logged the process in since: read the live row.
            row = World(self.instance).process(self.client.pid)
            if row is not None:
                return row.license_id
        value: Value = super().get_property(name)
        return value


class GroupObject(_Made):
    clients: list[ClientObject]


class CspObject(_Made):
    session: CspSession


# -- Training.World ------------------------------------------------------------------------------
def _client(ctx: Runtime, client: Client) -> ClientObject:
    return ClientObject.make(ctx, client)


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
    world = _world(ctx)
    return _client(ctx, _guard(lambda: world.connect(_text(address), _text(how) or "Terminal")))


@WORLD.classmethod(
    "ConnectUser",
    "Connect a named user; return the Training.Client.",
    "ConnectUser(user, address) starts a simulated process for `user` at `address` (default "
    "127.0.0.1) licensed as user@address, as username licensing or an explicit Login(user) "
    "would license it. A refused login raises <LICENSE LIMIT EXCEEDED>.",
    '(user, address="127.0.0.1")',
)
def connect_user(ctx: Runtime, user: Argument, address: Argument = LOCAL_ADDRESS) -> ClientObject:
    world = _world(ctx)
    where = _text(address) or LOCAL_ADDRESS
    return _client(ctx, _guard(lambda: world.connect_user(_text(user), where)))


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
    world = _world(ctx)
    where, many, kind = _text(address), _number(count), _text(how) or "Terminal"
    clients = _guard(lambda: world.connect_many(where, many, kind))
    group = GroupObject(ctx, GROUP)
    group.clients = [_client(ctx, client) for client in clients]
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
    world = _world(ctx)
    return _client(ctx, _guard(world.batch))


@WORLD.classmethod(
    "StartCSP",
    "Open a CSP session; return its Training.CSPSession.",
    "StartCSP(timeout) opens a simulated web session that times out `timeout` seconds (default "
    "900) after its last page, on the instance clock. Until Login(user) its session ID is its "
    "license user ID: one unit per session.",
    "(timeout=900)",
)
def start_csp(ctx: Runtime, timeout: Argument = DEFAULT_CSP_TIMEOUT) -> CspObject:
    world = _world(ctx)
    seconds = _number(timeout) if _text(timeout) != "" else DEFAULT_CSP_TIMEOUT
    session = _guard(lambda: world.csp_start(seconds))
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
    given = _text(start)
    world = _world(ctx)
    return _h(world.simulate_clock(_from_h(given) if given else None))


@WORLD.classmethod(
    "AdvanceClock",
    "Move the simulated clock forward; return the new time as $H.",
    "AdvanceClock(seconds) lets `seconds` pass (switching to the simulated clock if needed): "
    "CSP sessions past their timeout end and CSP grace periods run out.",
    "(seconds)",
)
def advance_clock(ctx: Runtime, seconds: Argument) -> str:
    world = _world(ctx)
    amount = V.to_num(deref(seconds))
    return _h(_guard(lambda: world.advance_clock(float(amount))))


@WORLD.classmethod(
    "UseWallClock",
    "Go back to the wall clock; return the time as $H.",
    "UseWallClock() ends the simulation: the instance reads the real time again.",
    "()",
)
def use_wall_clock(ctx: Runtime) -> str:
    return _h(_world(ctx).use_wall_clock())


@WORLD.classmethod(
    "Restart",
    "Restart the instance: every process and session ends; return 1.",
    "Restart() stops the instance (every simulated and real process loses its unit, the "
    "table is cleared) and starts it again, reading cache.key anew. This terminal is attached "
    "again afterwards so that it keeps working; SYSTEM^%ZSTART is not run.",
    "()",
)
def restart(ctx: Runtime) -> int:
    _world(ctx).restart()
    process = process_of(ctx)
    if process is not None and process.attached:
        try:
            process.attach()
        except LicenseRefused:
            raise ObjectScriptError("LICENSE LIMIT EXCEEDED") from None
    return 1


@WORLD.classmethod(
    "Reset",
    "End every simulated client and CSP session, back to the wall clock; return how many ended.",
    "Reset() returns the training world to a known state: every simulated client and CSP "
    "session of the instance ends, whichever session made it and whether or not it was "
    "detached (CSP grace-period holds end too); the instance reads the wall clock again; the "
    "holds of StopServer/KillServer and the cuts of Partition/PartitionInstance are lifted. "
    "Returns the number of clients and CSP sessions it ended. The key, the configuration and "
    "real sessions are left as they are.",
    "()",
)
def reset(ctx: Runtime) -> int:
    world = _world(ctx)
    return _guard(world.reset)


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
    last = _number(n) if _text(n) != "" else 20
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
    last = _number(n) if _text(n) != "" else None
    for event in event_rows(instance_of(ctx), last=last):
        yield reports.event_cells(event)


# -- license servers -----------------------------------------------------------------------------
def _server_action(ctx: Runtime, action: Callable[[], bool]) -> int:
    try:
        return int(action())
    except WorldError as exc:
        raise ObjectScriptError("ILLEGAL VALUE", f"*{exc}") from None


@WORLD.classmethod(
    "StopServer",
    "Stop a configured license server of this host; return 1, or 0 if not running.",
    "StopServer(name) ends the daemon serving the configured server `name` as an operator "
    "would (SIGTERM). It stays down, and no instance starts it again, until StartServer(name): "
    "the instances fail over to the next configured server within 2 update periods.",
    "(name)",
)
def stop_server(ctx: Runtime, name: Argument) -> int:
    return _server_action(ctx, lambda: world_stop_server(instance_of(ctx), _text(name)))


@WORLD.classmethod(
    "KillServer",
    "Kill a configured license server of this host (SIGKILL); return 1 or 0.",
    "KillServer(name) sends a real SIGKILL to the daemon serving the configured server `name`, "
    "as a crash would: it has no time to say anything. It stays down until StartServer(name).",
    "(name)",
)
def kill_server(ctx: Runtime, name: Argument) -> int:
    return _server_action(ctx, lambda: world_stop_server(instance_of(ctx), _text(name), kill=True))


@WORLD.classmethod(
    "StartServer",
    "Start a configured license server again; return 1 when it answers.",
    "StartServer(name) lifts the hold of StopServer/KillServer and starts the daemon (in the "
    "instance's mgr/licenseserver directory) when it is on this host and not answering. Being "
    "earlier in the configured order, it becomes the active server again at the next update.",
    "(name)",
)
def start_server(ctx: Runtime, name: Argument) -> int:
    return _server_action(ctx, lambda: world_start_server(instance_of(ctx), _text(name)))


@WORLD.classmethod(
    "Partition",
    "Cut this instance from a configured license server; return 1, or 0 if it was.",
    "Partition(name) rehearses a network partition on the instance's side, without touching "
    "the network: the instance's license monitor treats the server `name` as not answering. "
    "Within 2 update periods the instance fails over to the next configured server, or says "
    '"Not connected to License Server" and keeps admitting users locally. Heal(name) ends it.',
    "(name)",
)
def partition(ctx: Runtime, name: Argument) -> int:
    return _server_action(ctx, lambda: world_partition_server(instance_of(ctx), _text(name)))


@WORLD.classmethod(
    "Heal",
    "End Partition(name); return 1, or 0 if there was none.",
    "Heal(name) lets the instance reach the server `name` again; being earlier in the "
    "configured order, it becomes the active server again at the next update.",
    "(name)",
)
def heal(ctx: Runtime, name: Argument) -> int:
    return _server_action(
        ctx, lambda: world_partition_server(instance_of(ctx), _text(name), cut=False)
    )


@WORLD.classmethod(
    "PartitionInstance",
    "Have a license server of this host ignore this instance; return 1 or 0.",
    "PartitionInstance(name) rehearses the server's side of a partition: the daemon serving "
    "`name` (running on this host) ignores every datagram from this instance, pings included, "
    "while the file partition-<INSTANCE> exists in its directory; the instance sees no answer. "
    "HealInstance(name) ends it.",
    "(name)",
)
def partition_instance(ctx: Runtime, name: Argument) -> int:
    return _server_action(ctx, lambda: world_partition_instance(instance_of(ctx), _text(name)))


@WORLD.classmethod(
    "HealInstance",
    "End PartitionInstance(name); return 1, or 0 if there was none.",
    "HealInstance(name) removes the marker file: the server hears this instance again.",
    "(name)",
)
def heal_instance(ctx: Runtime, name: Argument) -> int:
    return _server_action(
        ctx, lambda: world_partition_instance(instance_of(ctx), _text(name), cut=False)
    )


# -- Training.Client -----------------------------------------------------------------------------
for _name, _summary in (
    ("PID", "The simulated process ID."),
    ("Address", "The client address the process connected from."),
    ("How", "How it connected: Terminal, ODBC, Cache Direct, Batch, Job."),
    ("LicenseId", "The license user ID the process is counted under."),
):
    CLIENT.property(_name, _summary)


@CLIENT.method(
    "Login",
    "Log the process in as identifier@address; return its connection count or 0.",
    "Login(id) does what $SYSTEM.License.Login(id) does in the process: it moves to the license "
    "user ID id@address, giving up its old one only when the new one is granted. Returns the "
    "connections now under the new ID, or 0 when it was refused.",
    "(id)",
)
def client_login(ctx: Runtime, obj: ClientObject, identifier: Argument) -> int:
    world = _world(ctx)
    count, moved = _guard(lambda: world.login(obj.client, _text(identifier)))
    obj.update(moved)
    return count


@CLIENT.method(
    "Job",
    "JOB a child process; return it as a Training.Client.",
    "Job() starts a process as the JOB command does: it counts under this process's license "
    "user ID. A refused child raises <LICENSE LIMIT EXCEEDED>.",
    "()",
)
def client_job(ctx: Runtime, obj: ClientObject) -> ClientObject:
    world = _world(ctx)
    return _client(ctx, _guard(lambda: world.job(obj.client)))


@CLIENT.method(
    "Detach",
    "Let the process outlive this session; return 1, or 0 if it had ended.",
    "Detach() makes the process independent of the session that made it: it no longer ends "
    "when that session ends (Halt, exit, a kill), only with End(), Kill(), "
    "##class(Training.World).Reset(), or when the instance stops or restarts. Its JOB'ed "
    "children are not detached with it.",
    "()",
)
def client_detach(ctx: Runtime, obj: ClientObject) -> int:
    return min(_world(ctx).disown(pids=[obj.client.pid]), 1)


@CLIENT.method(
    "End",
    "End the process normally; return 1, or 0 if it had ended.",
    "End() is a normal exit: the process's share of its license user ID returns.",
    "()",
)
def client_end(ctx: Runtime, obj: ClientObject) -> int:
    return int(_world(ctx).end(obj.client.pid))


@CLIENT.method(
    "Kill",
    "Kill the process; return 1, or 0 if it had ended.",
    "Kill() ends the process as a kill signal would: its unit is released as for a "
    "process that died, and the event history says killed.",
    "()",
)
def client_kill(ctx: Runtime, obj: ClientObject) -> int:
    return int(_world(ctx).kill(obj.client.pid))


# -- Training.Group ------------------------------------------------------------------------------
GROUP.property("Count", "How many processes the group started.")
GROUP.property("Address", "The one address they all connect from.")


@GROUP.method(
    "Item",
    "Return the n-th process of the group (1 to Count) as a Training.Client.",
    "Item(n) gives the process to End(), Kill() or Login() it on its own.",
    "(n)",
)
def group_item(ctx: Runtime, obj: GroupObject, n: Argument) -> ClientObject:
    index = _number(n)
    if not 1 <= index <= len(obj.clients):
        raise ObjectScriptError("ILLEGAL VALUE", f"*{index}")
    return obj.clients[index - 1]


@GROUP.method(
    "End",
    "End every process of the group still running; return how many ended.",
    "End() ends them one by one, as their users log off: when the last one has gone "
    "the address's per-process counting resets.",
    "()",
)
def group_end(ctx: Runtime, obj: GroupObject) -> int:
    world = _world(ctx)
    with instance_of(ctx).store.transaction():
        return sum(world.end(item.client.pid) for item in obj.clients)


@GROUP.method(
    "Detach",
    "Let the group's processes outlive this session; return 1, or 0 if all had ended.",
    "Detach() makes every process of the group still running independent of the session that "
    "made it: they end only with End(), Kill(), ##class(Training.World).Reset(), or when the "
    "instance stops or restarts.",
    "()",
)
def group_detach(ctx: Runtime, obj: GroupObject) -> int:
    return min(_world(ctx).disown(pids=[item.client.pid for item in obj.clients]), 1)


# -- Training.CSPSession -------------------------------------------------------------------------
CSP_SESSION.property("SessionId", "The CSP session ID.")
CSP_SESSION.property("LicenseId", "The license user ID: the session ID until Login(user).")
CSP_SESSION.property("Pages", "How many pages the session has viewed.")


@CSP_SESSION.method(
    "View",
    "View one page; return the pages viewed, or 0 if the session is over.",
    "View() serves one page and restarts the session's timeout. A session that ends after "
    "exactly one page keeps its unit for a 10-minute grace period.",
    "()",
)
def csp_view(ctx: Runtime, obj: CspObject) -> int:
    pages = _world(ctx).csp_page(obj.session.session_id)
    if pages:
        obj.props["Pages"] = pages
    return pages


@CSP_SESSION.method(
    "Login",
    "Log the session in as a user; return 1, or 0 if refused or over.",
    "Login(user) does what %CSP.Session.Login does for licensing: the session's license user "
    "ID becomes the user name, and the unit held under the session ID returns.",
    "(user)",
)
def csp_login(ctx: Runtime, obj: CspObject, user: Argument) -> int:
    world = _world(ctx)
    name = _text(user)
    if not _guard(lambda: world.csp_login(obj.session.session_id, name)):
        return 0
    obj.props["LicenseId"] = name
    return 1


@CSP_SESSION.method(
    "End",
    "End the session (log out); return 1, or 0 if it was over.",
    "End() ends the session at once; after a single page its unit stays for the grace "
    "period, after more pages it returns now.",
    "()",
)
def csp_end(ctx: Runtime, obj: CspObject) -> int:
    return int(_world(ctx).csp_end(obj.session.session_id))


@CSP_SESSION.method(
    "Detach",
    "Let the session outlive this terminal session; return 1, or 0 if it was over.",
    "Detach() makes the CSP session independent of the terminal session that opened it: "
    "it no longer ends when that one ends, only with End(), its timeout, "
    "##class(Training.World).Reset(), or when the instance stops or restarts.",
    "()",
)
def csp_detach(ctx: Runtime, obj: CspObject) -> int:
    return min(_world(ctx).disown(session_ids=[obj.session.session_id]), 1)
