"""`cacheshell [INSTANCE] -U NAMESPACE [CODE]`: run CODE once as csession does, or open the
terminal (the REPL, or plain lines when piped)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from cacheshell.frontends.repl import run_repl
from cacheshell.session import LicenseLimitExceeded, Session, SessionError, session_for


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cacheshell",
        description="An ObjectScript shell over a model of the Cache license system.",
    )
    parser.add_argument(
        "words",
        nargs="*",
        metavar="[INSTANCE] [CODE]",
        help="instance name (default CACHE) and code to run once, as csession",
    )
    parser.add_argument("-U", dest="namespace", default="USER", help="namespace (default USER)")
    parser.add_argument(
        "-B",
        dest="admin",
        action="store_true",
        help="administrator session (takes the reserved license unit)",
    )
    parser.add_argument("-s", dest="mgr_dir", help="find the instance by its manager directory")
    parser.add_argument("--user", help="user name for the session ($USERNAME)")
    parser.add_argument(
        "--simple-prompt",
        action="store_true",
        help="read plain lines, without prompt_toolkit (as when piped)",
    )
    return parser


def split_words(words: list[str]) -> tuple[str | None, str | None]:
    """(instance, code): one word is an instance when it names one, else it is code."""
    from cacheshell.system.layout import DEFAULT_INSTANCE, cacheshell_home, find_instance

    if len(words) > 2:
        raise SessionError("too many arguments: quote the code as one argument")
    if len(words) == 2:
        return words[0], words[1]
    if len(words) == 1:
        word = words[0]
        if word.upper() == DEFAULT_INSTANCE or find_instance(cacheshell_home(), word):
            return word, None
        return None, word
    return None, None


def start_session(
    instance: str | None,
    mgr_dir: str | None,
    namespace: str,
    user: str | None,
    admin: bool = False,
    prog: str = "cacheshell",
) -> Session | int:
    """The session, or the exit status after saying why it could not start."""
    try:
        return session_for(instance, mgr_dir, namespace, user, admin=admin)
    except LicenseLimitExceeded as exc:
        sys.stdout.write(f"{exc}\n")  # as the terminal shows a refused login
        return 1
    except SessionError as exc:
        sys.stderr.write(f"{prog}: {exc}\n")
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

    parser = argparse.ArgumentParser(prog="cacheshell")
    add_key_commands(parser.add_subparsers(dest="command", required=True))
    return run_key_command(parser.parse_args(argv))


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
    if word == "servers":
        from cacheshell.frontends.cli_servers import main as servers

        return lambda words: servers(words[1:])
    return None


def main(argv: Sequence[str] | None = None) -> int:
    # A string may hold characters a terminal cannot encode (lone surrogates): show them as ?.
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    words = list(sys.argv[1:] if argv is None else argv)
    command = _subcommand(words[0]) if words else None
    if command is not None:
        return command(words)
    args = build_parser().parse_intermixed_args(words)
    try:
        instance, code = split_words(args.words)
    except SessionError as exc:
        sys.stderr.write(f"cacheshell: {exc}\n")
        return 2
    session = start_session(instance, args.mgr_dir, args.namespace, args.user, args.admin)
    if isinstance(session, int):
        return session
    if code is not None:
        return run_once(session, code)
    return run_repl(session, simple=args.simple_prompt)


if __name__ == "__main__":
    raise SystemExit(main())
