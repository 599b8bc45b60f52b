"""Training: a network partition rehearsed without touching the network. While
DIR/partition-<INSTANCE> exists in the server's directory, the server ignores that instance's
datagrams (the training world writes and removes the markers)."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from cacheshell.system.licserver.protocol import InstanceId, Message, Ping

PARTITION_PREFIX = "partition-"
PARTITION_SCAN = 0.1  # seconds between two reads of the markers


class Partitions:
    """The instances one server holds partitioned off, read again from its directory's markers
    at most every PARTITION_SCAN seconds."""

    def __init__(self, directory: Path, log: logging.Logger) -> None:
        self.directory = directory
        self.log = log
        self.names: set[str] = set()
        self._scanned = -PARTITION_SCAN

    def cut_off(self, msg: Message) -> bool:
        """Whether a datagram comes from an instance held partitioned off."""
        self._scan()
        if not self.names:
            return False
        if isinstance(msg, Ping):
            name = msg.instance
        else:
            sender = getattr(msg, "instance", None)
            name = sender.name if isinstance(sender, InstanceId) else ""
        return bool(name) and name.upper() in self.names

    def _scan(self) -> None:
        """Read the markers (real time: markers are files, whatever clock the accounting runs
        on)."""
        now = time.monotonic()
        if now - self._scanned < PARTITION_SCAN:
            return
        self._scanned = now
        try:
            found = {
                path.name[len(PARTITION_PREFIX) :].upper()
                for path in self.directory.glob(PARTITION_PREFIX + "*")
            }
        except OSError:
            found = set()
        if found != self.names:
            for name in sorted(found - self.names):
                self.log.info("training: instance %s is partitioned off (ignored)", name)
            for name in sorted(self.names - found):
                self.log.info("training: instance %s is heard again", name)
            self.names = found
