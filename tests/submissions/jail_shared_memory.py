"""Memory a learner's code might hold outside its address space, each way tried until refused
(at most `CAP` MiB each, so that a hole costs the test machine little): in-memory files (memfd),
System V shared memory segments, files in /dev/shm and in /tmp. `hold()` keeps what it got and
returns the MiB held each way."""

import ctypes
import mmap
import os

MIB = 2**20
CAP = 512
CHUNK = b"x" * MIB
_held = []


def _fill(fd, mib):
    for _ in range(mib):
        os.write(fd, CHUNK)


def _memfds():
    held = 0
    while held < CAP:
        try:
            fd = os.memfd_create("hold")
            _held.append(fd)
            _fill(fd, 64)
        except OSError:
            break
        held += 64
    return held


def _segments():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmat.restype = ctypes.c_void_p
    held = 0
    while held < CAP:
        segment = libc.shmget(0, 64 * MIB, 0o1600)  # IPC_PRIVATE, IPC_CREAT, rw
        if segment < 0:
            break
        address = libc.shmat(segment, None, 0)
        if address in (None, ctypes.c_void_p(-1).value):
            break
        ctypes.memset(address, 1, 64 * MIB)
        libc.shmdt(ctypes.c_void_p(address))  # the segment keeps its pages after the mapping goes
        held += 64
    return held


def _files(folder):
    held = 0
    while held < CAP:
        try:
            fd = os.open(os.path.join(folder, f"hold{held}"), os.O_CREAT | os.O_WRONLY, 0o600)
            _held.append(fd)
            _fill(fd, 64)
        except OSError:
            break
        held += 64
    return held


def hold():
    return {"memfd": _memfds(), "sysv": _segments(), "/dev/shm": _files("/dev/shm"), "/tmp": _files("/tmp")}


def mapped():
    """An anonymous shared mapping: counted in the address space, so bounded by it."""
    area = mmap.mmap(-1, 1024 * MIB)
    area.write(CHUNK)
    _held.append(area)
    return True
