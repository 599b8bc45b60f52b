"""%SYSTEM.License and %Monitor.System.License members, driven through ObjectScript."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from conftest import Terminal

from cacheshell.lang.objects import REGISTRY, ClassDef
from cacheshell.session import LicenseLimitExceeded
from cacheshell.system import authkey, signing
from cacheshell.system.authkey import PLATFORMS
from cacheshell.system.keyfile import render_key_file
from cacheshell.system.keys import issue_key

HERE = authkey.current_platform_code()
START = datetime(2030, 1, 1, 12, 0, 0).timestamp()
FEWER = (
    "The new key has fewer license units (5 to 3): the reduction takes effect at the next restart"
)
SIGNATURE = (
    "License key signature is not valid: the key was changed after it was issued, or "
    "its issuer is not trusted"
)
L = "$SYSTEM.License."


def mint(path: Path, units: int, **fields: object) -> Path:
    """Write a key signed by the training issuer; by default like an instance's training key,
    but for its order number (each instance's own)."""
    spec: dict = {
        "multi": True,
        "expires": date(2099, 12, 31),
        "customer": "cacheshell training",
        "order_number": 100001,
    }
    spec.update(fields)
    key = issue_key(
        units=units, private_key=signing.training_private_key(), platform_code=HERE, **spec
    )
    path.write_text(render_key_file(key.file), encoding="utf-8")
    return path


def calls(*members: str) -> str:
    """One WRITE of several members, their values separated by commas."""
    return "Write " + ',",",'.join(L + m for m in members)


def error(line: str, name: str) -> str:
    return f"\n{line.replace('Write', 'WRITE', 1).replace('Do ', 'DO ', 1)}\n^\n<{name}>\n"


@pytest.fixture
def terminals() -> Iterator[list[Terminal]]:
    """Extra sessions a test opens; all closed at the end, returning their units."""
    opened: list[Terminal] = []
    yield opened
    for t in opened:
        t.close()


def console(term: Terminal) -> str:
    return term.session.instance.log.path.read_text(encoding="utf-8")


# -- Login ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("identifier", "license_id"),
    [
        ("Alice", "Alice@127.0.0.1"),
        ("Alice@10.1.2.3", "Alice@127.0.0.1"),
        ("x@y@z", "x@127.0.0.1"),
        ("Ward|3|A", "Ward/3/A@127.0.0.1"),
    ],
)
def test_login_makes_the_license_id(term: Terminal, identifier: str, license_id: str) -> None:
    code = f'Write {L}Login("{identifier}"),",",{L}GetUserId()'
    assert term.run(code) == f"1,{license_id}"


def test_login_allows_64_characters_with_the_address(term: Terminal) -> None:
    ok = 'Write $SYSTEM.License.Login($TRANSLATE($JUSTIFY("",54)," ","x"))'
    assert term.run(ok) == "1"
    assert term.run("Write $LENGTH($SYSTEM.License.GetUserId()),!") == "64\n"
    too_long = 'Write $SYSTEM.License.Login($TRANSLATE($JUSTIFY("",55)," ","x"))'
    assert term.run(too_long) == error(too_long, "ILLEGAL VALUE")


def test_login_counts_connections_and_gives_up_the_old_id(
    term: Terminal, terminals: list[Terminal]
) -> None:
    other = Terminal()
    terminals.append(other)
    assert term.run(calls('Login("Shared")', "LUConsumed()")) == "1,2"
    assert other.run(calls('Login("Shared")', "LUConsumed()")) == "2,1"
    assert (
        term.run(
            calls(
                'ConnectionCount("127.0.0.1")',
                'ConnectionCount("Shared@127.0.0.1")',
                'Login("Shared")',
            )
        )
        == "0,2,2"
    )


def test_login_returns_0_and_keeps_the_old_id_without_a_unit(
    term: Terminal, terminals: list[Terminal]
) -> None:
    terminals.extend(Terminal() for _ in range(5))
    for n, t in enumerate(terminals[:4], 1):
        assert t.run(f'Write {L}Login("U{n}")') == "1"
    assert terminals[4].run(calls('Login("U5")', "GetUserId()", "LUAvailable()")) == (
        "0,127.0.0.1,0"
    )


# -- deferred login and username licensing ------------------------------------------------------
def test_defer_user_identification_returns_the_previous_setting(term: Terminal) -> None:
    code = (
        "Write "
        + L
        + "DeferUserIdentification(1),"
        + L
        + "DeferUserIdentification(),"
        + L
        + "DeferUserIdentification(0),"
        + L
        + "DeferUserIdentification()"
    )
    assert term.run(code) == "0110"


