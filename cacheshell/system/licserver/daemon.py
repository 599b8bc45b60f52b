"""`cacheshell license-server`: the license server, an asyncio UDP daemon and no Caché process.

It serves many instances and many keys, holds only soft state (what instances last reported),
logs to DIR/licenseserver.log, writes the dump files into DIR on request, drops and counts any
datagram it cannot trust, and stops by itself after an idle time with no live instance.
Every datagram is authenticated with the license domain secret: by default the one of this
CACHESHELL_HOME (made on first need), or the file --secret-file names.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import socket
import sys
from pathlib import Path
from typing import cast

from cacheshell.system.domain_secret import SecretFileError, home_secret, read_secret
from cacheshell.system.files import remove_stale_temporaries
from cacheshell.system.layout import cacheshell_home
from cacheshell.system.licserver.client import is_answering
from cacheshell.system.licserver.protocol import ProtocolError
from cacheshell.system.licserver.server import DUMP_FILES, LicenseServer
from cacheshell.system.processes import command_words
from cacheshell.system.spawn import spawn_detached

__all__ = [
    "LicenseServer",
    "find_server_pid",
    "is_answering",
    "main",
    "serve",
    "start_detached",
    "write_pid_files",
]

DEFAULT_ADDRESS = "127.0.0.1"
DEFAULT_PORT = 4001
DEFAULT_PERIOD = 15.0
DEFAULT_IDLE_EXIT = 3600.0
LOG_FILE = "licenseserver.log"
DRAIN_MAX = 64
RECEIVE_SIZE = 65536


class _Endpoint(asyncio.DatagramProtocol):
    def __init__(self, server: LicenseServer, sock: socket.socket) -> None:
        self.server = server
        self.sock = sock
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A datagram endpoint's transport; its class is asyncio's private one, which not every
        # Python 3.11 declares a DatagramTransport, so it is not checked with isinstance.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self._serve(data, addr)
        # Under load more datagrams are already queued. Taking them now, rather than one per
        # turn of the event loop (which costs about as much as handling one), roughly halves
        # the cost of an update; the bound lets timers and signals run between bursts.
        for _ in range(DRAIN_MAX):
            try:
                data, addr = self.sock.recvfrom(RECEIVE_SIZE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self.error_received(exc)
                return
            self._serve(data, addr)

    def _serve(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            replies = self.server.handle(data, addr)
        except (ProtocolError, OSError):
            # handle() drops what does not decode; what is left is an answer that does not
            # encode or a dump file that cannot be written. No datagram stops the server.
            self.server.counters["internal"] += 1
            self.server.log.exception("internal error on a datagram from %s", addr)
            return
        for reply in replies:
            try:
                self.sock.sendto(reply, addr)
            except (BlockingIOError, InterruptedError):
                assert self.transport is not None
                self.transport.sendto(reply, addr)  # a full send buffer: asyncio queues it
            except OSError as exc:
                self.error_received(exc)

    def error_received(self, exc: Exception) -> None:
        # An ICMP error for an earlier answer (the instance went away): nothing to do.
        self.server.counters["socket_errors"] += 1


async def serve(
    address: str,
    port: int,
    directory: Path,
    period: float = DEFAULT_PERIOD,
    idle_exit: float = DEFAULT_IDLE_EXIT,
    exit_when_unused: bool = False,
    *,
    secret: bytes,
) -> int:
    """Run until SIGTERM/SIGINT or `idle_exit` seconds with no live instance (0: never), or, with
    `exit_when_unused`, until the last instance served signs off."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in DUMP_FILES.values():  # what a crash left of a dump being written
        remove_stale_temporaries(directory, name)
    log = _open_log(directory)
    loop = asyncio.get_running_loop()
    server = LicenseServer(directory, period, log, secret=secret)
    try:
        sock = _bind(address, port)
    except OSError as exc:
        log.error("cannot listen on %s:%s: %s", address, port, exc)
        print(
            f"cacheshell license-server: cannot listen on {address}:{port}: {exc}", file=sys.stderr
        )
        return 1
    transport, _ = await loop.create_datagram_endpoint(lambda: _Endpoint(server, sock), sock=sock)
    bound = transport.get_extra_info("sockname")
    server.label = f"{bound[0]}:{bound[1]}"
    log.info(
        "listening on %s, directory %s, period %ss, idle exit %ss (pid %d)",
        server.label,
        directory,
        period,
        idle_exit,
        os.getpid(),
    )
    pid_files = write_pid_files(directory, bound[0], bound[1])
    print(
        f"cacheshell license server listening on {server.label}, directory {directory}", flush=True
    )
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    if exit_when_unused:
        server.on_unused = stop.set
    idle_since = loop.time()
    try:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), min(period, 1.0))
            except TimeoutError:
                pass
            server.tick()
            if server.accounting.live_instances():
                idle_since = loop.time()
            elif idle_exit > 0 and loop.time() - idle_since >= idle_exit:
                log.info("no instance for %ss: stopping", idle_exit)
                break
    finally:
        if server.unused and exit_when_unused:
            log.info("the last instance signed off: stopping")
        for path in pid_files:
            path.unlink(missing_ok=True)
        transport.close()
        log.info("stopped; counters: %s", dict(server.counters + server.accounting.counters))
        for handler in list(log.handlers):
            handler.close()
            log.removeHandler(handler)
    return 0


