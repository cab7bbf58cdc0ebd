"""The precision policy: which arithmetic the networks compute in, decided per algorithm.

Choices (a config's ``precision`` field, the CLI's ``--precision``, ``GENART_PRECISION``):

* ``auto`` (default), decided for one algorithm (``"dream"``, ``"style"``, ``"gan"``, any later name):

  - GPU: ``bfloat16`` from compute capability 8.0 (Ampere) on; before that ``float16`` for the
    algorithms whose steps loss-scale it (:data:`FLOAT16_SCALED`), ``float32`` for the others;
  - CPU without native bfloat16 (x86 ``avx512_bf16``/``amx_bf16``, Arm ``bf16`` in its flags):
    ``float32``, never measured (emulated bfloat16 runs several times slower);
  - CPU with native bfloat16: the algorithm's own compiled step, timed by the ``timer`` its run
    module passes, in float32 and bfloat16, interleaved over :data:`ROUNDS` rounds, the fastest of
    each (load on a shared machine only ever adds time): ``bfloat16`` if it runs at least
    :data:`MIN_SPEEDUP` times float32's speed.

* ``float32``: exact, the tutorials' arithmetic; ``bfloat16`` / ``float16``: forced (float16 on a GPU only).

``GENART_PRECISION`` says what ``auto`` becomes for the whole process (an operator forcing
``float32`` on a server, or tests that must give the same pixels on every machine).

**Once per machine**: a measurement is made once per process and algorithm and kept in a file
shared by the machine's processes (:func:`cache_path`, keyed by :func:`machine_key`). It stores the
timings; the decision is taken from them on reading, so every process that reads it decides alike.

**The timer**: ``timer(dtype) -> float``, seconds per step of the algorithm's real compiled step
computing in ``dtype`` (``"float32"`` or ``"bfloat16"``), at a size representative of its runs, in
this process (the decision is this machine's). It may warm up (and trace) in its call. It times a
fixed dtype, never ``auto`` (a timer asking for ``auto`` is an error). A timer with a ``close()``
method (one that keeps networks built to be timed) is closed as soon as its measurement ends. A run
module passes its timer through :class:`genart.precision.AlgorithmPrecision`.

Only the networks' arithmetic changes: Keras' ``mixed_*`` policies keep the variables float32 and
:func:`genart.models.with_precision` casts every output back to float32, so images, losses, Gram
matrices, gradient normalisation and optimiser state stay float32. float16 gradients are
loss-scaled (:mod:`genart.precision.float16`).
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import platform
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .. import paths
from . import machine_cache
from ..errors import InputError

PRECISION_ENV = "GENART_PRECISION"
CACHE_ENV = "GENART_PRECISION_CACHE"
CHOICES = ("auto", "float32", "bfloat16", "float16")
#: CPU flags (``/proc/cpuinfo``: x86 ``flags``, Arm ``Features``) that mean native bfloat16 arithmetic.
BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16", "bf16"})
#: ``auto`` takes bfloat16 only if the algorithm's step runs at least this much faster: below it the
#: gain is within a loaded machine's noise and does not pay for bfloat16's coarser arithmetic.
MIN_SPEEDUP = 1.1
#: Interleaved rounds of float32 and bfloat16 timings (float32 first, then bfloat16 first, ...); a
#: speed-up within BORDERLINE× of MIN_SPEEDUP (either side) is measured EXTRA_ROUNDS rounds more.
#: On this project's loaded 2-core EPYC (load 6–10) three rounds of the DCGAN step ranged 0.95–2.4×;
#: the fastest of five, 1.3–1.7×.
ROUNDS, EXTRA_ROUNDS, BORDERLINE = 5, 4, 1.2
#: Algorithms whose steps loss-scale float16 gradients; ``auto`` gives the others float32 on a GPU without bfloat16.
FLOAT16_SCALED = frozenset({"dream", "style"})
#: Names for the header; an algorithm not listed is shown by its name.
LABELS = {"dream": "DeepDream", "style": "Style transfer", "gan": "DCGAN", "gan-quick": "DCGAN (genart's quick networks)",
          "fast_style": "Fast style transfer"}
#: Version of the decision file's entries; entries of another version are measured again.
CACHE_FORMAT = 1
#: Seconds a process waits for another one measuring before it measures too.
LOCK_WAIT_S = 300.0


@dataclass(frozen=True)
class Policy:
    """The precision a run uses.

    Attributes:
        dtype: ``"float32"``, ``"bfloat16"`` or ``"float16"``.
        requested: what was asked (``"auto"`` or a dtype).
        reason: one sentence starting with the dtype, for the header, the logs and the recipe.
        algorithm: the algorithm ``auto`` was decided for (None: not per algorithm).
        speedup: bfloat16's speed ÷ float32's measured for this algorithm on this machine (None: not measured).
        provisional: ``auto`` before this algorithm was measured here, asked without a timer: float32
            for now, not remembered (the algorithm's next run with its timer decides).
    """

    dtype: str
    requested: str
    reason: str
    algorithm: str | None = None
    speedup: float | None = None
    provisional: bool = False

    @property
    def keras_policy(self) -> str:
        """Keras' dtype policy name: ``"float32"``, ``"mixed_bfloat16"`` or ``"mixed_float16"``."""
        return "float32" if self.dtype == "float32" else f"mixed_{self.dtype}"

    @property
    def reduced(self) -> bool:
        return self.dtype != "float32"


def check(name: str, value) -> str:
    """Validate a precision setting (for configs' ``__post_init__``); returns it lower-cased."""
    text = str(value).strip().lower() if isinstance(value, str) else value
    if text not in CHOICES:
        raise InputError(f"{name} must be one of {', '.join(CHOICES)}; got {value!r}.")
    return text


def _cpuinfo(keys: tuple[str, ...], path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key.strip().lower() in keys:
                    return value.strip()
    except OSError:
        pass
    return None


def cpu_flags(path: str = "/proc/cpuinfo") -> frozenset[str]:
    """The CPU's feature flags (empty where they cannot be read: not Linux, or a sandbox)."""
    return frozenset((_cpuinfo(("flags", "features"), path) or "").split())


def cpu_model(path: str = "/proc/cpuinfo") -> str:
    """The CPU's model name (x86 ``model name``; Arm ``CPU part``/``Hardware``; else the platform's words)."""
    return (_cpuinfo(("model name", "hardware", "cpu part"), path) or platform.processor()
            or platform.machine() or "unknown CPU")


def native_bf16(flags: Iterable[str] | None = None) -> bool:
    """Whether the CPU's flags promise native bfloat16 arithmetic."""
    return bool(BF16_FLAGS & set(cpu_flags() if flags is None else flags))


def gpu_capability() -> tuple[int, int] | None:
    """(major, minor) compute capability of the first visible GPU, or None without one."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return None
    details = tf.config.experimental.get_device_details(gpus[0])
    return tuple(details.get("compute_capability") or (0, 0))


def tensorflow_version() -> str:
    """TensorFlow's version, without importing it when it is not imported yet."""
    if "tensorflow" in sys.modules:
        return str(getattr(sys.modules["tensorflow"], "__version__", "unknown"))
    from importlib import metadata

    for dist in ("tensorflow", "tensorflow-cpu", "tf-nightly"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            return metadata.version(dist)
    return "unknown"


_DEFAULT_PROBE = {"flags": cpu_flags, "gpu": gpu_capability, "cpu": cpu_model, "tensorflow": tensorflow_version}
_probe = dict(_DEFAULT_PROBE)  # what auto is decided from; tests replace it (see set_probe)
_facts: dict[str, object] = {}  # the probe's answers, asked once
_decided: dict[str, Policy] = {}  # algorithm → its auto policy in this process
_lock = threading.Lock()  # guards the three above
_algorithm_locks: dict[str, threading.Lock] = {}
_local = threading.local()  # .deciding: the algorithm this thread is measuring


def set_probe(flags=None, gpu=None, cpu=None, tensorflow=None) -> None:
    """Replace the hardware probe (tests; each argument a function of no arguments, None: the real one)
    and forget every ``auto`` decision of this process (the decision file is left alone)."""
    given = {"flags": flags, "gpu": gpu, "cpu": cpu, "tensorflow": tensorflow}
    with _lock:
        _probe.update({k: fn or _DEFAULT_PROBE[k] for k, fn in given.items()})
        _facts.clear()
        _decided.clear()


def _fact(name: str):
    with _lock:
        if name in _facts:
            return _facts[name]
        ask = _probe[name]
    value = ask()
    with _lock:
        return _facts.setdefault(name, frozenset(value) if name == "flags" else value)


# --- the decision file -----------------------------------------------------------------------------

def cache_path() -> str | None:
    """The decision file (:mod:`genart.precision.machine_cache`): ``$GENART_PRECISION_CACHE`` if set (``off``: None,
    no file), else ``$KERAS_HOME/genart/precision.json`` (``~/.keras`` without ``KERAS_HOME``), which
    survives restarts (on Spaces, on the persistent volume). Delete it to measure again."""
    env = os.environ.get(CACHE_ENV, "").strip()
    if env.lower() in ("off", "none", "0", "false", "no"):
        return None
    return os.path.expanduser(env) if env else os.path.join(paths.keras_home(), "genart", "precision.json")


def machine_key(algorithm: str) -> str:
    """The decision file's key for ``algorithm`` here: another CPU, flag set, CPU count or TensorFlow
    measures again. E.g. ``"dream | AMD EPYC | flags 3f2a9c0d1b2e | 2 CPUs | tensorflow 2.21.0"``."""
    digest = hashlib.sha256(" ".join(sorted(_fact("flags"))).encode()).hexdigest()[:12]
    return (f"{algorithm} | {_fact('cpu')} | flags {digest} | {os.cpu_count()} CPUs | "
            f"tensorflow {_fact('tensorflow')}")


def _valid(entry) -> bool:
    try:
        return all(math.isfinite(entry[k]) and entry[k] > 0 for k in ("float32_s", "bfloat16_s", "speedup"))
    except (TypeError, KeyError):
        return False


def _stored(algorithm: str) -> dict | None:
    path = cache_path()
    entry = machine_cache.read(path, CACHE_FORMAT).get(machine_key(algorithm)) if path else None
    return entry if _valid(entry) else None


# --- measuring and deciding ------------------------------------------------------------------------

def measure(timer: Callable[[str], float]) -> tuple[float, float, int]:
    """(float32, bfloat16) seconds per step and the rounds run: the fastest of :data:`ROUNDS` interleaved
    calls of ``timer`` each (float32 first in even rounds, bfloat16 first in odd ones, so drift hits
    both alike), of :data:`EXTRA_ROUNDS` more when the speed-up is near :data:`MIN_SPEEDUP`."""
    times: dict[str, list[float]] = {"float32": [], "bfloat16": []}

    def rounds(first: int, count: int) -> float:
        for r in range(first, first + count):
            for dtype in ("float32", "bfloat16") if r % 2 == 0 else ("bfloat16", "float32"):
                seconds = float(timer(dtype))
                if not (math.isfinite(seconds) and seconds > 0):
                    raise ValueError(f"the precision timer gave {seconds!r} seconds for {dtype}")
                times[dtype].append(seconds)
        return min(times["float32"]) / min(times["bfloat16"])

    done = ROUNDS
    if MIN_SPEEDUP / BORDERLINE < rounds(0, ROUNDS) < MIN_SPEEDUP * BORDERLINE:
        rounds(ROUNDS, EXTRA_ROUNDS)
        done += EXTRA_ROUNDS
    return min(times["float32"]), min(times["bfloat16"]), done


def _label(algorithm: str | None) -> str:
    return LABELS.get(algorithm, algorithm) if algorithm else "this run"


def _measured(algorithm: str, entry: dict) -> Policy:
    speedup = float(entry["speedup"])
    if speedup >= MIN_SPEEDUP:
        return Policy("bfloat16", "auto", f"bfloat16: its step measured {speedup:.1f}× float32's speed on this machine "
                      "(images, losses and optimiser state stay float32).", algorithm, speedup)
    shown = math.floor(speedup * 100) / 100  # 1.097 reads 1.09, not 1.10: below the line as it is
    return Policy("float32", "auto", f"float32: this CPU has native bfloat16, but its step measured only "
                  f"{shown:.2f}× float32's speed with it here.", algorithm, speedup)


def _environment() -> str:
    env = os.environ.get(PRECISION_ENV, "").strip().lower() or "auto"
    if env not in CHOICES:
        raise InputError(f"{PRECISION_ENV} must be one of {', '.join(CHOICES)}; got {env!r}.")
    return env


def _explicit(requested: str, algorithm: str | None) -> Policy:
    if requested == "float32":
        return Policy("float32", requested, "float32, as asked.", algorithm)
    if requested == "float16":
        if _fact("gpu") is None:
            raise InputError("precision: float16 runs only on a GPU; choose bfloat16, float32 or auto.")
        return Policy("float16", requested, "float16, as asked.", algorithm)
    note = "" if native_bf16(_fact("flags")) else " (this CPU emulates it: no faster than float32)"
    return Policy("bfloat16", requested, f"bfloat16, as asked{note}.", algorithm)


def known(algorithm: str | None = None) -> Policy | None:
    """What ``auto`` is for ``algorithm`` here without measuring anything: from ``GENART_PRECISION``,
    the GPU, a CPU without native bfloat16, or a measurement this process or the decision file has.
    None: this algorithm has not been measured on this machine yet (or no algorithm was named on a
    CPU where the answer depends on it).

    Raises:
        InputError: ``GENART_PRECISION`` is not one of the choices.
    """
    env = _environment()
    if env != "auto":
        policy = _explicit(env, algorithm)
        return Policy(policy.dtype, "auto", f"{policy.dtype}, set by {PRECISION_ENV}.", algorithm)
    cap = _fact("gpu")
    if cap is not None:
        gpu = f"GPU (compute capability {cap[0]}.{cap[1]})"
        if cap >= (8, 0):
            return Policy("bfloat16", "auto", f"bfloat16: {gpu} with native bfloat16.", algorithm)
        if algorithm in FLOAT16_SCALED:
            return Policy("float16", "auto", f"float16: {gpu}, its fast path (gradients loss-scaled).", algorithm)
        return Policy("float32", "auto", f"float32: {gpu} without bfloat16, and {_label(algorithm)} does not "
                      "loss-scale float16.", algorithm)
    if not BF16_FLAGS & _fact("flags"):
        return Policy("float32", "auto", f"float32: this CPU ({_fact('cpu')}) has no native bfloat16 "
                      "(emulated, it gains nothing or loses).", algorithm)
    if algorithm is None:
        return None
    with _lock:
        if algorithm in _decided:
            return _decided[algorithm]
    entry = _stored(algorithm)
    if entry is None:
        return None
    with _lock:
        return _decided.setdefault(algorithm, _measured(algorithm, entry))


def _decide(algorithm: str, timer: Callable[[str], float]) -> Policy:
    if getattr(_local, "deciding", None) is not None:
        raise RuntimeError(f"the precision timer of {_local.deciding!r} asked precision.resolve for 'auto' "
                           f"({algorithm!r}); a timer must time a fixed dtype")
    with _lock:
        lock = _algorithm_locks.setdefault(algorithm, threading.Lock())
    with lock:  # threads of one process measure once
        policy = known(algorithm)
        if policy is not None:
            return policy
        _local.deciding = algorithm
        try:
            path = cache_path()
            with machine_cache.exclusive(path, LOCK_WAIT_S) if path else contextlib.nullcontext():
                entry = _stored(algorithm)  # measured by another process while this one waited?
                if entry is None:
                    try:
                        f32, bf16, rounds = measure(timer)
                    finally:  # a timer that built networks to time lets them go now
                        getattr(timer, "close", lambda: None)()
                    entry = {
                        "algorithm": algorithm, "cpu": _fact("cpu"), "tensorflow": _fact("tensorflow"),
                        "cpus": os.cpu_count(), "float32_s": f32, "bfloat16_s": bf16, "speedup": f32 / bf16,
                        "rounds": rounds, "load": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
                        "measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
                    if path:
                        entry = machine_cache.add(path, CACHE_FORMAT, machine_key(algorithm), entry, _valid)
        finally:
            _local.deciding = None
        with _lock:
            return _decided.setdefault(algorithm, _measured(algorithm, entry))


def resolve(requested: str = "auto", algorithm: str | None = None,
            timer: Callable[[str], float] | None = None) -> Policy:
    """The policy for a run of ``algorithm`` that asks for ``requested``.

    Args:
        requested: ``"auto"`` (follows ``GENART_PRECISION``, then the machine) or a dtype.
        algorithm: ``"dream"``, ``"style"``, ``"gan"``, ...: whose step ``auto`` is decided from.
        timer: ``timer(dtype) -> seconds per step`` of that algorithm's compiled step (see the module
            docstring); used once per machine, when ``auto`` must be measured. Without one, an
            algorithm not measured yet gets a provisional float32 (``Policy.provisional``).

    Raises:
        InputError: an unknown choice, a bad ``GENART_PRECISION``, or ``float16`` without a GPU.
        ValueError: a timer without an algorithm, or a timer's answer that is not a positive time.
    """
    requested = check("precision", requested)
    if timer is not None and not algorithm:
        raise ValueError("precision.resolve: a timer needs the algorithm it times")
    if requested != "auto":
        return _explicit(requested, algorithm)
    policy = known(algorithm)
    if policy is not None:
        return policy
    if timer is None:
        return Policy("float32", "auto", "float32 until measured: its first run here times float32 against "
                      "bfloat16.", algorithm, provisional=True)
    return _decide(algorithm, timer)


def describe(algorithm: str) -> str:
    """One line for a tab's header or estimate, without measuring: "DeepDream in bfloat16: its step
    measured 2.2× float32's speed on this machine (…)" or "DeepDream in float32: this CPU has no …"."""
    try:
        policy = resolve("auto", algorithm)
    except InputError as exc:
        return str(exc)
    return f"{_label(algorithm)} in {policy.reason}"


def header_line(algorithms: Iterable[str] = ("dream", "style", "gan")) -> str:
    """The app's precision line: one reason when the machine decides for every algorithm alike
    (``GENART_PRECISION``, a GPU, a CPU without native bfloat16), else one :func:`describe` each."""
    try:
        policies = [resolve("auto", a) for a in algorithms]
    except InputError as exc:
        return str(exc)
    if len({p.reason for p in policies}) == 1 and policies[0].speedup is None and not policies[0].provisional:
        return f"Precision: {policies[0].reason}"
    return "Precision: " + " ".join(describe(a) for a in algorithms)