def test_a_deferred_process_is_pending_until_it_logs_in(
    term: Terminal, terminals: list[Terminal]
) -> None:
    term.run(f"Do {L}DeferUserIdentification(1)")
    late = Terminal()
    terminals.append(late)
    pid = late.session.process.pid
    assert late.run(f'Write "[",{L}GetUserId(),"]"') == "[]"
    assert term.run(calls(f"GetUserId({pid})", "LUConsumed()", "ProcConsumed()")) == ",1,2"
    assert late.run(calls('Login("Nurse")', "GetUserId()", "LUConsumed()")) == (
        "1,Nurse@127.0.0.1,2"
    )
    assert term.run(f"Write {L}GetUserId({pid}),{L}GetUserId(1)") == "Nurse@127.0.0.1"


def test_user_name_licensing_as_the_chapter_shows_it(term: Terminal) -> None:
    shown = term.run(
        ' Write " Username Licensing",!\n Write " 1-enabled, 0-disabled",!\n'
        " Write $SYSTEM.License.UserNameLicensing(),!"
    )
    assert shown == " Username Licensing\n 1-enabled, 0-disabled\n0\n"
    assert (
        term.run(
            " Set RC=$SYSTEM.License.UserNameLicensing(1)\n Write RC,!\n"
            " Set RC=$SYSTEM.License.UserNameLicensing(0)\n Write RC"
        )
        == "0\n1"
    )


def test_user_name_licensing_moves_this_process_and_later_ones(term: Terminal) -> None:
    assert term.run(calls("UserNameLicensing(1)", "GetUserId()", "UserNameLicensing()")) == (
        "0,UnknownUser@127.0.0.1,1"
    )
    with Terminal(user="Bob") as bob:
        assert bob.run(f"Write {L}GetUserId()") == "Bob@127.0.0.1"
    assert term.run(calls("UserNameLicensing(0)", "GetUserId()")) == "1,127.0.0.1"


def test_user_name_licensing_leaves_an_explicit_login_alone(term: Terminal) -> None:
    term.run(f'Do {L}Login("App")')
    assert term.run(calls("UserNameLicensing(1)", "GetUserId()")) == "0,App@127.0.0.1"


# -- limits -------------------------------------------------------------------------------------
@pytest.mark.parametrize("call", ["SetConnectionLimit(2)", "SetUserLimit(3)"])
def test_setting_a_limit_needs_admin_manage(call: str) -> None:
    with Terminal(user="Bob") as bob:
        assert bob.run(f"Do {L}{call}") == error(f"Do {L}{call}", "PROTECT")
        assert bob.run(calls("GetConnectionLimit()", "GetUserLimit()")) == "0,5"


def test_connection_limit_refuses_quietly(term: Terminal) -> None:
    assert term.run(calls("SetConnectionLimit(1)", "GetConnectionLimit()")) == "0,1"
    with pytest.raises(LicenseLimitExceeded):
        Terminal()
    assert "exceeded" not in console(term)
    assert term.run(calls("SetConnectionLimit(0)", "GetConnectionLimit()")) == "1,0"


def test_user_limit_caps_the_units(term: Terminal) -> None:
    assert term.run(calls("SetUserLimit(2)", "GetUserLimit()", "LUAvailable()")) == "5,2,1"
    assert term.run(calls("SetUserLimit(0)", "GetUserLimit()", "LUAvailable()")) == "2,5,4"


# -- counters -----------------------------------------------------------------------------------
COUNTERS = calls(
    "LUConsumed()",
    "LUAvailable()",
    "LUMinAvailable()",
    "LUMaxConsumed()",
    "InstanceConnections()",
    "InstanceConnectionsMax()",
    "ProcConsumed()",
    "ProcMaxConsumed()",
)


def test_counters_follow_logins_and_logouts(term: Terminal) -> None:
    assert term.run(COUNTERS) == "1,4,4,1,1,1,1,1"
    with Terminal() as a, Terminal() as b:
        a.run(f'Do {L}Login("A")')
        b.run(f'Do {L}Login("B")')
        assert term.run(COUNTERS) == "3,2,2,3,3,3,3,3"
    assert term.run(COUNTERS) == "1,4,2,3,1,3,1,3"


