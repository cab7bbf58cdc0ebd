"""Following a run as it goes: the time left, and the timings it feeds back.

:class:`Tracker` wraps a run's frame generator (:func:`genart.estimate.estimate` gave its plan): it
passes the frames on, says the time left from the run's own pace against the plan's cost (bigger
later octaves or scales weigh more), and adds the seconds the backend spent per step to the
timing table when the run ends, stops or fails. While a tracked run is live, :func:`busy` is True,
and estimates should not measure (they would slow the run and be slowed by it).
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Iterator

from ..estimate import Estimate, format_duration, record
from ..frames import Frame, close_frames

_active_lock = threading.Lock()
_active_runs = 0


def busy() -> bool:
    """True while a run wrapped by a :class:`Tracker` (or other work in :func:`working`, the server's
    warm-up) is going in this process."""
    return _active_runs > 0


@contextlib.contextmanager
def working() -> Iterator[None]:
    """Count the block as a run for :func:`busy` (estimates do not measure while it lasts)."""
    global _active_runs
    with _active_lock:
        _active_runs += 1
    try:
        yield
    finally:
        with _active_lock:
            _active_runs -= 1


#: When the run's own pace is blended in, the estimate counts as this many seconds of evidence at most
#: (and as a tenth of the run at most).
PRIOR_S = 2.0


def remaining_seconds(est: Estimate, step: int, elapsed: float,
                      since: tuple[int, float] | None = None) -> float | None:
    """Seconds left after ``step`` of ``est.total_steps`` steps, ``elapsed`` seconds into the run.

    ``since`` is (step, elapsed) at an earlier frame after start-up (building, tracing): the run's
    pace since then, measured against the plan's cost, scales the plan's cost of what is left, so
    bigger later octaves or scales weigh more. Without it: the plan's own seconds (None if unmeasured).
    """
    total = est.total_steps
    if step >= total:
        return 0.0
    left = est.cost(total) - est.cost(step)
    if since is not None and step > since[0]:
        done, spent = est.cost(step) - est.cost(since[0]), max(0.0, elapsed - since[1])
        prior = min(PRIOR_S, 0.1 * est.seconds) if est.seconds is not None else 0.0
        return left * (spent + prior) / (done + prior)
    return left if est.seconds is not None else None


class Tracker:
    """Follows one run: passes its frames on, tells the time left, and feeds its timings back.

    While :meth:`wrap` 's generator is live, :func:`busy` is True. The seconds the backend spends
    inside each ``next()`` (not the consumer's time) are averaged per segment and added to the
    timing table when the run ends, stops or fails.
    """

    def __init__(self, estimate: Estimate, clock=time.perf_counter):
        self.estimate = estimate
        self._clock = clock
        self._start: float | None = None
        self._since: tuple[int, float] | None = None
        self._step = 0
        self._offset = 0

    def wrap(self, frames: Iterator[Frame]) -> Iterator[Frame]:
        """Yield ``frames`` unchanged; closing this generator closes ``frames``."""
        with working():
            self._start = self._clock()
            spent: dict[int, list[float]] = {}  # segment → [seconds, steps]
            try:
                it = iter(frames)
                while True:
                    t0 = self._clock()
                    try:
                        frame = next(it)
                    except StopIteration:
                        return
                    t1 = self._clock()
                    if self._step == 0 and self._since is None:  # a continued DCGAN counts from its trainer's start
                        self._offset = max(0, frame.total - self.estimate.total_steps)
                    step = max(0, frame.step - self._offset)
                    self._observe(spent, self._step, step, t1 - t0)
                    if step > 0 and self._since is None:
                        self._since = (step, t1 - self._start)
                    self._step = step
                    yield frame
            finally:
                for i, (seconds, steps) in spent.items():
                    if steps >= 2 or seconds >= 0.5:
                        record(self.estimate.key, self.estimate.plan[i].pixels, seconds / steps)
                close_frames(frames)

    def _observe(self, spent, prev: int, step: int, seconds: float) -> None:
        est = self.estimate
        i = est.segment_of(prev)
        first = sum(s.steps for s in est.plan[:i])
        # the first chunk of a segment also pays its start-up; a chunk must stay inside one segment
        if step > prev > first and est.segment_of(step - 1) == i:
            acc = spent.setdefault(i, [0.0, 0])
            acc[0] += seconds
            acc[1] += step - prev

    def elapsed(self) -> float:
        return 0.0 if self._start is None else self._clock() - self._start

    def remaining(self) -> float | None:
        """Seconds left after the latest frame (None before anything can be said)."""
        return remaining_seconds(self.estimate, self._step, self.elapsed(), self._since)


def left_text(seconds: float | None) -> str:
    """``"~3 min 10 s left"`` ('' when unknown)."""
    return "" if seconds is None else f"~{format_duration(seconds)} left"
