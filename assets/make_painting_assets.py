"""Copy the three public-domain paintings into assets/, at most 512 px on the long side.

The scans come from two style-transfer repositories on GitHub (assets/paintings.NOTICE.md names
each file's source and says why the works are public domain). Run with the folder holding them:

    python assets/make_painting_assets.py /path/to/paintings
"""

import os
import sys

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
LONG_SIDE = 512
#: source file → name in assets/ (artist first, so the file says whose work it is)
PAINTINGS = {
    "wave.jpg": "hokusai-great-wave.jpg",
    "udnie.jpg": "picabia-udnie.jpg",
    "woman-with-hat-matisse.jpg": "matisse-woman-with-hat.jpg",
}


def main(source: str) -> None:
    for src, dst in PAINTINGS.items():
        with Image.open(os.path.join(source, src)) as img:
            img = img.convert("RGB")
            img.thumbnail((LONG_SIDE, LONG_SIDE), Image.LANCZOS)  # keeps the aspect; never enlarges
            img.save(os.path.join(HERE, dst), quality=90, optimize=True)
            print(dst, img.size)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python assets/make_painting_assets.py FOLDER  (the folder with the source scans)")
    main(sys.argv[1])
