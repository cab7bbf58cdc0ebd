"""Writing results: PNG files, bounded time-lapse GIFs, and animations as MP4 (and GIF).

MP4s are written by imageio's ffmpeg plugin with the ffmpeg binary ``imageio-ffmpeg`` ships
(H.264, yuv420p: plays in browsers and on phones). Both kinds are bounded: at most
:data:`MAX_VIDEO_FRAMES` frames, the longer side at most :data:`MAX_VIDEO_DIM` px (MP4) or
``GIF_MAX_DIM`` px (GIF).
"""

from __future__ import annotations

import itertools
import os
from typing import Mapping

import numpy as np
from PIL import Image, PngImagePlugin


#: The most frames an MP4 or an animation's GIF holds.
MAX_VIDEO_FRAMES = 960  # the longest DCGAN latent walk (genart.gan.walk.MAX_FRAMES)
#: MP4 frames are shrunk to at most this many pixels on their longer side.
MAX_VIDEO_DIM = 1024
#: An animation's GIF is shrunk to at most this (GIFs grow fast with size).
GIF_MAX_DIM = 320


class Timelapse:
    """Keeps at most ``max_frames`` downscaled frames of a run, evenly spread over its course.

    When full, every other kept frame is dropped and only every second new frame is kept
    from then on, so memory stays bounded however long the run is and the frames stay
    evenly spaced in time.
    """

    def __init__(self, max_frames: int = 48, max_dim: int = 320):
        if max_frames < 2:
            raise ValueError("max_frames must be at least 2")
        self.max_frames = max_frames
        self.max_dim = max_dim
        self._frames: list[np.ndarray] = []
        self._stride = 1
        self._seen = 0

    def __len__(self) -> int:
        return len(self._frames)

    def add(self, image: np.ndarray, force: bool = False) -> None:
        """Offer one uint8 RGB frame; ``force`` keeps it regardless of the stride (the final frame)."""
        self._seen += 1
        if not force and (self._seen - 1) % self._stride:
            return
        small = Image.fromarray(image)
        small.thumbnail((self.max_dim, self.max_dim), Image.LANCZOS)
        self._frames.append(np.asarray(small))
        if len(self._frames) > self.max_frames:
            self._frames = self._frames[::2]
            self._stride *= 2

    def save_gif(self, path: str | os.PathLike, seconds: float = 4.0, scale: int = 1) -> str:
        """Write the kept frames as a looping GIF lasting about ``seconds``, each pixel enlarged to
        ``scale``×``scale`` (nearest: pixel art stays sharp); returns the path."""
        import imageio.v3 as iio

        if not self._frames:
            raise ValueError("no frames to write")
        size = self._frames[-1].shape[:2]
        frames = [f if f.shape[:2] == size else np.asarray(Image.fromarray(f).resize(size[::-1], Image.LANCZOS))
                  for f in self._frames]
        if scale > 1:
            frames = [np.repeat(np.repeat(f, scale, 0), scale, 1) for f in frames]
        per_frame_ms = max(40, int(1000 * seconds / len(frames)))
        durations = [per_frame_ms] * (len(frames) - 1) + [1500]  # linger on the result
        # Pillow wants a plain number, not a one-item list, for a single frame.
        duration = durations if len(durations) > 1 else durations[0]
        iio.imwrite(path, np.stack(frames), extension=".gif", duration=duration, loop=0)
        return str(path)


def save_png(path: str | os.PathLike, image: np.ndarray, text: Mapping[str, str] | None = None) -> str:
    """Write a uint8 RGB image as PNG, with optional text chunks; returns the path."""
    info = PngImagePlugin.PngInfo()
    for key, value in (text or {}).items():
        info.add_itxt(key, value)
    Image.fromarray(image).save(path, format="PNG", pnginfo=info)
    return str(path)


