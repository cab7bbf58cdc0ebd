"""A corpus of awkward uploads, made here (nothing fetched): each file with what genart must do with it.

``corpus(folder)`` writes the files and returns :class:`Case` s. ``expect`` is either ``"ok"`` (the
image is decoded; ``check`` then looks at the decoded H×W×3 uint8 array, downscaled to
``MAX_DIM``) or a regular expression the user-facing error must match.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image

#: The size the corpus is decoded at (the tests' max_dim).
MAX_DIM = 96
#: Gray stays gray: channels may differ by this much after a JPEG round trip and a tiny dream step.
GRAY_TOLERANCE = 8


@dataclass
class Case:
    name: str
    path: Path
    expect: str  # "ok" or a regex of the error message
    check: Callable[[np.ndarray], None] | None = None


def _picture(w: int = 160, h: int = 120) -> np.ndarray:
    """Top half red, bottom half blue: orientation and colour are easy to check."""
    img = np.zeros((h, w, 3), np.uint8)
    img[: h // 2] = (220, 30, 30)
    img[h // 2:] = (30, 30, 220)
    return img


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(side: int = 30000) -> bytes:
    """A real side×side 1-bit PNG of zeros: ~110 KB on disk, 900 megapixels once decoded."""
    row = b"\0" * (1 + (side + 7) // 8)  # filter byte + packed bits
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row * 1000) for _ in range(side // 1000))
    body += packer.compress(row * (side % 1000)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1-bit grayscale
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", body) + _png_chunk(b"IEND", b"")


def _encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _spread(rgb: np.ndarray) -> int:
    """Largest difference between two channels of one pixel (0 for a gray image)."""
    rgb = rgb.astype(np.int16)
    return int(max(np.abs(rgb[..., 0] - rgb[..., 1]).max(), np.abs(rgb[..., 1] - rgb[..., 2]).max()))


def _is_red_over_blue(rgb: np.ndarray) -> None:
    h = rgb.shape[0]
    top, bottom = rgb[: h // 3].reshape(-1, 3).mean(0), rgb[-h // 3:].reshape(-1, 3).mean(0)
    assert top[0] > 150 and top[2] < 90 and bottom[2] > 150 and bottom[0] < 90, (top, bottom)


def _landscape(rgb: np.ndarray) -> None:
    assert rgb.shape == (72, 96, 3), rgb.shape
    _is_red_over_blue(rgb)


def corpus(folder: Path) -> list[Case]:
    folder = Path(folder)
    pic = Image.fromarray(_picture())
    cases: list[tuple[str, str, bytes, str, Callable | None]] = []

    jpeg = _encode(pic, "JPEG", quality=90)
    cases.append(("truncated JPEG", "cut.jpg", jpeg[: len(jpeg) // 2], "damaged or incomplete", None))
    cases.append(("zero-byte file", "empty.png", b"", r"empty \(0 bytes\)", None))
    cases.append(("text renamed .png", "notes.png", b"just some notes, not a picture\n" * 20,
                  "not an image format genart can read", None))

    ramp = (np.linspace(0, 65535, 160, dtype=np.float64)[None, :].repeat(120, 0)).astype(np.uint16)

    def _gray_ramp(rgb):
        assert rgb.shape == (72, 96, 3) and _spread(rgb) <= GRAY_TOLERANCE
        assert rgb[:, :8].mean() < 20 and rgb[:, -8:].mean() > 235  # full 16-bit range → full 8-bit range

    cases.append(("16-bit PNG", "deep.png", _encode(Image.fromarray(ramp), "PNG"), "ok", _gray_ramp))
    cases.append(("CMYK JPEG", "print.jpg", _encode(pic.convert("CMYK"), "JPEG", quality=95), "ok", _landscape))

    rgba = np.dstack([_picture(), np.full((120, 160), 255, np.uint8)])
    rgba[:, :40, 3] = 0  # a transparent left strip is flattened onto white

    def _white_left(rgb):
        _landscape(rgb)
        assert rgb[:, :20].min() > 240

    cases.append(("RGBA PNG", "alpha.png", _encode(Image.fromarray(rgba, "RGBA"), "PNG"), "ok", _white_left))
    cases.append(("palette PNG", "palette.png", _encode(pic.convert("P", palette=Image.ADAPTIVE, colors=8), "PNG"),
                  "ok", _landscape))

    def _gray(rgb):
        assert rgb.shape == (72, 96, 3) and _spread(rgb) <= GRAY_TOLERANCE

    cases.append(("grayscale JPEG", "gray.jpg", _encode(pic.convert("L"), "JPEG"), "ok", _gray))
    cases.append(("1×1 image", "dot.png", _encode(Image.new("RGB", (1, 1), "white"), "PNG"),
                  "needs at least 16 pixels on each side", None))

    blue = Image.new("RGB", (160, 120), (30, 30, 220))
    gif = io.BytesIO()
    pic.save(gif, format="GIF", save_all=True, append_images=[blue, pic], duration=100, loop=0)
    cases.append(("animated GIF", "anim.gif", gif.getvalue(), "ok", _landscape))  # the first frame

    # Stored sideways (top of the scene on the left), with EXIF orientation 6 ("rotate 90° CW to view"):
    # it must come out as the upright landscape.
    sideways = pic.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    cases.append(("EXIF-rotated photo", "rotated.jpg", _encode(sideways, "JPEG", quality=90, exif=exif.tobytes()),
                  "ok", _landscape))

    cases.append(("30000×30000 decompression bomb", "bomb.png", bomb_png(),
                  "too large to decode; the limit is 100 megapixels", None))

    big = np.zeros((6000, 8000), np.uint8)
    big[:3000], big[3000:] = 200, 40
    cases.append(("huge but legal (8000×6000 JPEG)", "huge.jpg", _encode(Image.fromarray(big), "JPEG", quality=80),
                  "ok", lambda rgb: _check_huge(rgb)))

    out = []
    for name, filename, data, expect, check in cases:
        path = folder / filename
        path.write_bytes(data)
        out.append(Case(name, path, expect, check))
    return out


def _check_huge(rgb: np.ndarray) -> None:
    assert rgb.shape == (72, 96, 3)  # downscaled, not refused
    assert rgb[:30].mean() > 180 and rgb[-30:].mean() < 60
