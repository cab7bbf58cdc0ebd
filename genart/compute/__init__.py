"""Where heavy runs compute: in this process (the default), or on a Ray cluster.

Set ``GENART_RAY_ADDRESS`` (``auto``, or a cluster's address such as ``127.0.0.1:6379``) and the
app sends each heavy run to the cluster as a Ray streaming-generator task that yields the same
:class:`~genart.frames.Frame`\\ s, and each DCGAN session's trainer becomes a Ray actor. Without the
variable nothing changes and Ray is never imported (it is an optional extra: ``pip install .[ray]``
or ``requirements-ray.txt``).

This module imports neither Ray nor TensorFlow; :mod:`genart.compute.ray_runs` holds the Ray side.
"""

from __future__ import annotations

import functools
import os
from typing import Callable, Iterator, Mapping

from ..errors import InputError

#: The environment variable naming the Ray cluster: ``auto`` (the one this machine belongs to) or an address.
ADDRESS_ENV = "GENART_RAY_ADDRESS"
#: CPUs each run asks of the cluster (``GENART_RAY_CPUS_PER_RUN``, default 1): how many runs fit at once.
CPUS_ENV = "GENART_RAY_CPUS_PER_RUN"
#: GPUs (or a share of one, e.g. 0.5) each run asks of a cluster that has GPUs
#: (``GENART_RAY_GPUS_PER_RUN``; default 1 there, 0 where the cluster has none). Ray hides the GPUs
#: from a task that asks for none, so without a share a run computes on CPUs.
GPUS_ENV = "GENART_RAY_GPUS_PER_RUN"


def ray_address(environ: Mapping[str, str] = os.environ) -> str | None:
    """The cluster address from ``GENART_RAY_ADDRESS`` (None when unset or blank: compute in this process)."""
    return environ.get(ADDRESS_ENV, "").strip() or None


def on_ray(environ: Mapping[str, str] = os.environ) -> bool:
    """True when heavy runs go to a Ray cluster."""
    return ray_address(environ) is not None


def cpus_per_run(environ: Mapping[str, str] = os.environ) -> float:
    """CPUs one run reserves on the cluster (``GENART_RAY_CPUS_PER_RUN``, default 1, at least 0.25)."""
    raw = environ.get(CPUS_ENV, "").strip()
    try:
        value = float(raw) if raw else 1.0
    except ValueError:
        raise InputError(f"{CPUS_ENV} must be a number of CPUs such as 1 or 2; got {raw!r}.") from None
    if not 0.25 <= value <= 1024:
        raise InputError(f"{CPUS_ENV} must be from 0.25 to 1024; got {raw!r}.")
    return value


def gpus_per_run(cluster_gpus: float, environ: Mapping[str, str] = os.environ) -> float:
    """GPUs one run reserves (``GENART_RAY_GPUS_PER_RUN``: 0 to 8; default 1, or 0 when the cluster has none)."""
    raw = environ.get(GPUS_ENV, "").strip()
    if not raw:
        return 1.0 if cluster_gpus >= 1 else 0.0
    try:
        value = float(raw)
    except ValueError:
        raise InputError(f"{GPUS_ENV} must be a number of GPUs such as 1 or 0.5; got {raw!r}.") from None
    if not 0 <= value <= 8:
        raise InputError(f"{GPUS_ENV} must be from 0 to 8; got {raw!r}.")
    return value


def slots(cpus: float, gpus: float, cpu_share: float, gpu_share: float) -> int:
    """Runs that fit at once on a cluster of ``cpus`` and ``gpus`` when each takes the given shares (at least 1)."""
    fit = int(cpus // cpu_share)
    if gpu_share > 0:
        fit = min(fit, int(gpus // gpu_share))
    return max(1, fit)


def _require_ray() -> None:
    """A sentence, not an ImportError, when the variable is set and Ray is not installed."""
    import importlib.util

    if importlib.util.find_spec("ray") is None:
        raise InputError(f"{ADDRESS_ENV} is set, but Ray is not installed here: pip install -r requirements-ray.txt "
                         "(or pip install .[ray]), or unset the variable to compute in this process.")


def where() -> str:
    """One line for the app's header: ``"this process"`` or ``"Ray cluster at …, N CPUs, M GPUs"``."""
    if not on_ray():
        return "this process"
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
