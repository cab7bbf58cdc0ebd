"""The precision policy: which arithmetic the networks compute in, beside the weights policy.

Choices (a config's ``precision`` field, the CLI's ``--precision``, ``GENART_PRECISION``):

* ``auto`` (default): ``bfloat16`` where this machine runs it *faster* than float32, otherwise
  ``float32``. On a CPU that means native bfloat16 in its flags (x86 ``avx512_bf16`` or
  ``amx_bf16``, Arm ``bf16``) *and* a measurement at first use that agrees: a CPU without native
  bfloat16 emulates it, slower than float32, so it is never chosen there. On a GPU: ``bfloat16``
  from compute capability 8.0 (Ampere) on, ``float16`` before that.
* ``float32``: exact, the tutorials' arithmetic (their presets name it).
* ``bfloat16`` / ``float16``: forced (``float16`` only on a GPU).

``GENART_PRECISION`` says what ``auto`` becomes for the whole process (an operator forcing
``float32`` on a server, or tests that must give the same pixels on every machine).

Only the networks' arithmetic changes. Keras' ``mixed_*`` policies keep the variables float32,
and :func:`genart.models.with_precision` casts every output back to float32, so images, losses,
Gram matrices, gradient normalisation and optimiser state stay float32 whatever the network
computes in.
"""

from __future__ import annotations

import functools
import os
import platform
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterable

from .errors import InputError

PRECISION_ENV = "GENART_PRECISION"
CHOICES = ("auto", "float32", "bfloat16", "float16")
#: CPU flags (``/proc/cpuinfo``: x86 ``flags``, Arm ``Features``) that mean native bfloat16 arithmetic.
BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16", "bf16"})
#: ``auto`` takes bfloat16 only if the probe runs at least this much faster than float32.
MIN_SPEEDUP = 1.1


@dataclass(frozen=True)
class Policy:
    """The precision a run uses: ``dtype`` ("float32", "bfloat16" or "float16"), what was ``requested``,
    and ``reason``, one sentence for the app's header and the logs."""

    dtype: str
    requested: str
    reason: str

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


def cpu_flags(path: str = "/proc/cpuinfo") -> frozenset[str]:
    """The CPU's feature flags (empty where they cannot be read: not Linux, or a sandbox)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key.strip().lower() in ("flags", "features"):
                    return frozenset(value.split())
    except OSError:
        pass
    return frozenset()


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


def measure_speedup(repeats: int = 3) -> float:
    """float32 time ÷ bfloat16 time of a small convolutional block and its gradient (fastest of ``repeats``).

    The block is what the networks do in a step: 3×3 convolutions, bias, ReLU, max-pooling, then the
    gradient with respect to the input (DeepDream and style transfer) and the weights (the DCGAN).
    A single forward convolution is not enough: a CPU without native bfloat16 can run that one fast
    and still emulate the rest (seen here: a forward convolution at 1.02×, a DeepDream step at 0.1×).
    Well under a second with native bfloat16; a CPU that emulates it gives well under 1.
    """
    import tensorflow as tf

    x = tf.random.stateless_uniform([1, 48, 48, 48], [0, 1])
    k1 = tf.random.stateless_uniform([3, 3, 48, 48], [0, 2], -0.1, 0.1)
    k2 = tf.random.stateless_uniform([3, 3, 48, 48], [0, 3], -0.1, 0.1)
    b = tf.zeros([48])

    def best(dtype):
        args = [tf.cast(t, dtype) for t in (x, k1, k2, b)]

        @tf.function
        def block(x, k1, k2, b):
            with tf.GradientTape() as tape:
                tape.watch([x, k1])
                h = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, k1, 1, "SAME"), b))
                h = tf.nn.relu(tf.nn.conv2d(h, k2, 1, "SAME"))
                loss = tf.reduce_mean(tf.cast(tf.nn.max_pool2d(h, 2, 2, "SAME"), tf.float32))
            return tape.gradient(loss, [x, k1])

        block(*args)[0].numpy()  # traces, warms the kernels
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            for _ in range(2):
                block(*args)[0].numpy()
            times.append(time.perf_counter() - start)
        return min(times)

    return best(tf.float32) / best(tf.bfloat16)


@dataclass(frozen=True)
class _Probe:
    """What ``auto`` is decided from; tests replace it (see :func:`set_probe`)."""

    flags: Callable[[], frozenset[str]] = cpu_flags
    gpu: Callable[[], tuple[int, int] | None] = gpu_capability
    speedup: Callable[[], float] = measure_speedup


_probe = _Probe()
_lock = threading.Lock()


def set_probe(flags=None, gpu=None, speedup=None) -> None:
    """Replace the hardware probe (tests) and forget the cached ``auto`` decision."""
    global _probe
    with _lock:
        _probe = _Probe(flags or cpu_flags, gpu or gpu_capability, speedup or measure_speedup)
    _auto.cache_clear()


@functools.lru_cache(maxsize=1)
def _auto() -> Policy:
    with _lock:
        probe = _probe
    cap = probe.gpu()
    if cap is not None:
        if cap >= (8, 0):
            return Policy("bfloat16", "auto", f"GPU (compute capability {cap[0]}.{cap[1]}) with native bfloat16.")
        return Policy("float16", "auto", f"GPU (compute capability {cap[0]}.{cap[1]}): float16 is its fast path.")
    cpu = platform.processor() or platform.machine() or "this CPU"
    flags = probe.flags()
    if not BF16_FLAGS & set(flags):
        return Policy("float32", "auto", f"float32: this CPU ({cpu}) has no native bfloat16 "
                                         "(emulated, it gains nothing or loses).")
    speedup = probe.speedup()
    if speedup < MIN_SPEEDUP:
        return Policy("float32", "auto", f"float32: this CPU has native bfloat16, but it measured only "
                                         f"{speedup:.2f}× float32's speed here.")
    return Policy("bfloat16", "auto", f"bfloat16: this CPU has native bfloat16, measured {speedup:.1f}× "
                                      "float32's speed (images, losses and optimiser state stay float32).")


def resolve(requested: str = "auto") -> Policy:
    """The policy for a run that asks for ``requested`` (``"auto"`` follows ``GENART_PRECISION``).

    Raises:
        InputError: an unknown choice, or ``float16`` without a GPU.
    """
    requested = check("precision", requested)
    if requested == "auto":
        env = os.environ.get(PRECISION_ENV, "").strip().lower() or "auto"
        if env not in CHOICES:
            raise InputError(f"{PRECISION_ENV} must be one of {', '.join(CHOICES)}; got {env!r}.")
        if env != "auto":
            policy = resolve(env)
            return Policy(policy.dtype, "auto", f"{policy.dtype}, set by {PRECISION_ENV}.")
        return _auto()
    if requested == "float32":
        return Policy("float32", requested, "float32, as asked.")
    if requested == "float16":
        with _lock:
            probe = _probe
        if probe.gpu() is None:
            raise InputError("precision: float16 runs only on a GPU; choose bfloat16, float32 or auto.")
        return Policy("float16", requested, "float16, as asked.")
    note = "" if native_bf16(_probe.flags()) else " (this CPU emulates it: no faster than float32)"
    return Policy("bfloat16", requested, f"bfloat16, as asked{note}.")


def header_line() -> str:
    """One line for the app's header: the precision ``auto`` gives here, and why."""
    try:
        policy = resolve("auto")
    except InputError as exc:
        return str(exc)
    return f"Precision: {policy.reason}"
