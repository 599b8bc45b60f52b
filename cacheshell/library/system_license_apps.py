"""%SYSTEM.License, application licensing: load an application's license, take and return units
of its counted features, and read its values."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from cacheshell.lang import lists, status
from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.objects import ObjectInstance, Row, Value
from cacheshell.lang.refs import Argument, Ref, deref
from cacheshell.lang.runtime import Runtime
from cacheshell.lang.values import is_true, to_str
from cacheshell.library import privileges
from cacheshell.library.host import instance_of, process_of
from cacheshell.library.system_license import LICENSE
from cacheshell.library.system_license_servers import GENERAL_ERROR, instances_using_key
from cacheshell.system.appfile import AppFileError, read_app_license
from cacheshell.system.applications import (
    Applications,
    NotLoaded,
    Pool,
    process_holder,
    release_application_units,
    session_holder,
)
from cacheshell.system.table import grace_remaining

DEFAULT_FEATURE = "Concurrent Users"
CANNOT_ALLOCATE = 5915
# Application sections InterSystems ships (ISC.*) are the ones license servers count.
ISC_PREFIX = "ISC."


def apps(ctx: Runtime) -> Applications:
    return Applications(instance_of(ctx).store, instance_of(ctx).clock.now)


def _invalid_argument() -> ObjectScriptError:
    return ObjectScriptError("INVALID ARGUMENT")


def _invalid_status() -> str:
    return status.error(5002, "<INVALID ARGUMENT>")


def _holder(ctx: Runtime, session: Argument | None) -> tuple[str, str]:
    """(license ID, holder) of a take: the CSP session's when one is given, else the process's."""
    given = None if session is None else deref(session)
    if isinstance(given, ObjectInstance) and "SessionId" in given.props:
        return (
            to_str(given.props.get("LicenseId", "")),
            session_holder(to_str(given.props["SessionId"])),
        )
    process = process_of(ctx)
    return process.license_id or str(process.pid), process_holder(process.pid)


def _pool(ctx: Runtime, app: Argument, keyword: Argument) -> Pool | None:
    try:
        return apps(ctx).pool(to_str(deref(app)), to_str(deref(keyword)))
    except NotLoaded:
        raise _invalid_argument() from None


@LICENSE.classmethod(
    "LoadAppLicenseFile",
    "Load section [AppName] of an .ini file as an application license.",
    "Returns 0 on success; 1 no file, no section, or an empty or malformed "
    "section; 2 section too large; 4 cannot allocate; 5 keyword or value too "
    "long; 6 application name too long. A failed load changes nothing; loading "
    "an application again replaces its values, keeping units in use under the "
    "keywords that remain. Needs the %Admin_Manage role, else <PROTECT>; a file "
    "outside the instance's directory needs %All.",
    "(FileName, AppName)",
)
def load_app_license_file(ctx: Runtime, file_name: Argument, app_name: Argument) -> int:
    name = to_str(deref(file_name))
    privileges.require(ctx)
    # Read where the name really leads (relative to the current directory, as before).
    path = str(privileges.readable(ctx, name, Path.cwd())) if name else name
    try:
        app = read_app_license(path, to_str(deref(app_name)), shown=name)
    except AppFileError as exc:
        return exc.code
    return 0 if apps(ctx).load(app) else 4


@LICENSE.classmethod(
    "TakeApplicationLicense",
    "Take one unit of an application feature for "
    "this process's (or a CSP session's) license user ID.",
    "Count (by reference) becomes the times this user now holds the feature. "
    "Returns a %Status: ERROR #5915 when the pool is exhausted or the value is "
    "not a number, INVALID ARGUMENT when the application is not loaded.",
    "(AppName, FeatureKeyword, &Count, session)",
)
def take_application_license(
    ctx: Runtime,
    app: Argument,
    feature: Argument = DEFAULT_FEATURE,
    count: Argument | None = None,
    session: Argument | None = None,
) -> int | str:
    license_id, holder = _holder(ctx, session)
    registry = apps(ctx)
    name, keyword = to_str(deref(app)), to_str(deref(feature)) or DEFAULT_FEATURE
    if not registry.is_loaded(name):
        return _invalid_status()
    taken = registry.take(name, keyword, license_id, holder)
    if isinstance(count, Ref):
        count.set(taken)
    return status.OK if taken else status.error(CANNOT_ALLOCATE)


@LICENSE.classmethod(
    "ReturnApplicationLicense",
    "Return one unit of an application feature taken by this process (or CSP session).",
    "Released (by reference) is 1 when a unit was returned, 0 when none was "
    "held. Returns a %Status; INVALID ARGUMENT when the application is not "
    "loaded.",
    "(AppName, FeatureKeyword, &Released, session)",
)
def return_application_license(
    ctx: Runtime,
    app: Argument,
    feature: Argument = DEFAULT_FEATURE,
    released: Argument | None = None,
    session: Argument | None = None,
) -> int | str:
    license_id, holder = _holder(ctx, session)
    try:
        done = apps(ctx).give_back(
            to_str(deref(app)), to_str(deref(feature)) or DEFAULT_FEATURE, license_id, holder
        )
    except NotLoaded:
        return _invalid_status()
    if isinstance(released, Ref):
        released.set(done)
    return status.OK


@LICENSE.classmethod(
    "ReturnAllCSPApps",
    "Return every application license unit a CSP session holds.",
    "ReturnAllCSPApps(session) does what the CSP daemon does when it deletes a session object: "
    "the units the session took with TakeApplicationLicense(..., session) go back to their "
    "pools. `session` is a CSP session object (a Training.CSPSession) or its session ID; "
    "the session itself keeps its license unit.\nReturns $$$OK, or an INVALID ARGUMENT "
    "%Status when `session` names no CSP session.",
    "(session)",
)
def return_all_csp_apps(ctx: Runtime, session: Argument = "") -> int | str:
    given = deref(session)
    if isinstance(given, ObjectInstance):
        session_id = to_str(given.props.get("SessionId", ""))
    else:
        session_id = to_str(given)
    if not session_id:
        return _invalid_status()
    store = instance_of(ctx).store
    with store.transaction():
        release_application_units(store, session_holder(session_id), instance_of(ctx).clock.now())
    return status.OK


@LICENSE.classmethod(
    "ApplicationServerLogin",
    "Return 1 if the instances using the active key are within what an application's "
    "license authorizes.",
    "ApplicationServerLogin(AppName, Keyword, .Status) compares ActiveServerCount(), the "
    "instances (this one included) the license server sees with the active key's "
    "OrderNumber, with the number the Keyword item of application license AppName gives. "
    "Returns 1 when the count does not exceed it, else 0. Status (by reference) is $$$OK, "
    "INVALID ARGUMENT when AppName is not loaded, ERROR #5001 when Keyword is absent or not a "
    "number, or ActiveServerCount's error when the license server could not be asked (then 0).",
    "(AppName, Keyword, .Status)",
)
def application_server_login(
    ctx: Runtime, app: Argument = "", keyword: Argument = "", sc: Argument | None = None
) -> int:
    allowed = 0
    outcome: int | str = status.OK
    name, item = to_str(deref(app)), to_str(deref(keyword))
    try:
        pool = apps(ctx).pool(name, item)
    except NotLoaded:
        pool, outcome = None, _invalid_status()
    if pool is not None and not pool.numeric:
        outcome = status.error(GENERAL_ERROR, f"{name} {item} is not a number: {pool.value}")
    elif pool is None and not status.is_error(outcome):
        outcome = status.error(GENERAL_ERROR, f"{name} has no item {item}")
    elif pool is not None:
        count, outcome = instances_using_key(instance_of(ctx))
        allowed = int(not status.is_error(outcome) and count <= int(pool.value))
    if isinstance(sc, Ref):
        sc.set(outcome)
    return allowed


@LICENSE.classmethod(
    "GetAppLicense",
    "The keywords of an application license, $c(0) after each.",
    "With GetValues true each piece is keyword=value, and an empty piece ends the list.",
    "(AppName, GetValues)",
)
def get_app_license(ctx: Runtime, app: Argument, get_values: Argument = 0) -> str:
    try:
        pools = apps(ctx).pools(to_str(deref(app)))
    except NotLoaded:
        raise _invalid_argument() from None
    if is_true(deref(get_values)):
        return "".join(f"{p.keyword}={p.value}\x00" for p in pools) + "\x00"
    return "".join(f"{p.keyword}\x00" for p in pools)


@LICENSE.classmethod(
    "GetAppLicenseValue",
    'The value of an application license keyword ("" when absent).',
    signature="(AppName, FeatureKeyword)",
)
def get_app_license_value(ctx: Runtime, app: Argument, keyword: Argument) -> str:
    pool = _pool(ctx, app, keyword)
    return "" if pool is None else pool.value


def _count(
    ctx: Runtime, app: Argument, keyword: Argument, read: Callable[[Pool], int]
) -> int | str:
    pool = _pool(ctx, app, keyword)
    return "" if pool is None or not pool.numeric else read(pool)


@LICENSE.classmethod(
    "GetAppLicenseUsed", "Units of a numeric feature in use.", signature="(AppName, FeatureKeyword)"
)
def get_app_license_used(ctx: Runtime, app: Argument, keyword: Argument) -> int | str:
    return _count(ctx, app, keyword, lambda p: p.used)


@LICENSE.classmethod(
    "GetAppLicenseFree", "Units of a numeric feature free.", signature="(AppName, FeatureKeyword)"
)
def get_app_license_free(ctx: Runtime, app: Argument, keyword: Argument) -> int | str:
    return _count(ctx, app, keyword, lambda p: p.free)


@LICENSE.classmethod(
    "GetAppLicenseMin",
    "The fewest units of a numeric feature ever free.",
    signature="(AppName, FeatureKeyword)",
)
def get_app_license_min(ctx: Runtime, app: Argument, keyword: Argument) -> int | str:
    return _count(ctx, app, keyword, lambda p: p.free if p.min_free is None else p.min_free)


@LICENSE.classmethod(
    "CheckAppLicenseUsed",
    "Recount a feature's use from the units held and fix the internal count.",
    'Returns "CountedUsage,InternalUsageCountBeforeAdjustment,'
    'AppLicensesRecovered"; "" when the keyword is absent or not numeric.',
    "(AppName, FeatureKeyword)",
)
def check_app_license_used(ctx: Runtime, app: Argument, keyword: Argument) -> str:
    pool = _pool(ctx, app, keyword)
    if pool is None or not pool.numeric:
        return ""
    counted, before, recovered = apps(ctx).recount(to_str(deref(app)), pool.keyword)
    return f"{counted},{before},{recovered}"


@LICENSE.classmethod(
    "IsAppLicensed",
    "1 if the application (and the feature, if given) is licensed.",
    signature="(AppName, FeatureKeyword)",
)
def is_app_licensed(ctx: Runtime, app: Argument, keyword: Argument = "") -> int:
    registry = apps(ctx)
    name = to_str(deref(app))
    if not registry.is_loaded(name):
        return 0
    word = to_str(deref(keyword))
    return 1 if not word or registry.pool(name, word) is not None else 0


@LICENSE.classmethod(
    "GetAppNames",
    "The loaded application names as a $LIST.",
    "AppTypes holds letters: I InterSystems applications (ISC.*), P protected "
    "sections of the key, U unprotected ones loaded from files.",
    "(AppTypes)",
)
def get_app_names(ctx: Runtime, kinds: Argument = "IPU") -> str:
    wanted = to_str(deref(kinds)).upper() or "IPU"
    registry = apps(ctx)
    protected = registry.names(protected=True)
    names: list[str] = []
    if "I" in wanted:
        names += [n for n in protected if n.startswith(ISC_PREFIX)]
    if "P" in wanted:
        names += [n for n in protected if not n.startswith(ISC_PREFIX)]
    if "U" in wanted:
        names += registry.names(protected=False)
    return lists.listbuild(*sorted(set(names))) if names else ""


@LICENSE.query(
    "ApplicationUserList",
    ("UserId", "Type", "Connects", "MaxCon", "CSPCon", "LU", "Active", "Grace", "AppLicenses"),
    "License users holding units of an application, with what they hold.",
    "With ShowCounts true AppLicenses lists keyword=times taken, else keywords.",
    '(AppName="ISC.TrakCare", ShowCounts=0)',
)
def application_user_list(
    ctx: Runtime, app: Value = "ISC.TrakCare", show_counts: Value = 0
) -> Iterator[Row]:
    instance = instance_of(ctx)
    taken = apps(ctx).taken_by(to_str(deref(app)))
    now = instance.clock.now()
    for license_id, held in taken.items():
        entry = instance.table.entry(license_id)
        pieces = [f"{k}={n}" if is_true(deref(show_counts)) else k for k, n in held]
        if entry is None:
            yield (license_id, "", 0, 0, 0, 0, 0, 0, lists.listbuild(*pieces))
            continue
        yield (
            license_id,
            entry.kind,
            entry.connections,
            entry.peak,  # as UserList: the most connections the ID had at once
            entry.csp,
            entry.units,
            int(now - entry.since),
            grace_remaining(entry, now),
            lists.listbuild(*pieces),
        )
