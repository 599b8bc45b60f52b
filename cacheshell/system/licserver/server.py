"""The license server's logic over bytes: a datagram in, the datagrams to send back out, and
the report files it writes on request. The asyncio daemon (daemon.py) only moves the bytes.

Each start draws a new epoch: requests of another one are refused as stale and answered with an
EPOCH notice only. An instance boot is served under a key once it registered that key in this
epoch, and the reports that span keys show it only the keys it registered.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from cacheshell.system.keys import read_key
from cacheshell.system.layout import cacheshell_home
from cacheshell.system.licserver.accounting import MISSED_PERIODS, Accounting, key_info
from cacheshell.system.licserver.drops import Drops, source_host
from cacheshell.system.licserver.limits import (
    MAX_KEYS,
    OVER_KEYS,
)
from cacheshell.system.licserver.partitions import PARTITION_PREFIX as PARTITION_PREFIX
from cacheshell.system.licserver.partitions import Partitions
from cacheshell.system.licserver.pool import NAK, Place, Verdict
from cacheshell.system.licserver.protocol import (
    GOODBYE_COUNT,
    GOODBYE_REPORT,
    NO_EPOCH,
    Answer,
    DomainKeys,
    EpochNotice,
    ForgedDatagram,
    Goodbye,
    InstanceId,
    KeyRegistration,
    Message,
    NeedKey,
    Ping,
    Pong,
    ProtocolError,
    Query,
    Reply,
    UnknownVersion,
    Update,
    decode,
    encode,
    encode_answer,
    new_epoch,
)
from cacheshell.system.licserver.queries import DUMP_FILES as DUMP_FILES
from cacheshell.system.licserver.queries import Queries
from cacheshell.system.signing import trusted_public_keys, verify

SERVER_VERSION = "cacheshell-1"
# Refused keys are remembered (not verified again) up to this many.
REFUSALS_KEPT = 1024
# The instance boots whose registered keys are remembered, at most. Registering takes no room
# under a key's instance limit, so a holder of the domain secret can fill this table from fake
# places: the one forgotten for a newcomer is the oldest that no key it registered serves (it
# registered and never reported), looked for among the HOLDERS_SCANNED oldest; only when all of
# those are served is the oldest forgotten. A holder forgotten registers again when asked to.
HOLDERS_KEPT = 65536
HOLDERS_SCANNED = 16
# Instances expiring at one tick are named one by one up to this many, then only counted.
EXPIRIES_LOGGED = 10


class LicenseServer:
    """The server's logic over bytes in and bytes out; the asyncio endpoint only moves them."""

    def __init__(
        self,
        directory: Path,
        period: float,
        log: logging.Logger,
        *,
        secret: bytes,
        now: Callable[[], float] = time.monotonic,
        trusted: list[Ed25519PublicKey] | None = None,
        label: str = "",
    ) -> None:
        self.directory = directory
        self.keys = DomainKeys.from_secret(secret)
        self.epoch = new_epoch()
        self.log = log
        self.now = now
        self.accounting = Accounting(now, period)
        self.counters: Counter[str] = Counter()
        self.drops = Drops(self.counters, self.accounting, log, now)
        self.trusted = trusted if trusted is not None else trusted_public_keys(cacheshell_home())
        # The keys each place registered in this epoch, for the boot that registered them.
        self._holders: dict[Place, tuple[str, set[bytes]]] = {}
        self._refused: dict[bytes, str] = {}
        self._status: dict[bytes, str] = {}
        # The last instance served signed off (a goodbye, not an expiry): nobody needs it now.
        self.unused = False
        self.on_unused: Callable[[], None] | None = None  # told at once when it becomes unused
        self.partitions = Partitions(directory, log)  # training
        self.queries = Queries(
            self.accounting, directory, label, log, now, self.counters, self._held_keys, self._stats
        )

    @property
    def label(self) -> str:
        """What the dump files name the server by: its address and port once bound."""
        return self.queries.label

    @label.setter
    def label(self, label: str) -> None:
        self.queries.label = label

    # --- datagrams --------------------------------------------------------------------------

    def handle(self, data: bytes, source: object = None) -> list[bytes]:
        """The datagrams to send back to the source of `data` (none for what is dropped)."""
        self.counters["received"] += 1
        try:
            # orjson reads a full report's body in well under half of json's time, into the
            # same objects for every body the field checks take. It also refuses a lone
            # surrogate escape (text no answer or report could carry back out) and a number
            # beyond a double's range (json's infinity, which no field check takes).
            epoch, msg = decode(data, self.keys, orjson.loads)
        except ForgedDatagram as exc:
            self.drops.drop("forged", source, exc)
            return []
        except UnknownVersion as exc:
            self.drops.drop("version", source, exc)
            return []
        except ProtocolError as exc:
            self.drops.drop("malformed", source, exc)
            return []
        if self.partitions.cut_off(msg):
            self.counters["partitioned"] += 1
            return []
        if isinstance(msg, Ping):
            if not self.drops.may_answer(source):
                return []
            return [self._encode(Pong(msg.nonce, SERVER_VERSION))]
        if epoch != self.epoch:
            return self._stale(msg, epoch, source)
        return self._dispatch(msg, source)

    def _encode(self, msg: Message) -> bytes:
        return encode(msg, self.keys, self.epoch)

    def _stale(self, msg: Message, epoch: bytes, source: object) -> list[bytes]:
        """A request of another epoch (before a restart, or meant for another server): refused,
        and answered only with this epoch, so that a live sender registers and reports again."""
        if not isinstance(msg, KeyRegistration | Update | Query | Goodbye):
            self.drops.drop("unexpected", source, f"{type(msg).__name__} sent to a server")
            return []
        if epoch == NO_EPOCH:
            # A first contact: every instance starting sends one. Counted apart from "stale",
            # which the log summarises: a warning per instance start would be noise.
            self.counters["first_contact"] += 1
        else:
            self.drops.drop("stale", source, f"{msg.kind.name} of another epoch")
        if not self.drops.may_answer(source):
            return []
        return [self._encode(EpochNotice(msg.key_id, msg.seq, msg.instance))]

    def _holds(self, msg: Update | Query | Goodbye) -> bool:
        """Whether the sending boot registered the request's key in this epoch."""
        held = self._holders.get(msg.instance.place)
        return (
            held is not None
            and held[0] == msg.instance.boot
            and msg.key_id in held[1]
            and self.accounting.knows(msg.key_id)
        )

    def _held_keys(self, who: InstanceId) -> set[bytes]:
        held = self._holders.get(who.place)
        return held[1] if held is not None and held[0] == who.boot else set()

    def _note_holder(self, msg: KeyRegistration) -> None:
        place, boot = msg.instance.place, msg.instance.boot
        held = self._holders.get(place)
        if held is None or held[0] != boot:
            if held is None and len(self._holders) >= HOLDERS_KEPT:
                self._holders.pop(self._forgettable())
            held = self._holders[place] = (boot, set())
        held[1].add(msg.key_id)

    def _forgettable(self) -> Place:
        """The holder to forget for a new one (see HOLDERS_KEPT). The served ones looked at go
        to the back, so the next look starts past them."""
        holders, pools = self._holders, self.accounting.pools
        for _ in range(min(len(holders), HOLDERS_SCANNED)):
            place = next(iter(holders))
            if not any(key in pools and place in pools[key].instances for key in holders[place][1]):
                return place
            holders[place] = holders.pop(place)
        return next(iter(holders))

    def _dispatch(self, msg: Message, source: object) -> list[bytes]:
        if type(msg) is Update and self._holds(msg):  # nearly every datagram: first
            verdict = self.accounting.update(msg, source_host(source))
            return [] if verdict is None else [self._answer(msg, verdict)]
        if isinstance(msg, Update | Query | Goodbye) and not self._holds(msg):
            # Normal on first contact with this epoch: the sender registers the key first.
            self.counters["unknown_key"] += 1
            if not self.drops.may_answer(source):
                return []
            return [self._encode(NeedKey(msg.key_id, msg.seq))]
        if isinstance(msg, KeyRegistration):
            return self._register(msg, source)
        if isinstance(msg, Query):
            if not self.accounting.fresh(msg.key_id, msg.instance, msg.seq):
                return []
            return [self._encode(self.queries.reply(msg))]
        if isinstance(msg, Goodbye):
            return self._goodbye(msg)
        self.drops.drop("unexpected", source, f"{type(msg).__name__} sent to a server")
        return []

    def _register(self, msg: KeyRegistration, source: object) -> list[bytes]:
        key = read_key(msg.key_text)  # decode() already read it: this cannot fail
        reason = self._refused.get(msg.key_id)
        kind = "refused"
        if reason is None and not self.accounting.knows(msg.key_id):
            if len(self.accounting.pools) >= MAX_KEYS:
                # Checked first: the signature check is the costly part of a registration.
                kind = OVER_KEYS
                reason = f"the license server serves its limit of {MAX_KEYS} keys"
            elif not verify(key.file, self.trusted):
                reason = "the key's signature is not valid or its issuer is not trusted"
            elif not key.is_multiserver:
                reason = "a Single-server key is not shared: only Multiserver keys are"
            if kind == OVER_KEYS:
                pass  # not kept: a key served may go away and make room (a restart)
            elif reason is not None:
                if len(self._refused) >= REFUSALS_KEPT:  # anyone may mint refusable keys
                    self._refused.pop(next(iter(self._refused)))
                self._refused[msg.key_id] = reason
            else:
                self.accounting.add_key(key_info(key))
                self.log.info(
                    "serving key OrderNumber %s (%d units), registered by %s/%s",
                    key.file.order_number,
                    key.units,
                    msg.instance.host,
                    msg.instance.name,
                )
        if reason is not None:
            self.drops.drop(
                kind,
                source,
                f"key OrderNumber {key.file.order_number} registered by "
                f"{msg.instance.host}/{msg.instance.name}: {reason}",
            )
            if not self.drops.may_answer(source):
                return []
            refusal = Answer(
                msg.key_id, msg.seq, msg.instance, "REFUSED", 0, key.units, 0, 0, reason=reason
            )
            return [self._encode(refusal)]
        if not self.accounting.fresh(msg.key_id, msg.instance, msg.seq):
            return []
        self._note_holder(msg)
        return [self._answer(msg, self.accounting.verdict(msg.key_id))]

    def _answer(self, msg: Update | KeyRegistration, verdict: Verdict) -> bytes:
        self.counters[verdict.status.lower()] += 1
        before = self._status.get(msg.key_id)
        # A NAK with a reason answers one instance over a limit: not a change of the key's status.
        if verdict.status in ("ACK", "NAK") and verdict.status != before and not verdict.reason:
            self._status[msg.key_id] = verdict.status
            if before is not None or verdict.status == NAK:
                self.log.info(
                    "key %s: %s, %d units in use of %d",
                    self.accounting.pools[msg.key_id].info.order_number,
                    verdict.status,
                    verdict.combined,
                    verdict.authorized,
                )
        request = (msg.key_id, msg.seq, msg.instance)
        counts = (
            verdict.status,
            verdict.combined,
            verdict.authorized,
            verdict.maximum,
            verdict.instance_count,
        )
        listed = verdict.instances
        while True:
            try:
                return encode_answer(self.keys, self.epoch, request, counts, listed, verdict.reason)
            except ProtocolError:
                listed = listed[: len(listed) // 2]  # long names: list fewer of them

    def _goodbye(self, msg: Goodbye) -> list[bytes]:
        left = self.accounting.goodbye(msg.key_id, msg.instance, msg.seq)
        if left is None:
            return []
        remaining = self.accounting.live_instances()
        self.unused = remaining == 0
        if self.unused and self.on_unused is not None:
            self.on_unused()  # the reply below still goes out: the stop comes after
        for info in left:
            self.log.info(
                "instance %s/%s of key %s said goodbye; %d instances left",
                msg.instance.host,
                msg.instance.name,
                info.order_number,
                remaining,
            )
        reply = Reply(
            msg.key_id,
            msg.seq,
            msg.instance,
            GOODBYE_REPORT,
            0,
            None,
            0,
            values=((GOODBYE_COUNT, remaining),),
        )
        return [self._encode(reply)]

    def _stats(self) -> dict[str, str | int]:
        """The stats report: every counter, and the sizes of what the server holds."""
        return {
            **self.counters,
            **self.accounting.counters,
            "keys": len(self.accounting.pools),
            "instances": self.accounting.live_instances(),
            "parts_held": self.accounting.parts_held(),
            "senders_remembered": self.accounting.senders_remembered(),
            "holders": len(self._holders),
        }

    # --- time -------------------------------------------------------------------------------

    def tick(self) -> None:
        """Expire silent instances and stale snapshots; once a period, log what was dropped."""
        expired = self.accounting.expire()
        for info, (address, name, _identity) in expired[:EXPIRIES_LOGGED]:
            self.log.info(
                "instance %s/%s of key %s expired: no update for %d periods",
                address,
                name,
                info.order_number,
                MISSED_PERIODS,
            )
        if len(expired) > EXPIRIES_LOGGED:
            self.log.info(
                "%d more instances expired: no update for %d periods",
                len(expired) - EXPIRIES_LOGGED,
                MISSED_PERIODS,
            )
        self.queries.forget_stale()
        self.drops.tick()
