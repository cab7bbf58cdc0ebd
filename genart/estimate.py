"""How long a run will take on this machine, before it starts and while it goes.

Two things live here, neither of which knows any algorithm's settings (the third, following a
run as it goes, is :mod:`genart.ui.progress`):

1. **The timing table**: measured seconds per step, keyed by a run's cost key
   (:attr:`genart.costing.RunCost.key`) and its working size in buckets √2 apart, kept small,
   bounded and process-wide. A step's cost is nearly linear in its pixels (the GAN: its batch) plus
   a fixed overhead, so between measured sizes it is interpolated, beyond them extrapolated
   (:func:`per_step`). A run that builds something first (a DCGAN trainer) has its start-up seconds
   kept in the same table.
2. **Estimates** (:func:`estimate`): an algorithm states a run's cost (its :class:`~genart.costing.Costing`:
   the plan, the key, the start-up of each segment, the knobs a cheaper run may turn) and times its
   real compiled step (the same cached network and ``tf.function`` a run uses, where runs compute:
   a Ray worker when on Ray); this turns it into seconds. :func:`suggest_cheaper` is one generic
   search over those knobs for a setting that fits a budget.

Runs feed their own timings back (:func:`record`, from :class:`genart.ui.progress.Tracker`). While a
heavy run is going (:func:`genart.ui.progress.busy`), estimates should not measure
(``measure=False``): they then use what is in the table, or say that they are not measured yet.
"""

from __future__ import annotations

import dataclasses
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import compute
from .costing import Costing, RunCost

#: Runs estimated longer than this (seconds) get a cheaper suggestion.
LONG_S = 600.0
#: Bounds of the process-wide timing table.
MAX_KEYS, MAX_POINTS = 32, 16


# --- the timing table -----------------------------------------------------------------------------

def _bucket(units: float) -> int:
    return round(2 * math.log2(max(units, 1.0)))


