"""The DCGAN trainers alive on this server, and which one to close when there are too many.

Each visitor's trainer holds about 60 MB (networks, Adam's moments, compiled steps) for as long as
its session lasts. :data:`POOL` counts them process-wide: past its limit (``GENART_MAX_TRAINERS``,
default 12), the least recently used trainer that is not training is closed, and its session is
told so when it next presses Continue. Works for any trainer with ``closed`` and ``close()``
(in-process :class:`~genart.gan.trainer.GanTrainer` s and Ray proxies alike).
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections import OrderedDict

from ..settings import env_number

#: Live trainers kept by default (about 60 MB each).
MAX_TRAINERS = 12


class TrainerPool:
    """The trainers alive on this server, least recently used first.

    Each visitor's trainer holds about 60 MB (networks, Adam's moments, compiled steps) for as
    long as its session lasts. Past ``limit`` live trainers, the least recently used one that is
    not training is closed; its session is told so when it next presses Continue.
    """

    def __init__(self, limit: int):
        self.limit = limit
        self._lock = threading.Lock()
        self._live: OrderedDict[int, weakref.ref] = OrderedDict()
        self._busy: set[int] = set()

    def __len__(self) -> int:
        with self._lock:
            return sum(1 for ref in self._live.values() if (t := ref()) is not None and not t.closed)

    def add(self, trainer) -> None:
        """Count a new trainer in (as the most recently used), closing the oldest idle ones past the limit."""
        with self._lock:
            self._live[id(trainer)] = weakref.ref(trainer)
            evict = []
            for key, ref in list(self._live.items()):
                t = ref()
                if t is None or t.closed:
                    del self._live[key]
            over = len(self._live) - self.limit
            for key, ref in list(self._live.items()):
                if over <= 0:
                    break
                t = ref()
                if key not in self._busy and t is not None and t is not trainer:
                    evict.append(t)
                    del self._live[key]
                    over -= 1
        for t in evict:
            t.close()

    @contextlib.contextmanager
    def using(self, trainer):
        """Mark ``trainer`` as training (never closed meanwhile) and as the most recently used."""
        key = id(trainer)
        with self._lock:
            if key in self._live:
                self._live.move_to_end(key)
            self._busy.add(key)
        try:
            yield
        finally:
            with self._lock:
                self._busy.discard(key)




#: The trainers of this process (GENART_MAX_TRAINERS overrides the limit).
POOL = TrainerPool(int(env_number("GENART_MAX_TRAINERS", MAX_TRAINERS, 1)))
