"""The one thing every genart generator yields, and what a run reports about itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Mapping

import numpy as np

if TYPE_CHECKING:  # for the annotation only: frames imports nothing of genart when it runs
    from .precision import Policy

#: Where a run computed when it ran in the process that iterates its frames.
THIS_PROCESS = "this process"


@dataclass(frozen=True)
class RunFacts:
    """What a run reports about itself: what it computed in, and where. Its recipe records the
    precision (:func:`genart.recipe.make_recipe`); nothing decides it again after the run.

    Attributes:
        precision: the policy its networks computed in (None: an algorithm without a precision
            choice, the fast style network).
        where: :data:`THIS_PROCESS`, or where :mod:`genart.compute` sent it (``"Ray cluster at …"``).
    """

    precision: Policy | None = None
    where: str = THIS_PROCESS


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
        facts: what the run reports about itself (:class:`RunFacts`), on every frame from the
            moment it has decided its precision (so on the final one, and on the latest frame of a
            run ended early); None before that.
    """

    image: np.ndarray
    step: int
    total: int
    stage: str
    metrics: Mapping[str, float] = field(default_factory=dict)
    final: bool = False
    facts: RunFacts | None = None

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
