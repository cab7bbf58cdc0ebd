"""Where runs compute, as the environment says: the Ray cluster's address, and what each run asks of
it (CPUs, GPUs) and so how many fit at once. Imports neither Ray nor TensorFlow."""

from __future__ import annotations

import os
from typing import Mapping

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