class _Timings:
    """Measured seconds per step by (key, size bucket), and start-up seconds by key; thread-safe,
    least recently used keys go first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: "OrderedDict[tuple, dict[int, tuple[float, float]]]" = OrderedDict()
        self._startup: "OrderedDict[tuple, float]" = OrderedDict()

    def points(self, key: tuple) -> list[tuple[float, float]]:
        with self._lock:
            if key not in self._data:
                return []
            self._data.move_to_end(key)
            return sorted(self._data[key].values())

    def has(self, key: tuple, units: float) -> bool:
        with self._lock:
            return _bucket(units) in self._data.get(key, {})

    def add(self, key: tuple, units: float, seconds: float) -> None:
        if not (seconds > 0 and math.isfinite(seconds)):
            return
        with self._lock:
            table = self._data.setdefault(key, {})
            self._data.move_to_end(key)
            b = _bucket(units)
            if b in table:  # a running average, so one noisy measurement does not stick
                u0, s0 = table[b]
                units, seconds = (u0 + units) / 2, (s0 + seconds) / 2
            table[b] = (float(units), float(seconds))
            while len(table) > MAX_POINTS:
                del table[max(table, key=lambda k: abs(k - b))]  # the size farthest from the new one
            while len(self._data) > MAX_KEYS:
                self._data.popitem(last=False)

    def startup(self, key: tuple) -> float | None:
        with self._lock:
            return self._startup.get(key)

    def set_startup(self, key: tuple, seconds: float) -> None:
        with self._lock:
            self._startup[key] = float(seconds)
            self._startup.move_to_end(key)
            while len(self._startup) > MAX_KEYS:
                self._startup.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._startup.clear()


_timings = _Timings()
_measure_lock = threading.Lock()  # one calibration at a time (they would slow each other down)


def measuring() -> bool:
    """True while an estimate times a step in this process (one calibration at a time)."""
    return _measure_lock.locked()


def clear_cache() -> None:
    """Forget every measured timing (tests, or after the machine's load changed)."""
    _timings.clear()


def record(key: tuple, units: float, seconds_per_step: float) -> None:
    """Add a timing a run measured itself (:class:`genart.ui.progress.Tracker`) to the table."""
    _timings.add(key, units, seconds_per_step)


def per_step(points: list[tuple[float, float]], units: float, overhead: float = 20_000) -> float | None:
    """Seconds per step at ``units`` (pixels, or examples) from measured (units, seconds) points, or
    None without any.

    Linear between the two nearest measured sizes; beyond them the line through the two end points,
    kept between constant and proportional cost. One point: proportional with a fixed ``overhead``.
    """
    if not points:
        return None
    if len(points) == 1:
        p0, s0 = points[0]
        return s0 * (units + overhead) / (p0 + overhead)
    i = min(max(np.searchsorted([p for p, _ in points], units), 1), len(points) - 1)
    (pa, sa), (pb, sb) = points[i - 1], points[i]
    slope = max(0.0, (sb - sa) / (pb - pa)) if pb > pa else 0.0
    if units <= pa:
        return min(sa, max(sa * units / pa, sa + slope * (units - pa)))
    if units >= pb:
        return max(sb, min(sb * units / pb, sb + slope * (units - pb)))
    return sa + slope * (units - pa)


# --- estimates --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TimedSegment:
    """A part of a run with one working size: ``steps`` steps of ``sec_per_step`` after a start-up of
    ``setup_steps`` steps' worth plus ``fixed_s`` seconds (building and tracing a new DCGAN trainer)."""

    label: str
    steps: int
    pixels: int
    sec_per_step: float | None
    setup_steps: float = 1.0
    fixed_s: float = 0.0

    def weight(self, overhead: float) -> float:
        """Seconds per step, or a relative cost (pixels + overhead) when not measured."""
        return self.sec_per_step if self.sec_per_step is not None else (self.pixels + overhead) * 1e-6


@dataclass(frozen=True)
class Estimate:
    """A run's predicted duration: ``seconds`` (None when nothing is measured yet), a one-line
    ``text`` breakdown, and the ``plan`` that :class:`Tracker` follows."""

    seconds: float | None
    text: str
    plan: tuple[TimedSegment, ...]
    key: tuple
    overhead: float = 20_000

    @property
    def total_steps(self) -> int:
        return sum(s.steps for s in self.plan)

    def cost(self, step: int) -> float:
        """Predicted seconds (relative units when not measured) of the first ``step`` steps."""
        done = 0.0
        for seg in self.plan:
            if step <= 0:
                break
            n = min(step, seg.steps)
            done += seg.weight(self.overhead) * (seg.setup_steps + n)
            if seg.sec_per_step is not None:
                done += seg.fixed_s
            step -= n
        return done

    def segment_of(self, step: int) -> int:
        """Index of the segment that step number ``step + 1`` belongs to."""
        for i, seg in enumerate(self.plan):
            if step < seg.steps:
                return i
            step -= seg.steps
        return len(self.plan) - 1


def format_duration(seconds: float) -> str:
    """``"0.4 s"`` (under a second: a fast style pass), ``"45 s"``, ``"3 min 07 s"``, ``"1 h 05 min"``."""
    if seconds < 0.95:
        return f"{seconds:.1f} s"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes} min {seconds:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def where() -> str:
    """Where runs (and so their timings) compute, as the estimate line says it."""
    return "on a worker of the Ray cluster" if compute.on_ray() else "on this machine"


def priced(cost: RunCost, step_seconds: Callable[[tuple], float] | None = None,
           startup_seconds: Callable[[], float] | None = None) -> Estimate:
    """``cost`` in seconds from the timing table; ``step_seconds(shape)`` measures a step at the plan's
    smallest and largest size where the table has none (None: the table only), and
    ``startup_seconds()`` the start-up of a new run where ``cost.startup`` says it has one."""
    units = sorted({s.units for s in cost.segments})
    if step_seconds is not None:
        shapes = {s.units: s.shape for s in cost.segments}
        # the smallest size first: measuring it also warms up what the larger one would pay for
        wanted = [u for u in dict.fromkeys((units[0], units[-1])) if not _timings.has(cost.key, u)]
        if wanted:
            with _measure_lock:
                for u in wanted:
                    if not _timings.has(cost.key, u):  # another request may have measured it meanwhile
                        _timings.add(cost.key, u, step_seconds(shapes[u]))
    fixed = 0.0
    if cost.startup:  # measured at the run's first working size (a first DCGAN step costs more at a larger batch)
        start_key = (*cost.key, units[0])
        fixed = _timings.startup(start_key)
        if fixed is None and startup_seconds is not None:
            fixed = startup_seconds()
            _timings.set_startup(start_key, fixed)
        fixed = fixed or 0.0
    points = _timings.points(cost.key)
    plan = tuple(TimedSegment(s.label, s.steps, s.units, per_step(points, s.units, cost.overhead), cost.setup_steps,
                              fixed if i == 0 else 0.0) for i, s in enumerate(cost.segments))
    if not points:
        return Estimate(None, f"not measured yet ({cost.detail})", plan, cost.key, cost.overhead)
    seconds = sum(s.sec_per_step * (s.steps + s.setup_steps) + s.fixed_s for s in plan)
    rates = sorted(s.sec_per_step for s in plan)
    rate = f"{rates[0]:.2g} s/step" if rates[-1] < 1.2 * rates[0] else f"{rates[0]:.2g}–{rates[-1]:.2g} s/step"
    return Estimate(seconds, f"≈ {format_duration(seconds)} {where()} ({cost.detail}; {rate})", plan, cost.key,
                    cost.overhead)


def estimate(costing: Costing, config, *inputs, model=None, measure: bool = True, **options) -> Estimate:
    """Predicted time of a run of ``config`` on ``inputs``, as ``costing``'s algorithm prices it.

    Args:
        costing: the algorithm's :class:`~genart.costing.Costing` (``genart.dream.COSTING``, …).
        config: the run's settings.
        *inputs, **options: the rest of ``costing.run_cost``'s arguments (an image's (height, width),
            the DCGAN's ``epochs=`` and ``num_examples=``, …).
        model: the network the run will use (timed here); None: the cached one, timed where runs
            compute (a Ray worker when on Ray).
        measure: time the compiled step at sizes not measured yet (and a new run's start-up);
            False uses the timing table only.
    """
    extra = {} if model is None else {"model": model}
    cost = costing.run_cost(config, *inputs, **extra, **options)
    if not measure:
        return priced(cost)

    def step(shape):
        if model is not None:
            return costing.step_seconds(config, shape, model)
        return compute.call(costing.step_seconds, config, shape)

    startup = None if costing.startup_seconds is None else (lambda: compute.call(costing.startup_seconds, config))
    return priced(cost, step, startup)


# --- cheaper settings -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Suggestion:
    """A cheaper run that fits the budget: its ``config``, the ``changes`` (knob name → new value,
    config fields and run arguments alike), its estimate, and what changed, in words."""

    config: object
    changes: dict
    estimate: Estimate
    change: str

    @property
    def text(self) -> str:
        return f"{self.change} (≈ {format_duration(self.estimate.seconds)})"


def _largest(values: range, fits) -> int | None:
    """The largest v of ``values`` with fits(v) (fits holds up to a threshold), or None."""
    lo, hi = values.start, values.stop - 1
    if hi < lo or not fits(lo):
        return None
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid - 1)
    return lo


