"""Build ``assets/digit_classifier.npz``: the digit classifier behind the DCGAN's "looks like digits" meter.

The classifier is :mod:`genart.gan.meter`'s (two strided 5×5 convolutions with ReLU, a dense layer
to 10 logits; the forward pass is ``meter.logits``); this script trains it in NumPy, so the
result depends on nothing but NumPy and these seeds:

1. Split the 5 000 shipped MNIST digits (``assets/mnist_5k.npz``) by a fixed permutation
   (``numpy.random.default_rng(0)``): 4 000 to train on, 1 000 held out.
2. Train with Adam (learning rate 1e-3, halved for the last third) on batches of 64 for
   ``EPOCHS`` epochs, softmax cross-entropy, every batch shifted by up to ``SHIFT`` pixels
   (generated digits are not always centred as MNIST's are). Weights start He-normal from ``SEED``.
3. The threshold: score ``SETS`` random sets of 16 held-out digits (the tab's grid) exactly as
   the meter scores generated ones, and keep the ``meter.REAL_QUANTILE`` quantile of their
   confidence and of their coverage.

Output: the weight arrays ``meter.WEIGHT_NAMES`` (float32), ``held_out`` (the 1 000 indices),
``threshold_confidence``, ``threshold_coverage`` and the held-out accuracy, written with
``np.savez_compressed`` (loaded with ``allow_pickle=False``). The weights are derived from the
CC BY-SA 3.0 digits; see ``assets/digit_classifier.NOTICE.md``.

Run: ``python assets/make_digit_classifier.py`` (from anywhere; about a minute on 2 vCPUs).
"""

from __future__ import annotations

import hashlib
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from genart.gan.data import load_shipped_subset, shipped_split  # noqa: E402
from genart.gan import meter  # noqa: E402

OUT = os.path.join(HERE, meter.ASSET)
SEED, EPOCHS, BATCH, LEARNING_RATE, SHIFT = 0, 12, 64, 1e-3, 2
#: Random 16-digit sets of held-out digits the threshold is measured on.
SETS = 4000
#: (in channels, out channels) of the two convolutions; the dense layer maps 7·7·32 to 10.
CHANNELS = ((1, 16), (16, 32))


