"""What a run will do, as data: the segments an algorithm's run iterates.

Each algorithm owns its plan: ``genart.dream.plan``, ``genart.style.plan`` and ``genart.gan.plan``
return the very list of :class:`Segment` s their runs iterate (DeepDream: one per octave; style
transfer: one per coarse-to-fine scale; DCGAN: one for its training steps). The cost estimate,
the UI and the CLI read these lists instead of repeating the size arithmetic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


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
    return sum(s.steps for s in segments)


def working_hw(image_hw: tuple[int, int] | None, max_dim: int) -> tuple[int, int]:
    """The size a run works at: the image shrunk to ``max_dim`` (never enlarged), with the rounding
    of :func:`genart.images.resize_max_dim`; no image: 4:3 with the long side ``max_dim``."""
    if image_hw is None:
        return round(max_dim * 3 / 4), int(max_dim)
    h, w = int(image_hw[0]), int(image_hw[1])
    scale = max_dim / max(h, w)
    return (h, w) if scale >= 1.0 else (max(1, round(h * scale)), max(1, round(w * scale)))
