"""Turning whatever a user uploads into a clean RGB uint8 array, and small image helpers.

Every decoder problem ends as an :class:`~genart.errors.InputError` with a sentence a user
understands: empty, truncated, non-image and oversized ("decompression bomb") files included.
Images are oriented by their EXIF tag, flattened onto white when they have transparency,
converted from any Pillow mode (L, LA, P, RGBA, CMYK, 16-bit, float) and downscaled so that
their longer side is at most ``max_dim``.
"""

from __future__ import annotations

import io
import math
import os
import warnings
from typing import Sequence, Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import InputError

#: Largest image (in pixels) that is decoded at all; bigger files are refused before decoding.
MAX_INPUT_PIXELS = 100_000_000
#: Smallest side, in pixels, that the algorithms accept.
MIN_SIDE = 16

ImageSource = Union[str, "os.PathLike[str]", bytes, io.IOBase, Image.Image, np.ndarray]


def load_image(source: ImageSource, max_dim: int | None = None, *, what: str = "image",
               min_side: int = MIN_SIDE) -> np.ndarray:
    """Decode ``source`` into an H×W×3 uint8 RGB array whose longer side is at most ``max_dim``.

    Args:
        source: a file path (from trusted code, e.g. Gradio's upload cache), raw bytes, a binary
            file object, a PIL image, or a numpy array (uint8/uint16, or float in [0, 1]; H×W,
            H×W×1, H×W×3 or H×W×4).
        max_dim: downscale (never upscale) so that the longer side is at most this; None keeps
            the size.
        what: how to call the image in messages ("content image", "style image", …).
        min_side: refuse images whose shorter side ends up below this many pixels.

    Raises:
        InputError: the input is missing, empty, damaged, not an image, too large or too small.
    """
    if source is None:
        raise InputError(f"Please upload a {what} first.")
    if isinstance(source, np.ndarray):
        rgb = _array_to_rgb(source, what)
    else:
        pil = source if isinstance(source, Image.Image) else open_image(source, what)
        rgb = _pil_to_rgb(pil, max_dim, what)
    if max_dim is not None:
        rgb = resize_max_dim(rgb, max_dim)
    h, w = rgb.shape[:2]
    if min(h, w) < min_side:
        raise InputError(f"The {what} is {w}×{h} pixels after resizing; genart needs at least "
                         f"{min_side} pixels on each side. Try a larger or less elongated image.")
    return rgb


def load_frame(source: ImageSource, max_dim: int, *, what: str = "camera frame") -> np.ndarray:
    """A video or camera frame as an H×W×3 uint8 RGB array whose longer side is at most ``max_dim``, decoded
    for speed: a JPEG at the smallest DCT scale (½, ¼, ⅛) that still covers that size, then shrunk with
    an area filter (Lanczos, as :func:`load_image` uses, costs several times more and is not needed for
    a frame shown once). Anything :func:`load_image` takes.

    Raises:
        InputError: as :func:`load_image`.
    """
    if source is None:
        raise InputError(f"Please upload a {what} first.")
    if isinstance(source, np.ndarray):
        rgb = _array_to_rgb(source, what)
    else:
        pil = source if isinstance(source, Image.Image) else open_image(source, what)
        if pil.format == "JPEG":
            w, h = pil.size
            scale = min(1.0, max_dim / max(w, h))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pil.draft("RGB", (max(1, math.ceil(w * scale)), max(1, math.ceil(h * scale))))
        rgb = _pil_to_rgb(pil, None, what)
    h, w = rgb.shape[:2]
    scale = max_dim / max(h, w)
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        rgb = np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BOX))
    if min(rgb.shape[:2]) < MIN_SIDE:
        raise InputError(f"The {what} is {rgb.shape[1]}×{rgb.shape[0]} pixels after resizing; genart needs at "
                         f"least {MIN_SIDE} pixels on each side.")
    return rgb


def open_image(source, what: str) -> Image.Image:
    """``source`` opened by Pillow (not yet decoded), refusing empty, unreadable, non-image and
    oversized files with a sentence naming ``what``; the pixel limit is checked before decoding."""
    if isinstance(source, (bytes, bytearray)):
        if not source:
            raise InputError(f"The {what} file is empty (0 bytes).")
        source = io.BytesIO(source)
    elif isinstance(source, (str, os.PathLike)):
        try:
            if os.path.getsize(source) == 0:
                raise InputError(f"The {what} file is empty (0 bytes).")
        except OSError:
            raise InputError(f"The {what} file could not be read.") from None
    try:
        with warnings.catch_warnings():
            # Pillow warns above ~89 MP; we apply our own limit just below instead.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(source)
    except Image.DecompressionBombError:
        raise InputError(_too_big_message(what)) from None
    except UnidentifiedImageError:
        raise InputError(f"The {what} is not an image format genart can read "
                         "(try PNG, JPEG, WebP, GIF, BMP or TIFF).") from None
    except (OSError, ValueError, SyntaxError):
        raise InputError(f"The {what} file could not be read; it may be damaged.") from None
    w, h = img.size
    if w * h > MAX_INPUT_PIXELS:
        raise InputError(_too_big_message(what, w, h))
    if w == 0 or h == 0:
        raise InputError(f"The {what} has no pixels.")
    return img


