"""How long a run will take on this machine, before it starts and while it goes.

A run is the plan its algorithm iterates (``genart.dream.plan``, ``genart.style.plan``,
``genart.gan.plan``: one segment per octave, per coarse-to-fine scale, or for all the GAN's
steps). A segment costs ``steps × sec_per_step`` plus a start-up of about a step (the first call
at a new size, resizing, style targets).

``sec_per_step`` is nearly linear in the working pixel count (the GAN: in the batch size) with a
fixed overhead. It is *measured* by the algorithms' own ``step_seconds`` on the real compiled step
(the same cached model, ``tf.function`` and precision a run uses, so no second network is built)
at the sizes a plan needs, once per
size bucket (√2 apart in pixels), and kept in a small, bounded, process-wide table keyed by
algorithm, model and the settings that change the cost (layers, tiles, optimiser, precision…).
This module keeps only that arithmetic, the table, the run tracker and the cheaper suggestions. Between
measured sizes it is interpolated linearly, beyond them extrapolated from the nearest two.
Running runs feed their own timings back through :class:`Tracker` (a free measurement), which
also gives the remaining time from the run's progress and the cost of what is left.

While a heavy run is going (:func:`busy`), estimates should not measure (``measure=False``):
they then use what is cached, or say that they are not measured yet.
"""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from . import compute, plans
from .frames import Frame

#: Runs estimated longer than this (seconds) get a cheaper suggestion.
LONG_S = 600.0
#: The fixed part of a step's cost, in pixels (batch examples for the GAN), when only one size is measured.
OVERHEAD_PX = 20_000
OVERHEAD_BATCH = 16
#: Bounds of the process-wide timing table.
MAX_KEYS, MAX_POINTS = 32, 16


# --- the timing table -----------------------------------------------------------------------------

def _bucket(pixels: float) -> int:
    return round(2 * math.log2(max(pixels, 1.0)))


