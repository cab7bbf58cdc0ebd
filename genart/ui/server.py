"""Getting a server ready: where Keras keeps its downloads, and a warm-up before the first visitor.

Imports nothing heavy at module level: :func:`configure_environment` must run before Keras is
imported (Keras reads ``KERAS_HOME`` once, at import). What the warm-up downloads (the weights on a
fresh Space) shows on :mod:`genart.downloads`' channel, so a visitor's run waiting for it says so;
``python -m genart weights`` fetches it ahead instead (a Docker image's build step).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
from typing import MutableMapping

from ..paths import SPACES_DATA_DIR, on_spaces, use_persistent_storage
from .progress import working

log = logging.getLogger("genart")

__all__ = ["SPACES_DATA_DIR", "configure_environment", "on_spaces", "start_warm_up", "warm_up", "warm_up_wanted"]

def configure_environment(environ: MutableMapping[str, str] = os.environ, data_dir: str = SPACES_DATA_DIR) -> None:
    """On Spaces with persistent storage, keep Keras' weights and datasets there across restarts
    (:func:`genart.paths.use_persistent_storage`, which the command line calls too).

    Nothing changes elsewhere, nor when the operator has set ``KERAS_HOME``.
    """
    use_persistent_storage(environ, data_dir)


def warm_up_wanted(environ: MutableMapping[str, str] = os.environ) -> bool:
    """Whether ``python app.py`` warms up in the background: yes unless ``GENART_WARMUP`` is 0 (or false/no).

    A fresh app that did not would make its first visitor wait while each tab's step is traced (a
    first dream's trace took 6.6 s), and a Stop pressed then would only be answered after it."""
    value = environ.get("GENART_WARMUP", "").strip().lower()
    return value not in ("0", "false", "no")


def warm_up() -> dict[str, float | str]:
    """Fetch weights and data and trace each tab's default step at a tiny size, once (on a Ray
    cluster, the runs warm a worker there).

    Returns seconds spent per part, or the error message of a part that failed (logged, not
    raised: a visitor then sees the same clear message when they press Run). While it runs it
    counts as a run (:func:`genart.ui.progress.busy`): estimates answer from what is measured
    instead of measuring behind it.
    """
    import numpy as np

    from ..compute import streamed
    from ..gan.data import load_digits
    from .. import dream as dreams, gan, style as styles
    from ..dream import DreamConfig, dream
    from ..fast_style import FastStyleConfig, paint
    from ..style import FAST, stylize

    yy, xx = np.mgrid[0:96, 0:128]
    image = np.stack([xx * 2, yy * 2, (xx + yy) % 256], axis=2).astype(np.uint8)
    parts = {
        "dream": lambda: [*streamed(dream)(image, DreamConfig(octaves=1, steps_per_octave=1, max_dim=128))],
        "style": lambda: [*streamed(stylize)(image, image, dataclasses.replace(FAST, steps=1, max_dim=64, scales=1))],
        "fast style": lambda: [*streamed(paint)(image, image, FastStyleConfig(max_dim=64))],
        "digits": lambda: load_digits("mnist"),
        # what `auto` computes in, per algorithm (timed once per machine where the CPU has native bfloat16)
        "precision": lambda: [dreams.policy(DreamConfig()), styles.policy(styles.StyleConfig()),
                              gan.policy(gan.GanConfig())],
    }
    from ..compute import on_ray

    if on_ray():  # the first Train finds an actor with TensorFlow imported
        from ..compute import ray_runs, ray_trainer

        parts["gan actor"] = lambda: (ray_runs.connect(), ray_trainer.start_spare())
    report: dict[str, float | str] = {}
    with working():
        for name, run in parts.items():
            start = time.perf_counter()
            try:
                run()
                report[name] = time.perf_counter() - start
            except Exception as exc:  # a warm-up never stops the server
                report[name] = str(exc)
                log.warning("warm-up of %s failed: %s", name, exc)
    log.info("warm-up done: %s", report)
    return report


def start_warm_up() -> threading.Thread:
    """Run :func:`warm_up` in a background thread (the server starts serving at once)."""
    thread = threading.Thread(target=warm_up, name="genart-warm-up", daemon=True)
    thread.start()
    return thread
