"""`cacheshell control create|list|start|stop|restart`, `cacheshell log` and `cacheshell events`:
instance control as ccontrol does it, and the two logs an administrator reads."""

from __future__ import annotations

import argparse
import re
import sqlite3
import sys
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from cacheshell.frontends.cli_args import UsageError, instance_option, take_instance
from cacheshell.system import instance_lock, lifecycle
from cacheshell.system.instance import LOG_FILE, MISSING_KEY, Instance, InstanceError
from cacheshell.system.instance_files import InstanceFileError, describe, from_os_error
from cacheshell.system.layout import (
    DEFAULT_INSTANCE,
    InstanceLayout,
    cacheshell_home,
    find_instance,
)
from cacheshell.system.namespaces import Namespaces
from cacheshell.version import CACHE_VERSION_ID

if TYPE_CHECKING:
    from cacheshell.system.keys import LicenseKey

# A stop, a start and a list import only what they use (tests/cli/test_import_budget.py): the
# key's modules and their cryptography load for a key to check, the reports' for a listing,
# the interpreter for a SYSTEM^%ZSTART to run.

# Caché instance names: a letter, then letters, digits and underscores; stored in capitals.
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
DEFAULT_LINES = 20


class ControlError(Exception):
    """A control command cannot be done; the message says why."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cacheshell")
    commands = parser.add_subparsers(dest="command", required=True)
    control = commands.add_parser("control", help="create, list, start and stop instances")
    actions = control.add_subparsers(
        dest="action", required=True, metavar="{create,list,start,stop,restart}"
    )
    # NAME, or --instance NAME anywhere on the line (run_control takes it out before parsing).
    instance = instance_option()
    create = actions.add_parser(
        "create", help="create an instance and start it", parents=[instance]
    )
    create.add_argument("name", metavar="NAME", nargs="?")
    create.add_argument(
        "--evaluation", action="store_true", help="an evaluation instance: runs without a key"
    )
    create.add_argument("--key", metavar="FILE", help="install this license key file")
    listing = actions.add_parser(
        "list", help="every instance (or the one named), its status and its key", parents=[instance]
    )
    listing.add_argument("name", metavar="NAME", nargs="?")
    for action, text in (
        ("start", "start an instance"),
        ("stop", "shut an instance down"),
        ("restart", "stop and start an instance"),
    ):
        sub = actions.add_parser(action, help=text, parents=[instance])
        sub.add_argument("name", metavar="NAME", nargs="?")
    default = instance_option(DEFAULT_INSTANCE)
    for command, text in (
        ("log", "the tail of the console log (cconsole.log)"),
        ("events", "the license event history"),
    ):
        sub = commands.add_parser(command, help=text, parents=[default])
        sub.add_argument(
            "name", metavar="NAME", nargs="?", help=f"the instance (default {DEFAULT_INSTANCE})"
        )
        sub.add_argument(
            "-n",
            dest="lines",
            type=int,
            default=DEFAULT_LINES,
            help=f"how many lines (default {DEFAULT_LINES})",
        )
    return parser


def run_control(argv: list[str]) -> int:
    """Run a control, log or events command; 0 done, 2 refused (the reason on stderr)."""
    try:
        words, instance = take_instance(argv)
    except UsageError as exc:
        sys.stderr.write(f"cacheshell {argv[0]}: {exc}\n")
        return 2
    args = build_parser().parse_args(words)
    try:
        args.name = _instance_name(args, instance)
        if args.command == "control":
            return _ACTIONS[args.action](args)
        if args.lines < 0:
            raise ControlError("-n must not be negative")
        lines = _log(args) if args.command == "log" else _events(args)
        if lines:
            print("\n".join(lines))
        return 0
    except _refusals() as exc:
        from cacheshell.system.keyfile import KeyFileError

        reason = exc.reason if isinstance(exc, KeyFileError) else describe(exc)
        sys.stderr.write(f"cacheshell {args.command}: {reason}\n")
        return 2


def _refusals() -> tuple[type[Exception], ...]:
    """What a command refuses, saying why. Called only when an exception is raised, so the key
    file's module (and its dataclasses) loads for a refusal, not for every stop."""
    from cacheshell.system.keyfile import KeyFileError

    return (ControlError, InstanceError, KeyFileError, OSError, sqlite3.Error)


