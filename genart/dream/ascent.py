"""DeepDream's compiled ascent step: one ``tf.function`` per model and per :class:`Structure`.

``_Ascent(model).step(structure)`` is a function
``(img, steps, step_size, tile_size, seed, layer_weights, threshold, channels, guide, tv_weight,
mask) -> (img, loss, steps_done)``: it runs up to ``steps`` steps of gradient ascent on ``img``
(H×W×3 in [-1, 1]) and returns the new image, the loss before the last step and the number of
steps taken (fewer when the loss reached ``threshold``). Each step is one call of a compiled
single step (:class:`Steps`); each step:

1. the loss Σ_l w_l · objective(activations_l) (:mod:`genart.dream.objectives`; at the channel
   layer over the chosen ``channels`` only; at the guide layer the guide's dot product), and its
   gradient, tile by tile on a randomly rolled copy of the image; when one tile covers the image
   (the common case at the tutorial's tile size of 512) the tile loop, the padding and the
   second roll are skipped: same arithmetic, less work around the network. Through a network
   computing in float16 the gradient is loss-scaled (:func:`genart.precision.float16.scaled_backprop`; a
   step whose float16 gradient overflows leaves the image as it was);
2. the gradient divided by its standard deviation (the tutorial) or normalised per level of a
   Laplacian pyramid (:mod:`genart.dream.lapnorm`);
3. minus ``tv_weight`` × the gradient of the total variation; times ``mask``;
4. image += step_size · gradient, clipped to [-1, 1].

What changes the graph's shape (the objective, which layer has channels or a guide, the pyramid's
levels, whether TV or a mask is on) is the :class:`Structure`: each distinct one traces once per
model. Everything else (sizes, steps, weights, channel indices, guide features, TV weight, mask,
threshold) is a tensor, so new values never retrace. The default structure is the tutorial's
step exactly.

Reproducible to the bit, in this process and in another (a Ray worker), on purpose:

- The loop over steps is Python's, not the graph's. Measured on a CPU with oneDNN (TensorFlow's
  default on x86) and native bfloat16: with the network inside a ``tf.range`` loop, each newly
  traced step drew one of two float32 roundings of the same math when it first ran (oneDNN fixes
  a kernel's work split, and with it the order of its sums, when the kernel is first built, from
  the thread that builds it), so two processes, or two traces in one, gave pictures 68 % apart
  after 40 steps (the ascent amplifies a last-bit difference). The same step compiled without
  the loop computed the same bits in every trace and process. A call per step costs a few
  milliseconds at the smallest sizes (measured: 1.35× the looped step's time at 90×120 px, 1.06×
  at 120×160, none at 240×320 and above).
- The threshold is a value, not a structure: a run stopped at a threshold computes in the very
  step the run without one uses, so its picture is the full run's at that step.

A tiled step (an image larger than ``tile_size``) keeps its loop over tiles inside the graph;
measured the same in 9 traces over 3 processes too, though no rule says it must be
(docs/precision.md, *Reproducibility*).
"""

from __future__ import annotations

import functools
import threading
import time
import weakref
from dataclasses import dataclass

import tensorflow as tf

from ..precision import float16
from . import lapnorm, objectives

SIGNATURE = (
    tf.TensorSpec([None, None, 3], tf.float32),  # image in [-1, 1]
    tf.TensorSpec([], tf.int32),                 # steps
    tf.TensorSpec([], tf.float32),               # step size
    tf.TensorSpec([], tf.int32),                 # tile size (0 = off)
    tf.TensorSpec([2], tf.int32),                # seed of the rolls
    tf.TensorSpec([None], tf.float32),           # layer weights
    tf.TensorSpec([], tf.float32),               # threshold (+inf = off)
    tf.TensorSpec([None], tf.int32),             # channels of the channel layer
    tf.TensorSpec([None, None], tf.float32),     # guide features (Q×C) at the guide layer
    tf.TensorSpec([], tf.float32),               # TV weight
    tf.TensorSpec([None, None, 1], tf.float32),  # mask (the image's size; multiplies the gradient)
)
#: The compiled single step's signature: :data:`SIGNATURE` without ``steps`` and ``threshold``.
ONE_STEP_SIGNATURE = SIGNATURE[:1] + SIGNATURE[2:6] + SIGNATURE[7:]


