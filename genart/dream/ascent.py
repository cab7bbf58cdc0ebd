"""DeepDream's compiled ascent step: one ``tf.function`` per model for every size and setting.

``_Ascent(model)(img, steps, step_size, tile_size, seed, layer_weights)`` runs ``steps`` steps of
gradient ascent on ``img`` (H×W×3 in [-1, 1]) and returns the new image and the loss before the
last step. The gradient is computed tile by tile on a randomly rolled copy of the image; when
one tile covers the image (the common case at the tutorial's tile size of 512) the tile loop,
the padding and the second roll are skipped: same arithmetic, less work around the network.
"""

from __future__ import annotations

import threading
import time
import weakref

import tensorflow as tf


class _Ascent(tf.Module):
    """``steps`` ascent steps of DeepDream, compiled once per model for any size and setting."""

    def __init__(self, model):
        super().__init__(name="deepdream_ascent")
        # Weakly: the compiled step lives as long as its model does (see _ascents), no longer.
        self._model = weakref.ref(model)

    def _loss(self, tile, layer_weights):
        acts = self._model()(tile[None], training=False)
        if not isinstance(acts, (list, tuple)):
            acts = [acts]
        return tf.add_n([layer_weights[i] * tf.reduce_mean(a) for i, a in enumerate(acts)])

    def _whole(self, rolled, layer_weights):
        """Gradient and loss of the whole (rolled) image: one tile covers it."""
        with tf.GradientTape() as tape:
            tape.watch(rolled)
            loss = self._loss(rolled, layer_weights)
        return tape.gradient(loss, rolled), loss

    def _tiled(self, rolled, counts, layer_weights):
        """Gradient and area-weighted loss, tile by tile over ``counts`` equal tiles."""
        size = tf.shape(rolled)[:2]
        grads = tf.zeros_like(rolled)
        loss = tf.constant(0.0)
        area = tf.cast(size[0] * size[1], tf.float32)
        for iy in tf.range(counts[0]):
            for ix in tf.range(counts[1]):
                y0, y1 = iy * size[0] // counts[0], (iy + 1) * size[0] // counts[0]
                x0, x1 = ix * size[1] // counts[1], (ix + 1) * size[1] // counts[1]
                tile = rolled[y0:y1, x0:x1]
                with tf.GradientTape() as tape:
                    tape.watch(tile)
                    tile_loss = self._loss(tile, layer_weights)
                g = tape.gradient(tile_loss, tile)
                grads += tf.pad(g, [[y0, size[0] - y1], [x0, size[1] - x1], [0, 0]])
                loss += tile_loss * tf.cast((y1 - y0) * (x1 - x0), tf.float32) / area
        return grads, loss

    def _gradients(self, img, tile_size, seed, layer_weights):
        """Std-normalised gradient of the loss, tile by tile on a randomly rolled image."""
        size = tf.shape(img)[:2]
        tiled = tile_size > 0
        roll = tf.maximum(tile_size, 1)
        shift = tf.random.stateless_uniform([2], seed, -roll, roll, tf.int32) * tf.cast(tiled, tf.int32)
        rolled = tf.roll(img, shift=shift, axis=[0, 1])
        # Equal tiles covering the whole image, none larger than tile_size.
        counts = tf.where(tiled, (size + tile_size - 1) // tf.maximum(tile_size, 1), tf.ones([2], tf.int32))
        grads, loss = tf.cond(tf.reduce_all(counts == 1),
                              lambda: self._whole(rolled, layer_weights),
                              lambda: self._tiled(rolled, counts, layer_weights))
        grads = tf.roll(grads, shift=-shift, axis=[0, 1])
        return grads / (tf.math.reduce_std(grads) + 1e-8), loss

    @tf.function(input_signature=(
        tf.TensorSpec([None, None, 3], tf.float32),  # image in [-1, 1]
        tf.TensorSpec([], tf.int32),                 # steps
        tf.TensorSpec([], tf.float32),               # step size
        tf.TensorSpec([], tf.int32),                 # tile size (0 = off)
        tf.TensorSpec([2], tf.int32),                # seed of the rolls
        tf.TensorSpec([None], tf.float32),           # layer weights
    ))
    def __call__(self, img, steps, step_size, tile_size, seed, layer_weights):
        loss = tf.constant(0.0)
        for i in tf.range(steps):
            grads, loss = self._gradients(img, tile_size, seed + tf.stack([0, i]), layer_weights)
            img = tf.clip_by_value(img + grads * step_size, -1.0, 1.0)
        return img, loss


_ascents: "weakref.WeakKeyDictionary[object, _Ascent]" = weakref.WeakKeyDictionary()
_ascents_lock = threading.Lock()


def ascent_for(model) -> _Ascent:
    """The compiled step of ``model`` (cached weakly by model: it goes when the model goes)."""
    with _ascents_lock:
        if model not in _ascents:
            _ascents[model] = _Ascent(model)
        return _ascents[model]


def time_ascent(ascent: _Ascent, shape: tuple[int, int], step_size: float, tile_size: int, n_layers: int) -> float:
    """Seconds per step of ``ascent`` at ``shape``: a first call warms up (and may trace), then the
    faster of two calls of two steps each (one busy moment on a shared CPU does not stick)."""
    x = tf.random.stateless_uniform([shape[0], shape[1], 3], [1, 2], -1.0, 1.0)
    args = (tf.constant(step_size, tf.float32), tf.constant(tile_size, tf.int32),
            tf.constant([0, 0], tf.int32), tf.ones([n_layers], tf.float32))
    ascent(x, tf.constant(1), *args)[1].numpy()
    times = []
    for _ in range(2):
        start = time.perf_counter()
        ascent(x, tf.constant(2), *args)[1].numpy()  # two steps a call: runs call it with many
        times.append((time.perf_counter() - start) / 2)
    return min(times)
