"""The channel explorer's compiled step: ascent on a batch, image i maximising channel i.

``_Explorer(model)(images, channels, steps, step_size, seed)`` runs ``steps`` steps on the
batch ``images`` (B×H×W×3 in [-1, 1]) and returns the new batch and each image's loss before the
last step (B values: the mean of its channel's activations). One forward and one backward pass
a step serve the whole batch: the images do not interact (inference-mode network), so the
gradient of the summed losses is, image by image, the gradient of its own channel's mean.
"""

from __future__ import annotations

import threading
import weakref

import tensorflow as tf

#: Largest random shift of the batch per step (pixels); see genart.dream.explorer.
JITTER = 8


class _Explorer(tf.Module):
    """Batched feature-visualisation ascent, compiled once per model for any size and setting."""

    def __init__(self, model):
        super().__init__(name="channel_explorer")
        self._model = weakref.ref(model)  # the step lives as long as its model, no longer

    def _losses(self, images, channels):
        """Each image's mean activation of its own channel (B values, float32)."""
        acts = self._model()(images, training=False)
        if isinstance(acts, (list, tuple)):
            acts = acts[0]
        means = tf.reduce_mean(tf.cast(acts, tf.float32), axis=[1, 2])  # B×C
        return tf.gather(means, channels, axis=1, batch_dims=1)

    @tf.function(input_signature=(
        tf.TensorSpec([None, None, None, 3], tf.float32),  # images in [-1, 1]
        tf.TensorSpec([None], tf.int32),                   # channel of each image
        tf.TensorSpec([], tf.int32),                       # steps
        tf.TensorSpec([], tf.float32),                     # step size
        tf.TensorSpec([2], tf.int32),                      # seed of the jitter
    ))
    def __call__(self, images, channels, steps, step_size, seed):
        losses = tf.zeros(tf.shape(images)[:1])
        for i in tf.range(steps):
            shift = tf.random.stateless_uniform([2], seed + tf.stack([0, i]), -JITTER, JITTER + 1, tf.int32)
            rolled = tf.roll(images, shift=shift, axis=[1, 2])
            with tf.GradientTape() as tape:
                tape.watch(rolled)
                losses = self._losses(rolled, channels)
                total = tf.reduce_sum(losses)
            grads = tf.roll(tape.gradient(total, rolled), shift=-shift, axis=[1, 2])
            grads /= tf.math.reduce_std(grads, axis=[1, 2, 3], keepdims=True) + 1e-8
            images = tf.clip_by_value(images + grads * step_size, -1.0, 1.0)
        return images, losses


_explorers: "weakref.WeakKeyDictionary[object, _Explorer]" = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def explorer_for(model) -> _Explorer:
    """The compiled explorer step of ``model`` (cached weakly by model)."""
    with _lock:
        if model not in _explorers:
            _explorers[model] = _Explorer(model)
        return _explorers[model]
