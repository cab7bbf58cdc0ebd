"""A second yardstick for the DCGAN: the Fréchet distance between generated and real digits, on the
features of a digit network of genart's own (as TF-GAN's MNIST Fréchet distance and Heusel et al.'s
FID do with theirs).

The live meter (:mod:`genart.gan.meter`) looks at 16 samples at a time and asks "does each look like
some digit?"; this asks whether *many* samples, together, are spread like real digits: a generator
that draws only clean ones and sevens pleases the meter more than this.

1. **The network** (:func:`build_frechet_network`; ``assets/make_digit_frechet.py`` trains it on
   3 000 of the 4 000 training digits of the shipped sample, :func:`genart.gan.data.shipped_split`,
   and keeps the other 1 000 (:func:`floor_split`) unseen to measure the floor): Conv 32
   5×5 → ReLU → max-pool (14×14) → Conv 64 5×5 → ReLU → max-pool (7×7) → Conv 64 3×3 → ReLU →
   max-pool (3×3) → Flatten → Dense 128 (the **features**) → ReLU → Dropout 0.3 → Dense 10. A third
   network: not the meter's classifier, not the projected discriminator's features, and no preset
   trains against it.
2. **The distance** (:func:`frechet_distance`): fit a Gaussian (mean, covariance) to the 128 features
   of each set; d² = ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁ Σ₂)^½). Lower is closer; 0 only for identical
   statistics. Finite sets of real digits do not reach 0: the **floor** is the distance of 1 000 real
   digits neither network has seen (the training digits the network was not fitted on) to the
   held-out ones, which the script prints and the NOTICE records (with 1 000 rather than 2 000
   samples the floor sits a little higher than it would). Digits the network *was* fitted on score
   only a little worse. The shipped digits are stored sorted by label: any real set compared here
   is a random one, never the first N.
3. **The protocol** (:class:`FrechetYardstick`): :data:`SAMPLES` (2 000) samples against the 1 000
   held-out real digits of the shipped sample, which none of genart's networks trained on.
"""

from __future__ import annotations

import threading

import numpy as np

from ..errors import DataUnavailable
from ..paths import asset

#: The shipped weights (see assets/digit_frechet.NOTICE.md).
ASSET = "digit_frechet.npz"
#: Generated samples a distance is measured on.
SAMPLES = 2000
#: The layers with weights, in order (the features are ``features``' output, before its ReLU).
LAYERS = ("conv1", "conv2", "conv3", "features", "logits")

_lock = threading.Lock()
_cache: dict[str, object] = {}


#: Training digits the network is fitted on; the rest of the training split is its floor's real digits.
FIT_DIGITS = 3000


def floor_split(train_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(indices the network is fitted on, the unseen rest) of the training split ``train_idx``: a fixed
    shuffle (``numpy.random.default_rng(2)``), :data:`FIT_DIGITS` then the rest."""
    order = np.random.default_rng(2).permutation(len(train_idx))
    return np.sort(train_idx[order[:FIT_DIGITS]]), np.sort(train_idx[order[FIT_DIGITS:]])


def build_frechet_network():
    """The untrained network: 28×28×1 images in [-1, 1] → (128 features, 10 logits)."""
    import keras

    layers = keras.layers
    x = inputs = keras.Input((28, 28, 1))
    for name, filters, size in (("conv1", 32, 5), ("conv2", 64, 5), ("conv3", 64, 3)):
        x = layers.MaxPooling2D(2)(layers.Conv2D(filters, size, padding="same", activation="relu", name=name)(x))
    features = layers.Dense(128, name="features")(layers.Flatten()(x))
    logits = layers.Dense(10, name="logits")(layers.Dropout(0.3, seed=0)(layers.ReLU()(features)))
    return keras.Model(inputs, [features, logits], name="digit_frechet")


def frechet_distance(mean_a: np.ndarray, cov_a: np.ndarray, mean_b: np.ndarray, cov_b: np.ndarray) -> float:
    """d² between the Gaussians (mean_a, cov_a) and (mean_b, cov_b).

    tr((Σa Σb)^½) is computed as the sum of the square roots of the eigenvalues of the symmetric
    Σa^½ Σb Σa^½, which has the same eigenvalues (no complex square roots of rounding errors).
    """
    values, vectors = np.linalg.eigh(cov_a)
    root_a = (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T
    middle = np.linalg.eigvalsh(root_a @ cov_b @ root_a)
    trace_root = float(np.sqrt(np.clip(middle, 0.0, None)).sum())
    return float(np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2.0 * trace_root)


class FrechetYardstick:
    """The network and the held-out digits' feature statistics; :meth:`distance` scores a set of samples."""

    def __init__(self, network, reference: np.ndarray):
        """Args: network: the trained :func:`build_frechet_network`; reference: the real digits to compare
        with (any form :func:`genart.gan.meter.to_unit` accepts)."""
        import tensorflow as tf

        model = network
        self._features = tf.function(lambda x: model(x, training=False)[0],
                                     input_signature=[tf.TensorSpec([None, 28, 28, 1], tf.float32)])
        self.reference = self.statistics(reference)

    def features(self, samples: np.ndarray) -> np.ndarray:
        """N×128 features of ``samples`` (uint8 0…255 or floats in [-1, 1]; N×28×28, ×1 or ×3)."""
        from .meter import to_unit

        x = to_unit(samples)[..., None] * 2.0 - 1.0
        return np.concatenate([self._features(x[i:i + 500]).numpy() for i in range(0, len(x), 500)]).astype(np.float64)

    def statistics(self, samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(mean, covariance) of the features of ``samples``."""
        f = self.features(samples)
        return f.mean(axis=0), np.cov(f, rowvar=False)

    def distance(self, samples: np.ndarray) -> float:
        """The Fréchet distance between ``samples`` and the reference digits (use :data:`SAMPLES` of them)."""
        return frechet_distance(*self.statistics(samples), *self.reference)


def load_network(path: str | None = None):
    """The trained network from the shipped arrays ``<layer>_kernel`` / ``<layer>_bias``.

    Raises:
        DataUnavailable: the file is missing, damaged or lacks a layer's weights.
    """
    path = path or asset(ASSET)
    network = build_frechet_network()
    try:
        with np.load(path, allow_pickle=False) as npz:
            for name in LAYERS:
                network.get_layer(name).set_weights([npz[f"{name}_kernel"].astype(np.float32),
                                                     npz[f"{name}_bias"].astype(np.float32)])
    except (OSError, KeyError, ValueError) as exc:
        raise DataUnavailable(f"The Fréchet network {path} could not be read ({type(exc).__name__}: {exc}); "
                              "rebuild it with `python assets/make_digit_frechet.py`.") from None
    return network


def load_yardstick(path: str | None = None) -> FrechetYardstick:
    """The process's yardstick: the shipped network against the shipped sample's 1 000 held-out digits
    (built once, under a lock)."""
    from .data import load_shipped_subset, shipped_split

    path = path or asset(ASSET)
    with _lock:
        if path not in _cache:
            digits = load_shipped_subset()
            _cache[path] = FrechetYardstick(load_network(path), digits.images[shipped_split(len(digits))[1]])
        return _cache[path]
