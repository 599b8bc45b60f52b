"""Reading /proc/locks: which process holds a byte of a file."""

from __future__ import annotations

import pytest

from cacheshell.system.lock_holder import FileLock, holder_pid, parse_locks

# As this machine's kernel prints it while one process is inside BEGIN IMMEDIATE on a WAL
# database (fe:00:2179090 its cache.db-shm), with a waiter, an flock, an OFD lock, a lease and a
# lock on a file the kernel cannot name added around it.
PROC_LOCKS = """\
1: POSIX  ADVISORY  WRITE 27398 fe:00:2179090 120 120
1: -> POSIX  ADVISORY  WRITE 30001 fe:00:2179090 120 120
2: POSIX  ADVISORY  READ 27398 fe:00:2179090 124 124
3: POSIX  ADVISORY  READ 27398 fe:00:2179090 128 128
4: POSIX  ADVISORY  READ 27398 fe:00:2179088 1073741826 1073742335
5: FLOCK  ADVISORY  WRITE 812 00:1a:4410 0 EOF
6: OFDLCK ADVISORY  WRITE -1 fe:00:2179090 121 121
7: LEASE  ACTIVE    READ 901 00:1a:77 0 EOF
8: POSIX  ADVISORY  WRITE 0 fe:00:555 0 EOF
9: POSIX  ADVISORY  WRITE 4242 103:1f:2179090 100 EOF
10: POSIX  ADVISORY  WRITE 77 <none>:0 0 EOF
"""


def test_the_granted_posix_locks_are_read_and_the_rest_left_out() -> None:
    assert parse_locks(PROC_LOCKS) == [
        FileLock(27398, (0xFE, 0), 2179090, 120, 120),
        FileLock(27398, (0xFE, 0), 2179090, 124, 124),
        FileLock(27398, (0xFE, 0), 2179090, 128, 128),
        FileLock(27398, (0xFE, 0), 2179088, 1073741826, 1073742335),
        FileLock(0, (0xFE, 0), 555, 0, None),
        FileLock(4242, (0x103, 0x1F), 2179090, 100, None),
    ]


@pytest.mark.parametrize(
    ("device", "inode", "offset", "pid"),
    [
        ((0xFE, 0), 2179090, 120, 27398),  # the WAL write lock
        ((0xFE, 0), 2179090, 128, 27398),  # a reader's lock
        ((0xFE, 0), 2179090, 121, None),  # only an OFD lock, which names no process
        ((0xFE, 0), 2179090, 125, None),  # between two locks
        ((0xFE, 0), 2179088, 120, None),  # another file on the same device
        ((0x103, 0x1F), 2179090, 10**9, 4242),  # a lock to the end of the file
        ((0x103, 0x1F), 2179090, 99, None),
        ((0xFE, 0), 555, 0, None),  # a holder in another pid namespace shows as 0
    ],
)
def test_the_holder_is_the_lock_on_that_byte_of_that_file(
    device: tuple[int, int], inode: int, offset: int, pid: int | None
) -> None:
    assert holder_pid(PROC_LOCKS, device, inode, offset) == pid
