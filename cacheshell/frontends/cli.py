"""`cacheshell [INSTANCE] -U NAMESPACE [CODE]`: run CODE once as csession does, or open the
terminal (the REPL, or plain lines when piped)."""

from __future__ import annotations

import argparse
import re
import shlex
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from cacheshell.frontends.cli_args import (
    INSTANCE_OPTION,
    UsageError,
    take_instance,
    unknown_instance,
)
from cacheshell.version import CACHE_PRODUCT, CACHE_VERSION_NUMBER, __version__

if TYPE_CHECKING:
    from cacheshell.session import Session

# `cacheshell --help` lists the subcommands too; their parsers load only when one is used.
SUBCOMMANDS = """\
subcommands (each has its own --help):
  control create NAME [--evaluation] [--key FILE]
                        create an instance and start it
  control list [NAME]   every instance (or one), its status and its key
  control start|stop|restart NAME
                        start, shut down or restart an instance
  log [NAME] [-n N]     the tail of an instance's console log (cconsole.log)
  events [NAME] [-n N]  an instance's license event history
  key issue|show|activate|training ...
                        mint, inspect and activate license key files; training puts
                        the instance's own training key back
  plot [NAME] [-o FILE]
                        an instance's license use over time, as a PNG
  servers list|add|delete|stop|start|kill|partition|heal ...
                        an instance's license servers ([LicenseServers] in cache.cpf)
  user add|list|delete|password|enable ...
                        an instance's users, their roles (--user NAME sessions) and
                        their Management Portal passwords
  license-server ...    run a license server daemon
  kernel install|list   the ObjectScript Jupyter kernel's spec

Every command that acts on an instance also takes --instance NAME (default CACHE), anywhere
on the line.

examples:
  cacheshell                              the terminal on the default instance, CACHE
  cacheshell 'Write $ZVERSION'            run code once and exit (quote it as one argument)
  cacheshell TWO -U %SYS 'Do $System.License.CKEY()'
                                          code on instance TWO, in namespace %SYS
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cacheshell",
        usage="cacheshell [INSTANCE] [-U NAMESPACE] [options] ['CODE']\n"
        "       cacheshell SUBCOMMAND ...",
        description="An ObjectScript shell over a model of the Cache license system.",
        epilog=SUBCOMMANDS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "words",
        nargs="*",
        metavar="[INSTANCE] ['CODE']",
        help="instance name (default CACHE) and code to run once, as csession; "
        "quote the code as one argument",
    )
    parser.add_argument("-U", dest="namespace", default="USER", help="namespace (default USER)")
    parser.add_argument(
        "-B",
        dest="admin",
        action="store_true",
        help="administrator session (takes the reserved license unit)",
    )
    parser.add_argument("-s", dest="mgr_dir", help="find the instance by its manager directory")
    parser.add_argument(
        INSTANCE_OPTION, metavar="NAME", help="the instance, as the first word names it"
    )
    parser.add_argument("--user", help="user name for the session ($USERNAME)")
    parser.add_argument(
        "--simple-prompt",
        action="store_true",
        help="read plain lines, without prompt_toolkit (as when piped)",
    )
    parser.add_argument(
        "--version", action="version", version=version_line(), help="show the versions and exit"
    )
    return parser


def version_line() -> str:
    return f"cacheshell {__version__}, a model of {CACHE_PRODUCT} {CACHE_VERSION_NUMBER}"


# An instance name as ccontrol takes it: a letter, then letters, digits and underscores.
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def _is_instance(word: str) -> bool:
    from cacheshell.system.layout import DEFAULT_INSTANCE, cacheshell_home, find_instance

    return word.upper() == DEFAULT_INSTANCE or find_instance(cacheshell_home(), word) is not None


def _parses(code: str) -> bool:
    from cacheshell.lang.errors import ObjectScriptError
    from cacheshell.lang.parser import parse

    try:
        parse(code)
    except ObjectScriptError:
        return False
    return True


class UnknownInstance(Exception):
    """The first word names an instance that does not exist."""


def split_words(words: list[str], instance: str | None = None) -> tuple[str | None, str | None]:
    """(instance, code) from the words after the options. The first word is the instance when
    one has that name; a lone name that is neither an instance nor ObjectScript (`Halt` is) is
    an instance that does not exist; code split into words must be quoted as one."""
    if instance is None and words and _is_instance(words[0]):
        instance, words = words[0], words[1:]
    if instance is not None or not words:
        if len(words) > 1:
            raise UsageError(_quote_hint(instance, words))
        return instance, (words[0] if words else None)
    first = words[0]
    if len(words) == 1:
        if _NAME.fullmatch(first) and not _parses(first):
            raise UnknownInstance(first)
        return None, first
    if _parses(" ".join(words)):
        raise UsageError(_quote_hint(None, words))
    if _NAME.fullmatch(first):
        raise UnknownInstance(first)
    raise UsageError(_quote_hint(None, words))


def _quote_hint(instance: str | None, words: list[str]) -> str:
    line = ["cacheshell", *([instance] if instance else []), shlex.quote(" ".join(words))]
    return f"quote the code as one argument: {' '.join(line)}"


def start_session(
    instance: str | None,
    mgr_dir: str | None,
    namespace: str,
    user: str | None,
    admin: bool = False,
    prog: str = "cacheshell",
    utility: str = "",
) -> Session | int:
    """The session, or the exit status after saying why it could not start."""
    # Imported here: the subcommands (license-server, control, servers...) need no session.
    import sqlite3

    from cacheshell.session import LicenseLimitExceeded, SessionError, session_for

    if instance is not None and mgr_dir is None and not _is_instance(instance):
        from cacheshell.system.layout import cacheshell_home

        sys.stderr.write(unknown_instance(instance, cacheshell_home(), prog))
        return 2
    try:
        return session_for(instance, mgr_dir, namespace, user, admin=admin, utility=utility)
    except LicenseLimitExceeded as exc:
        sys.stdout.write(f"{exc}\n")  # as the terminal shows a refused login
        return 1
    except SessionError as exc:
        sys.stderr.write(f"{prog}: {exc}\n")
        return 2
    except (OSError, sqlite3.Error) as exc:  # the instance's files: read-only, damaged, full
        from cacheshell.system.instance_files import describe

        sys.stderr.write(f"{prog}: {describe(exc)}\n")
        return 2


def run_once(session: Session, code: str) -> int:
    outcome = session.execute(code)
    if outcome.error is not None:
        sys.stdout.write(session.error_text(outcome.error))
        sys.stdout.flush()
        return 1
    session.finish_line()
    return 0


def run_key(argv: list[str]) -> int:
    """`cacheshell key ...`: the license-key commands, apart from the shell's own options."""
    from cacheshell.frontends.cli_key import add_key_commands, run_key_command

    try:
        words, instance = take_instance(argv)
    except UsageError as exc:
        sys.stderr.write(f"cacheshell key: {exc}\n")
        return 2
    parser = argparse.ArgumentParser(prog="cacheshell")
    add_key_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(words)
    args.instance = instance
    return run_key_command(args)


