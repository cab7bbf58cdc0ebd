"""Re-create the sky example inputs of docs/style.md: a public-domain photo with a big sky, and its sky mask.

``rocket.jpg`` is scikit-image's sample ``skimage.data.rocket()``: the launch photo of DSCOVR on
Falcon 9, taken by SpaceX and released into the public domain (as scikit-image documents).
``rocket_sky_mask.png`` is made here from its colours: the blue sky, without the towers, the
rocket, the lights and the horizon (white = sky). Run once with scikit-image installed (it is not a
dependency of genart):

    pip install scikit-image && python assets/make_sky_example.py
"""

import os
from importlib.resources import files

import numpy as np
from PIL import Image
from scipy import ndimage

HERE = os.path.dirname(os.path.abspath(__file__))


def sky_mask(rgb: np.ndarray) -> np.ndarray:
    """White where the picture is sky: blue over red, not dark, not bright, in one connected piece
    touching the top edge, small holes filled; thin structures (the towers' lattices) stay out."""
    r, g, b = (rgb[..., i].astype(np.float32) for i in range(3))
    sky = (b > r + 12) & (b > g) & (b > 30) & (r + g + b < 480)
    sky = ndimage.binary_opening(sky, iterations=2)
    labels, _ = ndimage.label(sky)
    top = set(np.unique(labels[0])) - {0}
    sky = np.isin(labels, list(top))
    sky = ndimage.binary_closing(sky, iterations=1)
    return (sky * 255).astype(np.uint8)


if __name__ == "__main__":
    src = files("skimage") / "data" / "rocket.jpg"
    with Image.open(str(src)) as img:
        photo = img.convert("RGB")
    photo.save(os.path.join(HERE, "rocket.jpg"), quality=90, optimize=True)
    Image.fromarray(sky_mask(np.asarray(photo))).save(os.path.join(HERE, "rocket_sky_mask.png"), optimize=True)