def _instance_name(args: argparse.Namespace, option: str | None) -> str | None:
    """The instance named by NAME or by --instance (the same one if both are given)."""
    name: str | None = args.name
    if name is not None and option is not None and name.upper() != option.upper():
        raise ControlError(f"two instances named: {name} and --instance {option}")
    name = name or option
    if name is not None:
        return name
    if args.command != "control":
        return DEFAULT_INSTANCE
    if args.action != "list":
        raise ControlError(
            f"{args.action} needs an instance: cacheshell control {args.action} NAME"
        )
    return None


# -- control -------------------------------------------------------------------------------------
def _create(args: argparse.Namespace) -> int:
    name = args.name
    if not _NAME.fullmatch(name):
        raise ControlError(f"not an instance name: {name!r} (a letter, then letters, digits, _)")
    home = cacheshell_home()
    existing = find_instance(home, name)
    if existing is not None:
        raise ControlError(f"instance {existing.name} already exists in {home}")
    key_text = _checked_key(args.key, home) if args.key else None
    layout = InstanceLayout(home, name.upper())
    instance, messages = lifecycle.create(layout, evaluation=args.evaluation, key_text=key_text)
    try:
        print(f"Instance '{layout.name}' created in {layout.directory}")
        _started(instance, messages)
    finally:
        instance.store.close()
    return 0


def _checked_key(path: str, home: Path) -> str:
    """The text of a key file that would be valid here; an invalid one is refused with why."""
    from cacheshell.system import authkey, keys, signing
    from cacheshell.system.bounded import KEY_FILE_BYTES, read_text_bounded
    from cacheshell.system.keyfile import KeyFileError

    try:
        text = read_text_bounded(path, KEY_FILE_BYTES, "key file")
    except UnicodeDecodeError:
        raise ControlError(f"{path}: not a text file") from None
    except OSError as exc:
        raise ControlError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        key = keys.read_key(text)
    except KeyFileError as exc:
        raise ControlError(f"{path}: {exc.reason}") from None
    check = keys.check_key(
        key, signing.trusted_public_keys(home), authkey.current_platform_code(), date.today()
    )
    if not check.valid:
        raise ControlError(f"{path}: {check.reason}")
    return text


def _list(args: argparse.Namespace) -> int:
    home = cacheshell_home()
    layouts = sorted(
        (InstanceLayout(home, entry.name) for entry in _instance_dirs(home)),
        key=lambda layout: layout.name.upper(),
    )
    if args.name is not None:  # ccontrol list NAME: that one
        layouts = [layout for layout in layouts if layout.name.upper() == args.name.upper()]
        if not layouts:
            raise ControlError(f"no instance named {args.name} in {home}")
    if not layouts:
        print(f"No instances in {home}")
        return 0
    blocks = []
    for layout in layouts:
        instance = Instance(layout)
        try:
            blocks.append(_describe(instance))
        finally:
            instance.store.close()
    print("\n\n".join(blocks))
    return 0


def _instance_dirs(home: Path) -> list[Path]:
    if not home.is_dir():
        return []
    return [entry for entry in home.iterdir() if (entry / "mgr").is_dir()]


def _describe(instance: Instance) -> str:
    from cacheshell.system import reports, web_config

    rows = [
        ("directory", str(instance.layout.directory)),
        ("versionid", CACHE_VERSION_ID),
        ("conf file", _conf_file(instance)),
        ("status", _status(lifecycle.state(instance))),
    ]
    if instance.is_up:
        rows.append(("license server", _license_server(instance)))
        rows.append(("portal", str(instance.store.get(web_config.PORTAL_URL) or "not listening")))
    rows.append(("license", key_summary(instance)))
    return reports.instance_block(instance.name, instance.name.upper() == DEFAULT_INSTANCE, rows)


def _conf_file(instance: Instance) -> str:
    """The configuration file and the web server port, as ccontrol list shows them."""
    from cacheshell.system import web_config

    try:
        web = web_config.settings(instance.cpf())
    except InstanceFileError as exc:
        return f"cache.cpf  ({exc.text})"
    if not web.enabled or web.port is None:
        return "cache.cpf  (WebServer off)"
    return f"cache.cpf  (WebServer = {web.port})"


def _status(state: lifecycle.State) -> str:
    if state.running:
        since = state.since or time.time()
        started = time.strftime("%a %b %e %H:%M:%S %Y", time.localtime(since))
        uptime = _duration(time.time() - since)
        return f"running, since {started} (up {uptime}), pid {state.pid}"
    if state.crashed:
        return f"down: its process {state.pid} ended without a shutdown (crashed)"
    return "down"


def _duration(seconds: float) -> str:
    whole = max(0, int(seconds))
    days, rest = divmod(whole, 86400)
    text = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    return f"{days}d {text}" if days else text


