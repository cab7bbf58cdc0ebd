"""What a run will do and what it costs, as data: the segments it iterates, and how to price them.

Each algorithm owns its plan and states its cost; :mod:`genart.estimate` turns that into seconds
without knowing any algorithm's fields:

* :class:`Segment` — a part of a run with one working size. ``genart.dream.plan``,
  ``genart.style.plan`` and ``genart.gan.plan`` return the very list their runs iterate (one per
  octave, per coarse-to-fine scale, or one for the GAN's training steps).
* :class:`RunCost` — a run priced as its algorithm sees it: the timing-table key (the algorithm and
  every setting that changes what a step costs), the segments, a one-line description, the start-up
  of each segment, and the :class:`Knob` s a cheaper run may turn.
* :class:`Costing` — an algorithm's pair of functions: ``run_cost(config, …)`` (its config module,
  no TensorFlow) and ``step_seconds(config, shape, model=None)`` (its run module, which times the
  real compiled step), plus ``startup_seconds(config)`` where a run first builds something (the
  DCGAN's trainer).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Segment:
    """A part of a run with one working size.

    Attributes:
        label: how the run's frames name it ("octave 2/5", "adam 256×192 px", "training").
        steps: steps in this segment.
        shape: what one step works on: (height, width) of the image; the DCGAN: (batch size,).
    """

    label: str
    steps: int
    shape: tuple[int, ...]

    @property
    def units(self) -> int:
        """The size a step's cost grows with: pixels (images) or examples (a batch)."""
        return math.prod(self.shape)


def total_steps(segments) -> int:
    """Steps of all ``segments`` together."""
    return sum(s.steps for s in segments)


def working_hw(image_hw: tuple[int, int] | None, max_dim: int) -> tuple[int, int]:
    """The size a run works at: the image shrunk to ``max_dim`` (never enlarged), with the rounding
    of :func:`genart.images.resize_max_dim`; no image: 4:3 with the long side ``max_dim``."""
    if image_hw is None:
        return round(max_dim * 3 / 4), int(max_dim)
    h, w = int(image_hw[0]), int(image_hw[1])
    scale = max_dim / max(h, w)
    return (h, w) if scale >= 1.0 else (max(1, round(h * scale)), max(1, round(w * scale)))


def span(segments) -> str:
    """``"92×92 to 156×156 px"``: the working sizes of image segments, smallest to largest (as planned)."""
    (h0, w0), (h1, w1) = segments[0].shape, segments[-1].shape
    return f"{w0}×{h0}" + (f" to {w1}×{h1}" if (h0, w0) != (h1, w1) else "") + " px"


@dataclass(frozen=True)
class Knob:
    """A whole-number setting a cheaper run may turn down (:func:`genart.estimate.suggest_cheaper`).

    Attributes:
        name: the config field it sets, or a run argument of ``run_cost`` (the DCGAN's ``epochs``).
        value: its value in the run being priced.
        alone: how a change of it alone reads: ``"{new} steps per octave instead of {old}"``
            (``{s}`` is "s" unless the new value is 1).
        part: how it reads beside other changes: ``"{new} steps per octave"``.
        low: the least value it may take.
        multiple: values are multiples of this (sizes: 32).
        keep: turned alone, it goes no lower than this share of its value (0: as low as needed).
        searched: in the last attempt, where every knob is turned down, this one is searched down to
            ``low`` while the others drop to their floor (``keep`` × value, at least ``low``).
    """

    name: str
    value: int
    alone: str
    part: str
    low: int = 1
    multiple: int = 1
    keep: float = 0.5
    searched: bool = False

    def candidates(self, least: int) -> range:
        """Values below the current one, from ``least`` (rounded up to the multiple) upwards."""
        first = -(-max(least, self.low) // self.multiple)
        return range(first, (self.value - 1) // self.multiple + 1)

    @property
    def floor(self) -> int:
        """The value this knob drops to when every knob is turned down together."""
        return max(self.low, self.multiple * math.floor(self.value * self.keep / self.multiple))

    def words(self, template: str, new: int) -> str:
        return template.format(new=f"{new:,}", old=f"{self.value:,}", s="" if new == 1 else "s")


@dataclass(frozen=True)
class RunCost:
    """A run as :mod:`genart.estimate` prices it.

    Attributes:
        key: the timing-table key: the algorithm and every setting that changes what a step costs
            (the network, tiles, optimiser, precision…), never the sizes or step counts.
        segments: the run's plan.
        detail: one line saying what is priced ("3 octaves × 20 steps, 92×92 to 156×156 px").
        setup_steps: each segment's start-up, in steps (the first call at a new size, targets).
        overhead: the fixed part of a step's cost, in the units a step grows with (pixels; examples).
        startup: a new run first builds and traces something (a DCGAN trainer), timed once per key.
        knobs: what a cheaper run may turn, in the order tried.
        first_change: ``(changes, words)`` tried before the knobs, kept if cheaper (style transfer:
            coarse-to-fine), or None.
    """

    key: tuple
    segments: tuple[Segment, ...]
    detail: str
    setup_steps: float = 1.0
    overhead: float = 20_000
    startup: bool = False
    knobs: tuple[Knob, ...] = ()
    first_change: tuple[dict, str] | None = None


@dataclass(frozen=True)
class Costing:
    """How an algorithm's runs are priced: the functions :mod:`genart.estimate` calls.

    Attributes:
        run_cost: ``run_cost(config, *inputs, **options) -> RunCost`` (the config module's).
        step_seconds: ``step_seconds(config, shape, model=None) -> float``: seconds of one real
            compiled step at ``shape`` (a segment's) on this machine (the run module's).
        startup_seconds: ``startup_seconds(config) -> float``: seconds a new run spends before its
            first step, where ``RunCost.startup`` says it has one; None otherwise.
    """

    run_cost: Callable[..., RunCost]
    step_seconds: Callable[..., float]
    startup_seconds: Callable[..., float] | None = None