def _fit(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``image`` resized to ``size`` (width, height) unless it already has it."""
    if image.shape[1::-1] == size:
        return image
    return np.asarray(Image.fromarray(image).resize(size, Image.LANCZOS))


def _video_size(shape, max_dim: int, even: bool) -> tuple[int, int]:
    """(width, height) for frames of ``shape``: shrunk to ``max_dim``, rounded down to even sides
    for H.264's yuv420p."""
    h, w = shape[:2]
    scale = min(1.0, max_dim / max(h, w))
    w, h = max(2, round(w * scale)), max(2, round(h * scale))
    return (w - w % 2, h - h % 2) if even else (w, h)


def _checked(frames) -> list[np.ndarray]:
    """uint8 images from arrays or :class:`~genart.frames.Frame` s, within the frame bound."""
    frames = [np.asarray(getattr(f, "image", f)) for f in frames]
    if not frames:
        raise ValueError("no frames to write")
    if len(frames) > MAX_VIDEO_FRAMES:
        raise ValueError(f"at most {MAX_VIDEO_FRAMES} frames can be written; got {len(frames)}")
    return frames


def save_mp4(frames, path: str | os.PathLike, fps: float = 12.0) -> str:
    """Write uint8 RGB frames as an H.264 MP4 at ``fps`` frames a second; returns the path.

    ``frames`` may be any iterable (arrays or :class:`~genart.frames.Frame` s), read one at a time, so
    a long video need not be held in memory. Every frame is shown at the first frame's size, shrunk
    to :data:`MAX_VIDEO_DIM` and rounded down to even sides (a 1-px crop at most, which yuv420p
    needs). At most :data:`MAX_VIDEO_FRAMES` frames (ValueError beyond).
    """
    import imageio.v2 as iio2

    if not 1 <= fps <= 60:
        raise ValueError(f"fps must be from 1 to 60; got {fps}")
    frames = (np.asarray(getattr(f, "image", f)) for f in frames)
    first = next(frames, None)
    if first is None:
        raise ValueError("no frames to write")
    size = _video_size(first.shape, MAX_VIDEO_DIM, even=True)
    scaled = _video_size(first.shape, MAX_VIDEO_DIM, even=False)
    writer = iio2.get_writer(str(path), format="FFMPEG", mode="I", fps=fps, codec="libx264", quality=8,
                             pixelformat="yuv420p", macro_block_size=1, ffmpeg_log_level="error")
    try:
        for count, frame in enumerate(itertools.chain([first], frames), 1):
            if count > MAX_VIDEO_FRAMES:
                raise ValueError(f"at most {MAX_VIDEO_FRAMES} frames can be written; got more")
            writer.append_data(np.ascontiguousarray(_fit(frame, scaled)[:size[1], :size[0]]))
    finally:
        writer.close()
    return str(path)


def save_animation_gif(frames, path: str | os.PathLike, fps: float = 12.0) -> str:
    """Write uint8 RGB frames as a looping GIF at ``fps`` (no pause on the last frame: the loop is the
    animation), shrunk to :data:`GIF_MAX_DIM`; returns the path."""
    import imageio.v3 as iio

    frames = _checked(frames)
    size = _video_size(frames[0].shape, GIF_MAX_DIM, even=False)
    duration = max(20, int(round(1000 / fps)))
    iio.imwrite(path, np.stack([_fit(f, size) for f in frames]), extension=".gif", duration=duration, loop=0)
    return str(path)


class Clip:
    """Every frame of an animation (up to ``max_frames``), each shrunk to ``max_dim``, for
    :func:`save_mp4` and :func:`save_animation_gif`. Past ``max_frames`` further frames are dropped
    and counted in ``dropped``: memory stays bounded."""

    def __init__(self, max_frames: int = MAX_VIDEO_FRAMES, max_dim: int = MAX_VIDEO_DIM):
        self.max_frames = min(max_frames, MAX_VIDEO_FRAMES)
        self.max_dim = max_dim
        self.frames: list[np.ndarray] = []
        self.dropped = 0

    def __len__(self) -> int:
        return len(self.frames)

    def add(self, image: np.ndarray) -> None:
        """Keep one uint8 RGB frame (a copy, shrunk to ``max_dim``)."""
        if len(self.frames) >= self.max_frames:
            self.dropped += 1
            return
        self.frames.append(_fit(image, _video_size(image.shape, self.max_dim, even=False)).copy())

    def save_mp4(self, path: str | os.PathLike, fps: float = 12.0) -> str:
        return save_mp4(self.frames, path, fps)

    def save_gif(self, path: str | os.PathLike, fps: float = 12.0) -> str:
        return save_animation_gif(self.frames, path, fps)