def _subcommand(word: str) -> Callable[[list[str]], int] | None:
    """The command for `cacheshell WORD ...`; each lives in its own module, imported only when
    used, so the shell's start-up loads none of them."""
    if word == "key":
        return run_key
    if word == "license-server":
        from cacheshell.system.licserver.daemon import main as license_server

        return lambda words: license_server(words[1:])
    if word == "kernel":
        try:
            from cacheshell.frontends.cli_kernel import main as kernel
        except ModuleNotFoundError as exc:
            sys.stderr.write(f"cacheshell: the kernel commands are not available: {exc}\n")
            return lambda _words: 2
        return lambda words: kernel(words[1:])
    if word in ("control", "log", "events"):
        from cacheshell.frontends.cli_control import run_control

        return run_control
    if word == "plot":
        from cacheshell.frontends.cli_plot import main as plot

        return lambda words: plot(words[1:])
    if word == "user":
        from cacheshell.frontends.cli_users import main as user

        return lambda words: user(words[1:])
    if word == "servers":
        from cacheshell.frontends.cli_servers import main as servers

        return lambda words: servers(words[1:])
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """The command; a fault of an instance's files (read-only, unreadable, damaged, full) that
    no command handled ends it here, as one line naming the file and what to do."""
    import sqlite3

    try:
        return _main(argv)
    except (OSError, sqlite3.Error) as exc:
        from cacheshell.system.instance_files import describe

        sys.stderr.write(f"cacheshell: {describe(exc)}\n")
        return 2


def _main(argv: Sequence[str] | None = None) -> int:
    # A string may hold characters a terminal cannot encode (lone surrogates): show them as ?.
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    words = list(sys.argv[1:] if argv is None else argv)
    try:
        rest, instance = take_instance(words)
    except UsageError as exc:
        sys.stderr.write(f"cacheshell: {exc}\n")
        return 2
    command = _subcommand(rest[0]) if rest else None
    if command is not None:
        # `cacheshell --instance TWO servers list`: the subcommand finds the option anywhere.
        return command(rest + ([INSTANCE_OPTION, instance] if instance is not None else []))
    args = build_parser().parse_intermixed_args(rest)
    try:
        instance, code = split_words(args.words, instance)
    except UsageError as exc:
        sys.stderr.write(f"cacheshell: {exc}\n")
        return 2
    except UnknownInstance as exc:
        from cacheshell.system.layout import cacheshell_home

        sys.stderr.write(unknown_instance(str(exc), cacheshell_home()))
        return 2
    session = start_session(instance, args.mgr_dir, args.namespace, args.user, args.admin)
    if isinstance(session, int):
        return session
    if code is not None:
        return run_once(session, code)
    from cacheshell.frontends.repl import run_repl

    return run_repl(session, simple=args.simple_prompt)


if __name__ == "__main__":
    raise SystemExit(main())
