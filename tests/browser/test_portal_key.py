"""The chapter's "Activating a License Key" procedure in a real browser, word for word: the
License Key page and its Print button, Activate License Key, browsing for a key file, the
current and selected keys side by side, the restart notice, and Activate.

Source: Caché System Administration Guide, "Managing Caché Licensing" > "Activating a License
Key", https://docs.intersystems.com/latest/csp/docbook/DocBook.UI.Page.cls?KEY=GSA_license
"""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli
from playwright.sync_api import expect
from portal_browser import Portal, login, shot

KEY_PAGE = "/csp/sys/mgr/License.Key.zen"


def issue(path: Path, *options: str) -> Path:
    done = run_cli("key", "issue", *options, "-o", str(path))
    assert done.returncode == 0, done.stderr
    return path


def value_of(page: object, field: str) -> str:
    """The License Key page's value of one field."""
    cell = page.locator(f"#key tr:has(th:text-is('{field}')) td")  # type: ignore[attr-defined]
    return str(cell.inner_text())


def select_key_file(page: object, portal: Portal, path: Path) -> None:
    """Steps 1 and 2: the License Key page, Activate License Key, browse for the file (choosing
    it shows it at once)."""
    page.goto(portal.at(KEY_PAGE))  # type: ignore[attr-defined]
    page.get_by_role("link", name="Activate License Key").click()  # type: ignore[attr-defined]
    # Once the page has loaded, its script submits the form when a file is chosen.
    page.wait_for_url("**/License.Activate.zen")  # type: ignore[attr-defined]
    with page.expect_navigation():  # type: ignore[attr-defined]
        page.set_input_files("#key-file-field", str(path))  # type: ignore[attr-defined]


def test_license_key_page_shows_the_key_and_prints_only_its_content(page, portal) -> None:
    login(page, portal)
    page.goto(portal.at(KEY_PAGE))
    assert page.inner_text("#breadcrumb") == (
        "Home > System Administration > Licensing > License Key"
    )
    assert value_of(page, "LicenseCapacity").endswith(":5")
    assert value_of(page, "Maximum Available") == "5"
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    shot(page, "key")
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    expect(page.get_by_role("link", name="Activate License Key")).to_be_hidden()
    expect(page.locator("nav.menu")).to_be_hidden()
    expect(page.locator("#key")).to_be_visible()
    shot(page, "key-print")


def test_a_bigger_key_is_shown_side_by_side_then_activated_at_once(
    page, portal, tmp_path: Path
) -> None:
    bigger = issue(tmp_path / "cache.key", "--units", "50", "--multi", "--customer", "Acme")
    login(page, portal)
    select_key_file(page, portal, bigger)
    assert page.locator("#comparison th[scope=col]").all_inner_texts() == [
        "Field",
        "Current",
        "Selected",
    ]
    units = page.locator("#comparison tr:has(th:text-is('LicenseUnits')) td")
    assert units.all_inner_texts() == ["5", "50"]
    assert page.inner_text("#restart") == (
        "No restart will be needed: the key takes effect when it is activated."
    )
    shot(page, "key-activate-side-by-side")
    page.get_by_role("button", name="Activate").click()
    assert page.inner_text("#activated").startswith("The license key cache.key is activated")
    shot(page, "key-activated")
    page.click("#back")
    assert value_of(page, "CustomerName") == "Acme"
    assert value_of(page, "Maximum Available") == "50"
    ckey = run_cli("-U", "%SYS", "Do $System.License.CKEY()")
    assert "     Maximum Available =     50" in ckey.stdout.splitlines()


def test_a_smaller_key_needs_a_restart_and_warns_of_what_it_takes_away(
    page, portal, tmp_path: Path
) -> None:
    # The training key has 5 units on a Multi server key: fewer units take effect at restart
    # (keys.compare_keys), and a Single server key is a reduction (CheckKeyForUpgrade).
    smaller = issue(tmp_path / "small.key", "--units", "3")
    login(page, portal)
    select_key_file(page, portal, smaller)
    assert page.inner_text("#restart p") == (
        "A restart of the instance will be required for the new key to take effect:"
    )
    assert page.locator("#restart li").all_inner_texts() == [
        "The new key has fewer license units (5 to 3): the reduction takes effect at the next "
        "restart"
    ]
    assert page.inner_text("#reductions p") == (
        "The selected key enables fewer features than the current key:"
    )
    assert page.locator("#reductions li").all_inner_texts() == [
        "Reduce the number of license units from 5 to 3.",
        "Change the supported server type from Multi to Single.",
    ]
    shot(page, "key-activate-restart")
    page.get_by_role("button", name="Activate").click()
    assert page.inner_text("#restart").startswith("The license key small.key was copied to")
    assert "Reduce the number of license units from 5 to 3." in page.inner_text("#reductions")
    page.goto(portal.at(KEY_PAGE))
    assert value_of(page, "Maximum Available") == "5"
    assert page.inner_text("#key-pending") == (
        "A valid key in the manager directory is not yet active: it takes effect at the next "
        "restart of the instance."
    )


def test_a_tampered_key_file_is_refused_and_the_active_key_stays(
    page, portal, tmp_path: Path, cacheshell_home: Path
) -> None:
    key_file = cacheshell_home / "CACHE" / "mgr" / "cache.key"
    before = key_file.read_bytes()
    tampered = issue(tmp_path / "cache.key", "--units", "50", "--customer", "Acme")
    tampered.write_text(tampered.read_text().replace("Acme", "Acmf"))
    login(page, portal)
    select_key_file(page, portal, tampered)
    assert page.inner_text("#message") == (
        "The license key is not valid: License key signature is not valid: the key was changed "
        "after it was issued, or its issuer is not trusted"
    )
    expect(page.get_by_role("button", name="Activate")).to_have_count(0)
    shot(page, "key-activate-invalid")
    assert key_file.read_bytes() == before
