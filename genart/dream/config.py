"""DeepDream's settings and plan: the frozen :class:`DreamConfig` (defaults are the tutorial's), the
octaves a run iterates (:func:`plan`) and what a run costs (:func:`run_cost`). No TensorFlow here,
so settings, plans and estimates are cheap to import.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from .. import models, precision
from ..errors import InputError, check_float, check_int
from ..masks import MAX_FEATHER
from ..costing import Knob, RunCost, Segment, span, working_hw

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
            ``strongest`` / ``weakest`` ``channel_count`` channels for this image (measured once, at the start);
            unset: ``chosen`` when channels are given, else ``all``.
        channels: channel indices of the channel layer (giving them chooses them).
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
    channel_mode: str | None = None
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
        channels = (self.channels,) if isinstance(self.channels, int) else tuple(self.channels or ())
        if self.channel_mode is None:  # naming channels is choosing them
            object.__setattr__(self, "channel_mode", "chosen" if channels else "all")
        if self.channel_mode not in CHANNEL_MODES:
            raise InputError(f"channel_mode must be one of {', '.join(CHANNEL_MODES)}; got {self.channel_mode!r}.")
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
            raise InputError(f"channels are used with channel_mode 'chosen' only; channel_mode is {self.channel_mode!r} "
                             "(leave channel_mode unset, and the channels given are the ones chosen).")
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
        One :class:`~genart.costing.Segment` per octave: its label, ``steps_per_octave`` steps and
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




def cost_key(config: DreamConfig, model=None) -> tuple:
    """What a step's cost depends on: the network (its layers and weights; an injected model by
    identity), the tiles and the precision. Octave sizes and step counts are the plan's."""
    net = ("custom", id(model)) if model is not None else (config.layers, models.weights_mode())
    return "dream", net, config.tile_size, config.precision


def run_cost(config: DreamConfig, image_hw: tuple[int, int] | None = None, model=None) -> RunCost:
    """A run of ``config`` on an image of ``image_hw`` (see :func:`plan`), as genart.estimate prices it.

    Each octave starts with about a step's worth of set-up (the first call at its size). A cheaper
    run has fewer steps per octave (down to half), else a smaller size (down to half), else both.
    """
    segments = plan(config, image_hw)
    detail = f"{config.octaves} octave{'s' if config.octaves > 1 else ''} × {config.steps_per_octave} steps, " \
        f"{span(segments)}"
    if config.zoom_frames:
        detail += f", then {config.zoom_frames} zoom frames × {config.zoom_steps} steps"
    knobs = (Knob("steps_per_octave", config.steps_per_octave, "{new} steps per octave instead of {old}",
                  "{new} steps per octave", searched=True),
             Knob("max_dim", config.max_dim, "max size {new} px instead of {old}", "max size {new} px",
                  low=128, multiple=32))
    return RunCost(cost_key(config, model), tuple(segments), detail, knobs=knobs)
