"""Sending a run where it computes: itself in this process, or the Ray side
(:mod:`genart.compute.ray_runs`, :mod:`genart.compute.ray_trainer`, imported only when on Ray)."""

from __future__ import annotations

import functools
from typing import Callable, Iterator

from ..errors import InputError
from ..frames import THIS_PROCESS
from .settings import ADDRESS_ENV, on_ray

def _require_ray() -> None:
    """A sentence, not an ImportError, when the variable is set and Ray is not installed."""
    import importlib.util

    if importlib.util.find_spec("ray") is None:
        raise InputError(f"{ADDRESS_ENV} is set, but Ray is not installed here: pip install -r requirements-ray.txt "
                         "(or pip install .[ray]), or unset the variable to compute in this process.")


def where() -> str:
    """One line for the app's header: ``"this process"`` or ``"Ray cluster at …, N CPUs, M GPUs"``."""
    if not on_ray():
        return THIS_PROCESS
    _require_ray()
    from .ray_runs import cluster

    return cluster().describe()


def run_slots() -> int | None:
    """How many runs the cluster computes at once (:func:`slots` of its size); None in this process."""
    if not on_ray():
        return None
    _require_ray()
    from .ray_runs import cluster

    return cluster().slots


def streamed(fn: Callable[..., Iterator]) -> Callable[..., Iterator]:
    """``fn`` (a generator function of frames) where runs compute: itself in this process; on Ray, a
    function with the same signature whose frames come from a streaming task on the cluster.

    Decided when called (the app calls it while building its tabs). File paths among the arguments
    (Gradio's upload cache) travel as the files' bytes, so the workers need no shared disk.
    """
    if not on_ray():
        return fn
    _require_ray()
    from .ray_runs import remote_frames

    @functools.wraps(fn)
    def run(*args, **kwargs) -> Iterator:
        return remote_frames(fn, *args, **kwargs)

    return run


def trainer_factory(local: Callable):
    """What makes a DCGAN session's trainer: ``local`` (:class:`~genart.gan.GanTrainer`) in this
    process; on Ray, :class:`~genart.compute.ray_trainer.RemoteTrainer`, a proxy of the same interface
    whose trainer lives in a Ray actor (created on Train, killed on Reset or when the session ends)."""
    if not on_ray():
        return local
    _require_ray()
    from .ray_trainer import RemoteTrainer

    return RemoteTrainer


def call(fn: Callable, *args, **kwargs):
    """``fn(*args, **kwargs)`` where runs compute: here, or as a Ray task whose value comes back
    (the estimates time their steps this way, on the hardware that will run them)."""
    if not on_ray():
        return fn(*args, **kwargs)
    _require_ray()
    from .ray_runs import result, run_remote

    return result(run_remote(fn, *args, **kwargs))
