"""The world outside an instance, simulated for training: clients that log in from addresses,
by user name, behind a firewall, as batch jobs and as JOB'ed children; CSP sessions; the clock;
and restarts. (The license servers of this host, stopped, started, killed or cut off by a
rehearsed network partition, are world_servers.py's; reset() lifts what they left in place.)

A simulated client is a row in the instance's process table with a synthetic PID and no OS
process (os_pid NULL). The session that makes it owns it (the row's owner is the session's
process): it ends when that process ends, however it ends (Halt, exit, kill; a dead one's
reclamation ends them too), and a CSP session it opened ends as if the browser left. A detached
client or session (disown) has no owner: it lives until it ends, is killed, the world is reset
or the instance stops. Every rule it meets is the license table's own; this module only plays
the clients.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cacheshell.system import table
from cacheshell.system.console import WARNING
from cacheshell.system.events import EventKind
from cacheshell.system.instance import Instance
from cacheshell.system.license_table import PENDING, USER, ProcessRow
from cacheshell.system.table import MAX_LICENSE_ID, Decision
from cacheshell.system.world_errors import WorldError
from cacheshell.system.world_servers import lift_holds

# Synthetic PIDs start far above any real one, so the two never meet in one table.
FIRST_PID = 900_000_000
LOCAL_ADDRESS = "127.0.0.1"
# With Minimal security every process runs as UnknownUser.
UNKNOWN_USER = "UnknownUser"
CONNECTION_KINDS = ("Terminal", "ODBC", "Cache Direct")
BATCH, JOB = "Batch", "Job"
DEFAULT_CSP_TIMEOUT = 900
KILLED = "killed"  # why a killed process's unit was released (the release event's detail)
RESET = "training world reset"


class Refused(Exception):
    """The instance refused the login: no license unit, as <LICENSE LIMIT EXCEEDED>."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.reason)
        self.decision = decision


@dataclass(frozen=True)
class Client:
    """A simulated process as its creator knows it."""

    pid: int
    address: str
    how: str
    license_id: str
    username: str = UNKNOWN_USER
    parent: int | None = None

    @property
    def client_text(self) -> str:
        """What the process row shows as its client: the address and how it connected."""
        return f"{self.address} ({self.how})"


@dataclass(frozen=True)
class CspSession:
    session_id: str
    license_id: str
    pages: int
    timeout: float


