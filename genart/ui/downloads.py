"""Files a visitor downloads: each in a fresh folder of its own under a readable name, old ones
cleared away; a finished picture's PNG (carrying its recipe) and time-lapse GIF."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time

from ..export import Timelapse, save_png
from ..recipe import png_text

_OUT_DIR = os.path.join(tempfile.gettempdir(), "genart-out")
_OUT_MAX_AGE = 3600.0
#: Download names genart writes: letters, digits, dots, dashes, underscores.
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,100}")


def out_path(name: str) -> str:
    """A fresh path ending in the readable file name ``name`` (``dream-seed0.png``) for a download.

    Each file gets a folder of its own with an unguessable name, so sessions' files stay apart
    while the browser saves them under ``name``. Folders older than an hour are removed on the way.
    """
    if not _SAFE_NAME.fullmatch(name):
        raise ValueError(f"not a plain file name: {name!r}")
    os.makedirs(_OUT_DIR, exist_ok=True)
    now = time.time()
    for entry in os.scandir(_OUT_DIR):
        try:
            if now - entry.stat().st_mtime > _OUT_MAX_AGE:
                shutil.rmtree(entry.path) if entry.is_dir(follow_symlinks=False) else os.remove(entry.path)
        except OSError:
            pass
    return os.path.join(tempfile.mkdtemp(dir=_OUT_DIR), name)


def downloads(image, timelapse: Timelapse | None, stem: str, recipe: dict | None = None) -> tuple[str, str | None]:
    """Write the final PNG, carrying ``recipe`` when given (and the time-lapse GIF when there are
    frames); returns their paths."""
    png = save_png(out_path(f"{stem}.png"), image, text=png_text(recipe) if recipe else None)
    gif = timelapse.save_gif(out_path(f"{stem}.gif")) if timelapse is not None and len(timelapse) else None
    return png, gif
