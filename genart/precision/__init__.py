"""Precision: which arithmetic the networks compute in (:mod:`.policy`), one algorithm's runs asking for
it (:mod:`.algorithm`), float16 done safely (:mod:`.float16`), and the per-machine file that keeps
``auto``'s measurements (:mod:`.machine_cache`)."""

from .algorithm import AlgorithmPrecision
from .policy import (BF16_FLAGS, CACHE_ENV, CACHE_FORMAT, CHOICES, EXTRA_ROUNDS, FLOAT16_SCALED, LABELS, MIN_SPEEDUP,
                     PRECISION_ENV, ROUNDS, Policy, cache_path, check, cpu_flags, cpu_model, describe, gpu_capability,
                     header_line, known, machine_key, measure, native_bf16, resolve, set_probe, tensorflow_version)

__all__ = ["AlgorithmPrecision", "BF16_FLAGS", "CACHE_ENV", "CACHE_FORMAT", "CHOICES", "EXTRA_ROUNDS",
           "FLOAT16_SCALED", "LABELS", "MIN_SPEEDUP", "PRECISION_ENV", "ROUNDS", "Policy", "cache_path", "check",
           "cpu_flags", "cpu_model", "describe", "gpu_capability", "header_line", "known", "machine_key", "measure",
           "native_bf16", "resolve", "set_probe", "tensorflow_version"]
