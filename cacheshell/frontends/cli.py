"""`cacheshell [INSTANCE] -U NAMESPACE [CODE]`: run CODE once as csession does, or read lines."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence

from cacheshell.lang.completeness import is_complete
from cacheshell.session import LicenseLimitExceeded, Session, SessionError, session_for


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cacheshell",
        description="An ObjectScript shell over a model of the Cache license system.",
    )
    parser.add_argument("words", nargs="*", metavar="[INSTANCE] [CODE]",
                        help="instance name (default CACHE) and code to run once, as csession")
    parser.add_argument("-U", dest="namespace", default="USER", help="namespace (default USER)")
    parser.add_argument("-B", dest="admin", action="store_true",
                        help="administrator session (takes the reserved license unit)")
    parser.add_argument("-s", dest="mgr_dir", help="find the instance by its manager directory")
    parser.add_argument("--user", help="user name for the session ($USERNAME)")
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


def run_once(session: Session, code: str) -> int:
    outcome = session.execute(code)
    if outcome.error is not None:
        sys.stdout.write(session.error_text(outcome.error))
        sys.stdout.flush()
        return 1
    session.finish_line()
    return 0


def read_inputs(stream: Iterator[str], prompt: str | None, session: Session) -> Iterator[str]:
    """Lines from a stream, joined while a brace block is still open."""
    pending: list[str] = []
    while True:
        if prompt is not None:
            sys.stdout.write(session.prompt if not pending else "")
            sys.stdout.flush()
        line = next(stream, None)
        if line is None:
            if pending:
                yield "\n".join(pending)
            return
        pending.append(line.rstrip("\r\n"))
        text = "\n".join(pending)
        if is_complete(text):
            pending = []
            yield text


def run_lines(session: Session, interactive: bool) -> int:
    status = 0
    stream = iter(sys.stdin)
    for text in read_inputs(stream, session.prompt if interactive else None, session):
        if not text.strip():
            continue
        outcome = session.execute(text)
        if outcome.halted:
            session.finish_line()
            return status
        if outcome.error is not None:
            sys.stdout.write(session.error_text(outcome.error))
            status = 1
        else:
            session.finish_line()
        sys.stdout.flush()
    return status


def run_key(argv: list[str]) -> int:
    """`cacheshell key ...`: the license-key commands, apart from the shell's own options."""
    from cacheshell.frontends.cli_key import add_key_commands, run_key_command

    parser = argparse.ArgumentParser(prog="cacheshell")
    add_key_commands(parser.add_subparsers(dest="command", required=True))
    return run_key_command(parser.parse_args(argv))


def main(argv: Sequence[str] | None = None) -> int:
    # A string may hold characters a terminal cannot encode (lone surrogates): show them as ?.
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:1] == ["key"]:
        return run_key(words)
    args = build_parser().parse_intermixed_args(words)
    try:
        instance, code = split_words(args.words)
        session = session_for(instance, args.mgr_dir, args.namespace, args.user,
                              admin=args.admin)
    except LicenseLimitExceeded as exc:
        sys.stdout.write(f"{exc}\n")  # as the terminal shows a refused login
        return 1
    except SessionError as exc:
        sys.stderr.write(f"cacheshell: {exc}\n")
        return 2
    if code is not None:
        return run_once(session, code)
    return run_lines(session, interactive=sys.stdin.isatty())


if __name__ == "__main__":
    raise SystemExit(main())
