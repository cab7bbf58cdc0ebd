"""The cluster side of :mod:`genart.compute.ray_trainer`: :class:`TrainerActor`, one session's
:class:`~genart.gan.GanTrainer` inside a Ray actor.

Its methods return plain values and bytes: the proxy turns them back into frames and files. Files
are written in the actor's own temporary folders, since the actor may be on another machine.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import threading
from typing import Iterator

import numpy as np
import ray

from ..errors import InputError
from ..gan import GRID_SCALE, GanConfig
from .ray_runs import location

#: Attributes that never change for a trainer, read once when it is built.
FIXED = ("num_examples", "data_source", "data_note", "data_digest", "architecture", "networks_note", "image_shape",
         "examples_per_epoch", "steps_per_epoch", "precision")


class TrainerActor:
    """The cluster side: one session's :class:`~genart.gan.GanTrainer` (built by :meth:`build`)."""

    def __init__(self):
        self.trainer = None
        self._runs, self._runs_lock = 0, threading.Lock()

    def warm(self) -> str:
        """Import TensorFlow and the trainer's compiled parts now, before a Train needs them; returns the actor's id."""
        from ..gan import step  # noqa: F401

        return ray.get_runtime_context().get_actor_id()

    def build(self, config: GanConfig, data) -> dict:
        """Build the trainer (as ``GanTrainer(config, data)``); returns its fixed attributes, its ``facts``
        saying where it computes (:func:`~genart.compute.ray_runs.location`)."""
        from ..gan import GanTrainer

        self.trainer = GanTrainer(config, data)
        return {"actor_id": ray.get_runtime_context().get_actor_id(),
                **{name: getattr(self.trainer, name) for name in FIXED},
                "facts": dataclasses.replace(self.trainer.facts, where=location())}

    def train(self, epochs: int) -> Iterator[tuple]:
        """``trainer.train(epochs)`` as compact frames: the preview grid at 1× and only when it changed."""
        frames = self.trainer.train(epochs)
        last = None
        with self._runs_lock:
            self._runs += 1
        try:
            for frame in frames:
                small = None if frame.image is last else np.ascontiguousarray(frame.image[::GRID_SCALE, ::GRID_SCALE])
                last = frame.image
                yield small, frame.step, frame.total, frame.stage, dict(frame.metrics), frame.final
        finally:
            frames.close()
            with self._runs_lock:
                self._runs -= 1

    def runs(self) -> int:
        """Training runs in progress (a stopped one ends at its next step)."""
        return self._runs

    def call(self, name: str, *args):
        """``trainer.<name>(*args)`` for the methods that return plain values (history, grid, samples, generate)."""
        if name not in ("history", "grid", "samples", "generate", "digits"):
            raise ValueError(f"TrainerActor.call: {name!r} is not a plain-valued trainer method")
        return getattr(self.trainer, name)(*args)

    def step(self) -> int:
        return self.trainer.step

    def state(self) -> tuple[int, dict]:
        """Step and history at one moment (what a closed proxy still answers); a run may be stepping."""
        return self.trainer.state()

    def save(self) -> dict[str, bytes]:
        """The files ``trainer.save`` writes, by name."""
        with tempfile.TemporaryDirectory(prefix="genart-ckpt-") as folder:
            self.trainer.save(folder)
            return {name: read_bytes(os.path.join(folder, name)) for name in sorted(os.listdir(folder))}

    def restore(self, files: dict[str, bytes], shown: str) -> None:
        """``trainer.restore`` on ``files``; its messages name ``shown`` (the caller's folder), not ours."""
        with tempfile.TemporaryDirectory(prefix="genart-restore-") as folder:
            for name, blob in files.items():
                with open(os.path.join(folder, os.path.basename(name)), "wb") as fh:
                    fh.write(blob)
            try:
                self.trainer.restore(folder)
            except InputError as exc:
                raise InputError(str(exc).replace(folder, shown)) from None

    def export(self, method: str, suffix: str) -> bytes:
        """The bytes of the file ``trainer.<method>(path)`` writes (``export_generator``, ``timelapse``)."""
        if method not in ("export_generator", "timelapse"):
            raise ValueError(f"TrainerActor.export: {method!r} writes no file")
        with tempfile.TemporaryDirectory(prefix="genart-export-") as folder:
            path = os.path.join(folder, "out" + suffix)
            getattr(self.trainer, method)(path)
            return read_bytes(path)


def read_bytes(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()
