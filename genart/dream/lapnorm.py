"""Laplacian-pyramid gradient normalisation (the original DeepDream notebook's ``lap_normalize``).

The tutorial divides the whole gradient by its standard deviation, so its fine, noisy detail
dominates the step. Here the gradient is split into a Laplacian pyramid (each level holds the
detail of one scale; the last holds what is left at the coarsest scale), every level is divided
by its own root mean square, and the levels are merged back. Coarse structure then gets as much
of the step as fine detail: smoother, larger patterns in fewer steps.

The pyramid uses a 5×5 binomial blur; :func:`split` then :func:`merge` gives back the input to
float rounding, whatever its size.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

#: Largest number of levels (each halves the size; 6 levels reach 1/64 of the image).
MAX_LEVELS = 6
#: Added to a level's root mean square before dividing (a flat level stays flat).
EPS = 1e-8


def _kernel() -> np.ndarray:
    """5×5 binomial blur applied to each colour channel on its own (5×5×3×3)."""
    taps = np.array([1.0, 4.0, 6.0, 4.0, 1.0], np.float32)
    blur = np.outer(taps, taps) / np.float32(taps.sum() ** 2)
    return (blur[:, :, None, None] * np.eye(3, dtype=np.float32)[None, None]).astype(np.float32)


_BLUR = _kernel()


def _down(img: tf.Tensor) -> tf.Tensor:
    """Blur and halve (1×H×W×3 → 1×⌈H/2⌉×⌈W/2⌉×3)."""
    return tf.nn.conv2d(img, _BLUR, strides=2, padding="SAME")


def _up(low: tf.Tensor, like: tf.Tensor) -> tf.Tensor:
    """Double ``low`` to the size of ``like`` (zeros between samples, blurred; ×4 keeps the level)."""
    return tf.nn.conv2d_transpose(low, _BLUR * 4.0, tf.shape(like), strides=2, padding="SAME")


def split(img: tf.Tensor, levels: int) -> list[tf.Tensor]:
    """The Laplacian pyramid of an H×W×3 image: ``levels`` detail levels, finest first, then the
    coarse remainder (``levels + 1`` tensors, each 1×h×w×3)."""
    low, pyramid = img[None], []
    for _ in range(levels):
        smaller = _down(low)
        pyramid.append(low - _up(smaller, low))
        low = smaller
    return pyramid + [low]


def merge(pyramid: list[tf.Tensor]) -> tf.Tensor:
    """The H×W×3 image a pyramid from :func:`split` came from."""
    img = pyramid[-1]
    for detail in reversed(pyramid[:-1]):
        img = _up(img, detail) + detail
    return img[0]


def rms(x: tf.Tensor) -> tf.Tensor:
    """Root mean square of a tensor."""
    return tf.sqrt(tf.reduce_mean(tf.square(x)))


def normalize(grad: tf.Tensor, levels: int) -> tf.Tensor:
    """``grad`` (H×W×3) with every level of its Laplacian pyramid scaled to unit root mean square."""
    return merge([level / (rms(level) + EPS) for level in split(grad, levels)])
