"""The one thing every genart generator yields."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

import numpy as np


@dataclass(frozen=True)
class Frame:
    """One intermediate (or the final) result of a running algorithm.

    Attributes:
        image: H×W×3 uint8 RGB array, ready to show.
        step: steps done so far, counted across octaves, scales or epochs.
        total: steps planned for the whole run; constant within a run.
        stage: a short human label such as ``"octave 2/5"`` or ``"epoch 3/10"``.
        metrics: named scalar values, e.g. ``{"loss": 1.2}``.
        final: True for the last frame of a run, and only for it.
    """

    image: np.ndarray
    step: int
    total: int
    stage: str
    metrics: Mapping[str, float] = field(default_factory=dict)
    final: bool = False

    def __post_init__(self) -> None:
        img = self.image
        if not (isinstance(img, np.ndarray) and img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3):
            raise TypeError(f"Frame.image must be an H×W×3 uint8 array, got {getattr(img, 'dtype', type(img))} "
                            f"{getattr(img, 'shape', '')}")


def close_frames(frames: Iterable[Frame]) -> None:
    """Close ``frames`` if it is a generator, so its cleanup (``finally`` blocks) runs now.

    Every wrapper that passes a run's frames on calls this when it ends (finished, stopped, failed
    or abandoned), so that closing the outermost generator stops the backend at once.
    """
    close = getattr(frames, "close", None)
    if close is not None:
        close()
