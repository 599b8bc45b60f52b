"""Training.Client, Training.Group and Training.CSPSession: the simulated processes, groups of
them and CSP sessions that Training.World makes, and their members (Login, Job, Detach, End,
Kill, Item, View).

The clients and CSP sessions a session makes are its own: they end when its process ends
(Halt, exit, a kill), unless Detach() lets them outlive it. Killing the last local variable
that refers to one does not end it: nothing here counts references."""

from __future__ import annotations

from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.objects import REGISTRY, ObjectInstance, Value
from cacheshell.lang.refs import Argument
from cacheshell.lang.runtime import Runtime
from cacheshell.library.host import instance_of
from cacheshell.library.training_access import as_number, as_text, guarded, world_of
from cacheshell.system.instance import Instance
from cacheshell.system.world import Client, CspSession, World

CLIENT = REGISTRY.define("Training.Client", "A simulated client process made by Training.World.")
GROUP = REGISTRY.define(
    "Training.Group", "Many simulated processes from one address (a firewall, a terminal server)."
)
CSP_SESSION = REGISTRY.define("Training.CSPSession", "A simulated CSP (web) session.")


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


def client_object(ctx: Runtime, client: Client) -> ClientObject:
    return ClientObject.make(ctx, client)


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
    world = world_of(ctx)
    count, moved = guarded(lambda: world.login(obj.client, as_text(identifier)))
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
    world = world_of(ctx)
    return client_object(ctx, guarded(lambda: world.job(obj.client)))


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
    return min(world_of(ctx).disown(pids=[obj.client.pid]), 1)


@CLIENT.method(
    "End",
    "End the process normally; return 1, or 0 if it had ended.",
    "End() is a normal exit: the process's share of its license user ID returns.",
    "()",
)
def client_end(ctx: Runtime, obj: ClientObject) -> int:
    return int(world_of(ctx).end(obj.client.pid))


@CLIENT.method(
    "Kill",
    "Kill the process; return 1, or 0 if it had ended.",
    "Kill() ends the process as a kill signal would: its unit is released as for a "
    "process that died, and the event history says killed.",
    "()",
)
def client_kill(ctx: Runtime, obj: ClientObject) -> int:
    return int(world_of(ctx).kill(obj.client.pid))


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
    index = as_number(n)
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
    world = world_of(ctx)
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
    return min(world_of(ctx).disown(pids=[item.client.pid for item in obj.clients]), 1)


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
    pages = world_of(ctx).csp_page(obj.session.session_id)
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
    world = world_of(ctx)
    name = as_text(user)
    if not guarded(lambda: world.csp_login(obj.session.session_id, name)):
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
    return int(world_of(ctx).csp_end(obj.session.session_id))


@CSP_SESSION.method(
    "Detach",
    "Let the session outlive this terminal session; return 1, or 0 if it was over.",
    "Detach() makes the CSP session independent of the terminal session that opened it: "
    "it no longer ends when that one ends, only with End(), its timeout, "
    "##class(Training.World).Reset(), or when the instance stops or restarts.",
    "()",
)
def csp_detach(ctx: Runtime, obj: CspObject) -> int:
    return min(world_of(ctx).disown(session_ids=[obj.session.session_id]), 1)
