"""License keys: file layout, AuthorizationKey fields, signatures, validity and upgrade rules."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from cacheshell.system.authkey import (
    Authorization,
    decode_authorization,
    decode_body,
    describe,
    feature_bits,
    feature_names,
    platform_code_for,
)
from cacheshell.system.keyfile import KeyFile, KeyFileError, parse_key_file, render_key_file
from cacheshell.system.keys import (
    EVALUATION_UNITS,
    PAGE_BYTES,
    PAGE_ENTRIES,
    TRAINING_KEY_SPEC,
    KeyCheck,
    LicenseKey,
    check_key,
    compare_keys,
    issue_from_spec,
    issue_key,
    read_key,
    table_pages,
    training_key_spec,
)
from cacheshell.system.signing import (
    sign,
    training_private_key,
    trusted_public_keys,
    verify,
)

TODAY = date(2024, 6, 1)
LINUX = "52"
ISSUER = training_private_key()
SIGNATURE_REASON = (
    "License key signature is not valid: the key was changed after it was "
    "issued, or its issuer is not trusted"
)

SAMPLE = """\
[ConfigFile]
FileType=License 2011

[License]
LicenseCapacity=TrakCare T2012 License, PMS Core / Scotland, Concurrent Users:1000
CustomerName=NHS Highland
OrderNumber=201807763
ExpirationDate=4/18/2019
AuthorizationKey=412520010000010000000000000BF812F6B207626301
MachineID=

[TrakCare]
Foundation Product=PAS, Clinical
Facility Name= "NHS Highland"
AddOn:Active Decision Support=1

