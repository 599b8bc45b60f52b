"""The choice of active license server in time (simulated clock): the silence limit counted from
the last answer, and the server to take over probed ahead while the active one is silent.

The guide says only that "the other servers are available to take over should the active
server fail" (licensing-guide.txt, configuring license servers; also
https://docs.intersystems.com/latest/csp/docbook/DocBook.UI.Page.cls?KEY=RCPF_LICENSESERVERS_N);
the configured order and the FAILOVER_PERIODS limit are this model's rule.
"""

from __future__ import annotations

import pytest

from cacheshell.system.clock import ManualClock
from cacheshell.system.licserver.active import FAILOVER_PERIODS, SWITCH_ALLOWANCE, ActiveServer

PERIOD = 1.0


class Servers:
    """Which servers answer, and every probe made, in order."""

    def __init__(self, *up: str) -> None:
        self.up = set(up)
        self.probed: list[str] = []

    def probe(self, server: str) -> bool:
        self.probed.append(server)
        return server in self.up


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1000.0)


@pytest.mark.parametrize(
    ("waited", "left"),
    [(0.0, 1.95), (0.5, 1.45), (1.9, 0.05), (1.95, 0.0), (2.0, 0.0), (3.0, 0.0)],
)
def test_the_silence_left_counts_from_the_last_answer(
    clock: ManualClock, waited: float, left: float
) -> None:
    choice = ActiveServer(["S1", "S2"], PERIOD, Servers("S1", "S2").probe, clock.now)
    choice.select()
    choice.answered()
    clock.advance(waited * PERIOD)
    assert choice.silence_left() == pytest.approx(left * PERIOD)


def _silent_since_answer(clock: ManualClock, waited: float) -> ActiveServer:
    """S1 active and answered, then silent for `waited` periods; S2 answers."""
    servers = Servers("S1", "S2")
    choice = ActiveServer(["S1", "S2"], PERIOD, servers.probe, clock.now)
    choice.select()
    choice.answered()
    servers.up.discard("S1")
    clock.advance(waited * PERIOD)
    return choice


# The switch lands within FAILOVER_PERIODS of the last answer: the silent server is given up
# SWITCH_ALLOWANCE (0.05 of a period) ahead of that limit, never earlier.
@pytest.mark.parametrize(
    ("waited", "active"),
    [
        (FAILOVER_PERIODS - SWITCH_ALLOWANCE - 0.001, 0),
        (FAILOVER_PERIODS - SWITCH_ALLOWANCE, 1),
        (FAILOVER_PERIODS, 1),
    ],
)
def test_the_silent_server_is_given_up_a_switch_allowance_before_the_limit(
    clock: ManualClock, waited: float, active: int
) -> None:
    assert _silent_since_answer(clock, waited).select()[0] == active


def test_with_no_active_server_no_silence_is_counted(clock: ManualClock) -> None:
    choice = ActiveServer(["S1"], PERIOD, Servers().probe, clock.now)
    assert (choice.select(), choice.silence_left()) == ((None, False), None)


@pytest.mark.parametrize(
    ("up", "standby"),
    [
        (("S2", "S3"), 1),  # the next in configured order, not any that answers
        (("S3",), 2),
        ((), None),
    ],
)
def test_the_standby_is_the_first_server_after_the_active_one_that_answers(
    clock: ManualClock, up: tuple[str, ...], standby: int | None
) -> None:
    servers = Servers("S1", *up)
    choice = ActiveServer(["S1", "S2", "S3"], PERIOD, servers.probe, clock.now)
    choice.select()
    servers.up.discard("S1")
    servers.probed.clear()
    assert choice.standby() == standby


def test_at_the_limit_the_standby_takes_over_without_probing_the_silent_ones_again(
    clock: ManualClock,
) -> None:
    servers = Servers("S1", "S3")
    choice = ActiveServer(["S1", "S2", "S3"], PERIOD, servers.probe, clock.now)
    choice.select()
    choice.answered()
    servers.up.discard("S1")
    clock.advance(PERIOD)
    assert choice.standby() == 2
    clock.advance((FAILOVER_PERIODS - 1) * PERIOD)
    servers.probed.clear()
    assert (choice.select(), servers.probed) == ((2, True), ["S3"])


def test_a_standby_gone_silent_too_leaves_the_others_asked_in_configured_order(
    clock: ManualClock,
) -> None:
    servers = Servers("S1", "S2", "S3", "S4")
    choice = ActiveServer(["S1", "S2", "S3", "S4"], PERIOD, servers.probe, clock.now)
    choice.select()
    choice.answered()
    servers.up -= {"S1", "S3"}
    assert choice.standby() == 1
    servers.up.discard("S2")
    servers.up.add("S3")
    clock.advance(FAILOVER_PERIODS * PERIOD)
    servers.probed.clear()
    assert (choice.select(), servers.probed) == ((2, True), ["S2", "S3"])


def test_an_answer_forgets_the_standby(clock: ManualClock) -> None:
    servers = Servers("S1", "S2", "S3")
    choice = ActiveServer(["S1", "S2", "S3"], PERIOD, servers.probe, clock.now)
    choice.select()
    choice.answered()
    servers.up.discard("S2")
    assert choice.standby() == 2
    choice.answered()  # the active one was only slow
    servers.up.add("S2")
    servers.up.discard("S1")
    clock.advance(FAILOVER_PERIODS * PERIOD)
    servers.probed.clear()
    assert (choice.select(), servers.probed) == ((1, True), ["S2"])
