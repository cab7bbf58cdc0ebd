"""The frozen digit features a projected discriminator judges (Sauer et al. 2021, "Projected GANs
Converge Faster").

A discriminator that starts from nothing must first learn what strokes and digit parts look like
before its judgement can teach the generator; one that looks at the features of a network already
trained on digits starts with that knowledge. genart trains that network itself
(``assets/make_digit_features.py``, on the 4 000 training digits of the shipped sample:
:func:`genart.gan.data.shipped_split`) and ships its convolutions in ``assets/digit_features.npz``.
It is **not** the meter's classifier and shares none of its weights: the meter judges the
samples, it never trains anything.

The network (:func:`build_feature_network`), 28×28×1 images in [-1, 1] (white on black):

* ``features1``: Conv 32 3×3 /1 → LeakyReLU 0.2 (28×28×32)
* ``features2``: Conv 64 3×3 /2 → LeakyReLU 0.2 (14×14×64)
* ``features3``: Conv 128 3×3 /2 → LeakyReLU 0.2 (7×7×128)

During training the script adds a dense layer from the flattened 7×7×128 map to 10 digit logits;
only the three convolutions are shipped. In a discriminator every layer is frozen
(``trainable = False``): its weights never change, while gradients flow through it to the
generator.
"""

from __future__ import annotations

import threading

import numpy as np

from ..errors import DataUnavailable
from ..paths import asset

#: The shipped convolutions (see assets/digit_features.NOTICE.md).
ASSET = "digit_features.npz"
#: (name, filters, stride) of each convolution; the side shrinks 28 → 28 → 14 → 7.
LAYERS = (("features1", 32, 1), ("features2", 64, 2), ("features3", 128, 2))
#: Input side.
SIDE = 28

_lock = threading.Lock()
_weights: dict[str, dict[str, np.ndarray]] = {}


def build_feature_network(dtype: str = "float32"):
    """The feature network (untrained, trainable): 28×28×1 → the three feature maps of :data:`LAYERS`."""
    import keras

    layers = keras.layers
    x = inputs = keras.Input((SIDE, SIDE, 1))
    outputs = []
    for name, filters, stride in LAYERS:
        x = layers.Conv2D(filters, 3, strides=stride, padding="same", name=name, dtype=dtype)(x)
        x = layers.LeakyReLU(0.2, dtype=dtype)(x)
        outputs.append(x)
    return keras.Model(inputs, outputs, name="digit_features")


def load_weights(path: str | None = None) -> dict[str, np.ndarray]:
    """The shipped arrays ``<layer>_kernel`` and ``<layer>_bias`` (float32), read once per process
    (``allow_pickle=False``: nothing is unpickled).

    Raises:
        DataUnavailable: the file is missing, damaged or lacks a layer's weights.
    """
    path = path or asset(ASSET)
    with _lock:
        if path not in _weights:
            names = [f"{name}_{part}" for name, _, _ in LAYERS for part in ("kernel", "bias")]
            try:
                with np.load(path, allow_pickle=False) as npz:
                    _weights[path] = {name: npz[name].astype(np.float32) for name in names}
            except (OSError, KeyError, ValueError) as exc:
                raise DataUnavailable(f"The digit feature network {path} could not be read ({type(exc).__name__}: "
                                      f"{exc}); rebuild it with `python assets/make_digit_features.py`.") from None
        return _weights[path]


def frozen_feature_network(dtype: str = "float32", path: str | None = None):
    """The trained feature network with every layer frozen (``trainable = False``)."""
    network = build_feature_network(dtype)
    weights = load_weights(path)
    for name, _, _ in LAYERS:
        layer = network.get_layer(name)
        layer.set_weights([weights[f"{name}_kernel"], weights[f"{name}_bias"]])
    network.trainable = False
    return network