class _Timings:
    """Measured seconds per step by (key, size bucket); thread-safe, least recently used keys go first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: "OrderedDict[tuple, dict[int, tuple[float, float]]]" = OrderedDict()

    def points(self, key: tuple) -> list[tuple[float, float]]:
        with self._lock:
            if key not in self._data:
                return []
            self._data.move_to_end(key)
            return sorted(self._data[key].values())

    def has(self, key: tuple, pixels: float) -> bool:
        with self._lock:
            return _bucket(pixels) in self._data.get(key, {})

    def add(self, key: tuple, pixels: float, seconds: float) -> None:
        if not (seconds > 0 and math.isfinite(seconds)):
            return
        with self._lock:
            table = self._data.setdefault(key, {})
            self._data.move_to_end(key)
            b = _bucket(pixels)
            if b in table:  # a running average, so one noisy measurement does not stick
                p0, s0 = table[b]
                pixels, seconds = (p0 + pixels) / 2, (s0 + seconds) / 2
            table[b] = (float(pixels), float(seconds))
            while len(table) > MAX_POINTS:
                del table[max(table, key=lambda k: abs(k - b))]  # the size farthest from the new one
            while len(self._data) > MAX_KEYS:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


_timings = _Timings()
_measure_lock = threading.Lock()  # one calibration at a time (they would slow each other down)
_active_lock = threading.Lock()
_active_runs = 0


def clear_cache() -> None:
    """Forget every measured timing (tests, or after the machine's load changed)."""
    _timings.clear()


def busy() -> bool:
    """True while a run wrapped by a :class:`Tracker` is going in this process."""
    return _active_runs > 0


def per_step(points: list[tuple[float, float]], pixels: float, overhead: float = OVERHEAD_PX) -> float | None:
    """Seconds per step at ``pixels`` from measured (pixels, seconds) points, or None without any.

    Linear between the two nearest measured sizes; beyond them the line through the two end points,
    kept between constant and proportional cost. One point: proportional with a fixed ``overhead``.
    """
    if not points:
        return None
    if len(points) == 1:
        p0, s0 = points[0]
        return s0 * (pixels + overhead) / (p0 + overhead)
    i = min(max(np.searchsorted([p for p, _ in points], pixels), 1), len(points) - 1)
    (pa, sa), (pb, sb) = points[i - 1], points[i]
    slope = max(0.0, (sb - sa) / (pb - pa)) if pb > pa else 0.0
    if pixels <= pa:
        return min(sa, max(sa * pixels / pa, sa + slope * (pixels - pa)))
    if pixels >= pb:
        return max(sb, min(sb * pixels / pb, sb + slope * (pixels - pb)))
    return sa + slope * (pixels - pa)


# --- plans and estimates --------------------------------------------------------------------------

@dataclass(frozen=True)
class TimedSegment:
    """A part of a run with one working size: ``steps`` steps of ``sec_per_step`` after a start-up of
    ``setup_steps`` steps' worth plus ``fixed_s`` seconds (building and tracing the GAN's step)."""

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
    ``text`` breakdown, and the ``plan`` the remaining-time helper and :class:`Tracker` use."""

    seconds: float | None
    text: str
    plan: tuple[TimedSegment, ...]
    key: tuple
    overhead: float = OVERHEAD_PX

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
    """``"45 s"``, ``"3 min 07 s"``, ``"1 h 05 min"`` (as the DCGAN tab writes times)."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes} min {seconds:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def _make(key: tuple, segments: list[tuple[str, int, int, float]], detail: str, measure, overhead=OVERHEAD_PX,
          fixed_s: float = 0.0) -> Estimate:
    """Fill in seconds per step for [(label, steps, pixels, setup_steps)], measuring the extremes if asked."""
    sizes = sorted({p for _, _, p, _ in segments})
    if measure is not None:
        # the smallest size first: measuring it also warms up what the larger one would pay for
        wanted = [p for p in dict.fromkeys((sizes[0], sizes[-1])) if not _timings.has(key, p)]
        if wanted:
            with _measure_lock:
                for p in wanted:
                    if not _timings.has(key, p):  # another request may have measured it meanwhile
                        _timings.add(key, p, measure(p))
    points = _timings.points(key)
    plan = tuple(TimedSegment(label, steps, pixels, per_step(points, pixels, overhead), setup, fixed_s if i == 0 else 0.0)
                 for i, (label, steps, pixels, setup) in enumerate(segments))
    if not points:
        return Estimate(None, f"not measured yet ({detail})", plan, key, overhead)
    seconds = sum(s.sec_per_step * (s.steps + s.setup_steps) + s.fixed_s for s in plan)
    rates = sorted(s.sec_per_step for s in plan)
    rate = f"{rates[0]:.2g} s/step" if rates[-1] < 1.2 * rates[0] else f"{rates[0]:.2g}–{rates[-1]:.2g} s/step"
    return Estimate(seconds, f"≈ {format_duration(seconds)} {_where()} ({detail}; {rate})", plan, key, overhead)


def image_hw(source) -> tuple[int, int] | None:
    """(height, width) of an image file, PIL image or array without decoding it all; None if unreadable."""
    if source is None:
        return None
    if isinstance(source, np.ndarray):
        return tuple(source.shape[:2]) if source.ndim >= 2 else None
    try:
        from PIL import Image

        if isinstance(source, Image.Image):
            return source.height, source.width
        with Image.open(source) as img:
            return img.height, img.width
    except Exception:  # a bad upload: the run itself says what is wrong with it
        return None


def _model_key(model, *names) -> tuple:
    from . import models

    return ("custom", id(model)) if model is not None else (*names, models.weights_mode())


def _span(segments: list[plans.Segment]) -> str:
    (h0, w0), (h1, w1) = segments[0].shape, segments[-1].shape
    return f"{w0}×{h0}" + (f" to {w1}×{h1}" if (h0, w0) != (h1, w1) else "") + " px"


