"""Neural style transfer (Gatys, Ecker & Bethge, 2015), as in the TensorFlow tutorial, made fast.

The picture is optimised directly: starting from the content image (or noise, or a given image),
pixels move so that VGG19's features match the content image at the content layers and the
Gram matrices (feature correlations) of the style image(s) at the style layers:

1. Images are float32 RGB in [0, 1], shape [1, H, W, 3]; the content's long side is at most
   ``max_dim``; each style image is resized so its long side is ``style_scale`` × the content's.
2. The extractor sees ``vgg19.preprocess_input(image * 255)``; its outputs are the style layers
   then the content layers (:func:`genart.models.vgg19_extractor`).
3. loss = style_weight / #style layers · Σ mean((G − G*)²)
        + content_weight / #content layers · Σ mean((F − F*)²)
        + tv_weight · total_variation(image),
   with G = Gram matrix / (H·W of that layer); several styles blend their G* by weight.
4. The tutorial's optimiser is Adam (lr 0.02, β₁ 0.99, ε 0.1), clipping to [0, 1] after each
   step. Beyond it: L-BFGS-B with [0, 1] bounds (the paper's choice, SciPy), coarse-to-fine
   (optimise at half size first, upsample, continue), luminance-only transfer that keeps the
   content's colours (Gatys et al. 2016), and initialisation from noise or a given image.
5. The reference tool's controls (jcjohnson's neural-style): any VGG19 layers for the two
   losses, average instead of max pooling (the paper's choice: smoother pictures), and
   per-layer gradient normalisation (:mod:`genart.style.losses`).
6. A mask (:func:`genart.masks.load_mask`, resized with the picture at every scale) says where:
   with one style, the style goes inside it and the content stays outside; with two styles, the
   first goes inside and the second outside (region Gram targets, Gatys et al. 2017). See
   :func:`stylize` for how.

One compiled function (a ``tf.function`` with an input signature, per extractor) gives the loss
terms and the gradient for any image size and any weights, so nothing retraces per slider value
or size. :func:`stylize` is a generator of :class:`~genart.frames.Frame` s; :func:`plan` is the
list of scales it iterates and :func:`step_seconds` times one of its steps. VGG19 may compute in
bfloat16 (``precision``, see :mod:`genart.precision`); the image, the Gram matrices, the losses
and Adam's state stay float32.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np

from .. import precision
from ..errors import InputError, check_int
from ..frames import Frame
from ..images import ImageSource, load_image, resize, to_uint8
from ..masks import MAX_FEATHER, load_mask
from ..plans import Segment, working_hw
from .colors import gray as _gray, with_chroma as _with_chroma
from .losses import Compiled, compiled_for, content_loss, gram_matrix, masked_gram, style_loss, tv_loss
from .optimizers import LBFGS_MEMORY, adam as _adam, lbfgs as _lbfgs

#: The tutorial's layers: one content layer deep in the network, five style layers from shallow to deep.
CONTENT_LAYERS = ("block5_conv2",)
STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")
#: Every VGG19 layer an extractor may be cut at.
VGG19_LAYERS = tuple(f"block{b}_conv{c}" for b in range(1, 6) for c in range(1, 3 if b < 3 else 5)) + tuple(
    f"block{b}_pool" for b in range(1, 6))
#: The convolution layers (what the app offers for the two losses).
CONV_LAYERS = tuple(n for n in VGG19_LAYERS if "_conv" in n)
#: VGG19's pooling: ``max`` (Keras' network, the tutorial) or ``avg`` (the paper's recommendation).
POOLINGS = ("max", "avg")
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


# --- image helpers --------------------------------------------------------------------------------

def style_size(content_hw: tuple[int, int], style_hw: tuple[int, int], style_scale: float) -> tuple[int, int]:
    """(height, width) of a style image whose long side is ``style_scale`` × the content's long side."""
    long_side = style_scale * max(content_hw)
    k = long_side / max(style_hw)
    return max(1, round(style_hw[0] * k)), max(1, round(style_hw[1] * k))


