"""DeepDream: amplify what InceptionV3 sees, by gradient ascent on the image itself.

After Mordvintsev, Olah & Tyka (2015) and the TensorFlow DeepDream tutorial:

1. Scale the image to [-1, 1] (InceptionV3's ``preprocess_input``).
2. For each octave, resize the image by ``octave_scale ** n`` (n = -2…2 for five octaves) and
   run ``steps_per_octave`` ascent steps:
   loss = Σ_l w_l · mean(activation_l); gradient ÷ its standard deviation;
   image += step_size · gradient; clip to [-1, 1].
   Beyond the tutorial (each off by default, so the defaults are its math exactly): other
   objectives (``l2``, ``norm``; :mod:`genart.dream.objectives`), chosen / strongest / weakest
   channels of one layer, a guide image, a total-variation penalty, Laplacian-pyramid gradient
   normalisation (:mod:`genart.dream.lapnorm`), a mask that multiplies the gradient, and a loss
   threshold that ends the run early.
3. Large images: the gradient is computed tile by tile on a randomly rolled copy of the image
   (rolling hides the tile seams; tiling bounds memory); ``tile_size=0`` turns both off.
4. Resize the result back to the input size.

One compiled step (:class:`genart.dream.ascent._Ascent`) serves every image size, step count,
step size, tile size, channel, guide, mask and weight, which are tensors: a new value never
retraces (a new *kind* of objective traces once; see :class:`genart.dream.ascent.Structure`), so
calling :func:`dream` once per frame of an animation stays cheap. :func:`plan` is the list
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
from ..masks import MAX_FEATHER, load_mask
from ..plans import Segment, working_hw

#: InceptionV3's smallest workable input side (Keras' documented minimum).
MIN_NET_SIDE = 75
#: Adaptive previews aim for one frame per this many seconds of compute.
PREVIEW_SECONDS = 0.75
#: Objectives (:mod:`genart.dream.objectives`) and channel selections a config may name.
OBJECTIVES = ("mean", "l2", "norm")
CHANNEL_MODES = ("all", "chosen", "strongest", "weakest")
#: Channels of each InceptionV3 "mixed" layer (a test checks them against the network).
LAYER_CHANNELS = {"mixed0": 256, "mixed1": 288, "mixed2": 288, **{f"mixed{i}": 768 for i in range(3, 8)},
                  "mixed8": 1280, "mixed9": 2048, "mixed10": 2048}
#: Largest Laplacian-pyramid depth (lapnorm_levels).
MAX_LAPNORM_LEVELS = 6
#: A guide image is read at most this large (its feature vectors are compared with every position).
GUIDE_MAX_DIM = 320
#: The longest zoom animation (frames); its frames are kept in memory for the MP4 and the GIF.
MAX_ZOOM_FRAMES = 300


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
        objective: what each layer contributes: ``mean`` (the tutorial's mean activation), ``l2``
            (mean of squared activations) or ``norm`` (L2 norm of the activations).
        channel_layer: the layer (one of ``layers``) whose channels ``channel_mode`` selects; None: the first.
        channel_mode: ``all`` channels (the tutorial), the ``chosen`` ``channels``, or the
            ``strongest`` / ``weakest`` ``channel_count`` channels for this image (measured once, at the start).
        channels: channel indices of the channel layer (for channel_mode ``chosen``).
        channel_count: how many channels ``strongest`` and ``weakest`` pick.
        threshold: end the run once the loss reaches this (None: run every step).
        tv_weight: total-variation penalty against noise (0 = off; around 0.05 to 0.5 smooths).
        lapnorm_levels: 0 = the tutorial's std normalisation of the gradient; 1 to 6 = Laplacian-pyramid
            normalisation over that many levels (smoother, larger patterns in fewer steps).
        guide_layer: with a guide image, the layer (one of ``layers``) pulled toward the guide's
            features; None: the first.
        mask_feather: with a mask, soft edges: the Gaussian blur of the mask, in pixels at the working size.
        zoom_frames: frames of the "infinite zoom" animation after the dream (0 = no animation); each
            zooms in by ``zoom`` and dreams ``zoom_steps`` more steps.
        zoom: scale per zoom frame (about the centre, cropped back to the working size).
        zoom_steps: ascent steps per zoom frame.
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
    objective: str = "mean"
    channel_layer: str | None = None
    channel_mode: str = "all"
    channels: tuple[int, ...] = ()
    channel_count: int = 4
    threshold: float | None = None
    tv_weight: float = 0.0
    lapnorm_levels: int = 0
    guide_layer: str | None = None
    mask_feather: float = 0.0
    zoom_frames: int = 0
    zoom: float = 1.05
    zoom_steps: int = 10

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
        if self.objective not in OBJECTIVES:
            raise InputError(f"objective must be one of {', '.join(OBJECTIVES)}; got {self.objective!r}.")
        for name in ("channel_layer", "guide_layer"):
            value = getattr(self, name)
            if value is not None and value not in layers:
                raise InputError(f"{name}: {value!r} is not one of the chosen layers ({', '.join(layers)}).")
        self._check_channels()
        if self.threshold is not None:
            check_float("threshold", self.threshold, -1e9, 1e9)
            object.__setattr__(self, "threshold", float(self.threshold))
        check_float("tv_weight", self.tv_weight, 0.0, 10.0)
        check_int("lapnorm_levels", self.lapnorm_levels, 0, MAX_LAPNORM_LEVELS)
        check_float("mask_feather", self.mask_feather, 0.0, MAX_FEATHER)
        check_int("zoom_frames", self.zoom_frames, 0, MAX_ZOOM_FRAMES)
        check_float("zoom", self.zoom, 1.0, 1.5)
        check_int("zoom_steps", self.zoom_steps, 1, 1000)

    def _check_channels(self) -> None:
        if self.channel_mode not in CHANNEL_MODES:
            raise InputError(f"channel_mode must be one of {', '.join(CHANNEL_MODES)}; got {self.channel_mode!r}.")
        channels = (self.channels,) if isinstance(self.channels, int) else tuple(self.channels or ())
        for c in channels:
            check_int("channels", c, 0, 2047)
        object.__setattr__(self, "channels", tuple(int(c) for c in channels))
        check_int("channel_count", self.channel_count, 1, 2048)
        layer = self.channel_layer or self.layers[0]
        count = LAYER_CHANNELS[layer]
        if self.channel_mode == "chosen":
            if not channels:
                raise InputError("channels: give at least one channel index for channel_mode 'chosen'.")
            if len(set(channels)) != len(channels):
                raise InputError("channels: each channel may be chosen only once.")
            if max(channels) >= count:
                raise InputError(f"channels: {layer} has {count} channels (0 to {count - 1}); got {max(channels)}.")
        elif channels:
            raise InputError(f"channels are used with channel_mode 'chosen' only; channel_mode is {self.channel_mode!r}.")
        if self.channel_mode in ("strongest", "weakest") and self.channel_count > count:
            raise InputError(f"channel_count: {layer} has {count} channels; got {self.channel_count}.")

    @property
    def total_steps(self) -> int:
        return self.octaves * self.steps_per_octave + self.zoom_frames * self.zoom_steps

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
        the (height, width) the octave works at; then one per zoom frame (``zoom_steps`` steps at
        the working size), when ``zoom_frames`` asks for an animation.
    """
    base = working_hw(image_hw, config.max_dim)
    exponents = list(config.octave_exponents())
    octaves = [Segment(f"octave {i + 1}/{len(exponents)}", config.steps_per_octave,
                       octave_shape(base, config.octave_scale, n)) for i, n in enumerate(exponents)]
    n = config.zoom_frames
    return octaves + [Segment(f"zoom frame {k}/{n}", config.zoom_steps, octave_shape(base, config.octave_scale, 0))
                      for k in range(1, n + 1)]