def pid_file_name(port: int) -> str:
    return f"licenseserver-{port}.pid"


def write_pid_files(directory: Path, address: str, port: int) -> list[Path]:
    """DIR/licenseserver-PORT.pid, and the same in <CACHESHELL_HOME>/run/ so that the training
    world finds the process serving a configured address and port. Each holds one line:
    "pid address port directory"."""
    line = f"{os.getpid()} {address} {port} {directory.resolve()}\n"
    written = []
    for folder in (directory, cacheshell_home() / "run"):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / pid_file_name(port)
            path.write_text(line, encoding="utf-8")
            written.append(path)
        except OSError:
            continue
    return written


def find_server_pid(address: str, port: int) -> int | None:
    """The pid of the live license server of this host serving address:port, from the pid
    files in <CACHESHELL_HOME>/run/ (only a process that is a license server counts)."""
    path = cacheshell_home() / "run" / pid_file_name(port)
    try:
        pid_text, bound, _port, _directory = path.read_text(encoding="utf-8").split(" ", 3)
        pid = int(pid_text)
    except (OSError, ValueError):
        return None
    if not _same_address(address, bound):
        return None
    return pid if b"license-server" in command_words(pid) else None


def _same_address(configured: str, bound: str) -> bool:
    if configured == bound or bound in ("0.0.0.0", "::"):
        return True
    try:
        return socket.gethostbyname(configured) == socket.gethostbyname(bound)
    except OSError:
        return False


def _bind(address: str, port: int) -> socket.socket:
    family, _, _, _, where = socket.getaddrinfo(address, port, type=socket.SOCK_DGRAM)[0]
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        try:  # room for a burst of updates from many instances at once
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        except OSError:
            pass
        sock.bind(where)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def _open_log(directory: Path) -> logging.Logger:
    log = logging.getLogger(f"cacheshell.licserver.{directory}")
    log.setLevel(logging.INFO)
    log.propagate = False
    handler = logging.FileHandler(directory / LOG_FILE, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    return log


def start_detached(
    address: str,
    port: int,
    directory: Path | str,
    period: float = DEFAULT_PERIOD,
    idle_exit: float = DEFAULT_IDLE_EXIT,
    exit_when_unused: bool = False,
    secret_file: Path | None = None,
) -> int:
    """Start a license server detached from this process, as an instance does; its pid."""
    directory = Path(directory).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "cacheshell",
        "license-server",
        "--address",
        address,
        "--port",
        str(port),
        "--dir",
        str(directory),
        "--period",
        str(period),
        "--idle-exit",
        str(idle_exit),
        *(["--exit-when-unused"] if exit_when_unused else []),
        *(["--secret-file", str(Path(secret_file).resolve())] if secret_file else []),
    ]
    return spawn_detached(command, cwd=directory)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cacheshell license-server", description="Run a license server (a UDP daemon)."
    )
    parser.add_argument(
        "--address",
        default=DEFAULT_ADDRESS,
        help=f"address to listen on (default {DEFAULT_ADDRESS})",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"UDP port (default {DEFAULT_PORT}; 0 picks a free one)",
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="directory for the log and the dump files (default <CACHESHELL_HOME>/licenseserver)",
    )
    parser.add_argument(
        "--period",
        type=float,
        default=DEFAULT_PERIOD,
        help=f"update period in seconds (default {DEFAULT_PERIOD:g})",
    )
    parser.add_argument(
        "--idle-exit",
        type=float,
        default=DEFAULT_IDLE_EXIT,
        help="stop after this many seconds with no instance "
        f"(default {DEFAULT_IDLE_EXIT:g}; 0 never)",
    )
    parser.add_argument(
        "--exit-when-unused",
        action="store_true",
        help="stop as soon as the last instance served signs off (as a server an instance "
        "started does)",
    )
    parser.add_argument(
        "--secret-file",
        type=Path,
        default=None,
        help="the license domain secret, which must exist (default "
        "<CACHESHELL_HOME>/license-server.secret, made on first need)",
    )
    return parser


def main(argv: list[str]) -> int:
    """`cacheshell license-server [options]` (argv without the sub-command word)."""
    args = build_parser().parse_args(argv)
    if not 0 <= args.port <= 65535:
        print(f"cacheshell license-server: --port {args.port} is not a UDP port", file=sys.stderr)
        return 2
    if args.period <= 0:
        print("cacheshell license-server: --period must be positive", file=sys.stderr)
        return 2
    directory = args.dir if args.dir is not None else cacheshell_home() / "licenseserver"
    try:
        secret = (
            read_secret(args.secret_file)
            if args.secret_file is not None
            else home_secret(cacheshell_home())
        )
    except SecretFileError as exc:
        print(f"cacheshell license-server: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(
        serve(
            args.address,
            args.port,
            directory,
            args.period,
            args.idle_exit,
            args.exit_when_unused,
            secret=secret,
        )
    )


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
