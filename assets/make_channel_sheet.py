"""Make the channel-sheet picture of docs/dream.md (run: python assets/make_channel_sheet.py).

``channel_sheet_random.jpg``: genart's channel explorer on InceptionV3 with **random weights**
(GENART_WEIGHTS=random; seeded, float32), layer mixed3, channels 0–15, 128 px tiles, 20 steps.
It shows the explorer's layout, not what a trained network has learned: with ImageNet weights
the tiles show textures and object parts instead of this noise. Same licence as the code.
"""

from __future__ import annotations

import os
import sys

os.environ["GENART_WEIGHTS"] = "random"
os.environ["GENART_PRECISION"] = "float32"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from PIL import Image  # noqa: E402

from genart.dream.explorer import channel_sheet  # noqa: E402


def main() -> None:
    *_, final = channel_sheet("mixed3", range(16), size=128, steps=20)
    path = os.path.join(HERE, "channel_sheet_random.jpg")
    Image.fromarray(final.image).save(path, quality=85)
    print(path)


if __name__ == "__main__":
    main()
