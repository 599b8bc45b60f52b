"""The %SYSTEM.License members Caché has that were missing, and licensing answers made to agree
with Caché: Help()'s list, the key's capacities, processes and public web users, the instance
count behind ActiveServerCount and ApplicationServerLogin, ReturnAllCSPApps, SetUserLimit's
<LICENSE ALLOCATION EXCEEDED>, Login() on a full table, where the dumps go, the console log's
count, and the Config classes living in %SYS.

Sources: S1 = the Caché %SYSTEM.License class source (hyfdhcc/vscode110402,
src/%SYSTEM/License.cls), whose doc comments the reference notes paraphrase; the chapter =
/work/shared/spec/licensing-guide.txt (Caché System Administration Guide, GSA_license).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from conftest import Terminal, run_cli
from test_license_methods import mint

from cacheshell.session import LicenseLimitExceeded

START = datetime(2030, 1, 1, 12, 0, 0).timestamp()
L = "$SYSTEM.License."
W = "##class(Training.World)"

# Help() as the S1 class declares its public documented methods (Internal and Private ones are
# not listed; %SYSTEM.Help's Help(method) is): name and FormalSpec names, "&" for ByRef.
# GetFeature, GetUserId and LUMaxConsumedReset are $SYSTEM object methods declared with no
# formal arguments, so Help shows "()" though they take one.
CACHE_HELP_LIST = """
ActiveServerCount(&Status) ApplicationServerLogin(AppName,Keyword,&Status) CKEY() CSPGrace()
CSPUsers() CheckAppLicenseUsed(AppName,FeatureKeyword)
CheckKeyForUpgrade(NewKeyFile,&Reductions,&Status) ClearDurationCounts()
ConnectionCount(UserIdentifier) Decode() DecodeAuth(key)
DeferUserIdentification(usage) DumpKey() DumpKeys() DumpLocalAll(filename)
DumpLocalInUse(filename) DumpLocalPID(filename) DumpServer() DumpServers()
GetAppLicense(AppName,GetValues) GetAppLicenseFree(AppName,FeatureKeyword)
GetAppLicenseMin(AppName,FeatureKeyword) GetAppLicenseUsed(AppName,FeatureKeyword)
GetAppLicenseValue(AppName,FeatureKeyword) GetAppNames(AppTypes) GetConnectionLimit()
GetFeature() GetKeyInvalidReason() GetKeyStatus() GetUserId() GetUserLimit() Help(method)
InstanceConnections() InstanceConnectionsMax() IsAppLicensed(AppName,FeatureKeyword)
IsPendingActivation() IsValidKey(PathAndFileName,&RequiresRestart,&RestartReason)
KeyAuthorizationKey() KeyCPUsEnforced() KeyCPUsLicensed() KeyCoresEnforced()
KeyCoresLicensed() KeyCustomerName() KeyEnforcedUnits() KeyExpirationDate() KeyFeatures()
KeyFileType(IncludeKeyword) KeyLicenseCapacity() KeyLicenseType() KeyLicenseUnits()
KeyMachineID() KeyOrderNumber() KeyPlatform() KeyProduct() KeyServer() KeyVersion()
LUAvailable() LUConsumed() LUMaxConsumed() LUMaxConsumedReset() LUMinAvailable()
LoadAppLicenseFile(FileName,AppName) Login(UserIdentifier) MaxBufferPool() MaxCSPGrace()
MaxCSPUsers() MaxConnections() MaxDB() MaxECPServers() NetworkEnabled() ProcAvailable()
ProcConsumed() ProcMaxConsumed() ProcMinAvailable() PublicWebAppUser() PublicWebAppUserCount()
PublicWebAppUsersMax() ReadDurationCounts() ReadDurationValues() ReturnAllCSPApps(session)
ReturnApplicationLicense(AppName,FeatureKeyword,&Released,session) SetConnectionLimit(MaxCon)
SetUserLimit(MaxLU) ShowCounts() ShowServer() ShowSummary()
TakeApplicationLicense(AppName,FeatureKeyword,&Count,session) Upgrade()
UserNameLicensing(OnOffState)
""".split()

LAB = "[LabApp]\nLab Users=50\nLab Administrators=2\nServers=1\nModules=Lab, Radiology\n"


def activate(term: Terminal, **fields: object) -> None:
    """Put a minted key in mgr/ and activate it live, as Upgrade() does."""
    mint(term.session.instance.key_path, 5, **fields)
    assert term.run(f"Write {L}Upgrade()") == "1"


def console(term: Terminal) -> list[str]:
    """The console log's lines, without their time and PID stamp."""
    text = term.session.instance.log.path.read_text(encoding="utf-8")
    return [re.sub(r"^\S+ \(\d+\) ", "", line) for line in text.splitlines()]


