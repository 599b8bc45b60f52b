"""`cacheshell key issue|show|activate|training`: mint training license keys, inspect key files,
activate one on an instance, and put an instance's own training key back."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from cacheshell.frontends.cli_args import instance_option
from cacheshell.system import paths
from cacheshell.system.authkey import (
    LICENSE_TYPES,
    PLATFORMS,
    PRODUCTS,
    current_platform_code,
)
from cacheshell.system.bounded import (
    INI_FILE_BYTES,
    KEY_FILE_BYTES,
    read_bounded,
    read_text_bounded,
)
from cacheshell.system.keyfile import (
    RESERVED_SECTIONS,
    KeyFileError,
    Sections,
    format_date,
    parse_date,
    parse_sections,
    render_key_file,
)
from cacheshell.system.keys import (
    TRAINING_KEY_SPEC,
    check_key,
    issue_key,
    new_order_number,
    read_key,
)
from cacheshell.system.layout import DEFAULT_INSTANCE, cacheshell_home
from cacheshell.system.reports import activation_report, format_rows, key_report
from cacheshell.system.signing import training_private_key, trusted_public_keys
from cacheshell.system.training_keys import order_numbers_in_use

if TYPE_CHECKING:
    from cacheshell.system.instance import Instance

__all__ = ["add_key_commands", "format_rows", "key_report", "run_key_command"]


def add_key_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Mount `key issue`, `key show`, `key activate` and `key training` on a parser's
    subcommands."""
    key = subparsers.add_parser("key", help="mint, inspect and activate license key files")
    commands = key.add_subparsers(
        dest="key_command", required=True, metavar="{issue,show,activate,training}"
    )

    spec = TRAINING_KEY_SPEC
    issue = commands.add_parser("issue", help="mint a key signed by the training issuer")
    issue.add_argument("--units", type=int, required=True, help="license units")
    issue.add_argument("--multi", action="store_true", help="a multiserver key")
    issue.add_argument(
        "--type",
        dest="license_type",
        default=spec.license_type,
        help=f"license type: {', '.join(LICENSE_TYPES.values())}",
    )
    issue.add_argument(
        "--product", default=spec.product, help=f"product: {', '.join(PRODUCTS.values())}"
    )
    issue.add_argument(
        "--expires",
        default=format_date(spec.expires),
        help=f"expiration date M/D/YYYY (default {format_date(spec.expires)})",
    )
    issue.add_argument("--customer", default=spec.customer, help="CustomerName")
    issue.add_argument(
        "--order",
        default="",
        help="OrderNumber (default: a new one, which no key of this home's instances has)",
    )
    issue.add_argument("--cores", type=int, default=spec.cores, help="cores licensed (0: no limit)")
    issue.add_argument("--features", default="", help="comma-separated feature names")
    issue.add_argument(
        "--buffer-pool", type=int, default=0, help="largest buffer pool in MB (0: no limit)"
    )
    issue.add_argument(
        "--databases", type=int, default=0, help="non-system databases (0: no limit)"
    )
    issue.add_argument("--ecp-servers", type=int, default=0, help="ECP servers authorized")
    issue.add_argument("--ecp", action="store_true", help="the key enables ECP (networking)")
    issue.add_argument(
        "--app-section",
        dest="app_sections",
        action="append",
        default=[],
        metavar="FILE",
        help=".ini file whose sections the key protects",
    )
    issue.add_argument(
        "--platform",
        default=None,
        help=f"platform code (default this machine's; {', '.join(PLATFORMS)})",
    )
    issue.add_argument(
        "-o", dest="output", required=True, metavar="FILE", help="where to write the key"
    )

    # --instance NAME may stand anywhere on the line: the caller takes it out before parsing.
    show = commands.add_parser(
        "show",
        help="print a key file and whether it is valid here (or on an instance, by its date)",
        parents=[instance_option()],
    )
    show.add_argument("file", metavar="FILE")

    activate = commands.add_parser(
        "activate",
        help="activate a key file on an instance, as the License Key page does",
        parents=[instance_option(DEFAULT_INSTANCE)],
    )
    activate.add_argument("file", metavar="FILE")

    commands.add_parser(
        "training",
        help="activate the instance's own training key again (mgr/training.key)",
        parents=[instance_option(DEFAULT_INSTANCE)],
    )


def run_key_command(args: argparse.Namespace) -> int:
    """Run a parsed `key` command (args.instance: the --instance given, or None); 0 valid/done,
    1 invalid key, 2 error."""
    try:
        if args.key_command == "issue":
            if args.instance is not None:
                raise KeyFileError("key issue mints a key file; activate it with --instance")
            return _issue(args)
        if args.key_command == "activate":
            return _activate(args)
        if args.key_command == "training":
            return _training(args)
        return _show(args)
    except KeyFileError as exc:
        sys.stderr.write(f"cacheshell key: {exc.reason}\n")
        return 2


