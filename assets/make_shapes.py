"""Draw a toy dataset of coloured shapes for the DCGAN on own pictures (no download, no licence).

Each 32×32 picture is one flat background colour with one flat shape on it: a disc, a square or a
triangle, of random size (radius 5 to 10 px) and place (kept 2 px off the border), in a second
colour at least 120 apart from the background (Euclidean RGB), drawn without anti-aliasing. So
every real picture is exactly two colours with a border of background colour, which is what
``benchmarks/bench_gan_own.py`` measures in the generated samples.

    python assets/make_shapes.py shapes.zip --count 2000   # a zip to upload in the DCGAN tab
    python -m genart gan --dataset shapes.zip --preset dcgan-paper --epochs 5 -o shapes.png

:func:`draw_shapes` gives the same pictures as an array (the benchmark uses it).
"""

from __future__ import annotations

import argparse
import io
import zipfile

import numpy as np
from PIL import Image, ImageDraw

SIDE = 32
KINDS = ("disc", "square", "triangle")
MIN_CONTRAST = 120.0


def _colours(rng: np.random.Generator) -> tuple[tuple[int, ...], tuple[int, ...]]:
    while True:
        a, b = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
        if np.linalg.norm(a - b) >= MIN_CONTRAST:
            return tuple(int(v) for v in a), tuple(int(v) for v in b)


def draw_shapes(count: int, seed: int = 0) -> np.ndarray:
    """``count`` pictures, uint8 count×32×32×3; the same for the same seed."""
    rng = np.random.default_rng(seed)
    out = np.empty((count, SIDE, SIDE, 3), np.uint8)
    for i in range(count):
        background, colour = _colours(rng)
        img = Image.new("RGB", (SIDE, SIDE), background)
        draw = ImageDraw.Draw(img)
        r = int(rng.integers(5, 11))
        cx, cy = (int(v) for v in rng.integers(2 + r, SIDE - 2 - r, 2, endpoint=True))
        kind = KINDS[i % len(KINDS)]
        if kind == "disc":
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=colour)
        elif kind == "square":
            draw.rectangle([cx - r, cy - r, cx + r, cy + r], fill=colour)
        else:
            draw.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], fill=colour)
        out[i] = np.asarray(img)
    return out


def write_zip(path: str, count: int, seed: int = 0) -> None:
    """The pictures as PNG files in a zip (``shape00000.png`` …)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, picture in enumerate(draw_shapes(count, seed)):
            buf = io.BytesIO()
            Image.fromarray(picture).save(buf, format="PNG")
            zf.writestr(f"shape{i:05d}.png", buf.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", help="the .zip to write")
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    write_zip(args.output, args.count, args.seed)
    print(args.output)


if __name__ == "__main__":
    main()