@dataclass(frozen=True)
class Structure:
    """The choices that shape the compiled graph; each distinct value traces once per model.

    Attributes:
        objective: name in :data:`genart.dream.objectives.OBJECTIVES`.
        channel_layer: index (in the model's outputs) of the layer scored on chosen channels only.
        guide_layer: index of the layer whose term is the guide's dot product.
        lapnorm_levels: 0 = divide by the standard deviation; n ≥ 1 = Laplacian pyramid of n levels.
        tv: subtract the total-variation gradient.
        mask: multiply the gradient by the mask.
    """

    objective: str = "mean"
    channel_layer: int | None = None
    guide_layer: int | None = None
    lapnorm_levels: int = 0
    tv: bool = False
    mask: bool = False


def extras(threshold: float | None = None, channels=(), guide=None, tv_weight: float = 0.0, mask=None) -> tuple:
    """The last five arguments of a step as tensors (placeholders where a setting is off)."""
    return (tf.constant(float("inf") if threshold is None else threshold, tf.float32),
            tf.constant(channels, tf.int32, shape=[len(channels)]),
            tf.zeros([0, 0]) if guide is None else tf.convert_to_tensor(guide, tf.float32),
            tf.constant(tv_weight, tf.float32),
            tf.ones([1, 1, 1]) if mask is None else tf.convert_to_tensor(mask, tf.float32))


class Steps:
    """Up to ``steps`` ascent steps, each one call of the compiled single step ``one`` (see the module
    docstring for why the loop is not in the graph); called with :data:`SIGNATURE`'s arguments."""

    def __init__(self, one):
        self.one = one

    def __call__(self, img, steps, step_size, tile_size, seed, layer_weights, threshold, channels, guide,
                 tv_weight, mask):
        limit = float(threshold)
        watch = limit != float("inf")  # +inf when off: no need to wait for each step's loss
        loss, done = tf.constant(0.0), 0
        for i in range(int(steps)):
            img, loss = self.one(img, step_size, tile_size, seed + tf.constant([0, i], tf.int32), layer_weights,
                                 channels, guide, tv_weight, mask)
            done = i + 1
            if watch and float(loss) >= limit:
                break
        return img, loss, done

    def experimental_get_tracing_count(self) -> int:
        return self.one.experimental_get_tracing_count()