class World:
    def __init__(self, instance: Instance, owner: int | None = None) -> None:
        """`owner`: the PID of the process whose session makes the clients (None: nobody's)."""
        self.instance = instance
        self.store = instance.store
        self.table = instance.table
        self.owner = owner

    # -- identities ------------------------------------------------------------------------------
    def _counter(self, name: str, first: int) -> int:
        with self.store.transaction():
            value = int(self.store.get(name, first))
            self.store.put(name, value + 1)
            return value

    def next_pid(self) -> int:
        return self._counter("world_next_pid", FIRST_PID)

    def next_session_id(self) -> str:
        # Numbered, not random, so a scenario replays with the same IDs.
        return f"CSP{self._counter('world_next_csp', 1):07d}"

    def automatic_license_id(self, address: str, username: str) -> str:
        """The ID a login picks by itself: the address, or user@address with username
        licensing on (as for a terminal, see process.py)."""
        if self.store.get("username_licensing", 0):
            return table.license_login_id(username, address)
        return address

    # -- processes -------------------------------------------------------------------------------
    def connect(self, address: str, how: str = "Terminal") -> Client:
        """A client connects from `address`; deferred login leaves it pending until Login()."""
        address, how = _address(address), _how(how)
        if self.store.get("deferred", 0):
            return self._start(Client(self.next_pid(), address, how, ""), PENDING)
        license_id = self.automatic_license_id(address, UNKNOWN_USER)
        return self._start(Client(self.next_pid(), address, how, license_id))

    def connect_user(self, user: str, address: str = LOCAL_ADDRESS) -> Client:
        """A named user connects. With username licensing the automatic ID is user@address;
        without it the application logs in explicitly with Login(user): the same ID."""
        address, user = _address(address), _license_name(user)
        license_id = table.license_login_id(user, address)
        return self._start(Client(self.next_pid(), address, "Terminal", license_id, user))

    def connect_many(self, address: str, count: int, how: str = "Terminal") -> list[Client]:
        """`count` processes from one address (a firewall, a terminal server). All or none: when
        one is refused, those already in end again, and the refusal is raised."""
        if count < 1:
            raise WorldError("count must be at least 1")
        clients: list[Client] = []
        refused: Refused | None = None
        with self.store.transaction():
            try:
                for _ in range(count):
                    clients.append(self.connect(address, how))
            except Refused as exc:
                for client in clients:
                    self.end(client.pid)
                refused = exc
        # Raised once the transaction has committed: the refusal's event and its count in the
        # console log stay (raised inside, they rolled back and the next refusal said the same
        # count again).
        if refused is not None:
            raise refused
        return clients

    def batch(self) -> Client:
        """A batch job (at, cron): not a user's, so licensed by its own PID."""
        pid = self.next_pid()
        return self._start(Client(pid, LOCAL_ADDRESS, BATCH, str(pid)))

    def job(self, parent: Client) -> Client:
        """A process JOB'ed by `parent` counts under the parent's current license ID."""
        row = self.table.process(parent.pid)
        if row is None:
            raise WorldError(f"process {parent.pid} has ended")
        license_id = row.license_id or self.automatic_license_id(parent.address, parent.username)
        child = Client(
            self.next_pid(), parent.address, JOB, license_id, parent.username, parent.pid
        )
        return self._start(child)

    def login(self, client: Client, identifier: str) -> tuple[int, Client]:
        """Login(identifier): the connections now under identifier@address, or 0 if refused."""
        license_id = table.license_login_id(_license_name(identifier), client.address)
        self.table.expire_sessions()
        decision = self.table.relogin(client.pid, license_id)
        if not decision.granted:
            self._log_refusal(decision, license_id)
            return 0, client
        moved = Client(
            client.pid, client.address, client.how, license_id, client.username, client.parent
        )
        return self.table.connection_count(license_id), moved

    def end(self, pid: int) -> bool:
        """The process exits normally; its unit returns as the table's rules say."""
        with self.store.transaction():
            if self.table.process(pid) is None:
                return False
            self.table.detach(pid)
            return True

    def kill(self, pid: int) -> bool:
        """The process is killed: released as a process that died, recorded as killed."""
        with self.store.transaction():
            row = self.table.process(pid)
            if row is None:
                return False
            self.store.event(
                self.instance.clock.now(), EventKind.KILLED, row.license_id, pid, "process killed"
            )
            self.table.detach(pid, reason=KILLED)
            return True

    def process(self, pid: int) -> ProcessRow | None:
        return self.table.process(pid)

    def disown(self, pids: Sequence[int] = (), session_ids: Sequence[str] = ()) -> int:
        """The clients and CSP sessions outlive the session that made them; how many still ran."""
        return self.table.disown(list(pids), list(session_ids))

    def reset(self) -> int:
        """End every simulated client and CSP session (grace holds too), start the counters'
        peaks again, go back to the wall clock and lift the server holds and partitions; how
        many clients and sessions ended."""
        with self.store.transaction():
            db = self.store.db
            pids = [p for (p,) in db.execute("SELECT pid FROM processes WHERE os_pid IS NULL")]
            for pid in pids:
                self.table.detach(pid, reason=RESET)
            ended = len(pids)
            for (session_id,) in db.execute("SELECT id FROM csp_sessions").fetchall():
                ended += self.table.csp_end(session_id, reason=RESET)
            self.table.end_grace()
            self.table.restart_peaks()
        self.use_wall_clock()
        lift_holds(self.instance)
        return ended

    def _start(self, client: Client, kind: str = USER) -> Client:
        with self.store.transaction():
            self.table.expire_sessions()
            decision = self.table.attach(
                client.pid,
                client.license_id,
                kind,
                client.client_text,
                client.username,
                os_pid=None,
                parent=client.parent,
                owner=self.owner,
            )
        if not decision.granted:
            self._log_refusal(decision, client.license_id)
            raise Refused(decision)
        return client

    def _log_refusal(self, decision: Decision, license_id: str) -> None:
        if decision.logged:  # as a real login's refusal is (process.py)
            count = int(self.store.get("limit_exceeded", 0))
            self.instance.log.write(
                f"License limit exceeded {count} times since instance start "
                f"(license user ID {license_id!r})",
                WARNING,
            )

    # -- CSP sessions ----------------------------------------------------------------------------
    def csp_start(self, timeout: float = DEFAULT_CSP_TIMEOUT) -> CspSession:
        """A browser opens a CSP session: its session ID is its license ID, one unit."""
        if timeout <= 0:
            raise WorldError("the session timeout must be positive")
        session_id = self.next_session_id()
        decision = self.table.csp_start(
            session_id, session_id, UNKNOWN_USER, timeout, owner=self.owner
        )
        if not decision.granted:
            self._log_refusal(decision, session_id)
            raise Refused(decision)
        return CspSession(session_id, session_id, 0, timeout)

    def csp_session(self, session_id: str) -> CspSession | None:
        self.table.expire_sessions()
        row = self.store.db.execute(
            "SELECT id, license_id, pages, timeout FROM csp_sessions WHERE id=?", (session_id,)
        ).fetchone()
        return None if row is None else CspSession(row[0], row[1], row[2], row[3])

    def csp_page(self, session_id: str) -> int:
        """The session views a page: its page count, or 0 if it has ended or timed out."""
        with self.store.transaction():
            if not self.table.csp_page(session_id):
                return 0
            found = self.csp_session(session_id)
            return 0 if found is None else found.pages

    def csp_login(self, session_id: str, user: str) -> bool:
        """%CSP.Session.Login(user): from now on the session is licensed as the user."""
        decision = self.table.csp_login(session_id, _license_name(user), user)
        if not decision.granted and decision.reason != "no such CSP session":
            self._log_refusal(decision, user)
        return decision.granted

    def csp_end(self, session_id: str) -> bool:
        with self.store.transaction():
            self.table.expire_sessions()
            return self.table.csp_end(session_id)

    # -- time and the instance -------------------------------------------------------------------
    def simulate_clock(self, start: float | None = None) -> float:
        self.instance.clock.simulate(start)
        self.table.expire_sessions()
        return self.instance.clock.now()

    def advance_clock(self, seconds: float) -> float:
        """Time passes: sessions past their timeout end, grace periods run out."""
        if seconds < 0:
            raise WorldError("the clock only moves forward")
        moved = self.instance.clock.advance(seconds)
        self.table.expire_sessions()
        return moved

    def use_wall_clock(self) -> float:
        self.instance.clock.use_wall_clock()
        self.table.expire_sessions()
        return self.instance.clock.now()

    def restart(self) -> list[str]:
        """Stop the instance (every process and session ends) and start it again."""
        self.instance.stop()
        return self.instance.start()


def _address(address: str) -> str:
    if not address or any(c.isspace() for c in address):
        raise WorldError(f"not a client address: {address!r}")
    return address


def _how(how: str) -> str:
    for kind in CONNECTION_KINDS:
        if kind.upper() == (how or "Terminal").upper():
            return kind
    raise WorldError(f"unknown connection kind {how!r} ({', '.join(CONNECTION_KINDS)})")


def _license_name(name: str) -> str:
    if not name or len(name) > MAX_LICENSE_ID:
        raise WorldError(f"a license user ID has 1 to {MAX_LICENSE_ID} characters")
    return name
