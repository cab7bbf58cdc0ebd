"""Runs on a Ray cluster: the connection, streaming-generator tasks of frames, whole runs for batches.

Imported only when ``GENART_RAY_ADDRESS`` is set (or by a test, a benchmark or ``--ray``), because
it imports Ray. Every node of the cluster needs genart and its requirements installed, the same
version as the app (``pip install .[ray]``); workers keep their own model caches, since Ray reuses
a worker process for the tasks that follow.

How a run maps onto Ray:

- :func:`remote_frames` starts ``fn(*args, **kwargs)`` as a streaming-generator task
  (``num_returns="streaming"``) and yields its frames as they arrive. Closing the generator (Stop,
  a closed tab, the per-run time limit) cancels the task, which frees its CPUs at once.
- :func:`run_to_end` computes a whole run remotely and returns its final frame only (batches);
  :func:`run_remote` calls a plain function there (the estimates time their steps on the cluster).
- File paths among the arguments travel as the files' bytes (:func:`portable`), so no node needs
  the app's disk; genart's decoders take bytes as they take paths.
- The frames' :class:`~genart.frames.RunFacts` (the precision the run decided on its worker) travel
  with them, saying where they computed (:func:`location`): the app's recipe records the worker's
  decision, never its own.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import sys
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from ..errors import GenartError
from .settings import ADDRESS_ENV, cpus_per_run, gpus_per_run, ray_address, slots

#: Ray treats 127.0.0.1 as "this machine's address" and advertises the machine's network address
#: instead, unless this variable is 0 when Ray is imported: :func:`start_local` sets it, so a test's
#: or a benchmark's cluster talks over loopback only.
LOOPBACK_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
#: Host names of a cluster on this machine's loopback.
LOOPBACK_HOSTS = ("localhost", "::1")
#: Ray's token authentication: its switch, and the token ``ray start`` writes on this machine.
AUTH_ENV, AUTH_TOKEN = "RAY_AUTH_MODE", "~/.ray/auth_token"
#: Seconds to wait for a cluster's port to answer before saying it cannot be reached.
CONNECT_TIMEOUT_S = 3.0
#: Environment the workers get from the app: what the header promises must hold on the cluster too.
FORWARDED_ENV = ("GENART_WEIGHTS", "GENART_PRECISION", "TF_CPP_MIN_LOG_LEVEL")
#: Frames a task may compute ahead of the app: a stalled browser pauses the task instead of piling
#: images up in the object store.
FRAMES_AHEAD = 4


class ClusterUnavailable(GenartError):
    """The Ray cluster named by ``GENART_RAY_ADDRESS`` cannot be reached."""


def _ray():
    import ray

    return ray


def runtime_env() -> dict:
    """The workers' environment: :data:`FORWARDED_ENV` as set in this process (weights, precision)."""
    return {"env_vars": {name: os.environ[name] for name in FORWARDED_ENV if name in os.environ}}


_lock = threading.Lock()


def _keep_on_loopback() -> None:
    """Make Ray advertise 127.0.0.1 for this process's node (before or after Ray's import)."""
    os.environ[LOOPBACK_ENV] = "0"
    if "ray" in sys.modules:
        from ray._private import ray_constants

        ray_constants.ENABLE_RAY_CLUSTER = False


def _host_port(address: str) -> tuple[str, int] | None:
    """``("127.0.0.1", 6379)`` from ``"127.0.0.1:6379"``; None for ``auto`` and other forms."""
    host, sep, port = address.rpartition(":")
    return (host.strip("[]"), int(port)) if sep and host and port.isdigit() else None


def _unavailable(address: str, why: str, joining: bool = False) -> ClusterUnavailable:
    """The sentence for a cluster that cannot be used; ``joining``: it answered, but Ray could not join it."""
    auth = "" if AUTH_ENV in os.environ or not joining else (
        f" If the cluster uses token authentication (Ray's default), set {AUTH_ENV}=token as Ray's documentation says.")
    return ClusterUnavailable(f"Could not reach the Ray cluster at {address} ({ADDRESS_ENV}): {why}. Start one "
                              f"with `ray start --head`, or unset the variable to compute in this process.{auth}")