def test_csp_counters(term: Terminal) -> None:
    table = term.session.instance.table
    table.csp_start("S1", "S1", "UnknownUser", 900)
    code = calls("CSPUsers()", "MaxCSPUsers()", "CSPGrace()", "MaxCSPGrace()", "LUConsumed()")
    assert term.run(code) == "1,1,0,0,2"
    table.csp_page("S1")
    table.csp_end("S1")
    assert term.run(code) == "0,1,1,1,2"


def test_max_consumed_reset(term: Terminal) -> None:
    with Terminal() as a:
        a.run(f'Do {L}Login("A")')
    assert (
        term.run(calls("LUMaxConsumedReset()", "LUMaxConsumed()", "InstanceConnectionsMax()"))
        == "2,1,1"
    )
    with Terminal():
        pass
    assert (
        term.run(
            calls(
                'LUMaxConsumedReset("Connections")',
                "InstanceConnectionsMax()",
                'LUMaxConsumedReset("Processes")',
                "ProcMaxConsumed()",
                'LUMaxConsumedReset("*")',
            )
        )
        == "2,1,2,1,1"
    )
    term.session.finish_line()  # the next prompt starts on a fresh line
    bad = f'Write {L}LUMaxConsumedReset("Everything")'
    assert term.run(bad) == error(bad, "ILLEGAL VALUE")


def test_the_26th_connection_takes_one_unit_per_connection(
    term: Terminal, terminals: list[Terminal]
) -> None:
    mint(term.session.instance.key_path, 40)
    assert term.run(calls("Upgrade()", "MaxConnections()")) == "1,25"
    term.run(f"Do {L}DeferUserIdentification(1)")
    for n in range(1, 26):
        terminals.append(Terminal())
        assert terminals[-1].run(f'Write {L}Login("Gateway")') == str(n)
    gateway = calls("LUConsumed()", 'ConnectionCount("Gateway@127.0.0.1")')
    assert term.run(gateway) == "2,25"
    terminals.append(Terminal())
    assert terminals[-1].run(f'Write {L}Login("Gateway")') == "26"
    assert term.run(gateway) == "27,26"
    terminals.pop().close()
    assert term.run(gateway) == "26,25"  # back under 25, still one unit per connection
    while terminals:
        terminals.pop().close()
    assert term.run(gateway) == "1,0"
    with Terminal() as again:
        assert again.run(calls('Login("Gateway")', "LUConsumed()")) == "1,2"


# -- the key ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("KeyCustomerName()", "cacheshell training"),
        (
            "KeyLicenseCapacity()",
            f"Cache 2013.1 Enterprise - Concurrent Users for {PLATFORMS[HERE]}:5",
        ),
        ("KeyExpirationDate()", "94598"),
        ("KeyMachineID()", ""),
        ("KeyFileType()", "License 2013.1"),
        ("KeyFileType(1)", "FileType=License 2013.1"),
        ("KeyVersion()", "2013.1"),
        ("KeyProduct()", "Enterprise"),
        ("KeyLicenseType()", "Concurrent User"),
        ("KeyServer()", "Multi"),
        ("KeyPlatform()", PLATFORMS[HERE]),
        ("KeyLicenseUnits()", "5"),
        ("KeyEnforcedUnits()", "5"),
        ("KeyCoresLicensed()", "0"),
        ("KeyCoresEnforced()", "0"),
        ("KeyFeatures()", "00000000"),
        ("GetFeature(1)", "0"),
        ("GetKeyStatus()", "Valid"),
        ("GetKeyInvalidReason()", ""),
        ("IsPendingActivation()", "0"),
    ],
)
def test_key_accessors_on_the_training_key(term: Terminal, member: str, value: str) -> None:
    assert term.run(f"Write {L}{member}") == value


def test_the_training_key_has_an_order_number_of_its_own(term: Terminal) -> None:
    text = term.session.instance.key_path.read_text(encoding="utf-8")
    order = text.split("OrderNumber=")[1].split("\n")[0]
    assert term.run(f"Write {L}KeyOrderNumber()") == order
    assert len(order) == 6 and order.isdigit() and order != "100001"


def test_key_authorization_key_and_expiration_date(term: Terminal) -> None:
    text = term.session.instance.key_path.read_text(encoding="utf-8")
    auth = text.split("AuthorizationKey=")[1].split("\n")[0]
    assert term.run(f"Write {L}KeyAuthorizationKey()") == auth
    assert term.run(f"Write $ZDATE({L}KeyExpirationDate())") == "12/31/2099"


