"""DeepDream: amplify what InceptionV3 sees, by gradient ascent on the image itself.

After Mordvintsev, Olah & Tyka (2015) and the TensorFlow DeepDream tutorial:

1. Scale the image to [-1, 1] (InceptionV3's ``preprocess_input``).
2. For each octave, resize the image by ``octave_scale ** n`` (n = -2…2 for five octaves) and
   run ``steps_per_octave`` ascent steps:
   loss = Σ_l w_l · mean(activation_l); gradient ÷ its standard deviation;
   image += step_size · gradient; clip to [-1, 1].
3. Large images: the gradient is computed tile by tile on a randomly rolled copy of the image
   (rolling hides the tile seams; tiling bounds memory); ``tile_size=0`` turns both off.
4. Resize the result back to the input size.

One compiled step (:class:`_Ascent`) serves every image size, step count, step size and tile
size, which are tensors: a new value never retraces.
"""

from __future__ import annotations

import math
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np
import tensorflow as tf

from .. import models
from ..errors import InputError, check_float, check_int
from ..frames import Frame
from ..images import ImageSource, load_image, to_uint8

#: InceptionV3's smallest workable input side (Keras' documented minimum).
MIN_NET_SIDE = 75
#: Adaptive previews aim for one frame per this many seconds of compute.
PREVIEW_SECONDS = 0.75


