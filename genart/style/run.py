"""Style transfer's run: the generator :func:`stylize`, the step timing the estimates use
(:func:`step_seconds`) and what a recipe fingerprints (:func:`recipe_inputs`).

One compiled function (a ``tf.function`` with an input signature, per extractor;
:func:`genart.style.losses.compiled_for`) gives the loss terms and the gradient for any image size
and any weights, so nothing retraces per slider value or size. VGG19 may compute in bfloat16
(``precision``, see :mod:`genart.precision`); the image, the Gram matrices, the losses and Adam's
state stay float32. TensorFlow is imported only when a run starts.
"""

from __future__ import annotations

import time
from typing import Iterator, Sequence

import numpy as np

from .. import models, precision
from ..errors import InputError
from ..frames import Frame, RunFacts
from ..images import ImageSource, load_image, resize, to_uint8
from ..masks import load_mask
from ..costing import Costing
from .colors import gray, with_chroma
from .config import PREVIEW_SECONDS, TUTORIAL, StyleConfig, plan, run_cost, style_size
from .losses import compiled_for
from .optimizers import adam, lbfgs


def _float(img: np.ndarray) -> np.ndarray:
    return (img.astype(np.float32) / 255.0)[None]


# --- the generator --------------------------------------------------------------------------------

#: ``auto`` precision is decided from style transfer's own Adam step at 256×192 (it gained at least as much
#: there as at 512×384, in a quarter of the time to measure), once per machine (:mod:`genart.precision`).
ALGORITHM, PRECISION_SHAPE = "style", (192, 256)
#: Style transfer's precision.
PRECISION = precision.AlgorithmPrecision(
    ALGORITHM, lambda dtype: step_seconds(StyleConfig(precision=dtype), PRECISION_SHAPE))


def policy(config: StyleConfig) -> precision.Policy:
    """What a run of ``config`` computes in (``auto``: decided from this algorithm's step)."""
    return PRECISION.policy(config.precision)


def model_for(config: StyleConfig, model=None, chosen: precision.Policy | None = None):
    """The extractor a run of ``config`` computes with: ``model`` (or the cached VGG19 cut at the
    config's layers, with its pooling) in the ``chosen`` precision (default: the config's, :func:`policy`)."""
    return PRECISION.network(chosen or policy(config), model, lambda dtype: models.vgg19_extractor(
        config.style_layers, config.content_layers, precision=dtype, pooling=config.pooling))


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

    fns = compiled_for(model_for(config, model), len(config.style_layers), config.normalize_gradients)
    x = np.random.default_rng(0).uniform(0, 1, (1, *shape, 3)).astype(np.float32)
    grams, feats = fns.targets(tf.constant(x[:, ::-1]))
    steps = (adam if config.optimizer == "adam" else lbfgs)(fns, x, 4, (grams, feats, _weights(config)), config)
    times, start = [], time.perf_counter()
    try:
        for _ in steps:
            now = time.perf_counter()
            times.append(now - start)
            start = now
    finally:
        steps.close()
    return float(min(times[1:]) if config.optimizer == "adam" else np.mean(times))


#: How genart.estimate prices a style-transfer run.
COSTING = Costing(run_cost, step_seconds)


def recipe_inputs(content: ImageSource, styles, *, init_image: ImageSource | None = None, mask=None) -> dict:
    """The inputs a recipe of this run fingerprints (:func:`genart.recipe.make_recipe`'s ``inputs``):
    the content, the style image(s), the start image if any, and the mask's
    :func:`~genart.fingerprints.mask_digest` (already computed digests are passed on as they are)."""
    from ..fingerprints import is_digest, mask_digest

    inputs = {"content": content, "styles": list(styles) if isinstance(styles, (list, tuple)) else [styles]}
    if init_image is not None:
        inputs["init_image"] = init_image
    if mask is not None:
        inputs["mask"] = mask if is_digest(mask) else mask_digest(mask)
    return inputs


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
        content_in = to_uint8(gray(content01))
        style_ins = [to_uint8(gray(s / np.float32(255.0), match=content01)) for s in style_rgbs]
        init_rgb = to_uint8(gray(init_rgb / np.float32(255.0))) if init_rgb is not None else None

    chosen = policy(cfg)
    facts = RunFacts(chosen)
    model = model_for(cfg, model, chosen)
    if len(model.outputs) != len(cfg.style_layers) + len(cfg.content_layers):
        raise ValueError(f"the model has {len(model.outputs)} outputs; the config needs "
                         f"{len(cfg.style_layers)} style + {len(cfg.content_layers)} content layers")
    if _pooling_of(model) not in (None, cfg.pooling):
        raise ValueError(f"the model pools with {_pooling_of(model)}; the config asks for {cfg.pooling}")
    fns = compiled_for(model, len(cfg.style_layers), cfg.normalize_gradients, mode)
    step_fn = adam if cfg.optimizer == "adam" else lbfgs
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
            shown = with_chroma(shown, _sized(content_rgb, hw) / np.float32(255.0))
        metrics = {"style": float(terms[0]), "content": float(terms[1]), "tv": float(terms[2]),
                   "total": float(terms.sum())}
        return Frame(to_uint8(shown), done, total, stage, metrics, final, facts)

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