# -- Help() ----------------------------------------------------------------------------------------
def test_help_lists_every_public_member_caché_declares(term: Terminal) -> None:
    listed = re.findall(r"\n\n(\w+\([^)\n]*\))\n", term.run(f"Do {L}Help()"))
    assert listed == CACHE_HELP_LIST


@pytest.mark.parametrize(
    ("member", "first_lines"),
    [
        # S1: ActiveServerCount(ByRef Status As %Status) As %Integer
        (
            "ActiveServerCount",
            "ActiveServerCount(&Status)\nReturn how many instances (this one included) use a key "
            "with the active key's OrderNumber.",
        ),
        # S1: ApplicationServerLogin(AppName = "", Keyword = "", ByRef Status As %Status)
        (
            "ApplicationServerLogin",
            "ApplicationServerLogin(AppName,Keyword,&Status)\nReturn 1 if the instances using "
            "the active key are within what an application's license authorizes.",
        ),
        # S1: GetFeature() As %Integer, a $SYSTEM object method taking n.
        (
            "GetFeature",
            "GetFeature()\nReturn 1 if the active key authorizes extended feature n, else 0.",
        ),
        # S1: GetUserId() As %String, a $SYSTEM object method taking an optional PID.
        ("GetUserId", "GetUserId()\nReturn the license ID of this process, or of the process PID."),
        # S1: ReturnAllCSPApps(session As %CSP.Session) As %Status
        (
            "ReturnAllCSPApps",
            "ReturnAllCSPApps(session)\nReturn every application license unit a CSP session holds.",
        ),
    ],
)
def test_help_of_one_member_shows_caché_s_signature(
    term: Terminal, member: str, first_lines: str
) -> None:
    text = term.run(f'Do {L}Help("{member}")')
    assert text.split("\n\n", 1)[1].startswith(first_lines + "\n")


# -- the key's capacities --------------------------------------------------------------------------
TRAINING_KEY_ANSWERS = [
    ("KeyCPUsLicensed()", "0"),  # no core limit: CPU code 0
    ("KeyCPUsEnforced()", "0"),
    ("MaxBufferPool()", "0"),  # S1: "Zero indicates unlimited"
    ("MaxDB()", "0"),  # S1: "Zero indicates unlimited"
    ("MaxECPServers()", "0"),
    ("NetworkEnabled()", "0"),  # the training key does not enable ECP
    # Concurrent User restricts no processes (IRIS %SYSTEM.License: ProcAvailable is "only
    # meaningful for 'Real Time' licenses"): 0.
    ("ProcAvailable()", "0"),
    ("ProcMinAvailable()", "0"),
    ("PublicWebAppUserCount()", "0"),
    ("PublicWebAppUsersMax()", "0"),
]


@pytest.mark.parametrize(("member", "value"), TRAINING_KEY_ANSWERS)
def test_new_members_on_the_training_key(term: Terminal, member: str, value: str) -> None:
    assert term.run(f"Write {L}{member}") == value


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("KeyCPUsLicensed()", "64"),  # this model's CPU code is the core count
        ("KeyCPUsEnforced()", "64"),
        ("KeyCoresLicensed()", "64"),
        ("MaxBufferPool()", "2048"),
        ("MaxDB()", "40"),
        ("MaxECPServers()", "8"),
        ("NetworkEnabled()", "1"),
        ("KeyLicenseUnits()", "5"),  # the fields before them read as before
    ],
)
def test_capacities_a_key_carries(term: Terminal, member: str, value: str) -> None:
    activate(term, cores=64, max_buffer_pool=2048, max_databases=40, ecp_servers=8, network=True)
    assert term.run(f"Write {L}{member}") == value


