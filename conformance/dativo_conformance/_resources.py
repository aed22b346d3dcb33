"""What a process holds: open file descriptors and child processes (Linux ``/proc``)."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

__all__ = ["child_processes", "leaked", "open_descriptors"]

#: Descriptor targets that are process-wide machinery, not a plugin's resources.
_IGNORED_PREFIXES = ("anon_inode:", "/dev/", "/proc/")


def open_descriptors() -> Counter[str]:
    """The targets of this process's open file descriptors (files, sockets, pipes), counted."""
    found: Counter[str] = Counter()
    fd_dir = Path("/proc/self/fd")
    if not fd_dir.is_dir():
        return found
    for entry in os.listdir(fd_dir):
        try:
            target = os.readlink(fd_dir / entry)
        except OSError:  # closed meanwhile, or the directory's own descriptor
            continue
        if not target.startswith(_IGNORED_PREFIXES):
            found[target] += 1
    return found


def leaked(before: Counter[str], after: Counter[str]) -> list[str]:
    """The descriptors open ``after`` that were not open ``before``."""
    return sorted((after - before).elements())


def child_processes() -> set[int]:
    """Process ids whose parent is this process (zombies included: they were not reaped)."""
    me = os.getpid()
    children: set[int] = set()
    try:
        task_children = Path(f"/proc/{me}/task")
        for task in task_children.iterdir():
            text = (task / "children").read_text()
            children.update(int(pid) for pid in text.split())
    except OSError:
        pass
    return children
