"""Masks: where in the picture an effect goes, as a float H×W×1 array in [0, 1].

1 means "here", 0 "not here", values between blend. A mask comes from an uploaded black-and-white
image (white = effect), from an image whose alpha channel was painted (a brush layer: painted =
effect), or from an array. It is resized to the image it applies to and may be feathered (a
Gaussian blur, so edges fade instead of cutting). Algorithms resize it again with the image at
every octave or scale; DeepDream multiplies its gradient by it, style transfer weighs its loss.
Decoding goes through :mod:`genart.images`' safe decoder (same limits as any upload).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from PIL import Image, ImageOps

from .errors import InputError
from .images import ImageSource, open_image

#: A mask whose largest value is below this counts as empty.
EMPTY_BELOW = 0.5 / 255.0
#: Largest feather (Gaussian sigma, pixels at the working size).
MAX_FEATHER = 64.0


def _coverage(arr: np.ndarray) -> np.ndarray:
    """H×W float in [0, 1] from an array: alpha where it is painted (not all opaque), else luminance."""
    arr = np.asarray(arr)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (3, 4)) or arr.size == 0:
        raise InputError(f"The mask array has shape {arr.shape}; expected H×W, H×W×1, H×W×3 or H×W×4.")
    if np.issubdtype(arr.dtype, np.floating):
        if not np.isfinite(arr).all():
            raise InputError("The mask contains NaN or infinite values.")
        scale = 1.0
    elif arr.dtype == np.uint8:
        scale = 255.0
    elif arr.dtype == np.uint16:
        scale = 65535.0
    elif arr.dtype == np.bool_:
        arr, scale = arr.astype(np.float32), 1.0
    else:
        raise InputError(f"The mask has dtype {arr.dtype}; expected uint8, uint16, bool or float in [0, 1].")
    arr = arr.astype(np.float32) / np.float32(scale)
    if arr.ndim == 3:
        if arr.shape[2] == 4 and arr[:, :, 3].min() < 1.0:
            arr = arr[:, :, 3]
        else:
            arr = arr[:, :, :3] @ np.array([0.299, 0.587, 0.114], np.float32)
    return np.clip(arr, 0.0, 1.0)


def decode_mask(source: ImageSource, what: str = "mask") -> np.ndarray:
    """A mask file decoded as it is read: RGBA where it has transparency (a painted stroke lives in
    its alpha), else grey (H×W uint8); an unusable file is an InputError naming ``what``."""
    img = open_image(source, what)
    try:
        if getattr(img, "is_animated", False):
            img.seek(0)
        img.load()
        try:
            img = ImageOps.exif_transpose(img)
        except Exception:
            pass
        if img.mode == "P":
            img = img.convert("RGBA")
        if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
            return np.asarray(img.convert("RGBA"))
        return np.asarray(img.convert("L"))
    except InputError:
        raise
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
        raise InputError(f"The {what} file is damaged or incomplete and could not be decoded.") from None


def combine_layers(layers: Sequence[np.ndarray]) -> np.ndarray | None:
    """Painted brush layers (RGBA arrays of one size, transparent where unpainted) as one H×W×4 array
    whose alpha is the most opaque stroke at each pixel; None when there are no layers."""
    arrays = [np.asarray(layer) for layer in layers if layer is not None]
    if not arrays:
        return None
    alpha = np.zeros(arrays[0].shape[:2], np.uint8)
    for arr in arrays:
        if arr.shape[:2] != alpha.shape:
            raise InputError("The mask's painted layers have different sizes.")
        a = arr[:, :, 3] if arr.ndim == 3 and arr.shape[2] == 4 else (_coverage(arr) * 255).astype(np.uint8)
        alpha = np.maximum(alpha, a)
    out = np.zeros((*alpha.shape, 4), np.uint8)
    out[:, :, :3] = 255
    out[:, :, 3] = alpha
    return out


def resize_mask(mask: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    """A mask (H×W or H×W×1) resized (bilinear) to ``hw`` as H×W×1 float32, clipped to [0, 1]."""
    m = np.asarray(mask, np.float32)
    m = m[:, :, 0] if m.ndim == 3 else m
    if m.shape != tuple(hw):
        m = np.asarray(Image.fromarray(m, mode="F").resize((int(hw[1]), int(hw[0])), Image.BILINEAR))
    return np.clip(m, 0.0, 1.0)[:, :, None].astype(np.float32)


def load_mask(source: ImageSource | np.ndarray, hw: tuple[int, int], feather: float = 0.0, *,
              what: str = "mask") -> np.ndarray:
    """Decode, resize and feather a mask for an image of ``hw`` (height, width).

    Args:
        source: a black-and-white image (path from trusted code, bytes, PIL image; white = effect),
            an image with a painted alpha channel (painted = effect), or an array (H×W or H×W×1
            float in [0, 1], uint8, bool; H×W×3 luminance; H×W×4 alpha when not all opaque).
        hw: the size of the image the mask applies to; the mask is resized to it whatever its size.
        feather: soft edges: the sigma of a Gaussian blur, in pixels at ``hw`` (0 = hard edges).
        what: how messages call it.

    Returns:
        H×W×1 float32 in [0, 1].

    Raises:
        InputError: unreadable, or empty (nothing painted).
    """
    if source is None:
        raise InputError(f"The {what} is missing.")
    if not (0.0 <= float(feather) <= MAX_FEATHER):
        raise InputError(f"feather must be in [0, {MAX_FEATHER:g}] pixels, got {feather!r}.")
    if isinstance(source, np.ndarray):
        cover = _coverage(source)
    elif isinstance(source, Image.Image):
        cover = _coverage(np.asarray(source.convert("RGBA") if "A" in source.mode or source.mode == "P"
                                     else source.convert("L")))
    else:
        cover = _coverage(decode_mask(source, what))
    if cover.max(initial=0.0) < EMPTY_BELOW:
        raise InputError(f"The {what} is empty: paint (or make white) where the effect should go, "
                         "or remove the mask to apply it everywhere.")
    mask = resize_mask(cover, hw)
    if feather > 0:
        from scipy.ndimage import gaussian_filter

        mask = np.clip(gaussian_filter(mask[:, :, 0], float(feather), mode="nearest"), 0.0, 1.0)[:, :, None]
    return mask.astype(np.float32)
