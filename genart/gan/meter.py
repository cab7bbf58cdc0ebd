"""The "looks like digits" meter: how much a DCGAN's 16 preview samples look like real MNIST digits.

No pretrained network is involved; the project makes its own judge:

1. **A small digit classifier** (``assets/make_digit_classifier.py`` trains it, deterministically, on
   4 000 of the 5 000 shipped MNIST digits and holds the other 1 000 out): two strided 5×5
   convolutions with ReLU (28×28×1 → 14×14×16 → 7×7×32) and a dense layer to 10 logits, from
   weight arrays in ``assets/digit_classifier.npz`` read with ``allow_pickle=False``. The network
   is written here twice, in NumPy (:func:`logits`, what the script trains and measures with) and
   as a compiled ``tf.function`` (:func:`compile_classifier`, what live scoring runs: 16 images
   in under a millisecond, well under 1 % of a training step).
2. **A score of a set of samples** (:class:`DigitScore`): ``confidence``, the classifier's mean
   top-class probability over the samples, and ``coverage``, how many of the ten classes are the
   top class of at least one sample predicted with probability ≥ :data:`CONFIDENT` (a blurry
   sample the classifier hesitates about counts for no class).
3. **The threshold is what real digits score under the same protocol**: the script scores many
   random sets of :data:`SET_SIZE` (the tab's 4×4 grid) held-out real digits and stores, with the
   weights, the confidence and the coverage that :data:`REAL_QUANTILE` of them reach at least
   (the 10th percentile: 9 real grids in 10 score as high). 16 real digits rarely cover all ten
   classes, so coverage is judged against what real 16-sets cover, not against ten.
   :meth:`DigitMeter.reached` is True when a score reaches both.

The shape of the module: :func:`to_unit` brings samples to 28×28 floats in [0, 1],
:func:`logits` is the classifier (its weights a mapping of arrays; TensorFlow is imported only
when a meter first scores), :func:`score_probabilities`
turns class probabilities into a :class:`DigitScore`, and :func:`load_meter` gives the process's
one :class:`DigitMeter` (loaded once, under a lock). Only MNIST gets a meter: Fashion-MNIST and
own pictures are not digits.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..errors import DataUnavailable
from ..paths import asset

#: The shipped classifier's weights and threshold (see assets/digit_classifier.NOTICE.md).
ASSET = "digit_classifier.npz"
#: Samples the meter scores at a time: the tab's 4×4 preview grid.
SET_SIZE = 16
#: A sample counts towards ``coverage`` only if its top class has at least this probability.
CONFIDENT = 0.5
#: The quantile of real 16-digit sets' confidence and coverage the threshold is set to
#: (0.1: nine real grids in ten reach it).
REAL_QUANTILE = 0.1
#: The classifier's layers: (name, kernel size, stride, padding) of each convolution, then "dense".
CONVOLUTIONS = (("conv1", 5, 2, 2), ("conv2", 5, 2, 2))
#: Weight arrays of the asset: convolution kernels are (in channels, k, k, out channels).
WEIGHT_NAMES = ("conv1_kernel", "conv1_bias", "conv2_kernel", "conv2_bias", "dense_kernel", "dense_bias")


@dataclass(frozen=True)
class DigitScore:
    """How much a set of samples looks like digits.

    Attributes:
        confidence: the classifier's mean top-class probability over the samples (0.1 … 1).
        coverage: how many of the ten classes are some sample's confident top class (0 … 10).
    """

    confidence: float
    coverage: int

    def as_metrics(self) -> dict[str, float]:
        """``{"digit_confidence": …, "digit_coverage": …}`` for a Frame's metrics."""
        return {"digit_confidence": self.confidence, "digit_coverage": float(self.coverage)}


def to_unit(samples: np.ndarray) -> np.ndarray:
    """Samples as float32 N×28×28 in [0, 1] (white digit on black, as MNIST).

    Accepts uint8 (0 … 255) or floats in [-1, 1] (the generator's tanh output, as the trainer
    draws its previews), shaped N×28×28, N×28×28×1 or N×28×28×3 (the first channel is used).
    """
    x = np.asarray(samples)
    if x.ndim == 4:
        x = x[..., 0]
    if x.ndim != 3 or x.shape[1:] != (28, 28):
        raise ValueError(f"samples must be N×28×28 (×1 or ×3); got shape {np.shape(samples)}.")
    if x.dtype == np.uint8:
        return x.astype(np.float32) * np.float32(1 / 255)
    return np.clip((x.astype(np.float32) + 1.0) * 0.5, 0.0, 1.0)


def im2col(x: np.ndarray, k: int, stride: int, pad: int) -> np.ndarray:
    """Patches of ``x`` (N×H×W×C) for a k×k convolution: N×Ho×Wo×C×k×k (a copy-free view)."""
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    return sliding_window_view(xp, (k, k), axis=(1, 2))[:, ::stride, ::stride]


def conv(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, stride: int, pad: int) -> np.ndarray:
    """A k×k convolution of ``x`` (N×H×W×C) with ``kernel`` (C×k×k×F) plus ``bias``: N×Ho×Wo×F."""
    c, k, _, f = kernel.shape
    patches = im2col(x, k, stride, pad)
    n, ho, wo = patches.shape[:3]
    return (patches.reshape(n * ho * wo, c * k * k) @ kernel.reshape(c * k * k, f) + bias).reshape(n, ho, wo, f)