@dataclass(frozen=True)
class DreamConfig:
    """Settings of one DeepDream run; the defaults are the tutorial's.

    Attributes:
        layers: InceptionV3 layers whose mean activation is maximised (``mixed0``…``mixed10``).
        layer_weights: one weight per layer (None: all 1, as in the tutorial).
        octaves: number of scales; five means the tutorial's ``range(-2, 3)``.
        octave_scale: size ratio between consecutive octaves.
        steps_per_octave: ascent steps at each octave.
        step_size: ascent step on the std-normalised gradient, in [-1, 1] image units.
        tile_size: tile side in pixels for the rolled, tiled gradient; 0 = whole image, no roll.
        max_dim: the input is downscaled so that its longer side is at most this.
        preview_every: steps between frames; None adapts to about one frame every 0.75 s.
        seed: seed of the random roll (runs are reproducible).
    """

    layers: Sequence[str] = ("mixed3", "mixed5")
    layer_weights: Sequence[float] | None = None
    octaves: int = 5
    octave_scale: float = 1.3
    steps_per_octave: int = 100
    step_size: float = 0.01
    tile_size: int = 512
    max_dim: int = 500
    preview_every: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        layers = (self.layers,) if isinstance(self.layers, str) else tuple(self.layers or ())
        object.__setattr__(self, "layers", layers)
        if not layers:
            raise InputError("layers: choose at least one layer (mixed0 to mixed10).")
        unknown = [name for name in layers if name not in models.INCEPTION_LAYERS]
        if unknown:
            raise InputError(f"layers: {', '.join(map(str, unknown))} is not an InceptionV3 layer; "
                             "choose from mixed0 to mixed10.")
        if len(set(layers)) != len(layers):
            raise InputError("layers: each layer may be chosen only once.")
        if self.layer_weights is not None:
            weights = tuple(float(w) for w in self.layer_weights)
            if len(weights) != len(layers) or not all(math.isfinite(w) for w in weights):
                raise InputError(f"layer_weights: give one finite number per layer ({len(layers)}).")
            object.__setattr__(self, "layer_weights", weights)
        check_int("octaves", self.octaves, 1, 10)
        check_float("octave_scale", self.octave_scale, 1.0, 2.0)
        check_int("steps_per_octave", self.steps_per_octave, 1, 1000)
        check_float("step_size", self.step_size, 1e-5, 0.5)
        check_int("tile_size", self.tile_size, 0, 2048)
        if 0 < self.tile_size < 2 * MIN_NET_SIDE + 10:
            raise InputError(f"tile_size must be 0 (no tiling) or between {2 * MIN_NET_SIDE + 10} and 2048 "
                             f"pixels; got {self.tile_size}.")
        check_int("max_dim", self.max_dim, 64, 2048)
        if self.preview_every is not None:
            check_int("preview_every", self.preview_every, 1, 1000)
        check_int("seed", self.seed, 0, 2**31 - 1)

    @property
    def total_steps(self) -> int:
        return self.octaves * self.steps_per_octave

    def octave_exponents(self) -> range:
        """Exponents n of ``octave_scale ** n``: five octaves give the tutorial's range(-2, 3)."""
        return range(-(self.octaves // 2), self.octaves - self.octaves // 2)


def octave_shape(base: tuple[int, int], scale: float, exponent: int) -> tuple[int, int]:
    """The tutorial's ``int(base * scale**n)``, enlarged where needed to InceptionV3's minimum side."""
    factor = scale ** exponent
    factor = max(factor, MIN_NET_SIDE / min(base))
    return int(base[0] * factor), int(base[1] * factor)


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

    def _gradients(self, img, tile_size, seed, layer_weights):
        """Std-normalised gradient of the loss, tile by tile on a randomly rolled image."""
        size = tf.shape(img)[:2]
        tiled = tile_size > 0
        roll = tf.maximum(tile_size, 1)
        shift = tf.random.stateless_uniform([2], seed, -roll, roll, tf.int32) * tf.cast(tiled, tf.int32)
        rolled = tf.roll(img, shift=shift, axis=[0, 1])
        # Equal tiles covering the whole image, none larger than tile_size.
        counts = tf.where(tiled, (size + tile_size - 1) // tf.maximum(tile_size, 1), tf.ones([2], tf.int32))
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


def _ascent_for(model) -> _Ascent:
    with _ascents_lock:
        if model not in _ascents:
            _ascents[model] = _Ascent(model)
        return _ascents[model]


def _deprocess(x: tf.Tensor, size: tuple[int, int] | None = None) -> np.ndarray:
    if size is not None and tuple(x.shape[:2]) != size:
        x = tf.image.resize(x, size)
    return to_uint8(x.numpy(), -1.0, 1.0)


def dream(image: ImageSource, config: DreamConfig = DreamConfig(), model=None) -> Iterator[Frame]:
    """Run DeepDream on ``image``, yielding frames as it goes.

    Args:
        image: anything :func:`genart.images.load_image` accepts (path, bytes, PIL image, array).
        config: the run's settings; see :class:`DreamConfig`.
        model: a Keras model mapping a batch in [-1, 1] to the activations of ``config.layers``
            (one tensor per layer, in order); None builds InceptionV3 through :mod:`genart.models`.

    Yields:
        A first frame with the (resized) input at step 0 (stage "starting"), then a frame every
        ``preview_every`` steps (or about every 0.75 s), each shown at the input's size; the last one has
        ``final=True`` and holds the result. Metrics: ``{"loss": …}``, the weighted sum of the
        layers' mean activations before the latest step.

    Raises:
        InputError: the image cannot be used.
        WeightsUnavailable: the pretrained weights cannot be loaded.
    """
    cfg = config
    rgb = load_image(image, cfg.max_dim, what="image")
    base = rgb.shape[:2]
    total = cfg.total_steps
    octaves = list(cfg.octave_exponents())
    yield Frame(rgb, 0, total, "starting", {})  # at once, before a first build of the network
    if model is None:
        model = models.dream_extractor(cfg.layers)
    ascent = _ascent_for(model)
    weights = tf.constant(cfg.layer_weights or (1.0,) * len(cfg.layers), tf.float32)
    step_size = tf.constant(cfg.step_size, tf.float32)
    tile_size = tf.constant(cfg.tile_size, tf.int32)
    x = tf.constant(rgb, tf.float32) / 127.5 - 1.0  # inception_v3.preprocess_input
    step, sec_per_step, measured = 0, None, False
    for o, exponent in enumerate(octaves):
        x = tf.image.resize(x, octave_shape(base, cfg.octave_scale, exponent))
        done = 0
        while done < cfg.steps_per_octave:
            if cfg.preview_every is not None:
                n = cfg.preview_every
            elif sec_per_step is None:
                n = 1  # the first call also traces; measure before choosing a larger chunk
            else:
                n = max(1, round(PREVIEW_SECONDS / sec_per_step))
            n = min(n, cfg.steps_per_octave - done)
            t0 = time.perf_counter()
            x, loss = ascent(x, tf.constant(n), step_size, tile_size,
                             tf.constant([cfg.seed, step], tf.int32), weights)
            loss = float(loss)
            if measured:  # the very first call also traced the step: not a fair measure
                sec_per_step = (time.perf_counter() - t0) / n
            measured = True
            done += n
            step += n
            final = step == total
            yield Frame(_deprocess(x, base), step, total, f"octave {o + 1}/{len(octaves)}",
                        {"loss": loss}, final=final)
