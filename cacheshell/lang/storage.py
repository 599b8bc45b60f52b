"""A process's memory budget: $ZSTORAGE (the most it may hold, in KB) and what its local
variables and process-private globals hold now ($STORAGE is what remains, in bytes).

Caché ObjectScript Reference, $ZSTORAGE (KEY=RCOS_VZSTORAGE): in kilobytes, default 262144,
at least 128 and at most 2147483647 (a value outside is taken as the nearer bound), fractions
truncated; going past it is <STORE>. Caché keeps long strings outside this budget (General
System Limits, KEY=GORIENT_appx_limits); here every string a variable holds counts, since they
all share this one process's memory.

Sizes are charged as values are set and released as they are killed, never found by a scan.
They are the bytes this process spends: a node of an array, a name, a string's own size.
"""

from __future__ import annotations

from sys import getsizeof

from cacheshell.lang.errors import ObjectScriptError

DEFAULT_KB = 262_144
MIN_KB = 128
MAX_KB = 2_147_483_647

# What one array node costs besides its value: the node, its children table, its subscript
# and its entry in the parent's table and collation order.
NODE_BYTES = 240
# A local name's entry in the symbol table.
NAME_BYTES = 64
# A string no longer than this, set by a name written in the code, is held within that name's
# cost: such names are as many as the code is long. A longer one is charged by its size.
SHORT_STRING = 256
# Low-memory mode: how far past the budget a process that had a <STORE> may go, and how much
# it must have free again to leave that mode.
LOW_MEMORY_BYTES = 1024 * 1024
NORMAL_AGAIN_BYTES = 256 * 1024


def value_bytes(value: object) -> int:
    """What holding `value` costs: its own size (a number, a string, an object reference)."""
    return getsizeof(value)


class Storage:
    """Bytes charged against the budget; `charge` refuses what would pass it.

    After a <STORE> the process is in low-memory mode: it may go up to LOW_MEMORY_BYTES past the
    budget, so that it can still handle the error and clean up; once it has given back enough
    (256 KB, or a quarter of the budget if less) it is back in normal mode (Caché Specialized
    System Tools and Utilities, Process Memory, KEY=AVMEM)."""

    __slots__ = ("limit", "used", "low")

    def __init__(self, kb: int = DEFAULT_KB) -> None:
        self.limit = kb * 1024
        self.used = 0
        self.low = False

    @property
    def kb(self) -> int:
        """$ZSTORAGE."""
        return self.limit // 1024

    def set_kb(self, kb: int) -> None:
        """SET $ZSTORAGE=kb: taken as the nearer bound when outside them."""
        self.limit = min(max(kb, MIN_KB), MAX_KB) * 1024

    def available(self, extra: int = 0) -> int:
        """$STORAGE: bytes left, `extra` being charges the caller keeps itself."""
        return self.limit - self.used - extra

    def charge(self, delta: int, extra: int = 0) -> None:
        """Add `delta` bytes (negative: release them); <STORE> leaves everything as it was."""
        if delta < 0:
            self.release(-delta, extra)
            return
        over = self.used + delta + extra - self.limit
        if over > 0 and (not self.low or over > LOW_MEMORY_BYTES):
            self.low = True
            raise ObjectScriptError("STORE")
        self.used += delta

    def release(self, size: int, extra: int = 0) -> None:
        self.used -= size
        if self.low and self.limit - self.used - extra >= min(NORMAL_AGAIN_BYTES, self.limit // 4):
            self.low = False
