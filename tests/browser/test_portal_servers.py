"""System Administration > Licensing > License Servers in a real browser, as the chapter's
"Configure License Servers" procedure walks it: the list, Add (a bad port refused, a good
server saved), editing by clicking the name, Delete, and the active row shaded when more than
one server is configured."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import run_cli
from playwright.sync_api import expect
from portal_browser import login, shot

RESTART = (
    "After adding or deleting a license server, you may need to restart the Caché instance in "
    "order for the change to take effect."
)
SHADE = "rgb(217, 228, 255)"  # portal.css: tr.active


def servers_page(page, portal) -> None:
    """Log in and go to the page through the menu, as a trainee does."""
    login(page, portal)
    page.click("nav.menu >> text=License Servers")
    expect(page.locator("h1")).to_have_text("License Servers")


def cpf_servers(home: Path) -> list[str]:
    text = (home / "CACHE" / "mgr" / "cache.cpf").read_text(encoding="utf-8")
    section = text.split("[LicenseServers]\n", 1)[1].split("\n\n", 1)[0]
    return [line for line in section.splitlines() if line]


def listed_by_the_api() -> list[str]:
    """Config.LicenseServers' List query, run from the shell as an administrator would."""
    ran = run_cli("-U", "%SYS", 'Do ##class(%ResultSet).RunQuery("Config.LicenseServers","List")')
    assert ran.returncode == 0, ran.stderr
    return ran.stdout.splitlines()


def console_log(home: Path) -> str:
    return (home / "CACHE" / "mgr" / "cconsole.log").read_text(encoding="utf-8")


def local() -> str:
    return f"LOCAL=127.0.0.1,{os.environ['CACHESHELL_LICENSE_PORT']}"


def test_adding_a_server_with_port_80_shows_the_error_and_keeps_the_input(
    page, portal, cacheshell_home: Path
) -> None:
    servers_page(page, portal)
    shot(page, "servers-list")
    page.click("#add")
    page.fill("#name-field", "MAIN")
    page.fill("#address-field", "192.0.2.1")
    page.fill("#port-field", "80")
    page.click("#save")
    expect(page.locator("#message")).to_have_text("Port 80 is outside 1024-65535")
    kept = [page.input_value(f"#{name}-field") for name in ("name", "address", "port")]
    assert (kept, cpf_servers(cacheshell_home)) == (["MAIN", "192.0.2.1", "80"], [local()])
    shot(page, "servers-add-error")


def test_a_server_added_correctly_is_configured_and_deleting_it_removes_it(
    page, portal, cacheshell_home: Path
) -> None:
    servers_page(page, portal)
    page.click("#add")
    expect(page.locator("#port-field")).to_have_value("4001")  # "InterSystems uses ... 4001"
    page.fill("#name-field", "main")
    page.fill("#address-field", "192.0.2.1")
    page.click("#save")
    expect(page.locator("#message")).to_have_text(f"License server MAIN added. {RESTART}")
    expect(page.locator('tr[data-name="MAIN"] td').nth(1)).to_have_text("192.0.2.1")
    assert (cpf_servers(cacheshell_home), listed_by_the_api()) == (
        [local(), "MAIN=192.0.2.1,4001"],
        [
            "Name:Address:Port:",
            local().replace("=", ":").replace(",", ":") + ":",
            "MAIN:192.0.2.1:4001:",
        ],
    )
    assert f"License server MAIN added (192.0.2.1,4001). {RESTART}" in console_log(cacheshell_home)
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.click('tr[data-name="MAIN"] >> text=Delete')
    expect(page.locator("#message")).to_have_text(f"License server MAIN deleted. {RESTART}")
    expect(page.locator('tr[data-name="MAIN"]')).to_have_count(0)
    assert (asked, cpf_servers(cacheshell_home)) == (
        ["Delete license server MAIN (192.0.2.1 port 4001)?"],
        [local()],
    )
    assert f"License server MAIN deleted. {RESTART}" in console_log(cacheshell_home)


def test_clicking_a_name_opens_its_definition_to_update(
    page, portal, cacheshell_home: Path
) -> None:
    assert run_cli("servers", "add", "MAIN", "192.0.2.1", "4001").returncode == 0
    servers_page(page, portal)
    page.click('tr[data-name="MAIN"] >> text=MAIN')
    expect(page.locator("h1")).to_have_text("Edit License Server")
    assert (
        page.input_value("#name-field"),
        page.input_value("#address-field"),
        page.input_value("#port-field"),
        page.get_attribute("#name-field", "readonly"),
    ) == ("MAIN", "192.0.2.1", "4001", "")
    page.fill("#port-field", "4005")
    shot(page, "servers-edit")
    page.click("#save")
    expect(page.locator("#message")).to_have_text(f"License server MAIN changed. {RESTART}")
    expect(page.locator('tr[data-name="MAIN"] td').nth(2)).to_have_text("4005")
    assert cpf_servers(cacheshell_home) == [local(), "MAIN=192.0.2.1,4005"]


def shade_of(page, name: str) -> str:
    return page.eval_on_selector(
        f'tr[data-name="{name}"] td', "cell => getComputedStyle(cell).backgroundColor"
    )


def test_the_active_servers_row_is_shaded_only_when_more_than_one_is_configured(
    page, portal
) -> None:
    servers_page(page, portal)
    # One server: LOCAL is the active one (the started instance reports to it), not shaded.
    expect(page.locator('tr[data-name="LOCAL"] td').nth(3)).to_have_text("Active")
    assert shade_of(page, "LOCAL") != SHADE
    assert run_cli("servers", "add", "MAIN", "192.0.2.1", "4001").returncode == 0
    page.reload()
    # Two: the active one's row, and only it, is shaded.
    assert (shade_of(page, "LOCAL"), shade_of(page, "MAIN") == SHADE) == (SHADE, False)
    shot(page, "servers-shaded")
