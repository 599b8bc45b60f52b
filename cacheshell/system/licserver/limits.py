"""How much the license server keeps and answers, each limit with the reason for its value.

Anyone who can reach the server's port can send it datagrams, and anyone holding the training
issuer can mint keys it will serve: without these bounds a flood of partial updates, fake
instances or keys grows it without end. A datagram over a limit changes no state; it is counted
under the name given here and summarised in the log once per period (server.py).

The figures the values must leave room for: benchmarks/license_server.py serves 1,000 instances
x 100 users on one 999,999-unit key, and the server is sized for 10,000 instances x 100 users.
"""

from __future__ import annotations

# --- per key ---------------------------------------------------------------------------------

# Distinct user IDs of a key: its capacity plus a slack. Each instance admits users against its
# own local view of the key, and the server's NAK reaches them within a period, so the union of
# the IDs they hold can pass the capacity by what they admit in that period; a quarter of the
# capacity (at least 64 IDs, for small keys) is more than a period of logins. A key beyond that
# is not use that lag explains: the update is answered NAK with a reason and the key stays NAK
# for every instance while such reports keep coming (999,999 units: 1,249,998 IDs, room for
# 10,000 x 100). Source: "It is possible to exceed the license limit temporarily because login
# is controlled locally, but the license server enforces the limit" (spec, licensing guide;
# docs.intersystems.com KEY=GSA_license_config: each instance keeps an independent local view).
USER_SLACK_FLOOR = 64
USER_SLACK_DIVISOR = 4
OVER_USERS = "over_users"

# Instances of a key: one per unit of capacity, at least 64 (an instance with no user takes no
# unit, so a small key may well be installed on a few dozen standby or test instances) and at
# most 16,384 (the 10,000-instance fleet the server is sized for, with room to spare). A new
# instance beyond it is answered NAK with a reason and is not recorded; the ones served go on.
INSTANCES_FLOOR = 64
INSTANCES_CEILING = 16_384
OVER_INSTANCES = "over_instances"

# --- per server ------------------------------------------------------------------------------

# Keys served: a site has a handful; 512 leaves room for a training world minting one per
# exercise. Beyond it a new key is refused (REFUSED, before its signature is even checked), and
# the keys already served keep working. About 6 KB each: some 3 MB at the limit.
MAX_KEYS = 512
OVER_KEYS = "over_keys"

# Datagrams of multi-part updates held until their last part comes (each at most 1,400 bytes,
# some 3 KB decoded). Per key 2,048: a full report of 1,000 instances at once (after a failover)
# is two or three parts each, and each instance's parts come back to back. Per source address
# 512: two updates of the most parts the wire allows (255), so one host cannot take a key's
# room. Per server 8,192 (about 25 MB): the sum over keys must be bounded too. A first part over
# any of them is dropped unanswered (the instance retries within its period); what is held is
# dropped after one server period.
PARTS_PER_KEY = 2_048
PARTS_PER_SOURCE = 512
PARTS_PER_SERVER = 8_192
PARTIAL_LIMIT = "partial_limit"

# Updates one instance (key, place) may start per server period. A monitor sends one each of
# its periods (three at most when the server asks for a full report or the key again); 1,000
# still lets an instance whose period is much shorter than the server's report every time,
# while a place flooding updates gets at most 1,000 per period: about 0.3% of what the server
# answers in a 15 s period (about 20,000 updates/s measured). Further updates are dropped
# unanswered.
UPDATES_PER_PERIOD = 1_000
RATE_LIMITED = "rate_limited"

# Answers to work that proves nothing (NEEDKEY to an unknown key, REFUSED to a key registration,
# PONG to a ping) per source address per server period. Such a request may carry a forged
# source address, so the answers would be a flood aimed at someone else; 256 covers a host of
# many instances all meeting a restarted server at once. The table of sources is emptied every
# period and holds at most SOURCES_TRACKED addresses; a new address beyond that waits for the
# next period.
ANSWERS_PER_SOURCE = 256
SOURCES_TRACKED = 65_536
UNANSWERED = "unanswered"

# The longest update period an instance may claim, in server periods. Instances report in their
# own period (LicenseUpdatePeriod, changeable on a running instance) and a server started with
# one period serves instances configured with another, so a claimed period longer than the
# server's is honoured, but only up to this many of them: silence expires an instance within
# MISSED_PERIODS x this many server periods (3 minutes at 15 s), whatever it claims.
CLAIMED_PERIODS_CEILING = 4

# The replay book keeps a sender's last sequence number while its instance lives and this many
# server periods after it was last heard. The epoch of each server start keeps datagrams of an
# earlier run out; within a run this outlives an instance's expiry (MISSED_PERIODS), so an
# expired instance's captured update cannot bring it back while anyone would notice.
BOOK_PERIODS = 4

# A dump of every key or every instance (dumpkeys, dumpservers) is written again at most once
# per this many server periods, however many ask: at the limits above it can be megabytes. A
# request in between is answered with the file as last written, its heading saying for whom
# and when; the figures in it change no faster than instances report anyway.
DUMP_ALL_PERIODS = 1


def user_limit(capacity: int) -> int:
    """The distinct user IDs a key of `capacity` units may have in use across its instances."""
    return capacity + max(USER_SLACK_FLOOR, capacity // USER_SLACK_DIVISOR)


def instance_limit(capacity: int) -> int:
    """The instances a key of `capacity` units may be in use on at once."""
    return min(max(capacity, INSTANCES_FLOOR), INSTANCES_CEILING)