LIST_WAIT = 2.0  # seconds `control list` waits for a just-started instance's first report


def _license_server(instance: Instance) -> str:
    """The active license server as the monitor last recorded it, or why there is none."""
    from cacheshell.system import monitor

    # A listing waits briefly for a just-started instance's first report, and no longer: it
    # must not hang on an instance whose database another process holds.
    monitor.await_first_cycle(instance, LIST_WAIT)
    status = monitor.server_status(instance, wait=False)
    server = monitor.active_server(instance, wait=False)
    if server is not None:
        return f"{server.name} at {server.address} port {server.port}"
    return status


def key_summary(instance: Instance) -> str:
    """The key in force (running) or the one start would read (down), in one line."""
    from cacheshell.system.keys import EVALUATION_UNITS

    if instance.is_up:
        key = instance.active_key()
        reason = instance.key_reason()
    else:
        key, reason = _key_on_disk(instance)
    if key is not None:
        return f"{key.units} units, {key.server} server, {key.license_type}, {key.product}"
    if instance.evaluation and not instance.key_path.exists():
        return f"Evaluation, {EVALUATION_UNITS} units"
    return f"no valid key: {reason or MISSING_KEY}"


def _key_on_disk(instance: Instance) -> tuple[LicenseKey | None, str]:
    from cacheshell.system import keys
    from cacheshell.system.keyfile import KeyFileError

    if not instance.key_path.exists():
        return None, MISSING_KEY
    try:
        key = keys.load_key(instance.key_path)
    except KeyFileError as exc:
        return None, exc.reason
    check = instance.check(key)
    return (key, "") if check.valid else (None, check.reason)


def _open(name: str, starting: bool = False) -> Instance:
    """The instance; `starting` one that is down has a damaged cache.db rebuilt (soft state)."""
    home = cacheshell_home()
    layout = find_instance(home, name)
    if layout is None:
        raise ControlError(f"no instance named {name} in {home}")
    return Instance(layout, recover=starting and not instance_lock.is_held(layout.mgr))


def _start(args: argparse.Namespace) -> int:
    instance = _open(args.name, starting=True)
    try:
        _started(instance, lifecycle.start(instance))
    finally:
        instance.store.close()
    return 0


def _stop(args: argparse.Namespace) -> int:
    instance = _open(args.name)
    try:
        lifecycle.stop(instance)
    finally:
        instance.store.close()
    print(f"Instance '{instance.name}' stopped")
    return 0


def _restart(args: argparse.Namespace) -> int:
    instance = _open(args.name, starting=True)
    try:
        if lifecycle.state(instance).running:
            lifecycle.stop(instance)
            print(f"Instance '{instance.name}' stopped")
        _started(instance, lifecycle.start(instance))
    finally:
        instance.store.close()
    return 0


def _started(instance: Instance, messages: list[str]) -> None:
    for message in messages:
        print(message)
    # SYSTEM^%ZSTART runs as in Caché, after the license table is ready; its output goes to the
    # console log. The interpreter loads only for an instance that has one.
    if Namespaces(instance.layout).routine_source("%SYS", "%ZSTART") is not None:
        from cacheshell import session

        session.run_system_startup(instance)
    print(f"Instance '{instance.name}' started (pid {lifecycle.state(instance).pid})")
    # The web server bound its port (or gave up) before the service said it runs.
    from cacheshell.system import web_config

    store = instance.store
    print(
        web_config.portal_line(
            store.get(web_config.PORTAL_URL) or "", store.get(web_config.PORTAL_DOWN) or ""
        )
    )


_ACTIONS = {"create": _create, "list": _list, "start": _start, "stop": _stop, "restart": _restart}


# -- the logs ------------------------------------------------------------------------------------
def _log(args: argparse.Namespace) -> list[str]:
    layout = find_instance(cacheshell_home(), args.name)
    if layout is None:
        raise ControlError(f"no instance named {args.name} in {cacheshell_home()}")
    path = layout.mgr / LOG_FILE
    if not path.exists() or not args.lines:
        return []
    from cacheshell.system.console import tail_lines

    try:
        return tail_lines(path, args.lines)  # from the end: the log is never read whole
    except OSError as exc:
        raise from_os_error(exc, path, "read") from None


def _events(args: argparse.Namespace) -> list[str]:
    from cacheshell.system import reports
    from cacheshell.system.usage import event_rows

    instance = _open(args.name)
    try:
        return reports.events(event_rows(instance, last=args.lines))
    finally:
        instance.store.close()
