"""Style transfer's settings and plan: the frozen :class:`StyleConfig` (defaults are the tutorial's),
the presets, the coarse-to-fine scales a run iterates (:func:`plan`) and what a run costs
(:func:`run_cost`). No TensorFlow here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import models, precision
from ..errors import InputError, check_int
from ..masks import MAX_FEATHER
from ..models import POOLINGS, VGG19_ALL
from ..costing import Knob, RunCost, Segment, span, working_hw

#: The tutorial's layers: one content layer deep in the network, five style layers from shallow to deep.
CONTENT_LAYERS = ("block5_conv2",)
STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")
#: Every VGG19 layer an extractor may be cut at, in network order.
VGG19_LAYERS = VGG19_ALL
#: The convolution layers (what the app offers for the two losses).
CONV_LAYERS = tuple(n for n in VGG19_LAYERS if "_conv" in n)
OPTIMIZERS = ("adam", "lbfgs")
INITS = ("content", "noise", "image")
#: With ``preview_every=None`` a frame is yielded after about this many seconds of compute.
PREVIEW_SECONDS = 0.75
#: The smallest side an image is optimised at (coarse scales smaller than this are skipped).
MIN_SCALE_SIDE = 32


def _check(name: str, value: float, low: float, high: float, *, low_open: bool = False) -> None:
    try:
        ok = bool(np.isfinite(value) and (value > low if low_open else value >= low) and value <= high)
    except TypeError:
        ok = False
    if not ok:
        bound = "(" if low_open else "["
        raise InputError(f"{name} must be in {bound}{low:g}, {high:g}], got {value!r}.")


@dataclass(frozen=True)
class StyleConfig:
    """Settings of one style-transfer run; the defaults are the TensorFlow tutorial's.

    Attributes:
        style_weight, content_weight, tv_weight: weights of the three loss terms.
        optimizer: ``"adam"`` (the tutorial) or ``"lbfgs"`` (SciPy L-BFGS-B, the paper's choice).
        learning_rate, beta_1, epsilon: Adam's settings (unused by L-BFGS).
        steps: optimiser steps (L-BFGS: iterations) in all, across scales.
        max_dim: the content image's long side is at most this many pixels.
        scales: coarse-to-fine levels; 2 optimises at half size first, then at full size.
        init: start from the ``"content"`` image, from ``"noise"``, or from a given ``"image"``.
        blend: one weight per style image (mixes their Gram targets); None weighs them equally.
        preserve_colors: transfer luminance only and keep the content's colours.
        style_scale: the style's long side as a multiple of the content's.
        content_layers, style_layers: VGG19 layers of the two losses (``block1_conv1`` … ``block5_conv4``,
            ``block1_pool`` … ``block5_pool``); the tutorial's by default.
        pooling: VGG19's pooling, ``max`` (the tutorial) or ``avg`` (the paper: smoother pictures).
        normalize_gradients: divide each layer's gradient by its L1 norm before weighting it
            (jcjohnson's neural-style); Adam only. The weights then set each layer's push directly.
        mask_feather: soft mask edges: Gaussian sigma in pixels at the final size (used with a mask).
        preview_every: yield a frame every this many steps; None: about every 0.75 s of compute.
        seed: seed of the noise initialisation.
        precision: arithmetic of VGG19: ``auto``, ``float32`` (the tutorial), ``bfloat16`` or
            ``float16`` (GPU), as genart.precision explains.
    """

    style_weight: float = 1e-2
    content_weight: float = 1e4
    tv_weight: float = 30.0
    optimizer: str = "adam"
    learning_rate: float = 0.02
    beta_1: float = 0.99
    epsilon: float = 0.1
    steps: int = 1000
    max_dim: int = 512
    scales: int = 1
    init: str = "content"
    blend: tuple[float, ...] | None = None
    preserve_colors: bool = False
    style_scale: float = 1.0
    content_layers: tuple[str, ...] = CONTENT_LAYERS
    style_layers: tuple[str, ...] = STYLE_LAYERS
    pooling: str = "max"
    normalize_gradients: bool = False
    mask_feather: float = 0.0
    preview_every: int | None = None
    seed: int = 0
    precision: str = "auto"

    def __post_init__(self) -> None:
        for name in ("style_weight", "content_weight", "tv_weight"):
            _check(name, getattr(self, name), 0.0, 1e9)
        if self.optimizer not in OPTIMIZERS:
            raise InputError(f"optimizer must be one of {', '.join(OPTIMIZERS)}; got {self.optimizer!r}.")
        _check("learning_rate", self.learning_rate, 0.0, 10.0, low_open=True)
        _check("beta_1", self.beta_1, 0.0, 0.999)
        _check("epsilon", self.epsilon, 0.0, 10.0, low_open=True)
        check_int("steps", self.steps, 1, 10_000)
        check_int("max_dim", self.max_dim, MIN_SCALE_SIDE, 2048)
        check_int("scales", self.scales, 1, 4)
        if self.init not in INITS:
            raise InputError(f"init must be one of {', '.join(INITS)}; got {self.init!r}.")
        if self.blend is not None:
            blend = tuple(float(w) for w in self.blend)
            for w in blend:
                _check("each blend weight", w, 0.0, 1e6)
            if not blend or sum(blend) <= 0:
                raise InputError("blend needs at least one weight above 0.")
            object.__setattr__(self, "blend", blend)
        _check("style_scale", self.style_scale, 0.1, 4.0)
        for name in ("content_layers", "style_layers"):
            layers = tuple(getattr(self, name))
            bad = [n for n in layers if n not in VGG19_LAYERS]
            if not layers or bad:
                raise InputError(f"{name} must be a non-empty list of VGG19 layers (e.g. {VGG19_LAYERS[0]}); "
                                 f"unknown: {', '.join(map(str, bad)) or 'none given'}.")
            object.__setattr__(self, name, layers)
        if self.pooling not in POOLINGS:
            raise InputError(f"pooling must be one of {', '.join(POOLINGS)}; got {self.pooling!r}.")
        if not isinstance(self.normalize_gradients, (bool, np.bool_)):
            raise InputError(f"normalize_gradients must be true or false; got {self.normalize_gradients!r}.")
        object.__setattr__(self, "normalize_gradients", bool(self.normalize_gradients))
        if self.normalize_gradients and self.optimizer != "adam":
            raise InputError("normalize_gradients needs optimizer='adam': normalised gradients are not the "
                             "loss's own gradient, and L-BFGS's line search relies on that.")
        _check("mask_feather", self.mask_feather, 0.0, MAX_FEATHER)
        object.__setattr__(self, "mask_feather", float(self.mask_feather))
        if self.preview_every is not None:
            check_int("preview_every", self.preview_every, 1, 10_000)
        check_int("seed", self.seed, 0, 2**31 - 1)
        for name in ("steps", "max_dim", "scales", "seed"):
            object.__setattr__(self, name, int(getattr(self, name)))
        object.__setattr__(self, "precision", precision.check("precision", self.precision))


#: The tutorial's settings (Adam, 1000 steps at 512 px, exact float32 arithmetic).
TUTORIAL = StyleConfig(precision="float32")
#: genart's fastest measured route to the tutorial's loss (benchmarks/bench_style.py): the tutorial's
#: Adam, a third of the steps at quarter size and a third at half size before the full size, in the
#: fastest precision this machine has.
FAST = StyleConfig(steps=300, scales=3)


def style_size(content_hw: tuple[int, int], style_hw: tuple[int, int], style_scale: float) -> tuple[int, int]:
    """(height, width) of a style image whose long side is ``style_scale`` × the content's long side."""
    long_side = style_scale * max(content_hw)
    k = long_side / max(style_hw)
    return max(1, round(style_hw[0] * k)), max(1, round(style_hw[1] * k))


def plan(config: StyleConfig, content_hw: tuple[int, int] | None = None) -> list[Segment]:
    """The scales a run of ``config`` iterates, coarse to fine: each size twice the previous, the
    steps split evenly (the finest takes the remainder).

    Args:
        config: the run's settings.
        content_hw: (height, width) of the content image before resizing; None: 4:3 at ``max_dim``.

    Returns:
        One :class:`~genart.costing.Segment` per scale, labelled as the run's frames are.
    """
    hw = working_hw(content_hw, config.max_dim)
    sizes = [(round(hw[0] / 2 ** k), round(hw[1] / 2 ** k)) for k in range(config.scales - 1, -1, -1)]
    sizes = [s for s in sizes[:-1] if min(s) >= MIN_SCALE_SIDE] + [hw]
    sizes = sizes[-config.steps:]  # never a scale without steps
    counts = [config.steps // len(sizes)] * len(sizes)
    counts[-1] += config.steps - sum(counts)
    return [Segment(f"{config.optimizer} {w}×{h} px" + (f" (scale {k + 1}/{len(sizes)})" if len(sizes) > 1 else ""),
                    n, (h, w)) for k, ((h, w), n) in enumerate(zip(sizes, counts))]


def cost_key(config: StyleConfig, model=None) -> tuple:
    """What a step's cost depends on: the extractor (its layers, pooling and weights; an injected
    model by identity), the optimiser and the precision."""
    net = ("custom", id(model)) if model is not None else (config.style_layers, config.content_layers, config.pooling,
                                                           models.weights_mode())
    return "style", net, config.optimizer, config.precision


def run_cost(config: StyleConfig, content_hw: tuple[int, int] | None = None, n_styles: int = 1,
             model=None) -> RunCost:
    """A run of ``config`` on a content image of ``content_hw`` with ``n_styles`` style images, as
    genart.estimate prices it.

    Each scale starts with the first call at its size and the targets: a forward pass of the content
    and of each style image (at ``style_scale``² of the content's pixels), about half a step each. A
    cheaper run goes coarse-to-fine first (3 scales), then has fewer steps, a smaller size, or both.
    """
    segments = plan(config, content_hw)
    scales = f" over {len(segments)} scales" if len(segments) > 1 else ""
    knobs = (Knob("steps", config.steps, "{new} steps instead of {old}", "{new} steps", searched=True),
             Knob("max_dim", config.max_dim, "max size {new} px instead of {old}", "max size {new} px",
                  low=64, multiple=32))
    first = ({"scales": 3}, "3 coarse-to-fine scales (quarter and half size first)") if config.scales < 3 else None
    return RunCost(cost_key(config, model), tuple(segments), f"{config.optimizer}, {config.steps} steps{scales}, "
                   f"{span(segments)}", setup_steps=1.0 + 0.5 * (1 + n_styles * config.style_scale ** 2),
                   knobs=knobs, first_change=first)
