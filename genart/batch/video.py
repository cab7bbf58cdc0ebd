"""A video's frames as a batch: read with imageio's ffmpeg plugin, one PNG per frame, then an MP4.

The frames' PNGs go to ``DIR/frames/frame_00001.png`` … (resumable like any batch output) and the
video to ``DIR/<stem>.mp4`` at the input's frame rate, written frame by frame from those PNGs (H.264,
yuv420p, like :func:`genart.export.save_mp4`), so memory holds a frame or two whatever the length.
At most :data:`genart.batch.MAX_FRAMES` frames are taken; a longer video is cut there, and the
report says so.
"""

from __future__ import annotations

import os
from typing import Callable, Iterator

import numpy as np

from ..errors import InputError
from ..export import save_mp4
from .jobs import MAX_FRAMES, PART, Item, Report, run_items
from .tasks import Task


def open_video(path: str):
    """(reader, fps, frame count) of the video at ``path``.

    Raises:
        InputError: no such file, not a video ffmpeg can read, or no frame rate.
    """
    import imageio.v2 as iio2

    if not os.path.isfile(path):
        raise InputError(f"--video {path}: no such file.")
    try:
        reader = iio2.get_reader(path, format="FFMPEG")
        fps = float(reader.get_meta_data().get("fps") or 0)
        count = reader.count_frames()
    except Exception as exc:  # imageio / ffmpeg: OSError, RuntimeError, IndexError for broken files
        raise InputError(f"--video {path}: ffmpeg cannot read it as a video ({type(exc).__name__}).") from None
    if not fps > 0 or count < 1:
        reader.close()
        raise InputError(f"--video {path}: the video has no frames or no frame rate.")
    return reader, fps, count


def frame_paths(out_dir: str, count: int) -> list[str]:
    """``out_dir/frames/frame_00001.png`` … for ``count`` frames."""
    return [os.path.join(out_dir, "frames", f"frame_{k:05d}.png") for k in range(1, count + 1)]


def _items(reader, paths: list[str]) -> Iterator[Item]:
    """The frames as batch items, decoded one at a time as the batch reaches them."""
    for k, (image, path) in enumerate(zip(reader, paths), 1):
        rgb = np.ascontiguousarray(np.asarray(image)[:, :, :3])
        yield Item(f"frame {k}", path, lambda rgb=rgb: rgb)


def write_mp4(pngs: list[str], path: str, fps: float) -> str:
    """The PNGs as an H.264 MP4 at ``fps`` (written to ``<stem>.part.mp4``, then renamed); returns ``path``."""
    from PIL import Image

    def read(png):
        with Image.open(png) as img:
            return np.asarray(img.convert("RGB"))

    part = path[:-4] + PART + ".mp4"  # ffmpeg picks the container from the extension
    save_mp4((read(png) for png in pngs), part, fps)
    os.replace(part, path)
    return path


def run_video(task: Task, video: str, out_dir: str, *, ray: str | None = None, use_ray: bool = False,
              quiet: bool = False, on_write: Callable[[str], None] | None = None) -> Report:
    """Run ``task`` over the frames of ``video``, then write ``out_dir/<stem>.mp4`` at its frame rate.

    Args:
        task: what each frame runs (a chained style task starts each frame from the previous result).
        video: the input video (anything ffmpeg reads: MP4, MOV, WebM, an animated GIF …).
        out_dir: where ``frames/`` and the MP4 go (created if missing).
        ray, use_ray, quiet, on_write: as for :func:`genart.batch.run_items`.

    Returns:
        The report; the MP4 is written only once every frame is done (a failed frame is named there).
    """
    reader, fps, count = open_video(video)
    try:
        paths = frame_paths(out_dir, min(count, MAX_FRAMES))
        os.makedirs(os.path.dirname(paths[0]), exist_ok=True)
        report = run_items(task, _items(reader, paths), len(paths), ray=ray, use_ray=use_ray, quiet=quiet,
                           unit="frame", on_write=on_write)
    finally:
        reader.close()
    if count > MAX_FRAMES:
        report.notes.append(f"the video has {count} frames; only the first {MAX_FRAMES} were taken "
                            f"(at most {MAX_FRAMES} frames a run).")
    if report.failed:
        report.notes.append("the MP4 is written once every frame is done; fix or re-run, and done frames are kept.")
        return report
    mp4 = os.path.join(out_dir, os.path.splitext(os.path.basename(video))[0] + ".mp4")
    report.written.append(write_mp4(paths, mp4, fps))
    (on_write or print)(mp4)
    return report
