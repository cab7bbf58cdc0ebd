"""Re-create the example photos in assets/ from scikit-image's bundled sample data.

Both photos are CC0 (public-domain dedications by their photographers, as scikit-image's
`skimage.data` documents): chelsea.png by Stefan van der Walt, coffee.png by Rachel Michetti.
Run once with scikit-image installed (it is not a dependency of genart):

    pip install scikit-image && python assets/make_photo_assets.py
"""

import os
from importlib.resources import files

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))

for name in ("chelsea", "coffee"):
    src = files("skimage") / "data" / f"{name}.png"
    with Image.open(str(src)) as img:
        img.convert("RGB").save(os.path.join(HERE, f"{name}.jpg"), quality=90, optimize=True)