def test_features_of_a_key(term: Terminal) -> None:
    mint(term.session.instance.key_path, 5, features=("Ensemble", "iKnow"))
    assert (
        term.run(
            calls("Upgrade()", "KeyFeatures()", "GetFeature(1)", "GetFeature(11)", "GetFeature(2)")
        )
        == "1,00000802,1,1,0"
    )


def test_key_customer_name_says_why_there_is_no_key(term: Terminal) -> None:
    inst = term.session.instance
    inst.key_path.unlink()
    inst.stop()
    inst.start()
    assert term.run(
        calls("KeyCustomerName()", "GetKeyStatus()", "KeyLicenseUnits()", "GetKeyInvalidReason()")
    ) == ("License missing or unreadable,Invalid,0,License missing or unreadable")


def test_key_customer_name_of_a_tampered_key(term: Terminal) -> None:
    inst = term.session.instance
    text = inst.key_path.read_text(encoding="utf-8")
    inst.key_path.write_text(
        text.replace("CustomerName=cacheshell training", "CustomerName=Someone Else"),
        encoding="utf-8",
    )
    inst.stop()
    inst.start()
    assert term.run(f"Write {L}KeyCustomerName()") == SIGNATURE


def test_key_status_is_troubled_near_expiry(term: Terminal) -> None:
    term.session.instance.clock.simulate(datetime(2099, 12, 20, 12).timestamp())
    assert term.run(calls("GetKeyStatus()", "GetKeyInvalidReason()")) == (
        "Troubled,License key expires in 11 days, on 12/31/2099"
    )


def test_a_troubled_key_is_reported_in_the_console_log_at_start(term: Terminal) -> None:
    inst = term.session.instance
    inst.clock.simulate(datetime(2099, 12, 30, 12).timestamp())
    inst.stop()
    inst.start()
    assert " License key expires in 1 day, on 12/31/2099\n" in console(term)