def test_a_real_time_key_counts_the_processes_it_allows(term: Terminal) -> None:
    activate(term, license_type="Real Time")
    calls = f'Write {L}ProcAvailable()," ",{L}ProcMinAvailable()'
    assert term.run(calls) == "4 4"  # the key's 5 enforced units less this process
    term.run(f'Set a={W}.Connect("10.0.0.1"),b={W}.Connect("10.0.0.2")')
    assert term.run(calls) == "2 2"
    term.run("Do a.End(),b.End()")
    assert term.run(calls) == "4 2"  # the low-water mark stays


# -- public web application users ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "answer"),
    [
        ({}, "0"),  # S1: 0, "the license key does not support this option"
        ({"features": ("WebAddOn",)}, "1"),  # S1: "have the Web Add-on feature enabled"
        ({"license_type": "Real Time"}, "1"),  # S1: "be a Real Time license"
    ],
)
def test_public_web_app_user_needs_a_web_key(term: Terminal, key: dict, answer: str) -> None:
    activate(term, **key)
    code = f"Set %session={W}.StartCSP() Write {L}PublicWebAppUser()"
    assert term.run(code) == answer


def test_public_web_app_user_outside_a_csp_session(term: Terminal) -> None:
    # S1's own example wraps the call in try/catch; outside OnStartSession there is no session.
    line = f"Write {L}PublicWebAppUser()"
    assert term.run(line) == f"\nWRITE {L}PublicWebAppUser()\n^\n<FUNCTION>\n"


def test_public_web_app_users_are_counted_and_their_peak_kept(term: Terminal) -> None:
    activate(term, features=("WebAddOn",))
    counts = f'Write {L}PublicWebAppUserCount(),"/",{L}PublicWebAppUsersMax()'
    term.run(f"Set %session={W}.StartCSP() Do {L}PublicWebAppUser() Set s1=%session")
    term.run(f"Set %session={W}.StartCSP() Do {L}PublicWebAppUser(),{L}PublicWebAppUser()")
    assert term.run(counts) == "2/2"
    term.run("Do s1.End()")
    assert term.run(counts) == "1/2"


# -- ActiveServerCount and ApplicationServerLogin without a license server -------------------------
@pytest.fixture
def serverless(cacheshell_home: Path) -> Iterator[Terminal]:
    """A session of an instance configured with no license server: its default LOCAL deleted
    and the instance restarted, as an administrator does it."""
    commands = [("-U", "USER", "Write 1"), ("servers", "delete", "LOCAL")]
    for command in (*commands, ("control", "restart", "CACHE")):
        done = run_cli(*command)
        assert done.returncode == 0, done.stderr
    with Terminal() as terminal:
        yield terminal


def test_active_server_count_without_a_server(serverless: Terminal) -> None:
    # S1: "Error status is returned by reference in the Status argument."
    code = f'Set n={L}ActiveServerCount(.sc) Write n," " Do $System.Status.DisplayError(sc)'
    assert serverless.run(code) == "0 \nERROR #5001: Not connected to License Server\n"


def test_active_server_count_with_the_default_server(term: Terminal) -> None:
    # S1: "the number of instances (including this one) using a key with the same OrderNumber",
    # counted by the license server; a new instance reports to Caché's default LOCAL server.
    code = f'Set n={L}ActiveServerCount(.sc) Write n," ",$System.Status.IsOK(sc)'
    assert term.run(code) == "1 1"


def test_active_server_count_with_a_single_server_key(term: Terminal) -> None:
    activate(term, multi=False)
    code = f'Set n={L}ActiveServerCount(.sc) Write n," " Do $System.Status.DisplayError(sc)'
    assert term.run(code) == ("0 \nERROR #5001: Single-server key: license servers do not apply\n")


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        ('"Nope","Servers"', "0 \nERROR #5002: Cache error: <INVALID ARGUMENT>\n"),
        # One instance, this one, uses the key through the default server; the item allows 1.
        ('"LabApp","Servers"', "1 "),
        ('"LabApp","Clients"', "0 \nERROR #5001: LabApp has no item Clients\n"),
        (
            '"LabApp","Modules"',
            "0 \nERROR #5001: LabApp Modules is not a number: Lab, Radiology\n",
        ),
    ],
)
def test_application_server_login_status(
    term: Terminal, tmp_path: Path, args: str, shown: str
) -> None:
    (tmp_path / "lab.ini").write_text(LAB, encoding="utf-8")
    term.run(f'Do {L}LoadAppLicenseFile("{tmp_path / "lab.ini"}","LabApp")')
    code = f'Write {L}ApplicationServerLogin({args},.sc)," " Do $System.Status.DisplayError(sc)'
    assert term.run(code) == shown


