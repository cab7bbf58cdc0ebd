"""Files genart downloads once (Keras' ImageNet weights, the digit datasets), and the progress of
every download in this process, for whoever waits on one.

Two things live here, and nothing that knows about a UI:

* :class:`CachedFile`: one file of Keras' cache (``$KERAS_HOME/models``, ``…/datasets``) with its
  origin and hash, exactly where and as ``keras.applications`` / ``keras.datasets`` keep it, so a
  file Keras downloaded is used as is and a file fetched here is one Keras accepts.
  :meth:`CachedFile.fetch` downloads it when missing, through :func:`http_download` (or an
  injected downloader: tests pass a stub, no network).
* The progress channel: :func:`announce` puts a download on it while the download runs and
  :func:`active` tells what is downloading now (which file, how much of it). A run that waits
  for its network's weights can thus say so (the app's status line, the command line's bar)
  while the backend prints nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import tempfile
import threading
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .paths import keras_home

#: ``report(done, total)``: bytes so far and the whole size (None while it is unknown).
Report = Callable[[int, "int | None"], None]
#: ``downloader(url, path, report, file_hash)``: writes the file at ``url`` to ``path`` (complete, checked
#: against ``file_hash`` when one is given, or not at all), calling ``report`` as bytes arrive.
Downloader = Callable[[str, str, Report, "str | None"], None]

#: Seconds a connection may stay silent before a download gives up.
TIMEOUT = 60
CHUNK = 1 << 20
MB = 1e6


@dataclass(frozen=True)
class Progress:
    """One download in progress.

    Attributes:
        what: what is downloading, for people ("InceptionV3's ImageNet weights").
        source: the file name or model handle.
        done: bytes so far.
        total: the whole size in bytes, None while unknown.
    """

    what: str
    source: str
    done: int
    total: int | None

    def line(self) -> str:
        """``downloading InceptionV3's ImageNet weights (inception_v3_….h5): 12.3 of 87.9 MB``."""
        if self.total:
            amount = f"{self.done / MB:.1f} of {self.total / MB:.1f} MB"
        else:
            amount = f"{self.done / MB:.1f} MB so far"
        return f"downloading {self.what} ({self.source}): {amount}"


_lock = threading.Lock()
_active: dict[int, Progress] = {}
_ids = itertools.count()


def active() -> tuple[Progress, ...]:
    """The downloads running in this process now, oldest first."""
    with _lock:
        return tuple(_active.values())


@contextlib.contextmanager
def announce(what: str, source: str, report: Report | None = None, measure: Callable[[], int] | None = None,
             every: float = 0.5) -> Iterator[Report]:
    """Put a download on the channel while the block runs; yields ``update(done, total)`` for it.

    Args:
        what: what is downloading, for people.
        source: the file name or model handle.
        report: also called with every update (a progress bar).
        measure: for a download another library does: a function giving the bytes so far (the size
            of the folder it fills), sampled every ``every`` seconds while the block runs.
    """
    key = next(_ids)

    def update(done: int, total: int | None = None) -> None:
        with _lock:
            if key in _active:
                _active[key] = Progress(what, source, int(done), total)
        if report is not None:
            report(int(done), total)

    with _lock:
        _active[key] = Progress(what, source, 0, None)
    stop = threading.Event()
    sampler = None
    if measure is not None:
        def sample():
            while not stop.wait(every):
                update(measure())

        sampler = threading.Thread(target=sample, name=f"genart-download-{key}", daemon=True)
        sampler.start()
    try:
        yield update
    finally:
        stop.set()
        if sampler is not None:
            sampler.join()
        with _lock:
            _active.pop(key, None)


def folder_bytes(*paths: str) -> int:
    """The bytes of the files in ``paths`` (folders walked; missing paths count 0)."""
    total = 0
    for path in paths:
        if os.path.isfile(path):
            total += os.path.getsize(path)
        for folder, _, files in os.walk(path):
            for name in files:
                with contextlib.suppress(OSError):
                    total += os.path.getsize(os.path.join(folder, name))
    return total


def _hasher(file_hash: str):
    """Keras' choice: a 64-digit hash is SHA-256, anything else MD5."""
    return hashlib.sha256() if len(file_hash) == 64 else hashlib.md5(usedforsecurity=False)


def http_download(url: str, path: str, report: Report, file_hash: str | None = None) -> None:
    """Download ``url`` to ``path``: into a temporary file beside it, checked against ``file_hash`` (MD5
    or SHA-256, as Keras gives them), then renamed, so ``path`` only ever holds a whole file.

    Raises:
        OSError: the download failed (``urllib.error.URLError`` and friends) or arrived damaged.
    """
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
        total = int(response.headers.get("Content-Length") or 0) or None
        fd, part = tempfile.mkstemp(prefix=os.path.basename(path) + ".", suffix=".part", dir=folder)
        try:
            hasher = _hasher(file_hash) if file_hash else None
            done = 0
            report(0, total)
            with os.fdopen(fd, "wb") as out:
                while chunk := response.read(CHUNK):
                    out.write(chunk)
                    if hasher is not None:
                        hasher.update(chunk)
                    done += len(chunk)
                    report(done, total)
            if hasher is not None and hasher.hexdigest() != file_hash:
                raise OSError(f"{url} arrived damaged: its hash is {hasher.hexdigest()}, not {file_hash}")
            os.replace(part, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.remove(part)


@dataclass(frozen=True)
class CachedFile:
    """A file of Keras' cache that genart can download.

    Attributes:
        what: what it is, for people ("InceptionV3's ImageNet weights").
        file: its name in the cache (Keras' own).
        url: where Keras downloads it from.
        file_hash: Keras' hash of it (MD5 or SHA-256), None where Keras checks none.
        subdir: its folder under ``$KERAS_HOME`` (``models``, ``datasets``, …), as Keras names it.
    """

    what: str
    file: str
    url: str
    file_hash: str | None
    subdir: str

    @property
    def source(self) -> str:
        """The file name (what :class:`Progress` and the weights command name)."""
        return self.file

    @property
    def path(self) -> str:
        """Where Keras keeps it: ``$KERAS_HOME/<subdir>/<file>`` (``~/.keras`` without ``KERAS_HOME``)."""
        return os.path.join(keras_home(), self.subdir, self.file)

    def present(self) -> bool:
        """Whether the file is in the cache (a download in progress is not: it is written beside it)."""
        return os.path.isfile(self.path)

    def fetch(self, report: Report | None = None, downloader: Downloader | None = None) -> str:
        """The file's path, downloading it first when it is not there (announced on the channel).

        Args:
            report: called with ``(done, total)`` bytes as they arrive (a progress bar).
            downloader: writes the file (default :func:`http_download`; tests pass a stub).

        Raises:
            OSError: the download failed.
        """
        if not self.present():
            with announce(self.what, self.source, report) as update:
                (downloader or http_download)(self.url, self.path, update, self.file_hash)
        return self.path
