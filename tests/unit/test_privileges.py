"""The privilege model: what a user without roles, an %Admin_Manage user and a %All user may do
with the members that change the key, the configuration or the limits, load application
licenses, or read and write a file by name; and what every user may still query."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import Terminal

from cacheshell.system import users
from cacheshell.system.layout import DEFAULT_INSTANCE, InstanceLayout

L = "$SYSTEM.License."
ADMIN_USER, NOBODY = "ann", "eve"  # ann holds %Admin_Manage; eve is not defined: no role
ROLES = {"none": NOBODY, "admin": ADMIN_USER, "all": None}  # None: UnknownUser, %All
APP_INI = "[LabApp]\nLab Administrators=3\n"


def layout(home: Path) -> InstanceLayout:
    return InstanceLayout(home, DEFAULT_INSTANCE)


def terminal(home: Path, role: str, namespace: str = "USER") -> Terminal:
    """A session of the role's user; the instance exists first, so the registry can be."""
    Terminal().close()
    users.add(layout(home).mgr, ADMIN_USER, ["%Admin_Manage"])
    return Terminal(namespace=namespace, user=ROLES[role])


def outcome(shown: str) -> str:
    """The error line when the code failed, else the last line it wrote."""
    lines = shown.rstrip("\n").split("\n")
    return lines[-1] if lines[-1].startswith("<") else "ok " + lines[-1]


def place(home: Path, where: str, name: str, tmp_path: Path) -> Path:
    """A path inside the instance's tree (mgr/user/) or outside it."""
    base = layout(home).mgr / "user" if where == "inside" else tmp_path / "outside"
    base.mkdir(parents=True, exist_ok=True)
    return base / name


# Each member that takes a file: its call ({f} is the file), what the file holds beforehand
# ("key": a copy of the active key, "app": an application license, "": nothing), and what
# an allowed call writes last. An error raised in a routine names its place after <PROTECT>.
PATH_MEMBERS = {
    "DumpLocalAll": (f"Write {L}DumpLocalAll({{f}})", "", "ok {f}"),
    "DumpLocalInUse": (f"Write {L}DumpLocalInUse({{f}})", "", "ok {f}"),
    "DumpLocalPID": (f"Write {L}DumpLocalPID({{f}})", "", "ok {f}"),
    "ldumpall^%SYS.LICENSE": ("Do ldumpall^%SYS.LICENSE({f}) Write 1", "", "ok 1"),
    "ldumpinuse^%SYS.LICENSE": ("Do ldumpinuse^%SYS.LICENSE({f}) Write 1", "", "ok 1"),
    "ldumppid^%SYS.LICENSE": ("Do ldumppid^%SYS.LICENSE({f}) Write 1", "", "ok 1"),
    "IsValidKey": (f"Write $SYSTEM.Status.IsOK({L}IsValidKey({{f}}))", "key", "ok 1"),
    "CheckKeyForUpgrade": (f"Write {L}CheckKeyForUpgrade({{f}})", "key", "ok 0"),
    "LoadAppLicenseFile": (f'Write {L}LoadAppLicenseFile({{f}},"LabApp")', "app", "ok 0"),
    "Portal.LicenseKey.Compare": (
        'Set r=##class(Portal.LicenseKey).Compare({f}) Write !,"=",r',
        "key",
        "ok =1",
    ),
    "Portal.LicenseKey.Activate": (
        'Set r=##class(Portal.LicenseKey).Activate({f}) Write !,"=",r',
        "key",
        "ok =1",
    ),
    "Training.World.IssueKey": (
        'Write ##class(Training.World).IssueKey({f},5,"",1,"424242")',
        "",
        "ok 424242",
    ),
}


def _prepare(home: Path, path: Path, content: str) -> None:
    if content == "key":
        shutil.copy(layout(home).mgr / "cache.key", path)
    elif content == "app":
        path.write_text(APP_INI, encoding="utf-8")


@pytest.mark.parametrize("member", sorted(PATH_MEMBERS))
@pytest.mark.parametrize(
    ("role", "where", "expected"),
    [
        ("none", "inside", "<PROTECT>{at}"),
        ("admin", "inside", "allowed"),
        ("admin", "outside", "<PROTECT>{at} *{f}"),
        ("all", "outside", "allowed"),
    ],
)
def test_a_file_by_name_needs_admin_manage_and_the_instance_tree_without_all(
    cacheshell_home: Path, tmp_path: Path, member: str, role: str, where: str, expected: str
) -> None:
    call, content, allowed = PATH_MEMBERS[member]
    with terminal(cacheshell_home, role) as term:
        path = place(cacheshell_home, where, "given.txt", tmp_path)
        _prepare(cacheshell_home, path, content)
        at = member if member.endswith("^%SYS.LICENSE") else ""
        wanted = (allowed if expected == "allowed" else expected).format(f=path, at=at)
        assert outcome(term.run(call.format(f=f'"{path}"'))) == wanted