def suggest_cheaper(costing: Costing, config, *inputs, budget_s: float = LONG_S, model=None,
                    **options) -> Suggestion | None:
    """A cheaper run whose estimate fits ``budget_s``, from the timing table only; None if none does.

    The algorithm's :class:`~genart.costing.RunCost` says what may change: first its ``first_change``
    (kept if it is cheaper), then each :class:`~genart.costing.Knob` alone, down to its ``keep`` share,
    in order; then all of them together, the ``searched`` knob as far as needed and the others at
    their floor. Arguments as for :func:`estimate`.
    """
    extra = {} if model is None else {"model": model}
    fields = {f.name for f in dataclasses.fields(config)}
    cache: dict = {}

    def run(changes: dict) -> tuple:
        key = tuple(sorted(changes.items()))
        if key not in cache:
            cfg = dataclasses.replace(config, **{k: v for k, v in changes.items() if k in fields})
            opts = {**options, **{k: v for k, v in changes.items() if k not in fields}}
            cache[key] = cfg, priced(costing.run_cost(cfg, *inputs, **extra, **opts))
        return cache[key]

    def fits(changes: dict) -> bool:
        seconds = run(changes)[1].seconds
        return seconds is not None and seconds <= budget_s

    def suggestion(changes: dict, words: list[str]) -> Suggestion:
        cfg, est = run(changes)
        return Suggestion(cfg, dict(changes), est, "; ".join(words))

    cost = costing.run_cost(config, *inputs, **extra, **options)
    base, said = {}, []
    if cost.first_change is not None:
        first, current = run(dict(cost.first_change[0]))[1].seconds, run({})[1].seconds
        if first is not None and current is not None and first < current:
            base, said = dict(cost.first_change[0]), [cost.first_change[1]]
            if fits(base):
                return suggestion(base, said)
    for knob in cost.knobs:  # one knob alone, down to its share
        new = _largest(knob.candidates(math.ceil(knob.keep * knob.value)),
                       lambda k: fits({**base, knob.name: k * knob.multiple}))
        if new is not None:
            new *= knob.multiple
            return suggestion({**base, knob.name: new}, said + [knob.words(knob.alone, new)])
    floors = {k.name: min(k.floor, k.value) for k in cost.knobs if not k.searched}
    for knob in (k for k in cost.knobs if k.searched):  # all together
        new = _largest(range(-(-knob.low // knob.multiple), knob.value // knob.multiple + 1),
                       lambda k: fits({**base, **floors, knob.name: k * knob.multiple}))
        if new is not None:
            changes = {**base, **floors, knob.name: new * knob.multiple}
            parts = [k.words(k.part, changes[k.name]) for k in cost.knobs if changes[k.name] != k.value]
            return suggestion(changes, said + [" and ".join(parts)])
    return None


def describe(est: Estimate, suggestion: Suggestion | None = None, budget_s: float = LONG_S) -> str:
    """One line: the estimate, and past ``budget_s`` the cheaper setting that would fit."""
    text = est.text
    if est.seconds is not None and est.seconds > budget_s:
        limit = f"{budget_s / 60:g} min" if budget_s >= 60 else f"{budget_s:g} s"
        text += f" — over {limit}. "
        text += f"To fit: {suggestion.text}." if suggestion else "Even much smaller settings would not fit."
    return text
