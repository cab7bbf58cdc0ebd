"""Small pictures the style-transfer tests share (made here, no files)."""

import numpy as np


def stripes() -> np.ndarray:
    """64×64 diagonal red/blue stripes: the tests' first style."""
    yy, xx = np.mgrid[0:64, 0:64]
    s = ((xx + 2 * yy) // 6) % 2
    return np.stack([200 * s + 40, 60 + 0 * xx, 220 - 180 * s], axis=2).astype(np.uint8)


def checks() -> np.ndarray:
    """64×64 green checks: the tests' second style."""
    yy, xx = np.mgrid[0:64, 0:64]
    c = ((xx // 8) + (yy // 8)) % 2
    return np.stack([30 + 0 * xx, 220 * c + 20, 90 + 0 * xx], axis=2).astype(np.uint8)


def waves() -> np.ndarray:
    """48×64 smooth red and green waves on flat blue: a content picture."""
    yy, xx = np.mgrid[0:48, 0:64].astype(np.float32)
    return np.stack([127 + 110 * np.sin(xx / 7.0), 127 + 110 * np.cos(yy / 5.0), 90 + 0 * xx],
                    axis=2).clip(0, 255).astype(np.uint8)
