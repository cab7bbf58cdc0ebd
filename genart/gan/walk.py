"""Latent walks: an animation that moves smoothly through a trained generator's noise space.

1. Draw ``points`` noise vectors from ``numpy.random.default_rng(seed)`` (the same draw as
   :meth:`GanTrainer.samples` with that seed: the walk starts at that grid's first sample).
2. Between each point and the next (the last one leads back to the first, so the animation
   loops without a jump) take ``frames_between`` steps of spherical interpolation
   (:func:`slerp`). Gaussian noise of 100 dimensions lies near a sphere of radius √100; a
   straight line between two such points passes well inside it, where the generator saw no
   noise while training and draws washed-out images. The great circle keeps the radius.
3. Draw the frames through the generator a chunk at a time and yield one
   :class:`~genart.frames.Frame` per animation frame, enlarged ``scale`` times (nearest).

:func:`latent_walk` streams; a caller that wants a file collects the images and writes them with
:func:`genart.export.save_mp4` or :func:`save_gif`. Imports no TensorFlow itself: the trainer
draws the images.
"""

from __future__ import annotations

import os
from typing import Iterator, Sequence

import numpy as np

from ..errors import check_int
from ..frames import Frame

#: Most key points, frames between two of them, and frames in one walk.
MAX_POINTS, MAX_FRAMES_BETWEEN, MAX_FRAMES = 16, 120, 960
#: Each generated pixel becomes scale×scale (28 px → 224 px, 32 px → 256 px: whole macroblocks for MP4).
SCALE = 8
#: Frames drawn through the generator per call.
CHUNK = 16


def slerp(a: np.ndarray, b: np.ndarray, t: float | np.ndarray) -> np.ndarray:
    """Spherical interpolation from ``a`` (t = 0) to ``b`` (t = 1) along the great circle between them.

    The norm moves smoothly from ``a``'s to ``b``'s. Nearly parallel vectors fall back to a straight line.

    Args:
        a, b: vectors of one length.
        t: a number (gives a vector) or a 1-D array of them (gives one row per value).
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    t = np.asarray(t, np.float64)[..., None]
    cos = np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b))
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    if np.sin(omega) < 1e-6:
        out = (1 - t) * a + t * b
    else:
        out = (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)
    return out


def walk_noise(points: int, frames_between: int, seed: int, noise_dim: int) -> np.ndarray:
    """The noise vectors of a walk: ``points × frames_between`` rows of ``noise_dim``, looping
    (frame 0 is key point 0; the frame after the last would be key point 0 again)."""
    keys = np.random.default_rng(seed).standard_normal((points, noise_dim))
    t = np.arange(frames_between) / frames_between
    return np.concatenate([slerp(keys[i], keys[(i + 1) % points], t) for i in range(points)]).astype(np.float32)


def check_walk(points: int, frames_between: int, seed: int) -> None:
    """Validate a walk's settings (messages name the argument and its range)."""
    check_int("points", points, 2, MAX_POINTS)
    check_int("frames_between", frames_between, 1, MAX_FRAMES_BETWEEN)
    check_int("seed", seed, 0, 2**31 - 1)
    if points * frames_between > MAX_FRAMES:
        check_int("points × frames_between", points * frames_between, 2, MAX_FRAMES)


def latent_walk(trainer, points: int = 5, frames_between: int = 24, seed: int = 0,
                scale: int = SCALE) -> Iterator[Frame]:
    """Walk through ``trainer``'s noise space, one frame at a time.

    Args:
        trainer: a :class:`genart.gan.GanTrainer` (trained or not; it may go on training meanwhile,
            and each chunk of frames uses the weights of its moment).
        points: key points visited (2 … 16), looping back to the first.
        frames_between: frames from one key point to the next (1 … 120); ``points × frames_between``
            is at most 960.
        seed: chooses the key points (``default_rng(seed)``, as :meth:`GanTrainer.samples`).
        scale: each generated pixel becomes scale×scale (1 … 16).

    Yields:
        ``points × frames_between`` :class:`Frame` objects: the image of one animation frame, step
        k of that total, stage ``"point i/points"``, metrics ``{"t": …}`` (the position between
        two key points, 0 … 1); the last has ``final=True``.

    Raises:
        InputError: a setting out of range (before anything is drawn).
    """
    check_walk(points, frames_between, seed)
    check_int("scale", scale, 1, 16)
    noise = walk_noise(points, frames_between, seed, trainer.config.noise_dim)
    total = len(noise)
    for first in range(0, total, CHUNK):
        images = trainer.generate(noise[first:first + CHUNK])
        for k, image in enumerate(images, start=first):
            big = np.repeat(np.repeat(image, scale, 0), scale, 1) if scale > 1 else image
            yield Frame(big, k + 1, total, f"point {k // frames_between + 1}/{points}",
                        {"t": (k % frames_between) / frames_between}, final=k + 1 == total)


def save_gif(images: Sequence[np.ndarray], path: str | os.PathLike, fps: float = 24.0) -> str:
    """Write uint8 H×W×3 frames (or :class:`Frame` objects) as a looping GIF at ``fps`` frames a second (at most 50: browsers
    slow faster GIFs down); returns the path."""
    import imageio.v3 as iio

    if not len(images):
        raise ValueError("no frames to write")
    duration = max(20, int(round(1000 / min(float(fps), 50.0))))
    iio.imwrite(path, np.stack([np.asarray(getattr(i, "image", i)) for i in images]), extension=".gif",
                duration=duration, loop=0)
    return str(path)