def split(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, held-out indices) of ``n`` digits: genart's one split of the shipped sample
    (``genart.gan.data.shipped_split``: a fixed permutation, 4 000 then the rest)."""
    return shipped_split(n)


def init_weights(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """He-normal kernels, zero biases."""
    w = {}
    for (name, k, _, _), (c, f) in zip(meter.CONVOLUTIONS, CHANNELS):
        w[f"{name}_kernel"] = rng.standard_normal((c, k, k, f)) * np.sqrt(2.0 / (c * k * k))
        w[f"{name}_bias"] = np.zeros(f)
    w["dense_kernel"] = rng.standard_normal((7 * 7 * 32, 10)) * np.sqrt(1.0 / (7 * 7 * 32))
    w["dense_bias"] = np.zeros(10)
    return {key: v.astype(np.float32) for key, v in w.items()}


def shift(x: np.ndarray, rng: np.random.Generator, most: int) -> np.ndarray:
    """Each image of ``x`` (N×28×28) moved by a random whole number of pixels in [-most, most] each way."""
    if most == 0:
        return x
    padded = np.pad(x, ((0, 0), (most, most), (most, most)))
    moves = rng.integers(0, 2 * most + 1, size=(len(x), 2))
    return np.stack([p[dy:dy + 28, dx:dx + 28] for p, (dy, dx) in zip(padded, moves)])


def col2im(grad: np.ndarray, shape: tuple[int, ...], k: int, stride: int, pad: int) -> np.ndarray:
    """The gradient of ``meter.im2col``: patch gradients N×Ho×Wo×C×k×k → N×H×W×C."""
    n, h, w, c = shape
    out = np.zeros((n, h + 2 * pad, w + 2 * pad, c), grad.dtype)
    ho, wo = grad.shape[1:3]
    for dy in range(k):
        for dx in range(k):
            out[:, dy:dy + stride * (ho - 1) + 1:stride, dx:dx + stride * (wo - 1) + 1:stride] += grad[..., dy, dx]
    return out[:, pad:pad + h, pad:pad + w]


def loss_and_grads(weights: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray):
    """Mean softmax cross-entropy of ``meter.logits(weights, x)`` against labels ``y``, and its gradients."""
    grads, cache, h = {}, [], x[..., None]
    for name, k, stride, pad in meter.CONVOLUTIONS:
        kernel = weights[f"{name}_kernel"]
        c, _, _, f = kernel.shape
        patches = meter.im2col(h, k, stride, pad)
        n, ho, wo = patches.shape[:3]
        cols = patches.reshape(n * ho * wo, c * k * k)
        z = cols @ kernel.reshape(c * k * k, f) + weights[f"{name}_bias"]
        cache.append((name, k, stride, pad, h.shape, cols, z))
        h = np.maximum(z, 0.0).reshape(n, ho, wo, f)
    flat = h.reshape(len(h), -1)
    z = flat @ weights["dense_kernel"] + weights["dense_bias"]
    p = meter.softmax(z)
    loss = float(-np.log(p[np.arange(len(y)), y] + 1e-12).mean())
    dz = p
    dz[np.arange(len(y)), y] -= 1.0
    dz /= len(y)
    grads["dense_kernel"], grads["dense_bias"] = flat.T @ dz, dz.sum(0)
    dh = dz @ weights["dense_kernel"].T
    for name, k, stride, pad, in_shape, cols, z in reversed(cache):
        kernel = weights[f"{name}_kernel"]
        dz = dh.reshape(z.shape) * (z > 0)
        grads[f"{name}_kernel"], grads[f"{name}_bias"] = (cols.T @ dz).reshape(kernel.shape), dz.sum(0)
        if name != meter.CONVOLUTIONS[0][0]:  # the image itself needs no gradient
            n, h, w, _ = in_shape
            ho, wo = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
            patches = (dz @ kernel.reshape(-1, kernel.shape[3]).T).reshape(n, ho, wo, *kernel.shape[:3])
            dh = col2im(patches, in_shape, k, stride, pad)
    return loss, grads


def train(images: np.ndarray, labels: np.ndarray, epochs: int = EPOCHS, seed: int = SEED,
          most_shift: int = SHIFT) -> dict[str, np.ndarray]:
    """The classifier's weights after ``epochs`` of Adam on uint8 ``images`` (N×28×28) and ``labels``;
    the same arguments give the same weights."""
    rng = np.random.default_rng(seed)
    weights = init_weights(rng)
    m = {key: np.zeros_like(v) for key, v in weights.items()}
    v = {key: np.zeros_like(val) for key, val in weights.items()}
    x_all, y_all, t = images.astype(np.float32) / 255.0, labels.astype(np.int64), 0
    for epoch in range(epochs):
        rate = LEARNING_RATE * (0.5 if epoch >= epochs * 2 // 3 else 1.0)
        order = rng.permutation(len(x_all))
        for start in range(0, len(order), BATCH):
            idx = order[start:start + BATCH]
            _, grads = loss_and_grads(weights, shift(x_all[idx], rng, most_shift), y_all[idx])
            t += 1
            for key, g in grads.items():  # Adam (β 0.9, 0.999, ε 1e-7), bias-corrected
                m[key] += (g - m[key]) * 0.1
                v[key] += (g * g - v[key]) * 0.001
                step = rate * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
                weights[key] = (weights[key] - step * m[key] / (np.sqrt(v[key]) + 1e-7)).astype(np.float32)
    return weights


def real_scores(weights, images: np.ndarray, sets: int = SETS, seed: int = 1) -> list[meter.DigitScore]:
    """Scores of ``sets`` random sets of ``meter.SET_SIZE`` distinct digits of ``images`` (uint8 N×28×28)."""
    probs = meter.softmax(meter.logits(weights, meter.to_unit(images)))
    rng = np.random.default_rng(seed)
    return [meter.score_probabilities(probs[rng.choice(len(probs), meter.SET_SIZE, replace=False)])
            for _ in range(sets)]


def threshold(scores: list[meter.DigitScore], quantile: float = meter.REAL_QUANTILE) -> meter.DigitScore:
    """The ``quantile`` of real sets' confidence and of their coverage (coverage rounded down)."""
    conf = np.quantile([s.confidence for s in scores], quantile)
    cover = np.quantile([s.coverage for s in scores], quantile, method="lower")
    return meter.DigitScore(float(conf), int(cover))


def digest(weights: dict[str, np.ndarray]) -> str:
    """sha256 of the weight arrays' bytes in ``meter.WEIGHT_NAMES`` order (first 16 hex digits)."""
    h = hashlib.sha256()
    for name in meter.WEIGHT_NAMES:
        h.update(np.ascontiguousarray(weights[name], np.float32).tobytes())
    return h.hexdigest()[:16]


def main() -> None:
    import time

    digits = load_shipped_subset()
    train_idx, held_idx = split(len(digits))
    start = time.perf_counter()
    weights = train(digits.images[train_idx], digits.labels[train_idx])
    seconds = time.perf_counter() - start
    probs = meter.softmax(meter.logits(weights, meter.to_unit(digits.images[held_idx])))
    accuracy = float((probs.argmax(1) == digits.labels[held_idx]).mean())
    scores = real_scores(weights, digits.images[held_idx])
    real = threshold(scores)
    median = threshold(scores, 0.5)
    np.savez_compressed(OUT, **weights, held_out=held_idx.astype(np.int16), held_out_accuracy=np.float32(accuracy),
                        threshold_confidence=np.float64(real.confidence), threshold_coverage=np.int64(real.coverage),
                        real_quantile=np.float64(meter.REAL_QUANTILE), sets=np.int64(SETS))
    with open(OUT, "rb") as fh:
        file_sha = hashlib.sha256(fh.read()).hexdigest()
    print(f"trained in {seconds:.0f} s; held-out accuracy {accuracy:.4f}")
    print(f"real 16-digit sets ({SETS}): median confidence {median.confidence:.4f}, coverage {median.coverage}; "
          f"{meter.REAL_QUANTILE:g} quantile (the threshold): confidence {real.confidence:.4f}, "
          f"coverage {real.coverage}")
    print(f"wrote {OUT}: {os.path.getsize(OUT) / 1e3:.0f} KB, weights digest {digest(weights)}, file sha256 {file_sha}")


if __name__ == "__main__":
    main()