def _issue(args: argparse.Namespace) -> int:
    if args.units < 1:
        raise KeyFileError(f"--units {args.units}: a key licenses 1 unit or more")
    try:
        expires = parse_date(args.expires)
    except KeyFileError as exc:
        raise KeyFileError(f"--expires: {exc.reason}") from None
    features = [name.strip() for name in args.features.split(",") if name.strip()]
    platform = args.platform or current_platform_code()
    key = issue_key(
        units=args.units,
        multi=args.multi,
        license_type=args.license_type,
        product=args.product,
        expires=expires,
        customer=args.customer,
        order_number=args.order or new_order_number(order_numbers_in_use(cacheshell_home())),
        features=features,
        cores=args.cores,
        max_buffer_pool=args.buffer_pool,
        max_databases=args.databases,
        ecp_servers=args.ecp_servers,
        network=args.ecp,
        app_sections=_read_app_sections(args.app_sections),
        private_key=training_private_key(),
        platform_code=platform,
    )
    text = render_key_file(key.file)
    # A key file is written owner-only, never through a symbolic link, and never over what a
    # home keeps its state in: an active key is changed by `key activate`, which keeps the old.
    target = paths.resolve_for_writing(args.output, Path.cwd())
    if paths.holds_state(cacheshell_home(), target):
        raise KeyFileError(
            f"cannot write {args.output}: it holds an instance's state "
            "(write the key elsewhere, then use: cacheshell key activate FILE)"
        )
    try:
        paths.write_regular(target, text)
    except paths.PathRefused as exc:
        raise KeyFileError(f"cannot write {args.output}: {exc.reason}") from None
    except OSError as exc:
        raise KeyFileError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    print(f"Wrote {args.output}")
    return 0


def _show(args: argparse.Namespace) -> int:
    try:
        data = read_bounded(args.file, KEY_FILE_BYTES, "key file")
    except OSError as exc:
        raise KeyFileError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    try:
        key = read_key(data.decode("utf-8"))
    except (UnicodeDecodeError, KeyFileError) as exc:
        # A file that reads but does not parse is an invalid key, not a usage error.
        reason = exc.reason if isinstance(exc, KeyFileError) else "not a text file"
        print(f"Invalid: {args.file}: {reason}")
        return 1
    if args.instance is None:
        check = check_key(
            key, trusted_public_keys(cacheshell_home()), current_platform_code(), date.today()
        )
    else:  # as that instance would judge it, on its date
        with _opened(args.instance) as instance:
            check = instance.check(key)
    status = check.status if check.status == "Valid" else f"{check.status}: {check.reason}"
    sys.stdout.write(key_report(args.file, key, status))
    return 0 if check.valid else 1


def _activate(args: argparse.Namespace) -> int:
    """Show the current and the new key side by side, then activate: 0 active now, 1 deferred
    until a restart or refused (an invalid key is never copied)."""
    from cacheshell.system.instance import MISSING_KEY
    from cacheshell.system.key_comparison import comparison_rows

    with _opened(args.instance or DEFAULT_INSTANCE) as instance:
        missing = instance.key_reason() or MISSING_KEY
        result = instance.activate(Path(args.file))
        rows = comparison_rows(result.current, result.new, missing)
        sys.stdout.write(activation_report(rows, result.check, result.comparison))
        if result.result == "1":
            print(
                f"License key activated. File {args.file} has been copied to {instance.key_path}."
            )
            return 0
        if result.check.valid:
            print(
                f"File {args.file} has been copied to {instance.key_path}: System Restart "
                f"Required - the cache.key in mgr will not take effect until restart."
            )
        return 1


@contextmanager
def _opened(name: str) -> Iterator[Instance]:
    from cacheshell.system.instance import Instance, InstanceError
    from cacheshell.system.layout import find_instance

    layout = find_instance(cacheshell_home(), name)
    if layout is None:
        raise KeyFileError(f"no instance named {name}")
    try:
        instance = Instance(layout)
    except InstanceError as exc:
        raise KeyFileError(str(exc)) from None
    try:
        yield instance
    finally:
        instance.store.close()


def _training(args: argparse.Namespace) -> int:
    """Activate the instance's training key through the activation path: 0 active now, 1 when
    it waits for a restart (fewer units than the active key) or is not valid. The instance is
    not restarted behind the administrator's back: the command to do it is printed."""
    from cacheshell.system import training_keys

    with _opened(args.instance or DEFAULT_INSTANCE) as instance:
        restored = training_keys.restore(instance)
        print(training_keys.describe(restored, instance))
        activation = restored.activation
        if activation.result == "1":
            return 0
        if activation.check.valid:
            reasons = activation.comparison.restart_reasons if activation.comparison else ()
            for reason in reasons:
                print(reason)
            print(
                f"System Restart Required: restart the instance to activate it: "
                f"cacheshell control restart {instance.name}"
            )
        return 1


def _read_app_sections(paths: list[str]) -> Sections:
    sections: list[tuple[str, tuple[tuple[str, str], ...]]] = []
    for name in paths:
        try:
            text = read_text_bounded(name, INI_FILE_BYTES, "license file")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not a text file"
            raise KeyFileError(f"cannot read {name}: {reason or exc}") from None
        try:
            found = parse_sections(text)
        except KeyFileError as exc:
            raise KeyFileError(f"{name}: {exc.reason}") from None
        if not found:
            raise KeyFileError(f"{name}: no [section] to copy into the key")
        for section, pairs in found:
            if section in RESERVED_SECTIONS:
                raise KeyFileError(f"{name}: [{section}] is reserved for the key itself")
            if any(section == known for known, _ in sections):
                raise KeyFileError(f"{name}: section [{section}] is already in the key")
            sections.append((section, pairs))
    return tuple(sections)
