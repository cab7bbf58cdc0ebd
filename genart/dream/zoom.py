"""DeepDream's "infinite zoom": dream, zoom in a little, dream again, frame after frame.

The classic animation of the original DeepDream notebook:

1. Dream the input as :func:`genart.dream.dream` does (the config's octaves).
2. For each of ``zoom_frames`` frames: scale the latest frame by ``zoom`` about its centre,
   crop it back to the working size (:func:`zoom_in`), and dream ``zoom_steps`` more steps at
   that one size (one octave). The patterns grow out of the picture as it zooms.

Every frame is a short :func:`~genart.dream.dream` run on the same network, so it reuses the one
compiled ascent step (sizes and settings are tensors there): the frames never retrace. The plan
(:func:`genart.dream.plan`) lists the zoom frames after the octaves, so estimates cover them.
Each finished frame is yielded with ``metrics["zoom_frame"] = k`` (1…N); :func:`record_zoom`
collects exactly those for the MP4 and the GIF.
"""

from __future__ import annotations

import dataclasses
from typing import Iterator

import numpy as np
from PIL import Image

from ..frames import Frame
from ..images import ImageSource, load_image

#: The metric a finished zoom frame carries (its number, 1…N); other frames lack it.
ZOOM_FRAME = "zoom_frame"


def zoom_in(image: np.ndarray, factor: float) -> np.ndarray:
    """``image`` (H×W×3 uint8) scaled by ``factor`` about its centre and cropped back to H×W (bicubic)."""
    h, w = image.shape[:2]
    ch, cw = h / factor, w / factor
    box = ((w - cw) / 2, (h - ch) / 2, (w + cw) / 2, (h + ch) / 2)
    return np.asarray(Image.fromarray(image).resize((w, h), Image.BICUBIC, box=box))


def frame_config(config, k: int):
    """The settings of zoom frame ``k``: one octave of ``zoom_steps`` steps, its own roll seed."""
    return dataclasses.replace(config, octaves=1, steps_per_octave=config.zoom_steps, zoom_frames=0,
                               seed=(config.seed + k) % 2**31)


def dream_zoom(image: ImageSource, config, model=None, *, guide=None, mask=None) -> Iterator[Frame]:
    """Dream ``image``, then zoom into the dream for ``config.zoom_frames`` frames.

    Args:
        image: anything :func:`genart.images.load_image` accepts.
        config: a :class:`~genart.dream.DreamConfig`; its octaves dream the image first, then
            ``zoom_frames`` frames each zoom by ``zoom`` and dream ``zoom_steps`` steps.
        model: as for :func:`~genart.dream.dream` (None: the cached InceptionV3).
        guide, mask: passed on to every :func:`~genart.dream.dream` run when given.
            ``strongest`` / ``weakest`` channels are measured once, on the input: every frame
            amplifies the channels the first dream picked.

    Yields:
        The frames of the first dream, then each zoom frame's previews; ``step`` counts across the
        whole run and ``total`` is its plan's. A finished zoom frame carries
        ``metrics["zoom_frame"] = k``; the last one is the final frame. A dream that stops itself
        early (a loss threshold) ends the animation there, its frame the final one. With
        ``zoom_frames=0`` this is :func:`~genart.dream.dream`.
    """
    from . import dream, plan

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
        yield dataclasses.replace(frame, total=total, final=_ended_early(frame))
        if _ended_early(frame):
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
            stage = frame.stage if _ended_early(frame) else f"zoom frame {k}/{n}"
            yield Frame(frame.image, offset + frame.step, total, stage, metrics,
                        final=(frame.final and k == n) or _ended_early(frame))
            if _ended_early(frame):
                return
        offset += config.zoom_steps


def _with_fixed_channels(config, model, rgb):
    """``config`` with ``strongest`` / ``weakest`` replaced by the channels they picked on the input
    (measured once, as the first dream did): every zoom frame amplifies the same channels."""
    if config.channel_mode not in ("strongest", "weakest"):
        return config
    from .. import precision
    from . import _model_for, plan
    from .prepare import pick_channels, preprocess

    net = _model_for(config, model, precision.resolve(config.precision))
    picked = pick_channels(config, net, preprocess(rgb), plan(config, rgb.shape[:2])[0].shape)
    return dataclasses.replace(config, channel_mode="chosen", channels=tuple(int(c) for c in picked))


def _ended_early(frame: Frame) -> bool:
    """A dream's final frame before its planned steps: the run stopped itself (a loss threshold),
    and so does the animation."""
    return frame.final and frame.step < frame.total


def record_zoom(frames: Iterator[Frame], add) -> Iterator[Frame]:
    """Pass ``frames`` on, calling ``add(image)`` for each finished zoom frame first (so a consumer
    that shows only some frames still records them all)."""
    try:
        for frame in frames:
            if ZOOM_FRAME in frame.metrics:
                add(frame.image)
            yield frame
    finally:
        close = getattr(frames, "close", None)
        if close is not None:
            close()