def test_application_server_login_without_a_server(serverless: Terminal, tmp_path: Path) -> None:
    # S1: ApplicationServerLogin counts the instances through the license server.
    (tmp_path / "lab.ini").write_text(LAB, encoding="utf-8")
    serverless.run(f'Do {L}LoadAppLicenseFile("{tmp_path / "lab.ini"}","LabApp")')
    code = f'Write {L}ApplicationServerLogin("LabApp","Servers",.sc)," " '
    code += "Do $System.Status.DisplayError(sc)"
    assert serverless.run(code) == "0 \nERROR #5001: Not connected to License Server\n"


# -- ReturnAllCSPApps ------------------------------------------------------------------------------
@pytest.fixture
def lab_session(term: Terminal, tmp_path: Path) -> Terminal:
    """A CSP session s that took two Lab Users and one Lab Administrators unit."""
    (tmp_path / "lab.ini").write_text(LAB, encoding="utf-8")
    term.run(f'Do {L}LoadAppLicenseFile("{tmp_path / "lab.ini"}","LabApp")')
    term.run(
        f"Set s={W}.StartCSP() "
        f'Do {L}TakeApplicationLicense("LabApp","Lab Users",,s),'
        f'{L}TakeApplicationLicense("LabApp","Lab Users",,s),'
        f'{L}TakeApplicationLicense("LabApp","Lab Administrators",,s)'
    )
    return term


FREE = (
    f'Write {L}GetAppLicenseFree("LabApp","Lab Users"),"/",'
    f'{L}GetAppLicenseFree("LabApp","Lab Administrators")'
)


@pytest.mark.parametrize("session", ["s", "s.SessionId"])
def test_return_all_csp_apps_gives_back_what_the_session_took(
    lab_session: Terminal, session: str
) -> None:
    assert lab_session.run(FREE) == "48/1"
    assert lab_session.run(f"Write {L}ReturnAllCSPApps({session})") == "1"
    assert lab_session.run(FREE) == "50/2"
    assert lab_session.run(f"Write {L}CSPUsers()") == "1"  # the session keeps its own unit


def test_return_all_csp_apps_leaves_an_event_per_unit(lab_session: Terminal) -> None:
    lab_session.run(f"Do {L}ReturnAllCSPApps(s)")
    rows = lab_session.session.instance.store.db.execute(
        "SELECT detail FROM events WHERE kind='app-return' ORDER BY id"
    ).fetchall()
    assert rows == [
        ("LabApp,Lab Administrators",),
        ("LabApp,Lab Users",),
        ("LabApp,Lab Users",),
    ]


def test_return_all_csp_apps_without_a_session(term: Terminal) -> None:
    code = f'Do $System.Status.DisplayError({L}ReturnAllCSPApps(""))'
    assert term.run(code) == "\nERROR #5002: Cache error: <INVALID ARGUMENT>\n"


def test_units_a_process_held_return_with_an_event_when_it_ends(
    term: Terminal, tmp_path: Path
) -> None:
    (tmp_path / "lab.ini").write_text(LAB, encoding="utf-8")
    with Terminal() as other:
        other.run(f'Do {L}LoadAppLicenseFile("{tmp_path / "lab.ini"}","LabApp")')
        other.run(f'Do {L}TakeApplicationLicense("LabApp","Lab Users")')
    rows = term.session.instance.store.db.execute(
        "SELECT kind, detail FROM events WHERE kind LIKE 'app-%' ORDER BY id"
    ).fetchall()
    assert rows[-2:] == [("app-take", "LabApp,Lab Users"), ("app-return", "LabApp,Lab Users")]


