"""Helpers the tests share (functions; the shared fixtures are in the conftest.py files).

- the app: ``serve`` a Blocks on 127.0.0.1 for a ``with`` block, a ``session`` of gradio_client on it,
  ``close_tab_after_frames`` (a run's event stream dropped as a closed tab drops it) and the raw queue
  request's pieces (``api_data``, ``fn_index``);
- waiting: ``wait_until`` a condition holds;
- the DCGAN tab's status line: ``STEP`` and ``steps``;
- pictures and videos on disk for batch and command-line tests: ``picture``, ``make_video``,
  ``video_facts``, ``outputs``, ``pixels``.
"""

import contextlib
import json
import os
import re
import time

import httpx
import numpy as np
from gradio_client import Client
from PIL import Image

# --- the app ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def serve(demo, **launch):
    """``demo`` launched in this process on 127.0.0.1 (``launch``: more of ``Blocks.launch``'s arguments);
    yields its local URL and closes it after the ``with`` block."""
    demo.launch(**{**launch, "server_name": "127.0.0.1", "prevent_thread_lock": True, "quiet": True})
    try:
        yield demo.local_url
    finally:
        demo.close()


def session(url: str) -> Client:
    """A fresh gradio_client session on the app at ``url`` (sessions stay apart; files are not downloaded)."""
    return Client(url, verbose=False, analytics_enabled=False, download_files=False)


def close_tab_after_frames(url: str, photo_file: str, values: list, frames: int = 2, while_open=None) -> None:
    """Start /dream with ``photo_file`` and ``values`` as a browser tab does, then drop its event
    stream after ``frames`` streamed frames, as closing the tab does (calling ``while_open()`` just before)."""
    session_hash = f"tab-{time.time_ns()}"
    with httpx.Client(base_url=url, timeout=60) as http:
        with open(photo_file, "rb") as fh:
            uploaded = http.post("/gradio_api/upload", files={"files": ("photo.png", fh, "image/png")}).json()[0]
        image = {"path": uploaded, "meta": {"_type": "gradio.FileData"}, "orig_name": "photo.png"}
        payload = {"data": api_data(url, "/dream", [image, *values]), "fn_index": fn_index(url, "/dream"),
                   "session_hash": session_hash, "event_data": None, "trigger_id": None}
        assert http.post("/gradio_api/queue/join", json=payload).status_code == 200
        generating = 0
        with http.stream("GET", "/gradio_api/queue/data", params={"session_hash": session_hash}) as resp:
            for line in resp.iter_lines():
                if line.startswith("data:") and json.loads(line[5:]).get("msg") == "process_generating":
                    generating += 1
                    if generating == frames:
                        if while_open is not None:
                            while_open()
                        return  # leaving the blocks closes the connection, as a closed tab does


def api_data(url: str, api_name: str, given: list) -> list:
    """A raw queue request's data: the ``given`` values first, then the endpoint's defaults for the
    rest (Gradio's queue wants one value per input; gradio_client fills them the same way)."""
    api = Client(url, verbose=False, analytics_enabled=False).view_api(print_info=False, return_format="dict")
    params = api["named_endpoints"][api_name]["parameters"]
    return list(given) + [p.get("parameter_default") for p in params[len(given):]]


def fn_index(url: str, api_name: str) -> int:
    """The index of the event behind ``api_name``, for raw queue requests."""
    config = Client(url, verbose=False, analytics_enabled=False).config
    for dep in config["dependencies"]:
        if dep.get("api_name") == api_name.lstrip("/"):
            return dep["id"]
    raise AssertionError(f"no {api_name} endpoint")


# --- waiting ---------------------------------------------------------------------------------------


def wait_until(predicate, seconds: float, interval: float = 0.05) -> bool:
    """True as soon as ``predicate()`` is; after ``seconds`` without, its last answer."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


# --- the DCGAN tab's status line -------------------------------------------------------------------

#: "epoch 2/3 · step 17/24 · …" in the DCGAN tab's status line.
STEP = re.compile(r"epoch (\d+)/(\d+) · step (\d+)/(\d+)")


def steps(status: str) -> tuple[int, int]:
    """(steps done, steps planned) read from a DCGAN status line."""
    m = STEP.search(status)
    assert m, status
    return int(m.group(3)), int(m.group(4))


# --- pictures and videos on disk (batch and command-line tests) ------------------------------------


def picture(seed: int, w: int = 80, h: int = 60) -> np.ndarray:
    """A ``w``×``h`` RGB picture of waves that differ with ``seed``."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    rng = np.random.default_rng(seed)
    waves = [127 + 120 * np.sin(xx / rng.uniform(4, 12) + yy / rng.uniform(5, 15) + c) for c in range(3)]
    return np.stack(waves, axis=2).astype(np.uint8)


def make_video(path, frames: int = 6, fps: float = 8.0) -> list[np.ndarray]:
    """An H.264 video of ``picture(9)`` sliding sideways at ``path``; returns its frames as decoded."""
    import imageio.v2 as iio2

    images = [np.roll(picture(9, 96, 64), 6 * k, axis=1) for k in range(frames)]
    writer = iio2.get_writer(str(path), format="FFMPEG", mode="I", fps=fps, codec="libx264", quality=9,
                             pixelformat="yuv420p", macro_block_size=1, ffmpeg_log_level="error")
    for image in images:
        writer.append_data(image)
    writer.close()
    return [np.asarray(f)[:, :, :3] for f in iio2.get_reader(str(path), format="FFMPEG")]  # as decoded


def video_facts(path) -> tuple[int, float]:
    """(frame count, frames per second) of the video at ``path``."""
    import imageio.v2 as iio2

    reader = iio2.get_reader(str(path), format="FFMPEG")
    try:
        return reader.count_frames(), reader.get_meta_data()["fps"]
    finally:
        reader.close()


def outputs(out) -> list[str]:
    """The names in the folder ``out``, sorted, hidden ones left out."""
    return sorted(p for p in os.listdir(out) if not p.startswith("."))


def pixels(source) -> np.ndarray:
    """The RGB pixels of a picture file: a path, or a file value as gradio_client gives it (``{"path": …}``)."""
    path = source["path"] if isinstance(source, dict) else source
    return np.asarray(Image.open(path).convert("RGB"))