def logits(weights: Mapping[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """The classifier: images ``x`` (float32 N×28×28 in [0, 1]) → N×10 class logits."""
    h = x[..., None]
    for name, _, stride, pad in CONVOLUTIONS:
        h = np.maximum(conv(h, weights[f"{name}_kernel"], weights[f"{name}_bias"], stride, pad), 0.0)
    return h.reshape(len(h), -1) @ weights["dense_kernel"] + weights["dense_bias"]


def compile_classifier(weights: Mapping[str, np.ndarray]):
    """:func:`logits`' network as a compiled ``tf.function``: float32 N×28×28×1 in [0, 1] → N×10 probabilities.

    Live scoring uses it rather than NumPy: 16 images take about 0.8 ms either way on an idle
    core, but NumPy's BLAS threads contend with TensorFlow's on a busy machine (median 9 ms
    against 0.8 ms at load 4 on 2 vCPUs; benchmarks/bench_gan_quality.py ``--meter-cost``).
    """
    import tensorflow as tf

    w = {name: tf.constant(value) for name, value in weights.items()}
    kernels = {name: tf.transpose(w[f"{name}_kernel"], [1, 2, 0, 3]) for name, *_ in CONVOLUTIONS}  # k×k×C×F

    @tf.function(input_signature=[tf.TensorSpec([None, 28, 28, 1], tf.float32)])
    def probabilities(x):
        h = x
        for name, _, stride, pad in CONVOLUTIONS:
            h = tf.pad(h, [[0, 0], [pad, pad], [pad, pad], [0, 0]])
            h = tf.nn.relu(tf.nn.conv2d(h, kernels[name], stride, "VALID") + w[f"{name}_bias"])
        return tf.nn.softmax(tf.reshape(h, [tf.shape(h)[0], -1]) @ w["dense_kernel"] + w["dense_bias"])

    return probabilities


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax of logits."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def score_probabilities(probabilities: np.ndarray, confident: float = CONFIDENT) -> DigitScore:
    """The :class:`DigitScore` of a set of class probabilities (N×10)."""
    top = probabilities.max(axis=1)
    classes = probabilities.argmax(axis=1)[top >= confident]
    return DigitScore(float(top.mean()), len(np.unique(classes)))


class DigitMeter:
    """The classifier and the real digits' score; thread-safe (it holds nothing that changes).

    Attributes:
        threshold: the real digits' score (:class:`DigitScore`) that samples must reach.
    """

    def __init__(self, weights: Mapping[str, np.ndarray], threshold: DigitScore):
        """Args: weights: the arrays :data:`WEIGHT_NAMES` (float32); threshold: the real digits' score."""
        self.weights = {name: np.asarray(weights[name], np.float32) for name in WEIGHT_NAMES}
        self.threshold = threshold

    def probabilities(self, samples: np.ndarray) -> np.ndarray:
        """N×10 class probabilities of ``samples`` (any form :func:`to_unit` accepts)."""
        return softmax(logits(self.weights, to_unit(samples)))

    def score(self, samples: np.ndarray) -> DigitScore:
        """The :class:`DigitScore` of ``samples`` (score :data:`SET_SIZE` of them, as the threshold was made)."""
        return score_probabilities(self.probabilities(samples))

    def reached(self, score: DigitScore) -> bool:
        """True when ``score`` is at least the real digits' in both confidence and coverage."""
        return score.confidence >= self.threshold.confidence and score.coverage >= self.threshold.coverage


_lock = threading.Lock()
_meters: dict[str, DigitMeter] = {}


def judges(dataset: str, image_shape) -> bool:
    """Whether the meter scores a trainer's grids: MNIST digits (28×28 grey) only; Fashion-MNIST and own
    pictures are not digits."""
    return dataset == "mnist" and tuple(image_shape) == (28, 28, 1)


def read_asset(path: str) -> dict[str, np.ndarray]:
    """Every array of a classifier asset (``np.load`` with ``allow_pickle=False``: nothing is unpickled).

    Raises:
        DataUnavailable: the file is missing, damaged or lacks an array.
    """
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
        missing = [n for n in WEIGHT_NAMES + ("threshold_confidence", "threshold_coverage") if n not in arrays]
        if missing:
            raise KeyError(", ".join(missing))
    except (OSError, KeyError, ValueError) as exc:
        raise DataUnavailable(f"The digit classifier {path} could not be read ({type(exc).__name__}: {exc}); "
                              "rebuild it with `python assets/make_digit_classifier.py`.") from None
    return arrays


def load_meter(path: str | None = None) -> DigitMeter:
    """The process's :class:`DigitMeter` for the classifier at ``path`` (default: the shipped one),
    read once and kept (under a lock, so concurrent first calls read it once).

    Raises:
        DataUnavailable: the asset cannot be read.
    """
    path = path or asset(ASSET)
    with _lock:
        if path not in _meters:
            arrays = read_asset(path)
            threshold = DigitScore(float(arrays["threshold_confidence"]), int(arrays["threshold_coverage"]))
            _meters[path] = DigitMeter(arrays, threshold)
        return _meters[path]
