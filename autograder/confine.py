"""Confine a process's writes to one folder with Landlock (Linux 5.13 and later, no privileges).

Used by the worker under `--isolation process`, where there is no jail: learner code could
otherwise write where the grader's Python reads (a `.pth` file in the virtualenv, numpy's own
modules, another student's copy) and change later grades. After `confine_writes(folder)` the
process, and every process it starts, may still read everything and write to files it already
has open, but may create, change, rename or delete files only under `folder` (and write to
/dev/null). Standard library only (ctypes): the worker imports it before any learner code runs.
"""

from __future__ import annotations

import ctypes
import os
import struct
import sys

_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446  # the same numbers on every architecture
_VERSION = 1 << 0
_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38
_WRITE_FILE = 1 << 1
_CHANGES = sum(1 << bit for bit in (1, *range(4, 13)))
"""WRITE_FILE, REMOVE_DIR, REMOVE_FILE and every MAKE_* right of Landlock's first version."""
_REFER, _TRUNCATE = 1 << 13, 1 << 14
"""Renaming or linking across folders (version 2) and truncating (version 3)."""


def landlock_version() -> int:
    """The Landlock version this kernel offers, 0 when it has none (or this is not Linux)."""
    if sys.platform != "linux":
        return 0
    try:
        version = ctypes.CDLL(None, use_errno=True).syscall(_CREATE_RULESET, None, 0, _VERSION)
    except (OSError, AttributeError):
        return 0
    return max(int(version), 0)


def confine_writes(folder: str) -> bool:
    """Forbid this process and its children every change to the filesystem outside `folder`.

    Returns False, changing nothing, when the kernel has no Landlock.
    """
    version = landlock_version()
    if not version:
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    handled = _CHANGES | (_REFER if version >= 2 else 0) | (_TRUNCATE if version >= 3 else 0)
    attributes = ctypes.create_string_buffer(struct.pack("<Q", handled))
    ruleset = libc.syscall(_CREATE_RULESET, attributes, len(attributes.raw), 0)
    if ruleset < 0:
        return False
    try:
        for path, allowed in (
            (folder, handled),
            (os.devnull, _WRITE_FILE | (_TRUNCATE if version >= 3 else 0)),
        ):
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            try:
                rule = ctypes.create_string_buffer(struct.pack("<Qi", allowed, fd))
                if libc.syscall(_ADD_RULE, ruleset, _PATH_BENEATH, rule, 0) != 0:
                    return False
            finally:
                os.close(fd)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return False
        return libc.syscall(_RESTRICT_SELF, ruleset, 0) == 0
    finally:
        os.close(ruleset)