def _model_for(config: DreamConfig, model, policy):
    """The network a run computes with: ``model`` (or the cached InceptionV3 cut at the config's
    layers) in the policy's precision."""
    if model is None:
        return models.dream_extractor(config.layers, precision=policy.dtype)
    return models.with_precision(model, policy)


def _structure(config: DreamConfig, guide: bool = False, mask: bool = False):
    """The compiled step's :class:`~genart.dream.ascent.Structure` for ``config`` (with or without
    a guide image and a mask)."""
    from .ascent import Structure

    channel_layer = None
    if config.channel_mode != "all":
        channel_layer = config.layers.index(config.channel_layer or config.layers[0])
    guide_layer = config.layers.index(config.guide_layer or config.layers[0]) if guide else None
    return Structure(config.objective, channel_layer, guide_layer, config.lapnorm_levels, config.tv_weight > 0, mask,
                     config.threshold is not None)


def step_seconds(config: DreamConfig, shape: tuple[int, int], model=None) -> float:
    """Seconds one ascent step of ``config`` takes at ``shape`` (height, width) on this machine.

    Times the very compiled step (and precision) a run of ``config`` without guide or mask uses,
    on the cached network: a warm-up call, then the faster of two.
    """
    from .ascent import ascent_for, time_ascent

    policy = precision.resolve(config.precision)
    ascent = ascent_for(_model_for(config, model, policy))
    return time_ascent(ascent, shape, config.step_size, config.tile_size, len(config.layers),
                       _structure(config))


def recipe_inputs(image: ImageSource, config: DreamConfig, *, guide: ImageSource | None = None, mask=None) -> dict:
    """The inputs a recipe of this run fingerprints (:func:`genart.recipe.make_recipe`'s ``inputs``):
    the image, the guide if any, and the mask's :func:`~genart.recipe.mask_digest` (its coverage, as
    the style tab fingerprints its masks; a painted mask lives in its alpha, which RGB would miss)."""
    from ..recipe import mask_digest

    inputs = {"image": image}
    if guide is not None:
        inputs["guide"] = guide
    if mask is not None:
        inputs["mask"] = mask_digest(mask)
    return inputs