def test_is_valid_key(term: Terminal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    check = 'Set sc=$SYSTEM.License.IsValidKey("{}",.restart,.why) Write sc,"|",restart,"|",why'
    mint(tmp_path / "small.key", 3)
    assert term.run(check.format("small.key")) == f"1|1|{FEWER}"
    mint(tmp_path / "big.key", 10)
    assert term.run(check.format(tmp_path / "big.key")) == "1|0|"
    shown = (
        'Set sc=$SYSTEM.License.IsValidKey("{}",.restart,.why) '
        'Do $SYSTEM.Status.DisplayError(sc) Write restart,"|",why'
    )
    assert term.run(shown.format("nope.key")) == (
        "\nERROR #5012: File 'nope.key' does not exist\n0|"
    )
    mint(tmp_path / "old.key", 5, expires=date(2020, 1, 1))
    assert term.run(shown.format("old.key")) == (
        "\nERROR #5001: License key expired on 1/1/2020\n0|"
    )


def test_check_key_for_upgrade_lists_reductions(
    term: Terminal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    mint(tmp_path / "less.key", 3, multi=False, product="Elite", license_type="Named User")
    code = 'Write $SYSTEM.License.CheckKeyForUpgrade("less.key",.red,.st),! ZWrite red  Write st'
    assert term.run(code) == (
        "1\n"
        'red("LicenseType")=$lb("Concurrent User","Named User")\n'
        'red("Product")=$lb("Enterprise","Elite")\n'
        'red("Server")=$lb("Multi","Single")\n'
        'red("Users")=$lb(5,3)\n'
        "1"
    )
    mint(tmp_path / "more.key", 9)
    assert (
        term.run('Write $SYSTEM.License.CheckKeyForUpgrade("more.key",.red,.st),$DATA(red),st')
        == "001"
    )


def test_check_key_for_upgrade_names_dropped_features(term: Terminal, tmp_path: Path) -> None:
    mint(term.session.instance.key_path, 5, features=("Ensemble", "iKnow"))
    assert term.run(f"Write {L}Upgrade()") == "1"
    mint(tmp_path / "plain.key", 5, features=("Ensemble",))
    code = f'Write {L}CheckKeyForUpgrade("{tmp_path / "plain.key"}",.red),! ZWrite red'
    assert term.run(code) == '1\nred("Feature","iKnow")=$lb(1,0)\n'


def test_upgrade_defers_fewer_units_and_activates_more(term: Terminal) -> None:
    key_path = term.session.instance.key_path
    mint(key_path, 3)
    assert term.run(calls("Upgrade()", "IsPendingActivation()", "KeyLicenseUnits()")) == (
        f"0|{FEWER},1,5"
    )
    mint(key_path, 8)
    assert (
        term.run(calls("Upgrade()", "IsPendingActivation()", "KeyLicenseUnits()", "LUAvailable()"))
        == "1,0,8,7"
    )


def test_upgrade_refuses_a_tampered_key(term: Terminal) -> None:
    key_path = term.session.instance.key_path
    text = key_path.read_text(encoding="utf-8")
    order = text.split("OrderNumber=")[1].split("\n")[0]
    other = "100001" if order != "100001" else "100002"
    key_path.write_text(
        text.replace(f"OrderNumber={order}", f"OrderNumber={other}"), encoding="utf-8"
    )
    assert term.run(calls("Upgrade()", "IsPendingActivation()", "KeyOrderNumber()")) == (
        f"0|{SIGNATURE},0,{order}"
    )


# -- login durations ----------------------------------------------------------------------------
def test_login_duration_histogram(term: Terminal) -> None:
    clock = term.session.instance.clock
    clock.simulate(START)
    for seconds in (0, 30, 100, 4000):
        t = Terminal()
        clock.advance(seconds)
        t.close()
    assert term.run(f"Write $LISTTOSTRING({L}ReadDurationValues())") == "1,15,60,900,3600"
    assert term.run(f"Write $LISTTOSTRING({L}ReadDurationCounts())") == "1,0,1,1,0,1"
    assert (
        term.run(
            f"Write $LISTTOSTRING({L}ClearDurationCounts()),!,"
            f"$LISTTOSTRING({L}ReadDurationCounts())"
        )
        == "1,0,1,1,0,1\n0,0,0,0,0,0"
    )
    with Terminal(user="Bob") as bob:
        line = f"Do {L}ClearDurationCounts()"
        assert bob.run(line) == error(line, "PROTECT")


# -- the low-availability alert -----------------------------------------------------------------
def test_alert_fires_once_per_crossing_and_notifies(
    term: Terminal, terminals: list[Terminal], monkeypatch: pytest.MonkeyPatch
) -> None:
    received: list[str] = []
    sink = ClassDef("User.AlertSink", "records alerts")
    sink.classmethod("Record", "records one alert")(lambda ctx, text: received.append(text))
    monkeypatch.setitem(REGISTRY.classes, "User.AlertSink", sink)
    monitor = "##class(%Monitor.System.License)."
    assert term.run(f'Write {monitor}SetAlert(3),{monitor}SetNotify("AlertSink","Record")') == "11"
    terminals.extend(Terminal() for _ in range(3))
    message = "Available licenses have fallen below minimum of 3"
    assert terminals[0].run(f'Write {L}Login("A")') == "1"  # 3 left: not below
    assert received == []
    assert terminals[1].run(f'Write {L}Login("B")') == "1"  # 2 left: the alert
    assert terminals[2].run(f'Write {L}Login("C")') == "1"  # 1 left: still the same crossing
    assert received == [message]
    while terminals:
        terminals.pop().close()  # back to 4 left: armed again
    with Terminal() as a, Terminal() as b:
        a.run(f'Do {L}Login("A")')
        b.run(f'Do {L}Login("B")')
    assert received == [message, message]
    assert console(term).count(f" 1 {message}\n") == 2


def test_alert_off_and_a_missing_notify_class(term: Terminal, terminals: list[Terminal]) -> None:
    monitor = "##class(%Monitor.System.License)."
    term.run(f'Do {monitor}SetAlert(5),{monitor}SetNotify("NoSuchClass","Run")')
    assert "fallen below minimum of 5" in console(term)
    term.run(f"Do {monitor}SetAlert(0)")
    terminals.append(Terminal())
    assert terminals[0].run(f'Write {L}Login("A")') == "1"
    assert console(term).count("fallen below") == 1


def test_a_member_not_built_does_not_exist(term: Terminal) -> None:
    line = f"Do {L}ShowManager()"
    assert term.run(line) == (
        f"\nDO {L}ShowManager()\n^\n<METHOD DOES NOT EXIST> *ShowManager,%SYSTEM.License\n"
    )


def test_show_summary_without_a_license_server() -> None:
    # The default server's port is held by a program that is no license server: the instance
    # cannot start its server, and runs on without one.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind(("127.0.0.1", int(os.environ["CACHESHELL_LICENSE_PORT"])))
        with Terminal() as term:
            assert "Not connected to License Server" in term.run(f"Do {L}ShowSummary()")
