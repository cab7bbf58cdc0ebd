"""Differentiable augmentation of the images the discriminator sees (Zhao et al. 2020, "DiffAugment").

With few training images a discriminator soon learns them by heart, and its judgement stops
teaching the generator anything. DiffAugment shows it every image, real *and* generated, through
the same random transformations, differentiable, so the generator's gradient flows back through
them; the generator is never asked to draw the transformations themselves (which augmenting the
real images alone would do).

Each transformation takes images ``x`` (float B×H×W×C in [-1, 1], background −1: white-on-black
digits) and a seed, and draws its own random numbers per image from that seed (stateless, so a
step is a function of ``(seed, step)``):

* ``translation``: moved by up to 1/8 of the side each way, rounded half up (4 px of 28, as DiffAugment), the uncovered edge filled
  with the background (−1); written as products with one-hot shift matrices, so it is exactly a
  whole-pixel move and its gradient is exact;
* ``cutout``: a square of half the side, at a random place (it may reach past the edge), set to the
  background;
* ``brightness``: a random offset in [−0.5, 0.5] added to every pixel (DiffAugment's, in [-1, 1] units);
* ``contrast``: each image's deviation from its mean scaled by a random factor in [0.5, 1.5].

:func:`augment` applies those named in a policy, in the order of :data:`AUGMENTATIONS`.
"""

from __future__ import annotations

import tensorflow as tf

from .config import AUGMENTATIONS  # the transformations a policy may name, in the order they are applied
#: Largest move of ``translation``, as a fraction of the image side (DiffAugment's 1/8).
TRANSLATION = 0.125
#: Side of ``cutout``'s square, as a fraction of the image side (DiffAugment's 1/2).
CUTOUT = 0.5
#: The background value of images in [-1, 1] (black).
BACKGROUND = -1.0


def _uniform(seed: tf.Tensor, k: int, shape, low: float, high: float) -> tf.Tensor:
    """Stateless uniform numbers for the ``k``-th draw of one augmentation call."""
    return tf.random.stateless_uniform(shape, seed=seed + tf.constant([0, k], tf.int64) * 7919, minval=low,
                                       maxval=high)


def brightness(x: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Each image plus one random offset in [−0.5, 0.5]."""
    return x + _uniform(seed, 1, [tf.shape(x)[0], 1, 1, 1], -0.5, 0.5)


def contrast(x: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Each image's deviation from its own mean scaled by a random factor in [0.5, 1.5]."""
    mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
    return (x - mean) * _uniform(seed, 2, [tf.shape(x)[0], 1, 1, 1], 0.5, 1.5) + mean


def _shift_matrices(offsets: tf.Tensor, side: int, pad: int) -> tf.Tensor:
    """B×side×(side + 2·pad) one-hot rows: row i picks padded index i + offset."""
    return tf.one_hot(offsets[:, None] + tf.range(side)[None, :], side + 2 * pad)


def translation(x: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Each image moved by a random whole number of pixels, up to :data:`TRANSLATION` of its side each way."""
    h, w = x.shape[1], x.shape[2]
    pad = max(1, int(h * TRANSLATION + 0.5))  # DiffAugment's rounding: 4 px of 28
    padded = tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]], constant_values=BACKGROUND)
    moves = tf.cast(tf.floor(_uniform(seed, 3, [tf.shape(x)[0], 2], 0.0, 2.0 * pad + 1.0)), tf.int32)
    moves = tf.minimum(moves, 2 * pad)  # maxval is never drawn, but stay inside the padding regardless
    rows = tf.cast(_shift_matrices(moves[:, 0], h, pad), x.dtype)
    cols = tf.cast(_shift_matrices(moves[:, 1], w, pad), x.dtype)
    return tf.einsum("bij,bjkc,blk->bilc", rows, padded, cols)


def cutout(x: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """A square of :data:`CUTOUT` of the side, centred at a random pixel of each image, set to the background."""
    h, w = x.shape[1], x.shape[2]
    half_h, half_w = h * CUTOUT / 2, w * CUTOUT / 2
    centre = tf.floor(_uniform(seed, 4, [tf.shape(x)[0], 2], 0.0, 1.0) * tf.constant([h, w], tf.float32))
    yy = tf.range(h, dtype=tf.float32)[None, :, None] + 0.5 - centre[:, 0, None, None]
    xx = tf.range(w, dtype=tf.float32)[None, None, :] + 0.5 - centre[:, 1, None, None]
    inside = tf.logical_and(tf.abs(yy) < half_h, tf.abs(xx) < half_w)
    keep = tf.cast(tf.logical_not(inside), x.dtype)[..., None]
    return x * keep + BACKGROUND * (1.0 - keep)


_TRANSFORMS = {"brightness": brightness, "contrast": contrast, "translation": translation, "cutout": cutout}


def augment(x: tf.Tensor, policy: tuple[str, ...], seed: tf.Tensor) -> tf.Tensor:
    """``x`` through the transformations named in ``policy`` (in :data:`AUGMENTATIONS`' order), each
    drawing its random numbers per image from ``seed`` (an int64 pair); an empty policy returns ``x``."""
    seed = tf.cast(seed, tf.int64)
    for name in AUGMENTATIONS:
        if name in policy:
            x = _TRANSFORMS[name](x, seed)
    return x
