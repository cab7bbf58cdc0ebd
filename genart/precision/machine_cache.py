"""A small JSON file of measurements shared by every process of one machine (and kept across restarts).

The file holds ``{"format": N, "entries": {key: entry}}``; an entry is a JSON object written once
and then only read. The functions take the file's path, so a caller chooses where it lives (the
precision policy: next to Keras' cache) and tests point them at a temporary folder.

* :func:`read` never fails: a missing, unreadable or corrupt file, or one of another format, reads as empty.
* :func:`add` writes atomically (a temporary file, then ``os.replace``), keeps the entry already there
  if another process wrote one first (so every process ends with the same entry), and on a read-only
  disk writes nothing (the caller keeps its entry in memory).
* :func:`exclusive` is held while a process measures, so the processes of one machine measure one at
  a time (measuring two at once on a small machine would spoil both); best effort: after
  ``wait_s`` or on any error it yields without the lock.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time

try:
    import fcntl
except ImportError:  # not POSIX: no lock between processes (the first entry written still wins)
    fcntl = None


def read(path: str, format: int) -> dict:
    """The file's entries (empty when missing, unreadable, corrupt or of another ``format``)."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != format or not isinstance(data.get("entries"), dict):
        return {}
    return data["entries"]


def add(path: str, format: int, key: str, entry: dict, valid=lambda entry: entry is not None) -> dict:
    """Add ``entry`` under ``key`` unless a ``valid`` one is there already; returns the entry kept."""
    entries = read(path, format)
    if valid(entries.get(key)):
        return entries[key]
    entries[key] = entry
    tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({"format": format, "entries": entries}, fh, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except OSError:  # a read-only disk: the entry lives in the caller's memory only
        with contextlib.suppress(OSError):
            os.remove(tmp)
    return entry


@contextlib.contextmanager
def exclusive(path: str, wait_s: float):
    """Hold ``path + ".lock"`` (``flock``) for the block: one process of the machine at a time."""
    fh, locked = None, False
    try:
        if fcntl is not None:
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            fh = open(path + ".lock", "a")  # noqa: SIM115 (closed in the finally below)
            deadline = time.monotonic() + wait_s
            while not locked:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    locked = True
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.2)
    except OSError:
        pass
    try:
        yield locked
    finally:
        if fh is not None:
            if locked:
                fcntl.flock(fh, fcntl.LOCK_UN)
            fh.close()