[ISC.HealthShare]
Foundation=Enabled
"""

SAMPLE_KEY = KeyFile(
    file_type="License 2011",
    license_capacity="TrakCare T2012 License, PMS Core / Scotland, Concurrent Users:1000",
    customer_name="NHS Highland",
    order_number="201807763",
    expiration_date=date(2019, 4, 18),
    authorization_key="412520010000010000000000000BF812F6B207626301",
    machine_id="",
    app_sections=(
        (
            "TrakCare",
            (
                ("Foundation Product", "PAS, Clinical"),
                ("Facility Name", ' "NHS Highland"'),
                ("AddOn:Active Decision Support", "1"),
            ),
        ),
        ("ISC.HealthShare", (("Foundation", "Enabled"),)),
    ),
)


def mint(**overrides: object) -> LicenseKey:
    fields: dict[str, object] = dict(
        units=100,
        multi=True,
        license_type="Concurrent User",
        product="Enterprise",
        expires=date(2030, 1, 31),
        customer="Acme Hospital",
        order_number=424242,
        features=("Ensemble", "iKnow"),
        cores=8,
        app_sections=(("ACME.Lab", (("Lab Users", "50"), ("AddOn:Reports", "Enabled"))),),
        private_key=ISSUER,
        platform_code=LINUX,
    )
    fields.update(overrides)
    return issue_key(**fields)  # type: ignore[arg-type]


def check(
    key: LicenseKey, today: date = TODAY, platform: str = LINUX, home: Path | None = None
) -> KeyCheck:
    keys = trusted_public_keys(home or Path("/nonexistent"))
    return check_key(key, keys, platform, today)


# --- layout -------------------------------------------------------------------------------


def test_parse_reads_every_field_and_section() -> None:
    assert parse_key_file(SAMPLE) == SAMPLE_KEY


def test_render_writes_the_layout_back_exactly() -> None:
    assert render_key_file(SAMPLE_KEY) == SAMPLE


def test_parse_of_render_is_identity_for_a_minted_key() -> None:
    key = mint().file
    assert parse_key_file(render_key_file(key)) == key


def test_parse_accepts_crlf_leading_zeros_and_comments() -> None:
    text = SAMPLE.replace("ExpirationDate=4/18/2019", "ExpirationDate=04/18/2019")
    text = "; a comment\r\n" + text.replace("\n", "\r\n")
    assert parse_key_file(text) == SAMPLE_KEY


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ("[License]\n", "[Licence]\n", "not a license key file: no [License] section"),
        (
            "[ConfigFile]\nFileType=License 2011\n\n",
            "",
            "not a license key file: no [ConfigFile] section",
        ),
        ("MachineID=\n", "", "not a license key file: [License] has no MachineID"),
        (
            "MachineID=\n",
            "MachineID=\nLicenseID=X\n",
            "[License] has a field that is not one of LicenseCapacity, CustomerName, OrderNumber, "
            "ExpirationDate, AuthorizationKey, MachineID",
        ),
        (
            "FileType=License 2011",
            "FileType=InterSystems License Rev-A.1",
            "FileType is not 'License <version>'",
        ),
        ("4/18/2019", "2/30/2019", "ExpirationDate: no such day"),
        ("4/18/2019", "2019-04-18", "ExpirationDate: expected M/D/YYYY"),
        ("OrderNumber=201807763", "OrderNumber=20180x", "OrderNumber is not a number"),
        (
            "AuthorizationKey=412520010000010000000000000BF812F6B207626301",
            "AuthorizationKey=",
            "AuthorizationKey is empty",
        ),
        (
            "Foundation=Enabled\n",
            "Foundation=Enabled\nFoundation=Disabled\n",
            "line 19: a keyword of its section given again",
        ),
        ("[ISC.HealthShare]", "[TrakCare]", "line 17: a section given again"),
        (
            "AddOn:Active",
            "No equals sign\nAddOn:Active",
            "line 15: not KEYWORD=VALUE",
        ),
        ("[ConfigFile]\n", "stray=1\n[ConfigFile]\n", "line 1: text outside any [section]"),
        ("[TrakCare]", "[TrakCare", "line 12: malformed section header"),
    ],
)
def test_parse_rejects_what_is_not_a_key_file(old: str, new: str, reason: str) -> None:
    assert old in SAMPLE
    with pytest.raises(KeyFileError) as caught:
        parse_key_file(SAMPLE.replace(old, new, 1))
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    ("sections", "reason"),
    [
        ((("App", (("a=b", "1"),)),), "[App]: keyword 'a=b' cannot be written to a key file"),
        ((("App", (("a", "1\n2"),)),), "[App]: the value of 'a' contains a line break"),
        ((("App", (("a", "1"), ("a", "2"))),), "[App]: keyword 'a' appears twice"),
        ((("License", ()),), "[License] is reserved and cannot be an application section"),
        ((("A]", ()),), "section name 'A]' is not valid"),
    ],
)
def test_render_refuses_what_would_not_read_back(sections: tuple, reason: str) -> None:
    with pytest.raises(KeyFileError) as caught:
        render_key_file(replace(SAMPLE_KEY, app_sections=sections))
    assert caught.value.reason == reason


# --- AuthorizationKey -----------------------------------------------------------------------

AUTH = Authorization(
    product="Enterprise",
    license_type="Concurrent User",
    server="Multi",
    platform_code="52",
    units=1000,
    enforced_units=900,
    cores=16,
    cores_enforced=12,
    features=(1 << 12) | 1,
)
AUTH_BODY = "4125200100000090000016000120000000000000001001"


def test_body_places_every_field_at_its_position() -> None:
    assert AUTH.body() == AUTH_BODY


def test_encode_appends_the_signature_in_upper_case_hex() -> None:
    assert AUTH.encode(bytes(range(64))) == AUTH_BODY + bytes(range(64)).hex().upper()


def test_decode_returns_the_fields_and_the_signature() -> None:
    assert decode_authorization(AUTH_BODY + "AB" * 64) == (AUTH, b"\xab" * 64)


@pytest.mark.parametrize(
    ("body", "field", "value"),
    [
        ("0" + AUTH_BODY[1:], "product", "Evaluation"),
        ("1" + AUTH_BODY[1:], "product", "Entree"),
        ("2" + AUTH_BODY[1:], "product", "Elite"),
        ("3" + AUTH_BODY[1:], "product", "Executive"),
        ("5" + AUTH_BODY[1:], "product", "Edge"),
        ("6" + AUTH_BODY[1:], "product", "Extreme"),
        ("7" + AUTH_BODY[1:], "product", "Real Time Elite"),
        ("42" + AUTH_BODY[2:], "license_type", "Named User"),
        ("43" + AUTH_BODY[2:], "license_type", "Power Unit"),
        ("44" + AUTH_BODY[2:], "license_type", "Real Time"),
        ("410" + AUTH_BODY[3:], "server", "Single"),
        ("411" + AUTH_BODY[3:], "server", "Single"),
        ("41255" + AUTH_BODY[5:], "platform_code", "55"),
        (AUTH_BODY[:5] + "999999" + AUTH_BODY[11:], "units", 999999),
        (AUTH_BODY[:11] + "000007" + AUTH_BODY[17:], "enforced_units", 7),
        (AUTH_BODY[:17] + "00128" + AUTH_BODY[22:], "cores", 128),
        (AUTH_BODY[:22] + "00004" + AUTH_BODY[27:], "cores_enforced", 4),
        (AUTH_BODY[:38] + "000C0000", "features", 0xC0000),
        # Positions 28-38: buffer pool MB, databases, ECP servers, ECP enabled.
        (AUTH_BODY[:27] + "02048" + AUTH_BODY[32:], "max_buffer_pool", 2048),
        (AUTH_BODY[:32] + "250" + AUTH_BODY[35:], "max_databases", 250),
        (AUTH_BODY[:35] + "08" + AUTH_BODY[37:], "ecp_servers", 8),
        (AUTH_BODY[:37] + "1" + AUTH_BODY[38:], "network", True),
        (AUTH_BODY, "network", False),
    ],
)
def test_decode_reads_each_field(body: str, field: str, value: object) -> None:
    assert getattr(decode_body(body), field) == value


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (AUTH_BODY, "AuthorizationKey has 46 characters; a signed key has 174"),
        (AUTH_BODY + "ab" * 64, "AuthorizationKey signature is not 128 upper-case hex digits"),
        ("8" + AUTH_BODY[1:] + "AB" * 64, "AuthorizationKey has an unknown product code '8'"),
        ("40" + AUTH_BODY[2:] + "AB" * 64, "AuthorizationKey has an unknown license type code '0'"),
        ("413" + AUTH_BODY[3:] + "AB" * 64, "AuthorizationKey has an unknown server code '3'"),
        ("41277" + AUTH_BODY[5:] + "AB" * 64, "AuthorizationKey has an unknown platform code '77'"),
        (
            AUTH_BODY[:27] + "00000000002" + AUTH_BODY[38:] + "AB" * 64,
            "AuthorizationKey does not have the 46-character layout",
        ),
        (
            AUTH_BODY[:38] + "0000100g" + "AB" * 64,
            "AuthorizationKey does not have the 46-character layout",
        ),
    ],
)
def test_decode_rejects_a_malformed_key(text: str, reason: str) -> None:
    with pytest.raises(KeyFileError) as caught:
        decode_authorization(text)
    assert caught.value.reason == reason


def test_describe_gives_the_decoded_capacities() -> None:
    assert describe(AUTH) == [
        ("Product", "Enterprise"),
        ("License Type", "Concurrent User"),
        ("Server", "Multi"),
        ("Platform", "Linux x86-64 (52)"),
        ("License Units", "1000"),
        ("Enforced Units", "900"),
        ("Cores Licensed", "16"),
        ("Cores Enforced", "12"),
        ("Features", "WebAddOn, HealthShareFoundation"),
    ]


def test_feature_names_and_bits_agree() -> None:
    assert feature_bits(["ShardWorkerServer", "WebAddOn"]) == 0x80001
    assert feature_names(0x80001 | 1 << 25) == ("WebAddOn", "ShardWorkerServer", "Feature25")


@pytest.mark.parametrize(
    ("system", "machine", "code"),
    [
        ("Linux", "x86_64", "52"),
        ("Linux", "aarch64", "53"),
        ("Linux", "riscv64", "54"),
        ("Windows", "AMD64", "55"),
        ("Windows", "ARM64", "57"),
        ("Darwin", "arm64", "56"),
        ("Darwin", "x86_64", "56"),
        ("FreeBSD", "amd64", "99"),
    ],
)
def test_platform_codes(system: str, machine: str, code: str) -> None:
    assert platform_code_for(system, machine) == code


# --- signing and tampering ------------------------------------------------------------------


def test_a_minted_key_verifies_and_is_valid() -> None:
    key = mint()
    assert verify(key.file, trusted_public_keys(Path("/nonexistent")))
    assert check(key) == KeyCheck(True, "Valid", "")


def test_minted_key_reads_back_with_its_properties() -> None:
    key = read_key(render_key_file(mint().file))
    assert (
        key.units,
        key.enforced_units,
        key.server,
        key.is_multiserver,
        key.license_type,
        key.product,
        key.cores,
        key.features,
        key.expiration,
        key.version,
    ) == (
        100,
        100,
        "Multi",
        True,
        "Concurrent User",
        "Enterprise",
        8,
        ("Ensemble", "iKnow"),
        date(2030, 1, 31),
        "2013.1",
    )
    assert key.file.license_capacity == (
        "Cache 2013.1 Enterprise - Concurrent Users for Linux x86-64:100, Ensemble, iKnow"
    )


def _auth_tamper(start: int, new: str):  # 1-based position in the AuthorizationKey
    def change(text: str) -> str:
        head, _, rest = text.partition("AuthorizationKey=")
        at = start - 1
        return f"{head}AuthorizationKey={rest[:at]}{new}{rest[at + len(new) :]}"

    return change


def _replace(old: str, new: str):
    def change(text: str) -> str:
        assert old in text
        return text.replace(old, new, 1)

    return change


TAMPERS = {
    "file type": _replace("FileType=License 2013.1", "FileType=License 2016.1"),
    "capacity": _replace("Linux x86-64:100", "Linux x86-64:900"),
    "customer": _replace("CustomerName=Acme Hospital", "CustomerName=Acme Hospitals"),
    "order": _replace("OrderNumber=424242", "OrderNumber=424243"),
    "expiration": _replace("ExpirationDate=1/31/2030", "ExpirationDate=1/31/2031"),
    "product": _auth_tamper(1, "6"),
    "license type": _auth_tamper(2, "2"),
    "server": _auth_tamper(3, "1"),
    "platform": _auth_tamper(4, "55"),
    "units": _auth_tamper(6, "000900"),
    "enforced units": _auth_tamper(12, "000900"),
    "cores": _auth_tamper(18, "00064"),
    "cores enforced": _auth_tamper(23, "00064"),
    "features": _auth_tamper(39, "000FFFFF"),
    "signature": _auth_tamper(47, "0" if mint().file.authorization_key[46] != "0" else "1"),
    "machine id": _replace("MachineID=", "MachineID=ABC"),
    "app keyword": _replace("Lab Users=50", "Lab Userz=50"),
    "app value": _replace("Lab Users=50", "Lab Users=500"),
    "app section name": _replace("[ACME.Lab]", "[ACME.Lab2]"),
    "app line added": _replace("Lab Users=50", "Lab Users=50\nExtra=1"),
}


@pytest.mark.parametrize("field", list(TAMPERS))
def test_tampering_with_any_field_invalidates_the_key(field: str) -> None:
    text = render_key_file(mint().file)
    tampered = TAMPERS[field](text)
    assert tampered != text
    assert check(read_key(tampered)) == KeyCheck(False, "Invalid", SIGNATURE_REASON)


def test_sign_replaces_an_old_signature() -> None:
    key = mint()
    edited = replace(key.file, customer_name="Someone Else")
    assert not verify(edited, trusted_public_keys(Path("/nonexistent")))
    assert verify(sign(edited, ISSUER), trusted_public_keys(Path("/nonexistent")))


def test_untrusted_issuer_fails_until_its_public_key_is_in_the_trust_store(
    cacheshell_home: Path,
) -> None:
    other = Ed25519PrivateKey.generate()
    key = mint(private_key=other)
    assert check(key, home=cacheshell_home) == KeyCheck(False, "Invalid", SIGNATURE_REASON)
    store = cacheshell_home / "trusted-issuers"
    store.mkdir(parents=True)
    (store / "garbage.pub").write_text("not a key\n")
    (store / "acme.pub").write_bytes(
        other.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    assert check(key, home=cacheshell_home) == KeyCheck(True, "Valid", "")
    assert len(trusted_public_keys(cacheshell_home)) == 2


# --- validity rules -----------------------------------------------------------------------


def test_platform_mismatch_names_both_platforms() -> None:
    assert check(mint(platform_code="55")) == KeyCheck(
        False,
        "Invalid",
        "License key is for Windows x86-64 (55), but this machine is Linux x86-64 (52)",
    )


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2029, 12, 31), KeyCheck(True, "Valid", "")),
        (
            date(2030, 1, 1),
            KeyCheck(True, "Troubled", "License key expires in 30 days, on 1/31/2030"),
        ),
        (
            date(2030, 1, 30),
            KeyCheck(True, "Troubled", "License key expires in 1 day, on 1/31/2030"),
        ),
        (date(2030, 1, 31), KeyCheck(True, "Troubled", "License key expires today (1/31/2030)")),
        (date(2030, 2, 1), KeyCheck(False, "Invalid", "License key expired on 1/31/2030")),
    ],
)
def test_expiry_and_the_troubled_window(today: date, expected: KeyCheck) -> None:
    assert check(mint(), today=today) == expected


@pytest.mark.parametrize(
    ("file_type", "expected"),
    [
        (
            "License 4.1",
            KeyCheck(
                False,
                "Invalid",
                "License key is for Cache 4.1; keys from "
                "versions before 5.1 do not work with this version",
            ),
        ),
        (
            "License 5.0",
            KeyCheck(
                False,
                "Invalid",
                "License key is for Cache 5.0; keys from "
                "versions before 5.1 do not work with this version",
            ),
        ),
        (
            "License 5",
            KeyCheck(
                False,
                "Invalid",
                "License key is for Cache 5; keys from "
                "versions before 5.1 do not work with this version",
            ),
        ),
        ("License 5.1", KeyCheck(True, "Valid", "")),
        ("License 2005", KeyCheck(True, "Valid", "")),
        ("License 2011", KeyCheck(True, "Valid", "")),
        ("License 2013.1", KeyCheck(True, "Valid", "")),
    ],
)
def test_keys_older_than_5_1_are_invalid(file_type: str, expected: KeyCheck) -> None:
    assert check(mint(file_type=file_type)) == expected


def test_training_key_spec_mints_the_default_key() -> None:
    key = issue_from_spec(TRAINING_KEY_SPEC, ISSUER, LINUX)
    assert render_key_file(key.file).split("AuthorizationKey=")[0] == (
        "[ConfigFile]\nFileType=License 2013.1\n\n[License]\n"
        "LicenseCapacity=Cache 2013.1 Enterprise - Concurrent Users for Linux x86-64:5\n"
        "CustomerName=cacheshell training\nOrderNumber=100001\nExpirationDate=12/31/2099\n"
    )
    assert key.file.authorization_key[:46] == "412520000050000050000000000" + "0" * 19
    assert check(key) == KeyCheck(True, "Valid", "")


class _Draws(random.Random):
    """A Random that draws the given numbers, in order."""

    def __init__(self, *draws: int) -> None:
        super().__init__()
        self.draws = list(draws)

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
        drawn = self.draws.pop(0)
        assert stop is not None and start <= drawn < stop
        return drawn


def test_an_instance_training_key_has_an_order_number_of_its_own() -> None:
    spec = training_key_spec(_Draws(427315))
    assert spec == replace(TRAINING_KEY_SPEC, order_number=427315)
    key = issue_from_spec(spec, ISSUER, LINUX)
    assert "\nOrderNumber=427315\n" in render_key_file(key.file)
    assert check(key) == KeyCheck(True, "Valid", "")


def test_an_instance_training_key_never_takes_the_fixed_order_number() -> None:
    assert training_key_spec(_Draws(100001, 100001, 999999)).order_number == 999999


def test_training_keys_of_two_instances_differ() -> None:
    first, second = (issue_from_spec(training_key_spec(), ISSUER, LINUX) for _ in range(2))
    assert first.file.order_number != second.file.order_number
    assert render_key_file(first.file) != render_key_file(second.file)


# --- comparison ---------------------------------------------------------------------------


def key_with(**changes: object) -> LicenseKey:
    base: dict[str, object] = dict(
        units=100,
        multi=True,
        license_type="Concurrent User",
        product="Enterprise",
        features=("Ensemble", "iKnow"),
        cores=8,
    )
    base.update(changes)
    return mint(**base)


@pytest.mark.parametrize(
    ("new", "reductions"),
    [
        (key_with(), ()),
        (key_with(units=50), (("Users", "100", "50"),)),
        (key_with(cores=4), (("Cores", "8", "4"),)),
        (key_with(cores=0), ()),
        (key_with(multi=False), (("Server", "Multi", "Single"),)),
        (key_with(license_type="Named User"), (("LicenseType", "Concurrent User", "Named User"),)),
        (key_with(product="Elite"), (("Product", "Enterprise", "Elite"),)),
        (key_with(product="Extreme"), ()),
        (key_with(features=("iKnow",)), (("Feature:Ensemble", "1", "0"),)),
        (key_with(features=("Ensemble", "iKnow", "WebAddOn")), ()),
    ],
)
def test_reductions(new: LicenseKey, reductions: tuple) -> None:
    assert compare_keys(key_with(), new).reductions == reductions


def test_a_key_unlimited_in_cores_is_reduced_by_a_core_limit() -> None:
    assert compare_keys(key_with(cores=0), key_with(cores=16)).reductions == (
        ("Cores", "unlimited", "16"),
    )


@pytest.mark.parametrize(
    ("current", "new", "reasons"),
    [
        (key_with(), key_with(units=200), ()),
        (
            key_with(),
            key_with(units=99),
            (
                "The new key has fewer license units (100 to 99): the reduction takes effect "
                "at the next restart",
            ),
        ),
        (
            key_with(),
            key_with(license_type="Power Unit"),
            (
                "The license type changes from Concurrent User to Power Unit: a change to or from "
                "Power Unit takes effect at the next restart",
            ),
        ),
        (
            key_with(license_type="Power Unit"),
            key_with(license_type="Named User"),
            (
                "The license type changes from Power Unit to Named User: a change to or from Power "
                "Unit takes effect at the next restart",
            ),
        ),
        (key_with(license_type="Named User"), key_with(license_type="Real Time"), ()),
        (key_with(units=227), key_with(units=227 * 1000), ()),
        (
            key_with(units=227),
            key_with(units=227 * 1001),
            (
                "The new key needs 1000 more 64 KB pages of license table (1 to 1001): "
                "the instance must restart to allocate them",
            ),
        ),
        (key_with(units=228), key_with(units=227 * 1001), ()),
        (
            key_with(units=228),
            key_with(units=227 * 1001 + 1),
            (
                "The new key needs 1000 more 64 KB pages of license table (2 to 1002): "
                "the instance must restart to allocate them",
            ),
        ),
        (
            None,
            key_with(units=3),
            (
                "The new key has fewer license units (5 to 3): the reduction takes effect "
                "at the next restart",
            ),
        ),
        (None, key_with(units=500), ()),
    ],
)
def test_restart_rules(current: LicenseKey | None, new: LicenseKey, reasons: tuple) -> None:
    comparison = compare_keys(current, new)
    assert (comparison.restart_required, comparison.restart_reasons) == (bool(reasons), reasons)


def test_no_current_key_means_no_reductions() -> None:
    assert compare_keys(None, key_with(units=1, multi=False, product="Entree")).reductions == ()


@pytest.mark.parametrize(
    ("units", "pages"),
    [
        (0, 0),
        (1, 1),
        (227, 1),
        (228, 2),
        (227 * 1000, 1000),
        (999999, 4406),
    ],
)
def test_table_pages(units: int, pages: int) -> None:
    assert table_pages(units) == pages


def test_table_constants() -> None:
    assert (PAGE_ENTRIES, PAGE_BYTES, EVALUATION_UNITS) == (227, 65536, 5)


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        (
            {"license_type": "Bogus"},
            "unknown license type 'Bogus' "
            "(choose Concurrent User, Named User, Power Unit, Real Time)",
        ),
        (
            {"product": "Ultra"},
            "unknown product 'Ultra' (choose Evaluation, Entree, Elite, "
            "Executive, Enterprise, Edge, Extreme, Real Time Elite)",
        ),
        ({"units": 1000000}, "units 1000000 is out of range 0..999999"),
        ({"platform_code": "77"}, "unknown platform code '77'"),
        ({"order_number": "12a"}, "order number '12a' is not a number"),
    ],
)
def test_issue_refuses_values_a_key_cannot_hold(overrides: dict, reason: str) -> None:
    with pytest.raises(KeyFileError) as caught:
        mint(**overrides)
    assert caught.value.reason == reason