# Members that change the key, the configuration or the limits: (namespace, call, allowed).
SETTERS = {
    # Requires %Admin_Manage: license-api.md §1.3 (SetConnectionLimit, SetUserLimit).
    "SetUserLimit": ("USER", f"Write {L}SetUserLimit(0)", "ok 5"),
    "SetConnectionLimit": ("USER", f"Write {L}SetConnectionLimit(0)", "ok 0"),
    # Instance-wide settings guarded with them (DESIGN decision 11).
    "DeferUserIdentification": ("USER", f"Write {L}DeferUserIdentification(0)", "ok 0"),
    "UserNameLicensing": ("USER", f"Write {L}UserNameLicensing(0)", "ok 0"),
    "SetAlert": ("USER", "Write ##class(%Monitor.System.License).SetAlert(0)", "ok 1"),
    "SetNotify": ("USER", 'Write ##class(%Monitor.System.License).SetNotify("")', "ok 1"),
    "Upgrade": ("USER", f"Write {L}Upgrade()", "ok 1"),
    "RestoreTrainingKey": ("USER", "Write !,##class(Training.World).RestoreTrainingKey()", "ok 1"),
    "Config.config.Modify": ("%SYS", "Write ##class(Config.config).Modify(.p)", "ok 1"),
    "Config.LicenseServers.Create": (
        "%SYS",
        'Set p("Port")=4999 Write ##class(Config.LicenseServers).Create("SPARE",.p)',
        "ok 1",
    ),
    "Config.LicenseServers.Modify": (
        "%SYS",
        'Write ##class(Config.LicenseServers).Modify("LOCAL",.p)',
        "ok 1",
    ),
    "Config.LicenseServers.Delete": (
        "%SYS",
        'Write ##class(Config.LicenseServers).Delete("LOCAL")',
        "ok 1",
    ),
}


@pytest.mark.parametrize("member", sorted(SETTERS))
@pytest.mark.parametrize("role", ["none", "admin", "all"])
def test_changing_the_key_configuration_or_limits_needs_admin_manage(
    cacheshell_home: Path, member: str, role: str
) -> None:
    namespace, call, allowed = SETTERS[member]
    with terminal(cacheshell_home, role, namespace) as term:
        assert outcome(term.run(call)) == ("<PROTECT>" if role == "none" else allowed)


# The training world's servers, clock and the instance's life are the administrator's to
# rehearse; its simulated clients stay open to everyone, as clients of an instance are.
WORLD_CHANGES = [
    'StopServer("LOCAL")',
    'KillServer("LOCAL")',
    'StartServer("LOCAL")',
    'Partition("LOCAL")',
    'Heal("LOCAL")',
    'PartitionInstance("LOCAL")',
    'HealInstance("LOCAL")',
    "SimulateClock()",
    "AdvanceClock(60)",
    "UseWallClock()",
    "Restart()",
    "Reset()",
]


def test_the_training_world_s_servers_clock_and_restarts_need_admin_manage(
    cacheshell_home: Path,
) -> None:
    with terminal(cacheshell_home, "none") as term:
        shown = [outcome(term.run(f"Write ##class(Training.World).{c}")) for c in WORLD_CHANGES]
        client = term.run('Set c=##class(Training.World).Connect("10.0.0.9") Write c.Login("x")')
    assert (shown, outcome(client)) == (["<PROTECT>"] * len(WORLD_CHANGES), "ok 1")


QUERIES = [
    f"Write {L}LUConsumed()",
    f"Write {L}LUAvailable()",
    f"Write {L}KeyCustomerName()",
    f"Write {L}GetUserLimit()",
    f"Write {L}GetConnectionLimit()",
    f"Write {L}UserNameLicensing()",
    f"Write {L}DeferUserIdentification()",
    f"Write {L}GetKeyStatus()",
    f"Write {L}IsPendingActivation()",
    f"Do {L}ShowCounts()",
    f"Do {L}CKEY()",
    f"Do {L}Decode()",
    'Write ##class(Config.LicenseServers).Exists("LOCAL")',
]


@pytest.mark.parametrize("code", QUERIES)
def test_a_user_without_roles_can_still_query(cacheshell_home: Path, code: str) -> None:
    if "Config." in code:
        code = f'ZN "%SYS" {code}'
    with terminal(cacheshell_home, "all") as admin, terminal(cacheshell_home, "none") as nobody:
        shown = nobody.run(code)
        # What the query shows to %All it shows to a user without roles, and it is no error.
        assert (shown, "<" in outcome(shown)) == (admin.run(code), False)


