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

from ..costing import Costing
from .config import GanConfig, image_shape, run_cost, step_shape
from .trainer import GanTrainer, policy

_probe_lock = threading.Lock()
_probe: dict[tuple, tuple[GanTrainer, float]] = {}  # key → (the probe, a new run's start-up seconds)


def _probe_for(config: GanConfig) -> tuple[GanTrainer, float]:
    """The probe trainer for ``config``'s noise size, precision, batch size and image shape, with the
    start-up a new run of it pays: building the trainer, the first step's time over a step (tracing,
    first allocations: more at a larger batch) and the first preview grid. The timing steps
    themselves are left out (a run's estimate counts each of its steps)."""
    shape = image_shape(config)
    key = (config.noise_dim, policy(config).dtype, config.batch_size, shape, *step_shape(config))
    with _probe_lock:
        if key not in _probe:
            _probe.clear()
            start = time.perf_counter()
            networks, discriminator, augment = step_shape(config)
            probe = GanTrainer(GanConfig(batch_size=config.batch_size, noise_dim=config.noise_dim,
                                         precision=config.precision, networks=networks,
                                         discriminator=discriminator, augment=augment),
                               data=np.zeros((config.batch_size, *shape), np.uint8))
            built = time.perf_counter()
            step_s = probe.time_step(config.batch_size)  # traces the step: a first call, then two timed
            traced = time.perf_counter()
            probe.grid()  # a run draws its first preview grid at once (tracing the sampler)
            startup = (built - start) + max(0.0, traced - built - 3 * step_s) + (time.perf_counter() - traced)
            _probe[key] = probe, startup
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
