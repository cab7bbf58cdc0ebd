"""Draw the style-transfer tab's example images (run: python assets/make_style_assets.py).

Both pictures are made here from code, so the project owns them (same licence as the code):

* ``style_landscape.png`` (content): sky gradient, sun, two mountain ridges, a lake with ripples.
* ``style_strokes.png`` (style): overlapping brush strokes in a warm/cool palette.
"""

from __future__ import annotations

import os

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

HERE = os.path.dirname(os.path.abspath(__file__))


def landscape(width: int = 384, height: int = 288) -> Image.Image:
    """A synthetic landscape with smooth gradients and clear edges (content image)."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    t = yy / height
    sky = np.stack([90 + 120 * t, 140 + 80 * t, 230 - 30 * t], axis=2)
    img = Image.fromarray(sky.clip(0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    draw.ellipse([width * 0.68, height * 0.12, width * 0.82, height * 0.12 + width * 0.14], fill=(255, 214, 120))
    for base, amp, freq, colour in ((0.55, 0.16, 0.021, (92, 84, 120)), (0.66, 0.10, 0.034, (52, 96, 70))):
        ridge = [(x, height * (base - amp * (0.6 * np.sin(x * freq) + 0.4 * np.sin(x * freq * 2.3 + 1.0))))
                 for x in range(0, width + 8, 8)]
        draw.polygon(ridge + [(width, height), (0, height)], fill=colour)
    lake_top = int(height * 0.78)
    draw.rectangle([0, lake_top, width, height], fill=(40, 90, 150))
    for k in range(14):
        y = lake_top + 4 + k * (height - lake_top) // 14
        x0 = (k * 53) % (width // 2)
        draw.line([(x0, y), (x0 + width // 3, y)], fill=(150, 190, 230), width=1)
    return img.filter(ImageFilter.SMOOTH)


def strokes(size: int = 256, count: int = 140, seed: int = 7) -> Image.Image:
    """Overlapping thick, slanted brush strokes in a fixed palette (style image)."""
    rng = np.random.default_rng(seed)
    palette = [(230, 160, 40), (200, 60, 40), (40, 70, 160), (250, 220, 120), (30, 120, 140), (20, 30, 60)]
    img = Image.new("RGB", (size, size), (240, 200, 110))
    draw = ImageDraw.Draw(img)
    for _ in range(count):
        x, y = rng.uniform(-20, size + 20, 2)
        angle = rng.normal(0.6, 0.35)
        length = rng.uniform(25, 70)
        dx, dy = length * np.cos(angle), length * np.sin(angle)
        colour = palette[rng.integers(len(palette))]
        draw.line([(x, y), (x + dx, y + dy)], fill=colour, width=int(rng.integers(5, 12)))
    return img


def main() -> None:
    landscape().save(os.path.join(HERE, "style_landscape.png"), optimize=True)
    strokes().save(os.path.join(HERE, "style_strokes.png"), optimize=True)


if __name__ == "__main__":
    main()
