"""Luminance-only transfer (Gatys et al. 2016, "Preserving color in neural artistic style transfer"):
the network sees grey pictures, and the result gets the content's chroma back."""

from __future__ import annotations

import numpy as np

# ITU-R BT.601 YUV, the transform tf.image.rgb_to_yuv uses.
_RGB_TO_YUV = np.array([[0.299, -0.14714119, 0.61497538],
                        [0.587, -0.28886916, -0.51496512],
                        [0.114, 0.43601035, -0.10001026]], np.float32)
_YUV_TO_RGB = np.linalg.inv(_RGB_TO_YUV).astype(np.float32)


def luminance(rgb: np.ndarray) -> np.ndarray:
    """The Y (luma) of RGB values in [0, 1]."""
    return rgb @ _RGB_TO_YUV[:, 0]


def gray(rgb01: np.ndarray, match: np.ndarray | None = None) -> np.ndarray:
    """Luminance as a 3-channel image; with ``match``, its mean and spread are matched to match's."""
    y = luminance(rgb01)
    if match is not None:
        ym = luminance(match)
        y = (y - y.mean()) * (ym.std() / max(float(y.std()), 1e-6)) + ym.mean()
    return np.repeat(np.clip(y, 0.0, 1.0)[..., None], 3, axis=-1)


def with_chroma(image01: np.ndarray, colors01: np.ndarray) -> np.ndarray:
    """The luminance of ``image01`` with the chroma (U, V) of ``colors01``."""
    yuv = colors01 @ _RGB_TO_YUV
    yuv[..., 0] = luminance(image01)
    return np.clip(yuv @ _YUV_TO_RGB, 0.0, 1.0)