def _timed(key: tuple, segments: list[plans.Segment], setup: float, step_seconds, detail: str,
           measure: bool, **kwargs) -> Estimate:
    """:func:`_make` for an algorithm's plan: ``step_seconds(shape)`` times a step at a segment's shape."""
    by_units = {s.units: s.shape for s in segments}
    rows = [(s.label, s.steps, s.units, setup) for s in segments]
    return _make(key, rows, detail, (lambda units: step_seconds(by_units[units])) if measure else None, **kwargs)


# --- the three algorithms ---------------------------------------------------------------------------

def _where() -> str:
    return "on a worker of the Ray cluster" if compute.on_ray() else "on this machine"


def _where_runs(step_seconds, cfg, shape, model) -> float:
    """``step_seconds`` measured where runs compute (a Ray worker when on Ray), or here with an injected model."""
    return step_seconds(cfg, shape, model) if model is not None else compute.call(step_seconds, cfg, shape)


def estimate_dream(cfg, image_shape: tuple[int, int] | None = None, *, model=None, measure: bool = True) -> Estimate:
    """Predicted time of ``dream(image, cfg)``.

    Args:
        cfg: the run's :class:`~genart.dream.DreamConfig`.
        image_shape: (height, width) of the input before resizing; None: 4:3 with the long side ``max_dim``.
        model: the model the run will use; None: the cached extractor of ``cfg.layers`` (built if needed).
        measure: time the compiled step (in the precision the run uses) at sizes not measured yet;
            False uses cached timings only.
    """
    from . import dream, precision

    segments = dream.plan(cfg, image_shape)
    key = ("dream", _model_key(model, cfg.layers), cfg.tile_size, precision.resolve(cfg.precision).dtype)
    detail = f"{cfg.octaves} octave{'s' if cfg.octaves > 1 else ''} × {cfg.steps_per_octave} steps, {_span(segments)}"
    if cfg.zoom_frames:
        detail += f", then {cfg.zoom_frames} zoom frames × {cfg.zoom_steps} steps"
    return _timed(key, segments, 1.0, lambda shape: _where_runs(dream.step_seconds, cfg, shape, model), detail, measure)


def estimate_style(cfg, content_shape: tuple[int, int] | None = None, n_styles: int = 1, *, model=None,
                   measure: bool = True) -> Estimate:
    """Predicted time of ``stylize(content, styles, cfg)``.

    Args:
        cfg: the run's :class:`~genart.style.StyleConfig`.
        content_shape: (height, width) of the content before resizing; None: 4:3 with the long side ``max_dim``.
        n_styles: number of style images (each costs a forward pass per scale).
        model: the extractor the run will use; None: the cached VGG19 extractor of the config's layers.
        measure: run the real optimiser for a few steps at sizes not measured yet; False: cached timings only.
    """
    from . import precision, style

    segments = style.plan(cfg, content_shape)
    # start-up of a scale: the first call at the size and the targets (forward passes)
    setup = 1.0 + 0.5 * (1 + n_styles * cfg.style_scale ** 2)
    key = ("style", _model_key(model, cfg.style_layers, cfg.content_layers), cfg.optimizer,
           precision.resolve(cfg.precision).dtype)
    scales = f" over {len(segments)} scales" if len(segments) > 1 else ""
    detail = f"{cfg.optimizer}, {cfg.steps} steps{scales}, {_span(segments)}"
    return _timed(key, segments, setup, lambda shape: _where_runs(style.step_seconds, cfg, shape, model), detail, measure)