def _float(img: np.ndarray) -> np.ndarray:
    return (img.astype(np.float32) / 255.0)[None]


# --- the generator --------------------------------------------------------------------------------

def plan(config: StyleConfig, content_hw: tuple[int, int] | None = None) -> list[Segment]:
    """The scales a run of ``config`` iterates, coarse to fine: each size twice the previous, the
    steps split evenly (the finest takes the remainder).

    Args:
        config: the run's settings.
        content_hw: (height, width) of the content image before resizing; None: 4:3 at ``max_dim``.

    Returns:
        One :class:`~genart.plans.Segment` per scale, labelled as the run's frames are.
    """
    hw = working_hw(content_hw, config.max_dim)
    sizes = [(round(hw[0] / 2 ** k), round(hw[1] / 2 ** k)) for k in range(config.scales - 1, -1, -1)]
    sizes = [s for s in sizes[:-1] if min(s) >= MIN_SCALE_SIDE] + [hw]
    sizes = sizes[-config.steps:]  # never a scale without steps
    counts = [config.steps // len(sizes)] * len(sizes)
    counts[-1] += config.steps - sum(counts)
    return [Segment(f"{config.optimizer} {w}×{h} px" + (f" (scale {k + 1}/{len(sizes)})" if len(sizes) > 1 else ""),
                    n, (h, w)) for k, ((h, w), n) in enumerate(zip(sizes, counts))]


def _model_for(config: StyleConfig, model, policy):
    """The extractor a run computes with: ``model`` (or the cached VGG19 cut at the config's layers,
    with its pooling) in the policy's precision."""
    from .. import models

    if model is None:
        return models.vgg19_extractor(config.style_layers, config.content_layers, precision=policy.dtype,
                                      pooling=config.pooling)
    return models.with_precision(model, policy)


def _weights(config: StyleConfig):
    import tensorflow as tf

    return tf.constant([config.style_weight, config.content_weight, config.tv_weight], tf.float32)


def step_seconds(config: StyleConfig, shape: tuple[int, int], model=None) -> float:
    """Seconds one optimiser step of ``config`` takes at ``shape`` (height, width) on this machine.

    Runs the real optimiser on the cached extractor, in the precision a run would use, for four
    steps: Adam, the fastest after the first (slower at a new size); L-BFGS, the mean (line
    searches included). Without a mask (a mask adds a few small matrix products per layer).
    """
    import tensorflow as tf

    policy = precision.resolve(config.precision)
    fns = compiled_for(_model_for(config, model, policy), len(config.style_layers), config.normalize_gradients)
    x = np.random.default_rng(0).uniform(0, 1, (1, *shape, 3)).astype(np.float32)
    grams, feats = fns.targets(tf.constant(x[:, ::-1]))
    steps = (_adam if config.optimizer == "adam" else _lbfgs)(fns, x, 4, (grams, feats, _weights(config)), config)
    times, start = [], time.perf_counter()
    try:
        for _ in steps:
            now = time.perf_counter()
            times.append(now - start)
            start = now
    finally:
        steps.close()
    return float(min(times[1:]) if config.optimizer == "adam" else np.mean(times))


def _sized(img: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    return img if img.shape[:2] == tuple(hw) else resize(img, hw[1], hw[0])


def _pooling_of(model) -> str | None:
    """``"max"`` or ``"avg"``: the pooling layers ``model`` has (None when it has none)."""
    kinds = {type(layer).__name__ for layer in model.layers}
    return "avg" if "AveragePooling2D" in kinds else "max" if "MaxPooling2D" in kinds else None


def stylize(content: ImageSource, styles: ImageSource | Sequence[ImageSource], config: StyleConfig = TUTORIAL,
            model=None, *, init_image: ImageSource | None = None, mask=None) -> Iterator[Frame]:
    """Paint ``content`` in the style of ``styles``, yielding the picture as it forms.

    With a ``mask`` and one style, the style goes inside the mask and the content stays outside,
    in one optimisation: the network sees ``mask · picture + (1 − mask) · content``, and the Gram
    matrices are taken over the mask only (:func:`~genart.style.losses.masked_gram`), while the
    content and TV terms cover the whole picture. So the inside is painted knowing its
    surroundings (features and smoothness across the edge; a feathered edge fades), the style is
    not asked of pixels that stay, and the outside is the content exactly. We chose this over a
    strong pixel content term outside: a penalty only holds pixels to within Adam's step
    (about the learning rate, ~5 levels) whatever its weight, and it would fight the style near the
    edge; the blend keeps the loss's true gradient (L-BFGS's line search stays valid).
    With two styles, the first goes inside and the second outside: the Gram matrix of each region
    is pulled toward its own style's (Gatys et al. 2017); ``config.blend`` weighs the two regions
    (equal by default).

    Args:
        content: the content image (a path, bytes, PIL image or array; see :func:`genart.images.load_image`).
        styles: one style image, or a list/tuple of them whose Gram targets are mixed by ``config.blend``
            (with a mask: one or two).
        config: the settings; the default is the TensorFlow tutorial's.
        model: a Keras model taking a ``vgg19.preprocess_input`` batch and returning the style layers
            then the content layers of ``config``; None builds :func:`genart.models.vgg19_extractor`.
        init_image: the starting picture when ``config.init == "image"`` (resized to the content's size).
        mask: where the style goes (see :func:`genart.masks.load_mask`: white or painted = style; any
            size, resized with the picture at every scale, feathered by ``config.mask_feather``).

    Yields:
        Frame: previews (every ``config.preview_every`` steps, or about every 0.75 s), then exactly one
        final frame. Metrics ``style``, ``content``, ``tv`` (weighted terms) and ``total`` are those
        the last step computed (for Adam: of the image that step started from).

    Raises:
        InputError: an image or the mask cannot be used, or ``blend`` / ``init_image`` do not fit the call.
    """
    import tensorflow as tf

    cfg = config
    content_rgb = load_image(content, cfg.max_dim, what="content image")
    style_list = list(styles) if isinstance(styles, (list, tuple)) else [styles]
    if not style_list:
        raise InputError("Please upload a style image first.")
    style_dim = int(np.ceil(cfg.style_scale * cfg.max_dim))
    style_rgbs = [load_image(s, style_dim, what="style image" if len(style_list) == 1 else f"style image {i + 1}")
                  for i, s in enumerate(style_list)]
    blend = cfg.blend or (1.0,) * len(style_rgbs)
    if len(blend) != len(style_rgbs):
        raise InputError(f"blend has {len(blend)} weights for {len(style_rgbs)} style images; "
                         "give one weight per style image.")
    blend = [w / sum(blend) for w in blend]
    if cfg.init == "image" and init_image is None:
        raise InputError("init='image' needs an initial image: upload one, or start from the content or noise.")
    if cfg.init != "image" and init_image is not None:
        raise InputError(f"An initial image was given but init is {cfg.init!r}; use init='image' to start from it.")
    init_rgb = load_image(init_image, what="initial image") if init_image is not None else None
    mode = "plain"
    if mask is not None:
        if len(style_rgbs) > 2:
            raise InputError(f"A mask splits the picture in two: give one style (painted inside the mask) or two "
                             f"(the first inside, the second outside), not {len(style_rgbs)}.")
        load_mask(mask, content_rgb.shape[:2], cfg.mask_feather)  # an unusable mask fails before any work
        mode = "inside" if len(style_rgbs) == 1 else "regions"

    content_in, style_ins = content_rgb, style_rgbs  # what the network sees
    if cfg.preserve_colors:  # luminance-only transfer; styles' luminance matched to the content's
        content01 = content_rgb / np.float32(255.0)
        content_in = to_uint8(_gray(content01))
        style_ins = [to_uint8(_gray(s / np.float32(255.0), match=content01)) for s in style_rgbs]
        init_rgb = to_uint8(_gray(init_rgb / np.float32(255.0))) if init_rgb is not None else None

    model = _model_for(cfg, model, precision.resolve(cfg.precision))
    if len(model.outputs) != len(cfg.style_layers) + len(cfg.content_layers):
        raise ValueError(f"the model has {len(model.outputs)} outputs; the config needs "
                         f"{len(cfg.style_layers)} style + {len(cfg.content_layers)} content layers")
    if _pooling_of(model) not in (None, cfg.pooling):
        raise ValueError(f"the model pools with {_pooling_of(model)}; the config asks for {cfg.pooling}")
    fns = compiled_for(model, len(cfg.style_layers), cfg.normalize_gradients, mode)
    step_fn = _adam if cfg.optimizer == "adam" else _lbfgs
    weights = _weights(cfg)
    segments = plan(cfg, content_rgb.shape[:2])
    total, done, x, terms = cfg.steps, 0, None, np.zeros(3, np.float32)
    blended = {"m": None, "base": None}  # inside mode: the scale's mask and content, [1, h, w, 1|3]

    def picture(x):
        """What the iterate looks like: in the inside mode, blended with the content by the mask."""
        return x if mode != "inside" else blended["m"] * x + (1.0 - blended["m"]) * blended["base"]

    def frame(hw, stage, final=False):
        shown = picture(x)[0]
        if cfg.preserve_colors:
            shown = _with_chroma(shown, _sized(content_rgb, hw) / np.float32(255.0))
        metrics = {"style": float(terms[0]), "content": float(terms[1]), "tv": float(terms[2]),
                   "total": float(terms.sum())}
        return Frame(to_uint8(shown), done, total, stage, metrics, final)

    last_yield = time.perf_counter()
    for segment in segments:
        hw, n, stage = segment.shape, segment.steps, segment.label
        style_grams = [fns.targets(_float(_sized(s, style_size(hw, s.shape[:2], cfg.style_scale))))[0]
                       for s in style_ins]
        if mode == "regions":  # each region its own style
            gram_targets, outside_targets = style_grams
        else:
            gram_targets = [tf.add_n([w * g[layer] for w, g in zip(blend, style_grams)])
                            for layer in range(len(cfg.style_layers))]
        base = _float(_sized(content_in, hw))
        content_targets = fns.targets(base)[1]
        if x is not None:  # coarse-to-fine: continue from the upsampled coarser picture
            x = np.clip(tf.image.resize(picture(x), hw, method="bilinear").numpy(), 0.0, 1.0)
        elif cfg.init == "noise":
            x = np.random.default_rng(cfg.seed).uniform(0.0, 1.0, (1, *hw, 3)).astype(np.float32)
        else:
            x = _float(_sized(init_rgb if init_rgb is not None else content_in, hw))
        args = (gram_targets, content_targets, weights)
        if mode != "plain":
            feather = cfg.mask_feather * hw[0] / segments[-1].shape[0]  # the same softness at every scale
            m = load_mask(mask, hw, feather)[None]
            blended.update(m=m, base=base)
            args += (m, base) if mode == "inside" else (m, outside_targets, tf.constant(blend, tf.float32) * 2)
        steps = step_fn(fns, x, n, args, cfg)
        try:
            for i, (x, terms) in enumerate(steps, 1):
                done += 1
                if done == total:
                    break
                if cfg.preview_every:
                    due = done % cfg.preview_every == 0
                else:
                    due = done == 1 or i == n or time.perf_counter() - last_yield >= PREVIEW_SECONDS
                if due:
                    yield frame(hw, stage)
                    last_yield = time.perf_counter()
        finally:
            steps.close()  # stops a running L-BFGS worker at once
    yield frame(segments[-1].shape, stage, final=True)


# Older private names, kept for callers that reached in.
_Compiled, _compiled_for = Compiled, compiled_for