def _too_big_message(what: str, w: int | None = None, h: int | None = None) -> str:
    size = f" ({w}×{h} = {w * h / 1e6:.0f} megapixels)" if w else ""
    return (f"The {what} is too large to decode{size}; the limit is "
            f"{MAX_INPUT_PIXELS / 1e6:.0f} megapixels. Please downscale it first.")


def _pil_to_rgb(img: Image.Image, max_dim: int | None, what: str) -> np.ndarray:
    try:
        if getattr(img, "is_animated", False):
            img.seek(0)  # animated GIF/WebP/PNG: the first frame
        if max_dim is not None and img.format == "JPEG":
            # Decode at a reduced DCT scale when the file is much larger than needed (fast, low memory).
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                img.draft("RGB", (max_dim, max_dim))
        img.load()
        try:
            img = ImageOps.exif_transpose(img)
        except Exception:  # a malformed EXIF block is no reason to refuse the picture
            pass
        return _mode_to_rgb(img)
    except InputError:
        raise
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
        raise InputError(f"The {what} file is damaged or incomplete and could not be decoded.") from None


def _mode_to_rgb(img: Image.Image) -> np.ndarray:
    mode = img.mode
    if mode.startswith("I;16") or mode in ("I", "F"):
        arr = np.asarray(img).astype(np.float64)
        if mode == "F":
            hi = 1.0 if arr.max(initial=0) <= 1.0 else 255.0
        else:
            hi = 65535.0 if (mode.startswith("I;16") or arr.max(initial=0) > 255) else 255.0
        gray = np.clip(np.round(arr / hi * 255.0), 0, 255).astype(np.uint8)
        return np.repeat(gray[:, :, None], 3, axis=2)
    if mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, rgba)
    return np.array(img.convert("RGB"), dtype=np.uint8)


def _array_to_rgb(arr: np.ndarray, what: str) -> np.ndarray:
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3 or arr.shape[2] not in (1, 3, 4) or arr.size == 0:
        raise InputError(f"The {what} array has shape {arr.shape}; expected H×W, H×W×1, H×W×3 or H×W×4.")
    if arr.dtype == np.uint8:
        out = arr
    elif arr.dtype == np.uint16:
        out = np.round(arr / 257.0).astype(np.uint8)
    elif np.issubdtype(arr.dtype, np.floating):
        if not np.isfinite(arr).all():
            raise InputError(f"The {what} array contains NaN or infinite values.")
        out = np.round(np.clip(arr, 0.0, 1.0) * 255.0).astype(np.uint8)
    else:
        raise InputError(f"The {what} array has dtype {arr.dtype}; expected uint8, uint16 or float in [0, 1].")
    if out.shape[2] == 1:
        out = np.repeat(out, 3, axis=2)
    elif out.shape[2] == 4:
        alpha = out[:, :, 3:4].astype(np.float32) / 255.0
        out = np.round(out[:, :, :3] * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)
    return np.ascontiguousarray(out)


def resize_max_dim(img: np.ndarray, max_dim: int) -> np.ndarray:
    """Downscale a uint8 RGB image (Lanczos) so its longer side is at most ``max_dim``."""
    h, w = img.shape[:2]
    scale = max_dim / max(h, w)
    if scale >= 1.0:
        return img
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray(img).resize(size, Image.LANCZOS))


def resize(img: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize a uint8 RGB image to exactly ``width``×``height`` (Lanczos)."""
    return np.asarray(Image.fromarray(img).resize((int(width), int(height)), Image.LANCZOS))


def to_uint8(arr: np.ndarray, low: float = 0.0, high: float = 1.0) -> np.ndarray:
    """Map a float array in [low, high] to uint8 [0, 255], rounding and clipping."""
    scaled = (np.asarray(arr, dtype=np.float32) - low) * (255.0 / (high - low))
    return np.clip(np.round(scaled), 0, 255).astype(np.uint8)


def grid(images: Sequence[np.ndarray] | np.ndarray, cols: int, pad: int = 2, scale: int = 1) -> np.ndarray:
    """Tile equally sized uint8 images (H×W×3 or H×W) into a grid, optionally upscaled (nearest)."""
    imgs = [np.repeat(i[:, :, None], 3, 2) if i.ndim == 2 else i for i in images]
    h, w = imgs[0].shape[:2]
    rows = -(-len(imgs) // cols)
    out = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, 3), 255, np.uint8)
    for k, im in enumerate(imgs):
        r, c = divmod(k, cols)
        out[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = im
    if scale > 1:
        out = np.repeat(np.repeat(out, scale, 0), scale, 1)
    return out


def image_hw(source) -> tuple[int, int] | None:
    """(height, width) of an image file, PIL image or array without decoding it all; None if unreadable
    or None (a bad upload: the run itself says what is wrong with it)."""
    if source is None:
        return None
    if isinstance(source, np.ndarray):
        return tuple(source.shape[:2]) if source.ndim >= 2 else None
    if isinstance(source, Image.Image):
        return source.height, source.width
    try:
        with Image.open(source) as img:
            return img.height, img.width
    except Exception:
        return None