# -- SetUserLimit: <LICENSE ALLOCATION EXCEEDED> ---------------------------------------------------
@pytest.mark.parametrize(
    ("limit", "error"),
    [
        # objectscript.md error table (Caché "System Error Messages", RERR_system):
        # <LICENSE ALLOCATION EXCEEDED> "exceed limit set by $SYSTEM.License.SetUserLimit()".
        (2, "LICENSE ALLOCATION EXCEEDED"),
        (4, "LICENSE ALLOCATION EXCEEDED"),
        # At or above the key's 5 units the key is what runs out: <LICENSE LIMIT EXCEEDED>.
        (5, "LICENSE LIMIT EXCEEDED"),
        (9, "LICENSE LIMIT EXCEEDED"),
        (0, "LICENSE LIMIT EXCEEDED"),  # 0 removes the cap
    ],
)
def test_a_login_past_the_cap_is_an_allocation_error(
    term: Terminal, limit: int, error: str
) -> None:
    term.run(f"Do {L}SetUserLimit({limit})")
    term.run(f'For i=1:1:{min(limit or 5, 5) - 1} Set c(i)={W}.Connect("10.0.0."_i)')
    line = f'Set x={W}.Connect("10.0.1.1")'
    assert term.run(line) == f"\n{line.replace('Set', 'SET', 1)}\n^\n<{error}>\n"


def test_a_terminal_past_the_cap_is_refused_with_the_allocation_error(term: Terminal) -> None:
    # Username licensing: bob's terminal is a new license ID, and the cap of 2 is reached.
    term.run(f'Do {L}SetUserLimit(2),{L}UserNameLicensing(1) Set c={W}.Connect("10.0.0.1")')
    with pytest.raises(LicenseLimitExceeded) as refused:
        Terminal(user="bob")
    assert str(refused.value) == "<LICENSE ALLOCATION EXCEEDED>"


# -- Login() on a full table -----------------------------------------------------------------------
@pytest.fixture
def full(term: Terminal) -> Terminal:
    """Every one of the 5 units taken: this terminal's (127.0.0.1) and four clients'."""
    term.run(f'For i=1:1:4 Set c(i)={W}.Connect("10.0.0."_i)')
    assert term.run(f"Write {L}LUAvailable()") == "0"
    return term


def test_login_on_a_full_table_gives_back_the_process_s_own_unit(full: Terminal) -> None:
    # S1 Login: "relinquish a license if the session/process is already holding one under a
    # different identifier and ... obtain a new one": this process was 127.0.0.1's only one.
    code = f'Write {L}Login("Ann"),",",{L}GetUserId(),",",{L}LUAvailable()'
    assert full.run(code) == "1,Ann@127.0.0.1,0"
    assert full.run(f'Write {L}ConnectionCount("127.0.0.1")') == "0"


def test_login_on_a_full_table_keeps_a_shared_id_and_logs_the_refused_one(
    full: Terminal,
) -> None:
    with Terminal():  # a second process under 127.0.0.1: leaving it frees no unit
        code = f'Write {L}Login("Ann"),",",{L}GetUserId()'
        assert full.run(code) == "0,127.0.0.1"
    assert console(full)[-1] == (
        "1 License limit exceeded 1 times since instance start (license user ID 'Ann@127.0.0.1')"
    )


def test_a_client_s_login_on_a_full_table_moves_its_unit(full: Terminal) -> None:
    assert full.run('Write c(1).Login("Zed"),",",c(1).LicenseId') == "1,Zed@10.0.0.1"


# -- where the local dumps go ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("namespace", "call", "where"),
    [
        # The chapter: "dumps all local license table entries to the all.dmp file in the current
        # directory"; a process's current directory is its namespace's database directory.
        ("USER", "DumpLocalAll()", "user/all.dmp"),
        ("USER", "DumpLocalInUse()", "user/inuse.dmp"),
        ("USER", "DumpLocalPID()", "user/piduse.dmp"),
        ("USER", 'DumpLocalAll("mine.txt")', "user/mine.txt"),
        ("%SYS", "DumpLocalAll()", "all.dmp"),  # CACHESYS is mgr/ itself
        ("%SYS", "DumpLocalPID()", "piduse.dmp"),
    ],
)
def test_dumps_go_to_the_namespace_s_directory(
    term: Terminal, namespace: str, call: str, where: str
) -> None:
    term.run(f'ZNspace "{namespace}" Do {L}{call}')
    assert (term.session.layout.mgr / where).is_file()


