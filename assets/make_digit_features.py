"""Build ``assets/digit_features.npz``: the frozen digit features behind the projected discriminator.

The network is :func:`genart.gan.features.build_feature_network` (three 3×3 convolutions, 28×28×32,
14×14×64, 7×7×128). To give its features meaning, it is trained as a digit classifier:

1. The 4 000 training digits of the shipped sample (``assets/mnist_5k.npz`` split by
   ``genart.gan.data.shipped_split``, the split every genart digit network uses; the 1 000 held-out
   digits are only measured on), scaled to [-1, 1] as the DCGAN sees them.
2. A dense layer from the flattened 7×7×128 map to 10 logits; softmax cross-entropy; Adam
   (learning rate 1e-3) on batches of 64 for ``EPOCHS`` epochs, every batch shifted by up to
   ``SHIFT`` pixels (the background filling in), shuffled by ``numpy.random.default_rng(SEED)``;
   TensorFlow's op determinism on, Keras seeded: the same machine gives the same weights.
3. Only the three convolutions are kept, stored as float16 (half the file; the held-out accuracy
   is printed with the rounded weights).

It is not the meter's classifier (``make_digit_classifier.py``: another architecture, trained in
NumPy) and shares none of its weights. The weights derive from the CC BY-SA 3.0 digits; see
``assets/digit_features.NOTICE.md``.

Run: ``python assets/make_digit_features.py`` (about a minute on 2 vCPUs).
``train_digit_network`` is shared with ``make_digit_frechet.py``.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from genart.gan.data import load_shipped_subset, shipped_split  # noqa: E402
from genart.gan import features  # noqa: E402

OUT = os.path.join(HERE, features.ASSET)
SEED, EPOCHS, BATCH, LEARNING_RATE, SHIFT = 1, 8, 64, 1e-3, 2


def shift(x: np.ndarray, rng: np.random.Generator, most: int) -> np.ndarray:
    """Each image of ``x`` (N×28×28×1 in [-1, 1]) moved by up to ``most`` pixels each way, the background (−1) filling in."""
    padded = np.pad(x, ((0, 0), (most, most), (most, most), (0, 0)), constant_values=-1.0)
    moves = rng.integers(0, 2 * most + 1, size=(len(x), 2))
    return np.stack([p[dy:dy + 28, dx:dx + 28] for p, (dy, dx) in zip(padded, moves)])


def train_digit_network(model, images: np.ndarray, labels: np.ndarray, epochs: int, seed: int,
                        learning_rate: float = LEARNING_RATE, batch: int = BATCH, most_shift: int = SHIFT):
    """Train ``model`` (images in [-1, 1] → 10 logits; a Keras model) with Adam on shifted batches of
    uint8 ``images`` (N×28×28) and ``labels``: the same arguments give the same weights on one machine."""
    import keras
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    x_all = images[..., None].astype(np.float32) / 127.5 - 1.0
    y_all = labels.astype(np.int64)
    optimizer = keras.optimizers.Adam(learning_rate)
    loss_of = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_of(y, model(x, training=True))
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
        return loss

    for _ in range(epochs):
        order = rng.permutation(len(x_all))
        for start in range(0, len(order), batch):
            idx = order[start:start + batch]
            step(tf.constant(shift(x_all[idx], rng, most_shift)), tf.constant(y_all[idx]))
    return model


def accuracy(model, images: np.ndarray, labels: np.ndarray) -> float:
    """Share of ``images`` (uint8 N×28×28) whose top logit is their label."""
    logits = model(images[..., None].astype(np.float32) / 127.5 - 1.0, training=False)
    return float((np.argmax(logits, axis=1) == labels).mean())


def file_digest(path: str) -> str:
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def main() -> None:
    import keras

    digits = load_shipped_subset()
    train_idx, held_idx = shipped_split(len(digits))
    keras.utils.set_random_seed(SEED)  # the initial weights too
    network = features.build_feature_network()
    logits = keras.layers.Dense(10, name="digit_logits")(keras.layers.Flatten()(network.outputs[-1]))
    classifier = keras.Model(network.input, logits)
    start = time.perf_counter()
    train_digit_network(classifier, digits.images[train_idx], digits.labels[train_idx], EPOCHS, SEED)
    seconds = time.perf_counter() - start
    arrays = {}
    for name, _, _ in features.LAYERS:
        kernel, bias = network.get_layer(name).get_weights()
        arrays[f"{name}_kernel"], arrays[f"{name}_bias"] = kernel.astype(np.float16), bias.astype(np.float16)
        network.get_layer(name).set_weights([arrays[f"{name}_kernel"].astype(np.float32),
                                             arrays[f"{name}_bias"].astype(np.float32)])
    held = accuracy(classifier, digits.images[held_idx], digits.labels[held_idx])
    np.savez_compressed(OUT, **arrays, held_out_accuracy=np.float32(held))
    print(f"trained in {seconds:.0f} s; held-out accuracy (float16 convolutions) {held:.4f}")
    print(f"wrote {OUT}: {os.path.getsize(OUT) / 1e3:.0f} KB, sha256 {file_digest(OUT)}")


if __name__ == "__main__":
    main()