# -- confinement: `..` and symbolic links are followed to where they really lead ---------------
def _escapes(home: Path, tmp_path: Path) -> None:
    user_dir = layout(home).mgr / "user"
    outside = tmp_path / "outside"
    outside.mkdir(exist_ok=True)
    user_dir.mkdir(exist_ok=True)
    shutil.copy(layout(home).mgr / "cache.key", outside / "cache.key")
    (user_dir / "away").symlink_to(outside)
    (user_dir / "away.key").symlink_to(outside / "cache.key")


@pytest.mark.parametrize(
    "call",
    [
        f'Write {L}DumpLocalAll("../../../../outside/escaped.dmp")',
        f'Write {L}DumpLocalInUse("away/escaped.dmp")',
        f'Write {L}DumpLocalPID("away/../../../../outside/escaped.dmp")',
        f'Write $SYSTEM.Status.IsOK({L}IsValidKey("{{user}}/away.key"))',
        f'Write {L}CheckKeyForUpgrade("{{user}}/away/cache.key")',
        'Write ##class(Portal.LicenseKey).Compare("{user}/away.key")',
        'Write ##class(Portal.LicenseKey).Activate("{user}/../user/away/cache.key")',
    ],
)
def test_dot_dot_and_symbolic_links_do_not_lead_out_of_the_instance(
    cacheshell_home: Path, tmp_path: Path, call: str
) -> None:
    with terminal(cacheshell_home, "admin") as term:
        _escapes(cacheshell_home, tmp_path)
        code = call.format(user=layout(cacheshell_home).mgr / "user")
        given = code.split('"')[1]
        shown = term.run(code)
        written = sorted(p.name for p in (tmp_path / "outside").iterdir())
        assert (outcome(shown), written) == (f"<PROTECT> *{given}", ["cache.key"])


@pytest.mark.parametrize("role", ["admin", "all"])
@pytest.mark.parametrize(
    ("member", "default"),
    [("DumpLocalAll", "all.dmp"), ("DumpLocalInUse", "inuse.dmp"), ("DumpLocalPID", "piduse.dmp")],
)
def test_a_symbolic_link_planted_where_a_dump_goes_is_not_followed(
    cacheshell_home: Path, role: str, member: str, default: str
) -> None:
    with terminal(cacheshell_home, role) as term:
        key = layout(cacheshell_home).mgr / "cache.key"
        before = key.read_bytes()
        user_dir = layout(cacheshell_home).mgr / "user"
        user_dir.mkdir(exist_ok=True)
        (user_dir / default).symlink_to(key)
        shown = term.run(f"Write {L}{member}()")
        assert (outcome(shown), key.read_bytes() == before) == (
            f"<NOTOPEN> *{default}: is a symbolic link",
            True,
        )


def _content(path: Path) -> bytes:
    """What a file holds, to tell whether it was replaced. SQLite's files (a database, its log
    and shared memory) are told by their inode, size and time instead, never opened: closing
    any descriptor of a file drops every POSIX lock this process holds on it, those of the
    session's own SQLite connections among them, and another process may then truncate the
    shared memory the session has mapped (SIGBUS)."""
    if path.name.startswith(("cache.db", "CACHE.DAT")):
        info = path.stat()
        return f"{info.st_ino} {info.st_size} {info.st_mtime_ns}".encode()
    return path.read_bytes()


@pytest.mark.parametrize("role", ["admin", "all"])
@pytest.mark.parametrize(
    "target",
    [
        "../cache.key",
        "../cache.cpf",
        "../cache.db",
        "../users.json",
        "../cconsole.log",
        "CACHE.DAT",
        "../licenseserver/x",
        "../../../license-server.secret",
    ],
)
def test_no_dump_replaces_a_file_of_the_instance_state(
    cacheshell_home: Path, role: str, target: str
) -> None:
    mgr = layout(cacheshell_home).mgr
    with terminal(cacheshell_home, role) as term:
        before = {path: _content(path) for path in mgr.rglob("*") if path.is_file()}
        shown = term.run(f'Write {L}DumpLocalAll("{target}")')
        after = {path: _content(path) for path in before if path.is_file()}
        # The running service may add lines to the console log meanwhile: an append is no
        # replacement. cache.db is the store the session itself writes.
        changed = [
            path.name
            for path in before
            if after.get(path) != before[path]
            and not (path.name == "cconsole.log" and after[path].startswith(before[path]))
        ]
        assert (outcome(shown), [n for n in changed if not n.startswith("cache.db")]) == (
            f"<PROTECT> *{target}",
            [],
        )


