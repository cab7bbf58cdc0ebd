"""One algorithm's precision, as its run module asks for it: :class:`AlgorithmPrecision`.

A run module makes one, once, with the algorithm's name and the timer of its own compiled step,
and each run asks it for its policy (:meth:`~AlgorithmPrecision.policy`) and for its network in
that policy (:meth:`~AlgorithmPrecision.network`)::

    PRECISION = AlgorithmPrecision("dream", lambda dtype: step_seconds(DreamConfig(precision=dtype), SHAPE))
    chosen = PRECISION.policy(config.precision)
    net = PRECISION.network(chosen, model, lambda dtype: models.dream_extractor(config.layers, precision=dtype))

The run then reports ``chosen`` on its frames (:class:`genart.frames.RunFacts`), and its recipe
records that: nothing decides the precision again after the run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .policy import Policy, resolve


class AlgorithmPrecision:
    """The precision of one algorithm's runs.

    Args:
        algorithm: its name (``"dream"``, ``"style"``, ``"gan"``, …): whose step ``auto`` is decided from.
        timer: ``timer(dtype) -> seconds per step`` of its own compiled step (see
            :mod:`genart.precision.policy`); one with a ``close()`` method (a timer that builds networks
            to time) is closed when its measurement ends. Tests may replace the attribute.
    """

    def __init__(self, algorithm: str, timer: Callable[[str], float]):
        self.algorithm, self.timer = algorithm, timer

    def __repr__(self) -> str:
        return f"AlgorithmPrecision({self.algorithm!r})"

    def policy(self, requested: str = "auto") -> Policy:
        """What a run asking for ``requested`` (``auto``, ``float32``, …) computes in: ``auto`` is decided
        from this algorithm's step, once per machine (:func:`genart.precision.resolve`)."""
        return resolve(requested, self.algorithm, timer=self.timer)

    def network(self, chosen: Policy, model, build: Callable[[str], Any]):
        """The network a run computes with in ``chosen``'s dtype: ``model`` (a float32 Keras model, run
        through :func:`genart.models.with_precision`), or when it is None ``build(dtype)`` (the cached network)."""
        if model is None:
            return build(chosen.dtype)
        from ..models import with_precision

        return with_precision(model, chosen)
