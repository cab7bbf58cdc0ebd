"""DeepDream's "infinite zoom": dream, zoom in a little, dream again, frame after frame.

The classic animation of the original DeepDream notebook, run by :func:`genart.dream.run.dream_zoom`:

1. Dream the input as :func:`genart.dream.dream` does (the config's octaves).
2. For each of ``zoom_frames`` frames: scale the latest frame by ``zoom`` about its centre,
   crop it back to the working size (:func:`zoom_in`), and dream ``zoom_steps`` more steps at
   that one size (one octave, :func:`frame_config`). The patterns grow out of the picture as it zooms.

Every frame is a short dream on the same network, so it reuses the one compiled ascent step
(sizes and settings are tensors there): the frames never retrace. The plan
(:func:`genart.dream.plan`) lists the zoom frames after the octaves, so estimates cover them.
Each finished frame is yielded with ``metrics["zoom_frame"] = k`` (1…N); :func:`record_zoom`
collects exactly those for the MP4 and the GIF. This module holds the animation's geometry and
bookkeeping; it imports nothing of the run.
"""

from __future__ import annotations

import dataclasses
from typing import Iterator

import numpy as np
from PIL import Image

from ..frames import Frame, close_frames

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


def ended_early(frame: Frame) -> bool:
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
        close_frames(frames)
