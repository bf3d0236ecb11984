"""Run a learner's worker in a bubblewrap jail (Linux): it sees only what it needs to run.

The jail (`bwrap`, Debian/Ubuntu package `bubblewrap`) gives the worker its own PID namespace,
which dies with it (nothing the learner starts outlives the worker), no network, and a
filesystem of its own: the interpreter, the standard library, numpy's packages and the system
libraries read-only; the grader's `_worker.py`, `outcome.py` and `codec.py` and nothing else of
the grader; a private tmpfs holding a *copy* of the submission's `*.py` files at the submission's path, and
a private /tmp. The repository, `solutions/`, the results paths, /proc, /sys, /home and /etc
(but the dynamic linker's cache) are not there. Inside, `prlimit` (util-linux) sets the resource limits below before
running the interpreter; when the grader runs as root, `setpriv` first drops to an
unprivileged user id of the jail's own (root is exempt from the process limit).

`problem()` says why the jail cannot run here ("" when it can); `popen()` starts a jailed
command as `subprocess.Popen` would start the bare one.
"""

from __future__ import annotations

import errno
import functools
import importlib.util
import os
import platform
import secrets
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

import numpy

GRADER_PACKAGE = Path(__file__).resolve().parent
WORKER_FILES = ("_worker.py", "outcome.py", "codec.py")
"""The grader's files the worker imports (as `autograder._worker`); nothing else of it is bound."""

MiB = 2**20
ADDRESS_SPACE = 512 * MiB
"""Virtual memory of each jailed process. Python with numpy and OpenBLAS (one thread) maps about
140 MiB after import, and the reference grades in full within 150 MiB; 512 MiB leaves room for
any correct answer on the grader's inputs, while a learner allocating 2 GiB gets a `MemoryError`
in that call only. (A limit per process: a jail holds at most PROCESSES times this.)"""
PROCESSES = 4
"""Tasks (processes and threads) of the jail's user: the worker uses 1 (2 with bubblewrap's PID 1
when the grader is not root), OpenBLAS is pinned to one thread. A fork bomb or 16 spinning
processes stop at 4, and so does the memory they can hold (4 x 512 MiB)."""
FILE_SIZE = 64 * MiB
"""Largest file a jailed process may write (Python then gets `OSError: File too large`)."""
TMPFS_SIZE = 64 * MiB
"""Size of each private tmpfs (/tmp and the copy of the submission): files cost memory there."""
OPEN_FILES = 64
"""Open file descriptors of each jailed process (the worker uses about 15): bounds the memory a
learner can hold in pipes and socket buffers, which no other limit counts."""
CPU_SECONDS = 60
"""CPU time of each jailed process, a backstop behind the grader's own time limits: grading a
whole lab of the reference costs its worker 0.3 to 0.6 s of CPU, and a worker lives for one lab."""

_SYSCALLS_REFUSED = {
    # machine: (audit architecture, {system call: number})
    "x86_64": (0xC000003E, {"memfd_create": 319, "memfd_secret": 447, "shmget": 29}),
    "aarch64": (0xC00000B7, {"memfd_create": 279, "memfd_secret": 447, "shmget": 194}),
}
"""System calls that make memory no per-process limit counts (an in-memory file; a System V
shared memory segment outlives its mapping): the jail's seccomp filter refuses them with EPERM,
as it refuses every system call of another architecture (x32, i386)."""

_NAMESPACES = ("--unshare-pid", "--unshare-net", "--unshare-ipc", "--die-with-parent", "--new-session")


def popen(command: list[str], submission: Path, **options: Any) -> subprocess.Popen[bytes]:
    """Start `command` (an interpreter's argv) jailed, with `subprocess.Popen`'s `options`.

    `submission` is the folder whose `*.py` files the jail gets a copy of, at the same path.
    """
    copies = {path.name: _memory_copy(path.read_bytes()) for path in _submission_files(submission)}
    empty = _memory_copy(b"")  # the worker's package: an empty `__init__.py`, not the grader's
    program = seccomp_program()
    seccomp = [_memory_copy(program)] if program else []
    try:
        jailed = [*_bwrap_arguments(submission, copies, empty, seccomp), *command]
        options["pass_fds"] = (*options.get("pass_fds", ()), *copies.values(), empty, *seccomp)
        return subprocess.Popen(jailed, **options)
    finally:
        for fd in (*copies.values(), empty, *seccomp):
            os.close(fd)


def seccomp_program(machine: str = platform.machine()) -> bytes:
    """The jail's seccomp filter as classic BPF (what `bwrap --seccomp FD` reads): refuse the
    `_SYSCALLS_REFUSED` of `machine` and every call of another architecture, allow the rest.
    Empty for a machine not listed (then the jail has no filter)."""
    if machine not in _SYSCALLS_REFUSED:
        return b""
    arch, numbers = _SYSCALLS_REFUSED[machine]
    load, equal, at_least, give = 0x20, 0x15, 0x35, 0x06  # BPF_LD|W|ABS, JMP|JEQ|K, JMP|JGE|K, RET|K
    allow, refuse = 0x7FFF0000, 0x00050000 | errno.EPERM  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO
    calls = sorted(numbers.values())
    # Jumps count the instructions skipped; the last two instructions are "allow" and "refuse".
    program = [(load, 0, 0, 4), (equal, 1, 0, arch), (give, 0, 0, refuse), (load, 0, 0, 0)]
    program.append((at_least, len(calls) + 1, 0, 0x40000000))  # x32's calls, on x86_64
    program += [(equal, len(calls) - i, 0, number) for i, number in enumerate(calls)]
    program += [(give, 0, 0, allow), (give, 0, 0, refuse)]
    return b"".join(struct.pack("<HBBI", *instruction) for instruction in program)


