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

One compiled step (:class:`genart.dream.ascent._Ascent`) serves every image size, step count,
step size and tile size, which are tensors: a new value never retraces. :func:`plan` is the list
of octaves a run iterates; :func:`step_seconds` times one step as a run would take it. This
module imports TensorFlow only when a run starts, so configs and plans are cheap to import.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Iterator, Sequence

from .. import models, precision
from ..errors import InputError, check_float, check_int
from ..frames import Frame
from ..images import ImageSource, load_image, to_uint8
from ..plans import Segment, working_hw

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
        precision: arithmetic of the network: ``auto``, ``float32`` (the tutorial), ``bfloat16`` or
            ``float16`` (GPU), as genart.precision explains; the image and the loss stay float32.
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
    precision: str = "auto"

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
        object.__setattr__(self, "precision", precision.check("precision", self.precision))

    @property
    def total_steps(self) -> int:
        return self.octaves * self.steps_per_octave

    def octave_exponents(self) -> range:
        """Exponents n of ``octave_scale ** n``: five octaves give the tutorial's range(-2, 3)."""
        return range(-(self.octaves // 2), self.octaves - self.octaves // 2)


#: The tutorial's settings, in its exact float32 arithmetic.
TUTORIAL = DreamConfig(precision="float32")


def octave_shape(base: tuple[int, int], scale: float, exponent: int) -> tuple[int, int]:
    """The tutorial's ``int(base * scale**n)``, enlarged where needed to InceptionV3's minimum side."""
    factor = scale ** exponent
    factor = max(factor, MIN_NET_SIDE / min(base))
    return int(base[0] * factor), int(base[1] * factor)


def plan(config: DreamConfig, image_hw: tuple[int, int] | None = None) -> list[Segment]:
    """The octaves a run of ``config`` on an image of ``image_hw`` (before resizing) iterates.

    Args:
        config: the run's settings.
        image_hw: (height, width) of the input; None: 4:3 with the long side ``max_dim``.

    Returns:
        One :class:`~genart.plans.Segment` per octave: its label, ``steps_per_octave`` steps and
        the (height, width) the octave works at.
    """
    base = working_hw(image_hw, config.max_dim)
    exponents = list(config.octave_exponents())
    return [Segment(f"octave {i + 1}/{len(exponents)}", config.steps_per_octave,
                    octave_shape(base, config.octave_scale, n)) for i, n in enumerate(exponents)]


def _model_for(config: DreamConfig, model, policy):
    """The network a run computes with: ``model`` (or the cached InceptionV3 cut at the config's
    layers) in the policy's precision."""
    if model is None:
        return models.dream_extractor(config.layers, precision=policy.dtype)
    return models.with_precision(model, policy)


def step_seconds(config: DreamConfig, shape: tuple[int, int], model=None) -> float:
    """Seconds one ascent step of ``config`` takes at ``shape`` (height, width) on this machine.

    Times the very compiled step (and precision) a run of ``config`` uses, on the cached network:
    a warm-up call, then the faster of two.
    """
    from .ascent import ascent_for, time_ascent

    policy = precision.resolve(config.precision)
    ascent = ascent_for(_model_for(config, model, policy))
    return time_ascent(ascent, shape, config.step_size, config.tile_size, len(config.layers))


def _deprocess(x, size: tuple[int, int] | None = None):
    """An image in [-1, 1] back to uint8 RGB, resized to ``size``."""
    import tensorflow as tf

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
    import tensorflow as tf

    from .ascent import ascent_for

    cfg = config
    policy = precision.resolve(cfg.precision)
    rgb = load_image(image, cfg.max_dim, what="image")
    base = rgb.shape[:2]
    segments = plan(cfg, base)
    total = sum(s.steps for s in segments)
    yield Frame(rgb, 0, total, "starting", {})  # at once, before a first build of the network
    ascent = ascent_for(_model_for(cfg, model, policy))
    weights = tf.constant(cfg.layer_weights or (1.0,) * len(cfg.layers), tf.float32)
    step_size = tf.constant(cfg.step_size, tf.float32)
    tile_size = tf.constant(cfg.tile_size, tf.int32)
    x = tf.constant(rgb, tf.float32) / 127.5 - 1.0  # inception_v3.preprocess_input
    step, sec_per_step, measured = 0, None, False
    for segment in segments:
        x = tf.image.resize(x, segment.shape)
        done = 0
        while done < segment.steps:
            if cfg.preview_every is not None:
                n = cfg.preview_every
            elif sec_per_step is None:
                n = 1  # the first call also traces; measure before choosing a larger chunk
            else:
                n = max(1, round(PREVIEW_SECONDS / sec_per_step))
            n = min(n, segment.steps - done)
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
            yield Frame(_deprocess(x, base), step, total, segment.label, {"loss": loss}, final=final)
