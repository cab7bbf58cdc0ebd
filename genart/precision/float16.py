"""float16 done safely: loss scaling for gradients taken through a float16 network.

float16 keeps float32's precision roughly (11 bits against bfloat16's 8) but not its range: normal
numbers run from 6e-5 to 65504. Gradients flowing back through a float16 network underflow to zero
when small (DeepDream's ``mean`` objective gives each activation 1/N of the loss: about 2e-6 at
500×375) or overflow when large (style transfer's Gram losses). Loss scaling multiplies the
gradients entering the network by a power of two and divides what comes out by it (exact).

* :func:`scaled_backprop`: gradients with respect to an *image* (DeepDream's ascent, style
  transfer's loss and gradient). Stateless: the scale is chosen per call from the gradients arriving
  at the network's float32 outputs, so one compiled step serves every thread and session.
* :class:`LossScale`: gradients with respect to an optimiser's *variables* (the DCGAN's
  hand-written Adam): Keras' ``LossScaleOptimizer`` rule, a scale kept in a variable.

Both are for float16 only: float32 and bfloat16 (float32's range) need no scaling, and their
steps do not call these, so they stay bit for bit what they were.
"""

from __future__ import annotations

import math
from collections.abc import Callable

#: :func:`scaled_backprop` scales the gradients arriving at a float16 network's outputs so that the
#: largest is this: small terms stay representable and the backward pass may still grow them about
#: 10 000-fold (the image gradients of random-weight InceptionV3 and VGG19 do not grow at all) before
#: overflowing; an overflow zeroes the step (see :func:`scaled_backprop`).
SEED_PEAK = 1.0


def computes_float16(model) -> bool:
    """Whether any layer of ``model`` (nested models included) computes in float16."""
    stack, seen = [model], set()
    while stack:
        layer = stack.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        if getattr(layer, "compute_dtype", None) == "float16":
            return True
        stack.extend(getattr(layer, "layers", ()))
    return False


def all_finite(tensors):
    """A boolean tensor: every element of every tensor is finite."""
    import tensorflow as tf

    return tf.reduce_all([tf.reduce_all(tf.math.is_finite(t)) for t in tensors])


def scaled_backprop(tape, outputs, sources, seeds):
    """Backpropagate ``seeds`` (∂loss/∂``outputs``, computed in float32 outside the network) through the
    float16 network recorded on ``tape``: the seeds times the power of two that brings their largest
    magnitude to :data:`SEED_PEAK`, the gradients divided by it after.

    Args:
        tape: a ``tf.GradientTape`` that recorded ``outputs`` from ``sources`` (and watched them).
        outputs: the network's (float32) outputs, a list.
        sources: what to differentiate with respect to (the image), a list.
        seeds: ∂loss/∂output for each output (None or ``IndexedSlices`` are accepted).

    Returns:
        (gradients of ``sources``, a list; a boolean tensor, all finite). When the network overflowed
        the gradients are zeros, so the caller's step changes nothing.
    """
    import tensorflow as tf

    seeds = [tf.zeros_like(o) if s is None else tf.convert_to_tensor(s) for o, s in zip(outputs, seeds)]
    peak = tf.reduce_max(tf.stack([tf.reduce_max(tf.abs(s)) for s in seeds]))
    exponent = tf.round(tf.math.log(SEED_PEAK / tf.maximum(peak, 1e-30)) / math.log(2.0))
    scale = tf.pow(2.0, tf.clip_by_value(exponent, -60.0, 60.0))
    grads = tape.gradient(list(outputs), list(sources), output_gradients=[s * scale for s in seeds])
    grads = [tf.zeros_like(x) if g is None else tf.convert_to_tensor(g) / scale for x, g in zip(sources, grads)]
    finite = all_finite(grads)
    return [tf.where(finite, g, tf.zeros_like(g)) for g in grads], finite


class LossScale:
    """Dynamic loss scaling for a compiled training step whose optimiser update is written by hand
    (Keras' ``LossScaleOptimizer`` rule): the loss's gradient is taken times ``scale`` and divided by
    it; a step whose gradients are not all finite is skipped and halves the scale (not below 1); every
    ``growth_interval`` finite steps in a row double it. One per optimiser, for float16 only."""

    def __init__(self, initial: float = 2.0 ** 15, growth_interval: int = 2000, name: str = "loss_scale"):
        import tensorflow as tf

        self.scale = tf.Variable(float(initial), trainable=False, dtype=tf.float32, name=name)
        self.good_steps = tf.Variable(0, trainable=False, dtype=tf.int64, name=f"{name}_good_steps")
        self.growth_interval = int(growth_interval)

    def apply(self, tape, loss, variables, update: Callable[[list], None]):
        """Inside the compiled step: ``update(gradients)`` with the unscaled gradients of ``loss`` with
        respect to ``variables`` if all are finite, then adjust the scale. Returns whether it updated."""
        import tensorflow as tf

        scale = tf.identity(self.scale)
        grads = [g / scale for g in tape.gradient(loss, variables, output_gradients=scale)]
        finite = all_finite(grads)

        def applied():
            update(grads)
            grow = self.good_steps + 1 >= self.growth_interval
            self.scale.assign(tf.where(grow, scale * 2.0, scale))
            self.good_steps.assign(tf.where(grow, tf.constant(0, tf.int64), self.good_steps + 1))
            return tf.constant(True)

        def skipped():
            self.scale.assign(tf.maximum(scale / 2.0, 1.0))
            self.good_steps.assign(0)
            return tf.constant(False)

        return tf.cond(finite, applied, skipped)
