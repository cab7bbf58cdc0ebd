"""DeepDream's run: the generator :func:`dream` (and its zoom animation :func:`dream_zoom`), the
step timing the estimates use (:func:`step_seconds`) and what a recipe fingerprints
(:func:`recipe_inputs`).

One compiled step (:func:`genart.dream.ascent.ascent_for`) serves every image size, step count,
step size, tile size, channel, guide, mask and weight, which are tensors: a new value never
retraces (a new *kind* of objective traces once; see :class:`genart.dream.ascent.Structure`), so
calling :func:`dream` once per frame of an animation stays cheap. TensorFlow is imported only
when a run starts.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Iterator

from .. import models, precision
from ..frames import Frame, RunFacts
from ..images import ImageSource, load_image, to_uint8
from ..masks import load_mask
from ..costing import Costing
from .config import GUIDE_MAX_DIM, PREVIEW_SECONDS, DreamConfig, plan, run_cost
from .zoom import ZOOM_FRAME, ended_early, frame_config, zoom_in


#: ``auto`` precision is decided from DeepDream's own step at the default run's first size (500 px wide,
#: 4:3, tiles of 512: one tile), once per machine (:mod:`genart.precision`).
ALGORITHM, PRECISION_SHAPE = "dream", (375, 500)
#: DeepDream's precision (also what the channel explorer computes in).
PRECISION = precision.AlgorithmPrecision(
    ALGORITHM, lambda dtype: step_seconds(DreamConfig(precision=dtype), PRECISION_SHAPE))


def policy(config: DreamConfig) -> precision.Policy:
    """What a run of ``config`` computes in (``auto``: decided from this algorithm's step)."""
    return PRECISION.policy(config.precision)


def model_for(config: DreamConfig, model=None, chosen: precision.Policy | None = None):
    """The network a run of ``config`` computes with: ``model`` (or the cached InceptionV3 cut at the
    config's layers) in the ``chosen`` precision (default: the config's, :func:`policy`)."""
    return PRECISION.network(chosen or policy(config), model,
                             lambda dtype: models.dream_extractor(config.layers, precision=dtype))


def structure(config: DreamConfig, guide: bool = False, mask: bool = False):
    """The compiled step's :class:`~genart.dream.ascent.Structure` for ``config`` (with or without
    a guide image and a mask)."""
    from .ascent import Structure

    channel_layer = None
    if config.channel_mode != "all":
        channel_layer = config.layers.index(config.channel_layer or config.layers[0])
    guide_layer = config.layers.index(config.guide_layer or config.layers[0]) if guide else None
    return Structure(config.objective, channel_layer, guide_layer, config.lapnorm_levels, config.tv_weight > 0, mask)


def step_seconds(config: DreamConfig, shape: tuple[int, int], model=None) -> float:
    """Seconds one ascent step of ``config`` takes at ``shape`` (height, width) on this machine.

    Times the very compiled step (and precision) a run of ``config`` without guide or mask uses,
    on the cached network: a warm-up call, then the faster of two.
    """
    from .ascent import ascent_for, time_ascent

    ascent = ascent_for(model_for(config, model))
    return time_ascent(ascent, shape, config.step_size, config.tile_size, len(config.layers), structure(config))


#: How genart.estimate prices a DeepDream run.
COSTING = Costing(run_cost, step_seconds)


def recipe_inputs(image: ImageSource, config: DreamConfig, *, guide: ImageSource | None = None, mask=None) -> dict:
    """The inputs a recipe of this run fingerprints (:func:`genart.recipe.make_recipe`'s ``inputs``):
    the image, the guide if any, and the mask's :func:`~genart.fingerprints.mask_digest` (its coverage, as
    the style tab fingerprints its masks; a painted mask lives in its alpha, which RGB would miss)."""
    from ..fingerprints import mask_digest

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
    chosen = policy(cfg)
    facts = RunFacts(chosen)
    rgb = load_image(image, cfg.max_dim, what="image")
    base = rgb.shape[:2]
    base_mask = None if mask is None else tf.constant(load_mask(mask, base, cfg.mask_feather))
    guide_rgb = None if guide is None else load_image(guide, GUIDE_MAX_DIM, what="guide image")
    segments = plan(cfg, base)
    total = sum(s.steps for s in segments)
    yield Frame(rgb, 0, total, "starting", {}, facts=facts)  # at once, before a first build of the network
    net = model_for(cfg, model, chosen)
    fn = ascent_for(net).step(structure(cfg, guide=guide is not None, mask=mask is not None))
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
            yield Frame(image_out, step, total, stage, metrics, final=stopped or step == total, facts=facts)
            if stopped:
                return


def dream_zoom(image: ImageSource, config: DreamConfig, model=None, *, guide=None, mask=None) -> Iterator[Frame]:
    """Dream ``image``, then zoom into the dream for ``config.zoom_frames`` frames (see :mod:`genart.dream.zoom`).

    Args:
        image: anything :func:`genart.images.load_image` accepts.
        config: its octaves dream the image first, then ``zoom_frames`` frames each zoom by ``zoom``
            and dream ``zoom_steps`` steps.
        model: as for :func:`dream` (None: the cached InceptionV3).
        guide, mask: passed on to every :func:`dream` run when given. ``strongest`` / ``weakest``
            channels are measured once, on the input: every frame amplifies the channels the first
            dream picked.

    Yields:
        The frames of the first dream, then each zoom frame's previews; ``step`` counts across the
        whole run and ``total`` is its plan's. A finished zoom frame carries
        ``metrics["zoom_frame"] = k``; the last one is the final frame. A dream that stops itself
        early (a loss threshold) ends the animation there, its frame the final one. With
        ``zoom_frames=0`` this is :func:`dream`.
    """
    extras = {name: value for name, value in (("guide", guide), ("mask", mask)) if value is not None}
    rgb = load_image(image, config.max_dim, what="image")
    first = dataclasses.replace(config, zoom_frames=0)
    if not config.zoom_frames:
        yield from dream(rgb, first, model, **extras)
        return
    total = sum(s.steps for s in plan(config, rgb.shape[:2]))
    n = config.zoom_frames
    latest = None
    for frame in dream(rgb, first, model, **extras):
        latest = frame
        yield dataclasses.replace(frame, total=total, final=ended_early(frame))
        if ended_early(frame):
            return
    offset = latest.step
    frames_config = _with_fixed_channels(first, model, rgb)
    for k in range(1, n + 1):
        for frame in dream(zoom_in(latest.image, config.zoom), frame_config(frames_config, k), model, **extras):
            if frame.step == 0:
                continue  # the zoomed start: the previous frame, one zoom further
            metrics = dict(frame.metrics)
            if frame.final:
                metrics[ZOOM_FRAME] = float(k)
                latest = frame
            stage = frame.stage if ended_early(frame) else f"zoom frame {k}/{n}"
            yield Frame(frame.image, offset + frame.step, total, stage, metrics,
                        final=(frame.final and k == n) or ended_early(frame), facts=frame.facts)
            if ended_early(frame):
                return
        offset += config.zoom_steps


def _with_fixed_channels(config: DreamConfig, model, rgb) -> DreamConfig:
    """``config`` with ``strongest`` / ``weakest`` replaced by the channels they picked on the input
    (measured once, as the first dream did): every zoom frame amplifies the same channels."""
    if config.channel_mode not in ("strongest", "weakest"):
        return config
    from .prepare import pick_channels, preprocess

    picked = pick_channels(config, model_for(config, model), preprocess(rgb), plan(config, rgb.shape[:2])[0].shape)
    return dataclasses.replace(config, channel_mode="chosen", channels=tuple(int(c) for c in picked))