def estimate_gan(cfg, epochs: int, num_examples: int, *, fresh: bool = True, measure: bool = True) -> Estimate:
    """Predicted time of ``GanTrainer(cfg).train(epochs)`` on ``num_examples`` training images.

    Args:
        cfg: the trainer's :class:`~genart.gan.GanConfig`.
        epochs: epochs to train.
        num_examples: images in the training set.
        fresh: include building a new trainer and tracing its step (Train); False: an existing one (Continue).
        measure: time steps at a batch size not measured yet; False: cached timings only.

    Steps are timed by :func:`genart.gan.step_seconds` on a process-wide probe trainer, never on a
    session's own.
    """
    from . import gan, precision

    segments = gan.plan(cfg, epochs, num_examples)
    dtype = precision.resolve(cfg.precision).dtype
    key = ("gan", cfg.noise_dim, dtype, gan.image_shape(cfg))
    detail = f"{epochs} epoch{'s' if epochs > 1 else ''} × {segments[0].steps // int(epochs)} steps of {cfg.batch_size}"
    if measure:  # builds the probe trainer the first time
        _timed(key, segments, 2.0, lambda shape: compute.call(gan.step_seconds, cfg, shape), detail, True, overhead=OVERHEAD_BATCH)
    start_s = _gan_startup.get(key, 0.0) if fresh else 0.0
    if measure and fresh and key not in _gan_startup:
        start_s = _gan_startup[key] = compute.call(gan.startup_seconds, cfg)
    return _timed(key, segments, 2.0, None, detail, False, overhead=OVERHEAD_BATCH, fixed_s=start_s)


_gan_startup: dict[tuple, float] = {}  # (noise_dim, dtype, image shape) → seconds to build a trainer and trace its step


# --- during a run ---------------------------------------------------------------------------------

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

    def wrap(self, frames: Iterator[Frame]) -> Iterator[Frame]:
        """Yield ``frames`` unchanged; closing this generator closes ``frames``."""
        global _active_runs
        with _active_lock:
            _active_runs += 1
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
                self._observe(spent, self._step, frame.step, t1 - t0)
                if frame.step > 0 and self._since is None:
                    self._since = (frame.step, t1 - self._start)
                self._step = frame.step
                yield frame
        finally:
            with _active_lock:
                _active_runs -= 1
            for i, (seconds, steps) in spent.items():
                if steps >= 2 or seconds >= 0.5:
                    _timings.add(self.estimate.key, self.estimate.plan[i].pixels, seconds / steps)
            close = getattr(frames, "close", None)
            if close is not None:
                close()

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


# --- cheaper settings -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Suggestion:
    """A cheaper setting that fits the budget: the ``config`` (and ``epochs`` for the GAN), its estimate,
    and what changed, in words."""

    config: object
    estimate: Estimate
    change: str
    epochs: int | None = None

    @property
    def text(self) -> str:
        return f"{self.change} (≈ {format_duration(self.estimate.seconds)})"


def _largest(lo: int, hi: int, fits) -> int | None:
    """The largest v in [lo, hi] with fits(v) (fits holds up to a threshold), or None."""
    if hi < lo or not fits(lo):
        return None
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid - 1)
    return lo