def test_the_pid_dump_shows_the_instance_s_system_processes(term: Terminal) -> None:
    term.run(f"Do {L}DumpLocalPID()")
    lines = (term.session.layout.mgr / "user" / "piduse.dmp").read_text().splitlines()
    assert [line.split("\t")[1:] for line in lines[2:4]] == [
        ["System", "", "", "0", "0", "0", "0", "0", "0"],  # the service
        ["System", "", "", "0", "0", "0", "0", "0", "0"],  # its license monitor
    ]


# -- the console log's count: once per refused login -----------------------------------------------
def test_each_refused_group_is_counted_once(full: Terminal) -> None:
    for _ in range(2):
        full.run(f'Set g={W}.ConnectMany("10.0.9.9",3)')
    assert console(full)[-2:] == [
        "1 License limit exceeded 1 times since instance start (license user ID '10.0.9.9')",
        "1 License limit exceeded 2 times since instance start (license user ID '10.0.9.9')",
    ]


def test_a_user_name_licensing_switch_is_not_a_refused_login(full: Terminal) -> None:
    with Terminal():  # 127.0.0.1 is shared: moving this process off it frees no unit
        full.run(f"Do {L}UserNameLicensing(1)")  # no unit for the new ID: it keeps 127.0.0.1
        assert full.run(f"Write {L}GetUserId()") == "127.0.0.1"
    full.run(f'Set x={W}.Connect("10.0.0.9")')  # the first refused login: counted 1
    assert console(full)[-1] == (
        "1 License limit exceeded 1 times since instance start (license user ID "
        "'UnknownUser@10.0.0.9')"
    )


# -- the Config classes are in %SYS only -----------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "shown"),
    [
        (
            'Write ##class(Config.LicenseServers).Exists("LS")',
            "<CLASS DOES NOT EXIST> *Config.LicenseServers",
        ),
        ("Do ##class(Config.config).Get(.p)", "<CLASS DOES NOT EXIST> *Config.config"),
        (
            'Do ##class(%ResultSet).RunQuery("Config.LicenseServers","List")',
            "<CLASS DOES NOT EXIST> *Config.LicenseServers",
        ),
    ],
)
def test_config_classes_do_not_exist_in_user(term: Terminal, code: str, shown: str) -> None:
    assert term.run(code).endswith(f"\n^\n{shown}\n")


@pytest.mark.parametrize(
    ("code", "shown"),
    [
        ('Write ##class(Config.LicenseServers).Exists("LS")', "0"),
        ('Do ##class(Config.config).Get(.p) Write p("LicenseUpdatePeriod")', "15"),
    ],
)
def test_config_classes_exist_in_sys(term: Terminal, code: str, shown: str) -> None:
    # The chapter's procedures run them there: csession <instance> -U %SYS ...
    assert term.run(f'ZNspace "%SYS" {code}') == shown


# -- CSP timeouts and grace periods are stamped when they ran out ---------------------------------
@pytest.mark.parametrize(
    ("pages", "events"),
    [
        # One page: the unit is held for the 10-minute grace period (chapter, CSP licensing),
        # counted from the timeout, not from the AdvanceClock that noticed it.
        (
            1,
            [
                (0, "grant", "units +1"),
                (60, "grace", "held for the CSP grace period"),
                (660, "release", "CSP grace period over"),
            ],
        ),
        (2, [(0, "grant", "units +1"), (60, "release", "CSP session timed out")]),
    ],
)
def test_a_timed_out_session_is_stamped_at_its_timeout(
    term: Terminal, pages: int, events: list[tuple[int, str, str]]
) -> None:
    inst = term.session.instance
    inst.clock.simulate(START)
    session = term.run(f"Set s={W}.StartCSP(60) Write s.SessionId")
    term.run(f"For i=1:1:{pages} Do s.View()")
    term.run(f"Do {W}.AdvanceClock(900)")
    rows = inst.store.db.execute(
        "SELECT time, kind, detail FROM events WHERE license_id=? ORDER BY id", (session,)
    ).fetchall()
    assert [(round(t - START), kind, detail) for t, kind, detail in rows] == events