def _found_address(address: str) -> str | None:
    """The cluster address ``auto`` means, as Ray finds it (``RAY_ADDRESS``, then the address file
    ``ray start`` writes on this machine); the address itself otherwise."""
    if address != "auto":
        return address
    if os.environ.get("RAY_ADDRESS", "").strip():
        return os.environ["RAY_ADDRESS"].strip()
    from ray._private.utils import read_ray_address

    return read_ray_address()


def connect():
    """Connect this process to the cluster (once; a cluster already joined is reused) and return ``ray``.

    A loopback address (``127.0.0.1:6379``, ``localhost:…``, or what ``auto`` finds) keeps this
    process's side of Ray on loopback too. Nothing listening at the address is found out in
    seconds, not after Ray's minutes of retries.

    Raises:
        ClusterUnavailable: the address is wrong, nothing answers there, or ``auto`` finds no cluster.
    """
    address = ray_address() or "auto"
    with _lock:
        if "ray" in sys.modules and sys.modules["ray"].is_initialized():
            return sys.modules["ray"]
        found = _found_address(address)
        if found is None:
            raise _unavailable(address, "no Ray cluster was started on this machine")
        target = _host_port(found)
        if target is not None:
            if target[0] in LOOPBACK_HOSTS or target[0].startswith("127."):
                _keep_on_loopback()
                # Ray turns on token authentication for a cluster it finds by itself (``auto``)
                # when this machine has a token, but never for an explicit address: a loopback
                # address is this machine's cluster too, so it is treated the same way.
                if AUTH_ENV not in os.environ and os.path.isfile(os.path.expanduser(AUTH_TOKEN)):
                    os.environ[AUTH_ENV] = "token"
                address = found  # as found: Ray would otherwise resolve 127.0.0.1 to the network address
            try:
                socket.create_connection(target, timeout=CONNECT_TIMEOUT_S).close()
            except OSError as exc:
                raise _unavailable(found, exc.strerror or str(exc)) from None
        ray = _ray()
        try:
            ray.init(address=address, runtime_env=runtime_env(), log_to_driver=False, logging_level="WARNING")
        except Exception as exc:  # ConnectionError, ValueError (bad address), RuntimeError
            raise _unavailable(address, str(exc), joining=True) from None
    return ray


def start_local(num_cpus: int = 2) -> str:
    """Start a Ray cluster inside this process that listens on 127.0.0.1 only (tests, benchmarks).

    Returns its address: set ``GENART_RAY_ADDRESS`` to it and the app (built afterwards) and
    :func:`connect` use it. :func:`stop_local` ends it.
    """
    _keep_on_loopback()
    ray = _ray()
    with _lock:
        if not ray.is_initialized():
            ray.init(address="local", num_cpus=num_cpus, include_dashboard=False, _node_ip_address="127.0.0.1",
                     runtime_env=runtime_env(), log_to_driver=False, logging_level="WARNING")
    _cluster.clear()
    return ray.get_runtime_context().gcs_address


def stop_local() -> None:
    """End the cluster :func:`start_local` started."""
    _ray().shutdown()
    _cluster.clear()
    _tasks.clear()


@dataclass(frozen=True)
class Cluster:
    """What the app's header says about the cluster, and how many runs it takes at once."""

    address: str
    cpus: float
    gpus: float
    slots: int
    gpus_per_run: float = 0.0

    def describe(self) -> str:
        runs = "1 run" if self.slots == 1 else f"{self.slots} runs"
        share = f", {self.gpus_per_run:g} GPU each" if self.gpus_per_run else ""
        return f"Ray cluster at {self.address}, {self.cpus:g} CPUs, {self.gpus:g} GPUs ({runs} at once{share})"


_cluster: dict[str, Cluster] = {}