def worker_status(code: int | None) -> int | None:
    """The jailed worker's exit status in `Popen.returncode`'s terms, from bwrap's: bwrap exits with
    the worker's status, or 128 + N when a signal N killed it (Popen: -N)."""
    return 128 - code if code is not None and 128 < code < 128 + 65 else code


@functools.cache
def problem() -> str:
    """Why the jail cannot run on this machine, or "" when it can (probed once per process)."""
    if sys.platform != "linux":
        return f"bubblewrap needs Linux (this is {sys.platform})"
    for tool in ("bwrap", "prlimit", *(["setpriv"] if os.geteuid() == 0 else [])):
        if shutil.which(tool) is None:
            return f"no `{tool}` on PATH (Debian/Ubuntu: apt-get install bubblewrap util-linux)"
    with tempfile.TemporaryDirectory() as empty:
        try:
            probe = popen(
                [sys.executable, "-I", "-S", "-c", ""],
                Path(empty),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            _, error = probe.communicate(timeout=30)
        except (OSError, subprocess.TimeoutExpired) as failure:
            return f"bwrap failed: {failure}"
    if probe.returncode != 0:
        lines = error.decode(errors="replace").strip().splitlines()
        return f"bwrap failed: {lines[-1] if lines else f'exit status {probe.returncode}'}"
    return ""


def _submission_files(submission: Path) -> list[Path]:
    """The submission's regular `*.py` files (symbolic links are not followed into the jail)."""
    return sorted(p for p in submission.glob("*.py") if p.is_file() and not p.is_symlink())


def _memory_copy(data: bytes) -> int:
    """A file descriptor of an anonymous in-memory file holding `data`, read from its start."""
    fd = os.memfd_create("jail-copy")
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _read_only_paths() -> list[Path]:
    """What the interpreter needs, outermost first: the system's /usr, Python's prefixes, numpy's
    packages folder, and the dynamic linker's cache."""
    paths = [
        Path("/usr"),
        Path("/etc/ld.so.cache"),
        Path(sys.executable).resolve().parent,
        Path(numpy.__file__).resolve().parent.parent,
        *(Path(p) for p in {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}),
    ]
    kept: list[Path] = []
    for path in sorted({p.resolve() for p in paths if p.exists()}, key=lambda p: len(p.parts)):
        if not any(path.is_relative_to(outer) for outer in kept):
            kept.append(path)
    return kept


def _bwrap_arguments(submission: Path, copies: dict[str, int], empty: int, seccomp: list[int]) -> list[str]:
    """bwrap's argv up to the command: namespaces, the filesystem, then the limits' wrappers.

    `copies` maps the submission's file names to descriptors of their contents; `empty` is one
    of an empty file, for the worker's package; `seccomp` holds the descriptor of the seccomp
    program, if there is one.
    """
    arguments = ["bwrap", *_NAMESPACES, *(a for fd in seccomp for a in ("--seccomp", str(fd)))]
    unprivileged = os.geteuid() != 0
    if unprivileged:  # bwrap makes a user namespace anyway; forbid the learner to make more
        arguments += ["--unshare-user", "--disable-userns"]
    # /tmp first: the submission or the interpreter may live under it.
    arguments += ["--dev", "/dev", "--size", str(TMPFS_SIZE), "--perms", "1777", "--tmpfs", "/tmp"]
    made = {PurePosixPath("/tmp")}

    def parents(path: Path | PurePosixPath) -> list[str]:
        # bwrap would create missing parent folders with the host's modes (/root is 0700): make
        # them readable, once each.
        out: list[str] = []
        for parent in reversed(PurePosixPath(path).parents):
            if parent != PurePosixPath("/") and parent not in made:
                made.add(parent)
                out += ["--perms", "0755", "--dir", str(parent)]
        return out

    folder = submission.resolve()
    arguments += [*parents(folder), "--size", str(TMPFS_SIZE), "--perms", "0777", "--tmpfs", str(folder)]
    for name, fd in copies.items():
        arguments += ["--perms", "0666", "--file", str(fd), str(folder / name)]
    for link in ("bin", "sbin", "lib", "lib32", "lib64"):
        if Path("/", link).is_symlink():  # merged /usr: /lib -> usr/lib
            arguments += ["--symlink", os.readlink(Path("/", link)), f"/{link}"]
    read_only = _read_only_paths()
    for path in read_only:
        arguments += [*parents(path), "--ro-bind", str(path), str(path)]
    installed = any(GRADER_PACKAGE.is_relative_to(path) for path in read_only)  # then visible already
    if not installed:
        for name in WORKER_FILES:  # with their compiled files when there are: no compiling at each start
            for path in (
                GRADER_PACKAGE / name,
                Path(importlib.util.cache_from_source(str(GRADER_PACKAGE / name))),
            ):
                if path.is_file():
                    arguments += [*parents(path), "--ro-bind", str(path), str(path)]
        package = str(GRADER_PACKAGE / "__init__.py")
        arguments += ["--perms", "0444", "--file", str(empty), package]
    arguments += ["--remount-ro", "/", "--chdir", str(folder), "--setenv", "TMPDIR", "/tmp", "--"]
    if not unprivileged:  # a user id of its own: root ignores the process limit, and jails must not share it
        uid = str(2**30 + secrets.randbelow(2**30))
        arguments += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]
    return [
        *arguments,
        "prlimit",
        f"--as={ADDRESS_SPACE}",
        f"--nproc={PROCESSES}",
        f"--fsize={FILE_SIZE}",
        f"--nofile={OPEN_FILES}",
        f"--cpu={CPU_SECONDS}",
        "--core=0",
        "--",
    ]