class _Ascent(tf.Module):
    """DeepDream's ascent steps for one model: a compiled function per :class:`Structure`."""

    def __init__(self, model):
        super().__init__(name="deepdream_ascent")
        # Weakly: the compiled steps live as long as their model does (see _ascents), no longer.
        self._model = weakref.ref(model)
        self._float16 = float16.computes_float16(model)  # then gradients are loss-scaled
        self._steps: dict[Structure, Steps] = {}
        self._lock = threading.Lock()

    def step(self, structure: Structure = Structure()) -> Steps:
        """The steps of ``structure`` (their compiled step traced at its first call, then reused)."""
        with self._lock:
            if structure not in self._steps:
                self._steps[structure] = Steps(tf.function(functools.partial(self._one, structure),
                                                           input_signature=ONE_STEP_SIGNATURE))
            return self._steps[structure]

    def tracing_count(self) -> int:
        """Traces so far, over all structures (tests hold zoom animations to one per structure)."""
        with self._lock:
            return sum(fn.experimental_get_tracing_count() for fn in self._steps.values())

    def _acts(self, tile) -> list:
        acts = self._model()(tile[None], training=False)
        return list(acts) if isinstance(acts, (list, tuple)) else [acts]

    def _loss(self, s: Structure, tile, layer_weights, channels, guide):
        return self._objective(s, self._acts(tile), layer_weights, channels, guide)

    def _objective(self, s: Structure, acts, layer_weights, channels, guide):
        objective = objectives.OBJECTIVES[s.objective]
        terms = []
        for i, a in enumerate(acts):
            if i == s.channel_layer:
                a = objectives.select_channels(a, channels)
            term = objectives.guided(a, guide) if i == s.guide_layer else objective(a)
            terms.append(layer_weights[i] * term)
        return tf.add_n(terms)

    def _gradient(self, s, x, args):
        """Gradient and loss of one tile (or the whole image); loss-scaled through a float16 network."""
        if self._float16:
            with tf.GradientTape() as net:
                net.watch(x)
                acts = self._acts(x)
            with tf.GradientTape() as head:
                head.watch(acts)
                loss = self._objective(s, acts, *args)
            (grad,), _ = float16.scaled_backprop(net, acts, [x], head.gradient(loss, acts))
            return grad, loss
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = self._loss(s, x, *args)
        return tape.gradient(loss, x), loss

    def _whole(self, s, rolled, args):
        """Gradient and loss of the whole (rolled) image: one tile covers it."""
        return self._gradient(s, rolled, args)

    def _tiled(self, s, rolled, counts, args):
        """Gradient and area-weighted loss, tile by tile over ``counts`` equal tiles."""
        size = tf.shape(rolled)[:2]
        grads = tf.zeros_like(rolled)
        loss = tf.constant(0.0)
        area = tf.cast(size[0] * size[1], tf.float32)
        for iy in tf.range(counts[0]):
            for ix in tf.range(counts[1]):
                y0, y1 = iy * size[0] // counts[0], (iy + 1) * size[0] // counts[0]
                x0, x1 = ix * size[1] // counts[1], (ix + 1) * size[1] // counts[1]
                g, tile_loss = self._gradient(s, rolled[y0:y1, x0:x1], args)
                grads += tf.pad(g, [[y0, size[0] - y1], [x0, size[1] - x1], [0, 0]])
                loss += tile_loss * tf.cast((y1 - y0) * (x1 - x0), tf.float32) / area
        return grads, loss

    def _gradients(self, s, img, tile_size, seed, args):
        """Normalised gradient of the loss, tile by tile on a randomly rolled image."""
        size = tf.shape(img)[:2]
        tiled = tile_size > 0
        roll = tf.maximum(tile_size, 1)
        shift = tf.random.stateless_uniform([2], seed, -roll, roll, tf.int32) * tf.cast(tiled, tf.int32)
        rolled = tf.roll(img, shift=shift, axis=[0, 1])
        # Equal tiles covering the whole image, none larger than tile_size.
        counts = tf.where(tiled, (size + tile_size - 1) // tf.maximum(tile_size, 1), tf.ones([2], tf.int32))
        grads, loss = tf.cond(tf.reduce_all(counts == 1),
                              lambda: self._whole(s, rolled, args),
                              lambda: self._tiled(s, rolled, counts, args))
        grads = tf.roll(grads, shift=-shift, axis=[0, 1])
        if s.lapnorm_levels:
            return lapnorm.normalize(grads, s.lapnorm_levels), loss
        return grads / (tf.math.reduce_std(grads) + 1e-8), loss

    def _one(self, s, img, step_size, tile_size, seed, layer_weights, channels, guide, tv_weight, mask):
        """One ascent step: the new image and the loss before it."""
        grads, loss = self._gradients(s, img, tile_size, seed, (layer_weights, channels, guide))
        if s.tv:
            with tf.GradientTape() as tape:
                tape.watch(img)
                tv = objectives.total_variation(img)
            grads -= tv_weight * tape.gradient(tv, img)
        if s.mask:
            grads *= mask
        return tf.clip_by_value(img + grads * step_size, -1.0, 1.0), loss


_ascents: "weakref.WeakKeyDictionary[object, _Ascent]" = weakref.WeakKeyDictionary()
_ascents_lock = threading.Lock()


def ascent_for(model) -> _Ascent:
    """The compiled steps of ``model`` (cached weakly by model: they go when the model goes)."""
    with _ascents_lock:
        if model not in _ascents:
            _ascents[model] = _Ascent(model)
        return _ascents[model]


def time_ascent(ascent: _Ascent, shape: tuple[int, int], step_size: float, tile_size: int, n_layers: int,
                structure: Structure = Structure(), guide_channels: int = 0) -> float:
    """Seconds per step of ``ascent.step(structure)`` at ``shape``: a first call warms up (and may
    trace), then the faster of two calls of two steps each (one busy moment on a shared CPU does
    not stick). ``guide_channels``: channels of the guide layer (a stand-in guide of 256 vectors)."""
    x = tf.random.stateless_uniform([shape[0], shape[1], 3], [1, 2], -1.0, 1.0)
    guide = tf.zeros([256, guide_channels]) if structure.guide_layer is not None else None
    args = (tf.constant(step_size, tf.float32), tf.constant(tile_size, tf.int32),
            tf.constant([0, 0], tf.int32), tf.ones([n_layers], tf.float32),
            *extras(channels=(0,) if structure.channel_layer is not None else (), guide=guide,
                    mask=tf.ones([shape[0], shape[1], 1]) if structure.mask else None))
    fn = ascent.step(structure)
    fn(x, tf.constant(1), *args)[1].numpy()
    times = []
    for _ in range(2):
        start = time.perf_counter()
        fn(x, tf.constant(2), *args)[1].numpy()  # two steps a call: runs call it with many
        times.append((time.perf_counter() - start) / 2)
    return min(times)