def cluster() -> Cluster:
    """The connected cluster's address and size (measured once per connection)."""
    ray = connect()
    address = ray.get_runtime_context().gcs_address
    if address not in _cluster:
        resources = ray.cluster_resources()
        cpus, gpus = float(resources.get("CPU", 0)), float(resources.get("GPU", 0))
        gpu_share = gpus_per_run(gpus)
        _cluster.clear()
        _cluster[address] = Cluster(address, cpus, gpus, slots(cpus, gpus, cpus_per_run(), gpu_share), gpu_share)
    return _cluster[address]


def portable(value: Any) -> Any:
    """``value`` with file paths (at the top level or in a list or tuple) replaced by the files' bytes."""
    if isinstance(value, (str, os.PathLike)) and os.path.isfile(value):
        with open(value, "rb") as fh:
            return fh.read()
    if isinstance(value, (list, tuple)):
        return type(value)(portable(v) for v in value)
    return value


def location() -> str:
    """Where this process computes, as a run's facts say it: ``"Ray cluster at <address>, node <ip>"``
    (called in a task or an actor on the cluster)."""
    ray = _ray()
    return f"Ray cluster at {ray.get_runtime_context().gcs_address}, node {ray.util.get_node_ip_address()}"


def _frames(fn: Callable[..., Iterator], args: tuple, kwargs: dict) -> Iterator:
    """The task's body: ``fn``'s frames, their facts saying where they computed (:func:`location`),
    its generator closed however the task ends (cancelled too)."""
    frames = fn(*args, **kwargs)
    where = location()
    try:
        for frame in frames:
            facts = getattr(frame, "facts", None)
            yield frame if facts is None else dataclasses.replace(frame, facts=dataclasses.replace(facts, where=where))
    finally:
        frames.close()


def _call(fn: Callable, args: tuple, kwargs: dict):
    """A plain call's value."""
    return fn(*args, **kwargs)


def _final(fn: Callable[..., Iterator], args: tuple, kwargs: dict):
    """A whole run's final frame (the last one)."""
    last = None
    for last in _frames(fn, args, kwargs):
        pass
    return last


_tasks: dict[str, Any] = {}


def _task(name: str, body: Callable):
    if name not in _tasks:
        ray = _ray()
        options = dict(num_cpus=cpus_per_run(), num_gpus=cluster().gpus_per_run, max_retries=0)
        if name == "frames":
            options.update(num_returns="streaming", _generator_backpressure_num_objects=FRAMES_AHEAD)
        _tasks[name] = ray.remote(**options)(body)
    return _tasks[name]


def _submit(name: str, body: Callable, fn: Callable, args: tuple, kwargs: dict):
    """Start ``body(fn, args, kwargs)`` as task ``name`` on the cluster, file paths sent as bytes."""
    connect()
    return _task(name, body).remote(fn, portable(args), {k: portable(v) for k, v in kwargs.items()})


def task_error(exc: BaseException) -> BaseException:
    """The exception raised inside a task or actor call (a user's InputError reads as itself), else ``exc``."""
    cause = getattr(exc, "cause", None)
    return cause if isinstance(cause, BaseException) else exc


def remote_frames(fn: Callable[..., Iterator], *args, **kwargs) -> Iterator:
    """``fn(*args, **kwargs)``'s frames, computed by a streaming task on the cluster.

    Closing this generator cancels the task. An error inside the task is raised here as itself.
    """
    refs = _submit("frames", _frames, fn, args, kwargs)
    try:
        for ref in refs:
            yield result(ref)
    finally:
        _ray().cancel(refs)  # no-op once the task has finished


def run_to_end(fn: Callable[..., Iterator], *args, **kwargs):
    """Start ``fn(*args, **kwargs)`` on the cluster as a whole run; returns its ObjectRef (the final frame).

    Use :func:`result` to read it with the task's own error.
    """
    return _submit("final", _final, fn, args, kwargs)


def run_remote(fn: Callable, *args, **kwargs):
    """Start ``fn(*args, **kwargs)`` (a plain function) on the cluster; returns the ObjectRef of its value."""
    return _submit("call", _call, fn, args, kwargs)


def result(ref):
    """The value behind ``ref``; an error inside the task is raised as itself."""
    ray = _ray()
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as exc:
        raise task_error(exc) from None