def _search(cfg, estimate, budget_s, steps_field, steps_name, min_dim, first=None):
    """Shared plan: [first change], fewer steps (≥ half), smaller size (≥ half), then both."""
    R = dataclasses.replace
    cache: dict = {}

    def est(c):
        if c not in cache:
            cache[c] = estimate(c)
        return cache[c]

    def fits(c):
        s = est(c).seconds
        return s is not None and s <= budget_s

    changes = []
    if first is not None:
        c, words = first
        if est(c).seconds is not None and est(c).seconds < est(cfg).seconds:
            cfg, changes = c, [words]
            if fits(cfg):
                return Suggestion(cfg, est(cfg), "; ".join(changes))
    steps = getattr(cfg, steps_field)
    n = _largest(1, steps - 1, lambda v: fits(R(cfg, **{steps_field: v})))
    if n is not None and n >= steps / 2:
        c = R(cfg, **{steps_field: n})
        return Suggestion(c, est(c), "; ".join(changes + [f"{n} {steps_name} instead of {steps}"]))
    k = _largest(min_dim // 32, (cfg.max_dim - 1) // 32, lambda k: fits(R(cfg, max_dim=32 * k)))
    if k is not None and 32 * k >= cfg.max_dim / 2:
        c = R(cfg, max_dim=32 * k)
        return Suggestion(c, est(c), "; ".join(changes + [f"max size {32 * k} px instead of {cfg.max_dim}"]))
    small = R(cfg, max_dim=max(min_dim, 32 * (cfg.max_dim // 64)))
    n = _largest(1, steps, lambda v: fits(R(small, **{steps_field: v})))
    if n is not None:
        c = R(small, **{steps_field: n})
        words = f"max size {c.max_dim} px and {n} {steps_name}"
        return Suggestion(c, est(c), "; ".join(changes + [words]))
    return None


def suggest_cheaper(cfg, *args, budget_s: float = LONG_S, **kwargs) -> Suggestion | None:
    """A cheaper setting whose estimate fits ``budget_s``, from cached timings only; None if none does.

    ``cfg`` is a DreamConfig (then ``image_shape``, ``model``), a StyleConfig (``content_shape``,
    ``n_styles``, ``model``) or a GanConfig (``epochs``, ``num_examples``), with the arguments of the
    matching ``estimate_*`` function. DeepDream: fewer steps per octave, else a smaller size, else
    both; style transfer: coarse-to-fine (3 scales) first, then the same; DCGAN: fewer epochs, else
    fewer examples per epoch.
    """
    from .dream import DreamConfig
    from .gan import GanConfig
    from .style import StyleConfig

    if isinstance(cfg, DreamConfig):
        def dream_estimate(c):
            return estimate_dream(c, *args, **kwargs, measure=False)
        return _search(cfg, dream_estimate, budget_s, "steps_per_octave", "steps per octave", 128)
    if isinstance(cfg, StyleConfig):
        def style_estimate(c):
            return estimate_style(c, *args, **kwargs, measure=False)
        first = (dataclasses.replace(cfg, scales=3), "3 coarse-to-fine scales (quarter and half size first)") \
            if cfg.scales < 3 else None
        return _search(cfg, style_estimate, budget_s, "steps", "steps", 64, first)
    if isinstance(cfg, GanConfig):
        return _suggest_gan(cfg, *args, budget_s=budget_s, **kwargs)
    raise TypeError(f"suggest_cheaper: no time model for {type(cfg).__name__}")


def _suggest_gan(cfg, epochs: int, num_examples: int, budget_s: float) -> Suggestion | None:
    def est(c, e):
        return estimate_gan(c, e, num_examples, measure=False)

    def fits(c, e):
        s = est(c, e).seconds
        return s is not None and s <= budget_s

    e = _largest(1, int(epochs) - 1, lambda v: fits(cfg, v))
    if e is not None:
        return Suggestion(cfg, est(cfg, e), f"{e} epoch{'s' if e > 1 else ''} instead of {epochs}", e)
    examples = min(cfg.examples_per_epoch or num_examples, num_examples)
    k = _largest(1, (examples - 1) // 100, lambda k: fits(dataclasses.replace(cfg, examples_per_epoch=100 * k), 1))
    if k is None:
        return None
    c = dataclasses.replace(cfg, examples_per_epoch=100 * k)
    return Suggestion(c, est(c, 1), f"1 epoch of {100 * k:,} examples", 1)


def describe(est: Estimate, suggestion: Suggestion | None = None, budget_s: float = LONG_S) -> str:
    """One line: the estimate, and past ``budget_s`` the cheaper setting that would fit."""
    text = est.text
    if est.seconds is not None and est.seconds > budget_s:
        limit = f"{budget_s / 60:g} min" if budget_s >= 60 else f"{budget_s:g} s"
        text += f" — over {limit}. "
        text += f"To fit: {suggestion.text}." if suggestion else "Even much smaller settings would not fit."
    return text
