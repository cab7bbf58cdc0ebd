"""The DCGAN's run as the estimates see it: a trainer's step timed on this machine
(:func:`step_seconds`) and a new trainer's start-up (:func:`startup_seconds`).

The training run itself is :meth:`genart.gan.trainer.GanTrainer.train`. Its steps are timed on a
process-wide probe trainer built for the purpose (never a session's own, whose steps would
update its networks); at most one probe is kept, for the latest noise size, precision and image
shape.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from ..plans import Costing
from .config import GanConfig, image_shape, run_cost
from .trainer import GanTrainer, policy

_probe_lock = threading.Lock()
_probe: dict[tuple, tuple[GanTrainer, float]] = {}  # key → (the probe, seconds it took to build and trace)


def _probe_for(config: GanConfig) -> tuple[GanTrainer, float]:
    """The probe trainer for ``config``'s noise size, precision and image shape, with its start-up seconds."""
    shape = image_shape(config)
    key = (config.noise_dim, policy(config).dtype, shape)
    with _probe_lock:
        if key not in _probe:
            _probe.clear()
            start = time.perf_counter()
            probe = GanTrainer(GanConfig(batch_size=config.batch_size, noise_dim=config.noise_dim,
                                         precision=config.precision),
                               data=np.zeros((config.batch_size, *shape), np.uint8))
            probe.time_step(config.batch_size)  # traces the step
            probe.grid()  # a run draws its first preview grid at once (tracing the sampler)
            _probe[key] = probe, time.perf_counter() - start
        return _probe[key]


def step_seconds(config: GanConfig, shape: tuple[int, ...], model=None) -> float:
    """Seconds one training step of ``config`` takes on a batch of ``shape[0]`` images on this
    machine, in the precision a run would use (timed on the probe trainer; ``model`` is unused: the
    trainer builds its own networks)."""
    return _probe_for(config)[0].time_step(int(shape[0]))


def startup_seconds(config: GanConfig) -> float:
    """Seconds a new trainer of ``config`` takes before its first step (building, tracing, first grid)."""
    return _probe_for(config)[1]


#: How genart.estimate prices a DCGAN run (``epochs=`` and ``num_examples=`` as keywords).
COSTING = Costing(run_cost, step_seconds, startup_seconds)