# -- error texts name the file and what is wrong, never what a line of it holds ----------------
SECRET = "S3CRET-MARKER-q7"
CAUGHT = "Catch e { Write !,e.Name,e.Data }"
_KEY_LINES = "[ConfigFile]\nFileType=License 2018.1\n[License]\n"


def _key_text(home: Path) -> str:
    return (layout(home).mgr / "cache.key").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "planted",
    [
        f"{SECRET}\n",  # a first line outside any section: /etc/shadow's shape
        f"password={SECRET}\n",
        f"[{SECRET}]\nx=1\n",
        f"[{SECRET}\n",
        f"[ConfigFile]\n{SECRET}\n",
        f"[ConfigFile]\nFileType={SECRET}\n[License]\n",
        _KEY_LINES + f"{SECRET}=1\n",
        "{key}".replace("OrderNumber=", f"OrderNumber={SECRET}"),
        "{key}".replace("ExpirationDate=", f"ExpirationDate={SECRET}"),
        "{key}".replace("CustomerName=", f"Customer{SECRET}="),
        "{key}\n[App]\na=1\na=" + SECRET + "\n",
        "{key}\n[App]\n" + SECRET + "\n",
        "{key}".replace("AuthorizationKey=", f"AuthorizationKey={SECRET}"),
        f"[LabApp]\n{SECRET}\n",
        f"[LabApp]\nLab={SECRET}\nLab={SECRET}\n",
        b"\xff".decode("latin-1") + SECRET,
    ],
)
def test_no_error_text_shows_what_the_file_holds(
    cacheshell_home: Path, tmp_path: Path, planted: str
) -> None:
    with terminal(cacheshell_home, "all") as term:
        text = planted.replace("{key}", _key_text(cacheshell_home).rstrip("\n"))
        path = tmp_path / "planted.ini"
        path.write_text(text, encoding="latin-1")
        os.chmod(path, 0o600)
        f = f'"{path}"'
        shown = term.run(
            f"Do $SYSTEM.Status.DisplayError({L}IsValidKey({f}))\n"
            f"Write !,{L}CheckKeyForUpgrade({f},,.sc) Do $SYSTEM.Status.DisplayError(sc)\n"
            f'Write !,{L}LoadAppLicenseFile({f},"LabApp")\n'
            f"Try {{ Do ##class(Portal.LicenseKey).Compare({f}) }} {CAUGHT}\n"
            f"Try {{ Do ##class(Portal.LicenseKey).Activate({f}) }} {CAUGHT}"
        )
        log = term.session.instance.log.path.read_text(encoding="utf-8")
        assert (SECRET in shown, SECRET in log, str(path) in shown) == (False, False, True)


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (f"Write {L}IsValidKey($C(0))", "<NOTOPEN> *$C(0)"),
        (f'Write {L}DumpLocalAll("a"_$C(0))', "<NOTOPEN> *a$C(0)"),
        ('Write ##class(Portal.LicenseKey).Compare("k"_$C(0)_".key")', "<NOTOPEN> *k$C(0).key"),
        # A required argument left out reads as "", as an omitted argument does.
        (
            "Write ##class(Training.World).KillServer()",
            "<ILLEGAL VALUE> *no license server named  is configured",
        ),
    ],
)
def test_a_nul_in_a_file_name_or_a_missing_argument_is_an_objectscript_error(
    cacheshell_home: Path, call: str, error: str
) -> None:
    with terminal(cacheshell_home, "all") as term:
        assert outcome(term.run(call)) == error


@pytest.mark.parametrize(
    ("relative", "held"),
    [
        ("OTHER/mgr/cache.key", True),  # any instance of the home, not only the caller's
        ("OTHER/mgr/users.json", True),
        ("OTHER/mgr/licenseserver/dumpkeys.txt", True),
        ("OTHER/mgr/user/CACHE.DAT", True),
        ("run/licenseserver-4001.pid", True),
        ("license-server.secret", True),
        ("trusted-issuers/acme.pub", True),
        ("OTHER/mgr/all.dmp", False),  # %SYS's dumps go to mgr/ itself
        ("OTHER/mgr/user/all.dmp", False),
        ("notes.txt", False),
    ],
)
def test_the_state_of_a_home_no_write_by_name_may_replace(
    tmp_path: Path, relative: str, held: bool
) -> None:
    from cacheshell.system.paths import holds_state

    assert holds_state(tmp_path, tmp_path / relative) is held