def _deprocess(x, size: tuple[int, int] | None = None, original=None, mask=None):
    """An image in [-1, 1] back to uint8 RGB, resized to ``size``; with a mask, the ``original``
    (at ``size``) wherever the mask is 0, blending where it is between."""
    import tensorflow as tf

    if size is not None and tuple(x.shape[:2]) != size:
        x = tf.image.resize(x, size)
    if mask is not None:
        x = original + mask * (x - original)
    return to_uint8(x.numpy(), -1.0, 1.0)


def dream(image: ImageSource, config: DreamConfig = DreamConfig(), model=None, *, guide: ImageSource | None = None,
          mask=None) -> Iterator[Frame]:
    """Run DeepDream on ``image``, yielding frames as it goes.

    Args:
        image: anything :func:`genart.images.load_image` accepts (path, bytes, PIL image, array).
        config: the run's settings; see :class:`DreamConfig`.
        model: a Keras model mapping a batch in [-1, 1] to the activations of ``config.layers``
            (one tensor per layer, in order); None builds InceptionV3 through :mod:`genart.models`.
        guide: an optional guide image (same kinds as ``image``): the guide layer's term becomes the
            dot product with the guide's best-matching feature vector at each position.
        mask: an optional mask (anything :func:`genart.masks.load_mask` accepts; white or painted =
            dream here), feathered by ``config.mask_feather``: the gradient is multiplied by it at
            every octave, and each frame keeps the input wherever the mask is 0.

    Yields:
        A first frame with the (resized) input at step 0 (stage "starting"), then a frame every
        ``preview_every`` steps (or about every 0.75 s), each shown at the input's size; the last one has
        ``final=True`` and holds the result. Metrics: ``{"loss": …}``, the weighted sum of the
        layers' objectives before the latest step. When the loss reaches ``config.threshold`` the
        run ends there: that frame is final, its stage says so and its metrics add
        ``{"stopped_at_threshold": 1.0}``. With ``zoom_frames`` the run goes on into
        the zoom animation (:func:`dream_zoom`): its finished frames add ``"zoom_frame"``.

    Raises:
        InputError: the image, guide or mask cannot be used, or a channel is out of range.
        WeightsUnavailable: the pretrained weights cannot be loaded.
    """
    if config.zoom_frames:  # the dream, then the zoom animation's frames (each a short dream)
        yield from dream_zoom(image, config, model, guide=guide, mask=mask)
        return
    import tensorflow as tf

    from .ascent import ascent_for, extras
    from .prepare import guide_features, pick_channels, preprocess

    cfg = config
    policy = precision.resolve(cfg.precision)
    rgb = load_image(image, cfg.max_dim, what="image")
    base = rgb.shape[:2]
    base_mask = None if mask is None else tf.constant(load_mask(mask, base, cfg.mask_feather))
    guide_rgb = None if guide is None else load_image(guide, GUIDE_MAX_DIM, what="guide image")
    segments = plan(cfg, base)
    total = sum(s.steps for s in segments)
    yield Frame(rgb, 0, total, "starting", {})  # at once, before a first build of the network
    net = _model_for(cfg, model, policy)
    fn = ascent_for(net).step(_structure(cfg, guide=guide is not None, mask=mask is not None))
    x = original = preprocess(rgb)
    channels = pick_channels(cfg, net, x, segments[0].shape)
    features = None if guide_rgb is None else guide_features(cfg, net, guide_rgb, channels)
    threshold, channels_t, guide_t, tv_weight, _ = extras(cfg.threshold, channels, features, cfg.tv_weight)
    picked = f" · {cfg.channel_layer or cfg.layers[0]} channels {', '.join(map(str, channels))}" \
        if cfg.channel_mode in ("strongest", "weakest") else ""
    weights = tf.constant(cfg.layer_weights or (1.0,) * len(cfg.layers), tf.float32)
    step_size = tf.constant(cfg.step_size, tf.float32)
    tile_size = tf.constant(cfg.tile_size, tf.int32)
    step, sec_per_step, measured = 0, None, False
    for segment in segments:
        x = tf.image.resize(x, segment.shape)
        octave_mask = tf.ones([1, 1, 1]) if base_mask is None else tf.image.resize(base_mask, segment.shape)
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
            x, loss, taken = fn(x, tf.constant(n), step_size, tile_size, tf.constant([cfg.seed, step], tf.int32),
                                weights, threshold, channels_t, guide_t, tv_weight, octave_mask)
            loss, taken = float(loss), int(taken)
            if measured:  # the very first call also traced the step: not a fair measure
                sec_per_step = (time.perf_counter() - t0) / taken
            measured = True
            done += taken
            step += taken
            stopped = cfg.threshold is not None and loss >= cfg.threshold
            metrics = {"loss": loss, **({"stopped_at_threshold": 1.0} if stopped else {})}
            stage = f"stopped: the loss reached the threshold {cfg.threshold:g}" if stopped else segment.label + picked
            image_out = _deprocess(x, base, original, base_mask)
            yield Frame(image_out, step, total, stage, metrics, final=stopped or step == total)
            if stopped:
                return


from .zoom import dream_zoom  # noqa: E402  (zoom.py drives dream() above)
