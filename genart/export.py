"""Writing results: PNG files and bounded time-lapse GIFs."""

from __future__ import annotations

import os
from typing import Mapping

import numpy as np
from PIL import Image, PngImagePlugin


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


#: Bounds of :func:`save_mp4`: frames per video and pixels per side.
MAX_VIDEO_FRAMES, MAX_VIDEO_SIDE = 3000, 2048


def save_mp4(frames, path: str | os.PathLike, fps: float = 24.0) -> str:
    """Write frames as an H.264 MP4 (imageio's ffmpeg plugin, the binary of ``imageio-ffmpeg``).

    Args:
        frames: uint8 H×W×3 arrays of one size, or :class:`~genart.frames.Frame` objects (their
            images); 1 … ``MAX_VIDEO_FRAMES`` of them, sides at most ``MAX_VIDEO_SIDE``. Sides that
            are not multiples of 16 are padded by ffmpeg's encoder settings to the next one.
        path: where to write (should end in ``.mp4``).
        fps: frames a second (1 … 60).

    Returns:
        The path.
    """
    import imageio.v2 as iio2

    images = [np.asarray(getattr(f, "image", f)) for f in frames]
    if not 1 <= len(images) <= MAX_VIDEO_FRAMES:
        raise ValueError(f"save_mp4: 1 to {MAX_VIDEO_FRAMES} frames, not {len(images)}")
    size = images[0].shape
    if any(i.shape != size or i.dtype != np.uint8 for i in images) or len(size) != 3 or size[2] != 3 \
            or max(size[:2]) > MAX_VIDEO_SIDE:
        raise ValueError(f"save_mp4: frames must be uint8 H×W×3 of one size, sides ≤ {MAX_VIDEO_SIDE}")
    if not 1 <= float(fps) <= 60:
        raise ValueError(f"save_mp4: fps must be from 1 to 60, not {fps}")
    writer = iio2.get_writer(path, format="FFMPEG", mode="I", fps=float(fps), codec="libx264", quality=8,
                             pixelformat="yuv420p", macro_block_size=16, ffmpeg_log_level="error")
    try:
        for image in images:
            writer.append_data(image)
    finally:
        writer.close()
    return str(path)
