"""Upload decoding: every odd file either becomes clean RGB uint8 or a sentence a user understands."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from genart.errors import InputError
from genart.images import MAX_INPUT_PIXELS, grid, load_frame, load_image, resize_max_dim, to_uint8


def _encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _rgb(photo):
    return Image.fromarray(photo)


def test_png_roundtrip_is_exact(photo):
    out = load_image(_encode(_rgb(photo), "PNG"))
    assert out.dtype == np.uint8 and out.shape == photo.shape and np.array_equal(out, photo)


def test_path_and_pil_and_array_sources(tmp_path, photo):
    path = tmp_path / "p.png"
    _rgb(photo).save(path)
    for src in (str(path), path, _rgb(photo), photo):
        assert np.array_equal(load_image(src), photo)


@pytest.mark.parametrize("mode", ["L", "1", "P", "CMYK", "YCbCr"])
def test_modes_become_rgb(photo, mode):
    img = _rgb(photo).convert(mode)
    out = load_image(_encode(img, "TIFF" if mode == "CMYK" else "PNG" if mode != "YCbCr" else "JPEG"))
    assert out.shape == photo.shape and out.dtype == np.uint8
    if mode == "L":
        assert np.array_equal(out[..., 0], out[..., 2])  # grey stays grey


def test_cmyk_jpeg_keeps_its_colours(photo):
    out = load_image(_encode(_rgb(photo).convert("CMYK"), "JPEG", quality=95))
    assert np.abs(out.astype(int) - photo.astype(int)).mean() < 12


def test_transparency_is_flattened_onto_white(photo):
    rgba = np.dstack([photo, np.zeros(photo.shape[:2], np.uint8)])
    rgba[:60, :, 3] = 255  # top half opaque, bottom half transparent
    out = load_image(_encode(Image.fromarray(rgba, "RGBA"), "PNG"))
    assert np.array_equal(out[:60], photo[:60])
    assert (out[60:] == 255).all()
    la = Image.fromarray(rgba, "RGBA").convert("LA")
    assert (load_image(_encode(la, "PNG"))[60:] == 255).all()


def test_palette_with_transparency(photo):
    p = _rgb(photo).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    p.info["transparency"] = 0
    out = load_image(_encode(p, "PNG", transparency=0))
    assert out.shape == photo.shape


def test_sixteen_bit_grey_is_scaled_not_clipped():
    ramp = np.tile(np.linspace(0, 65535, 64).astype(np.uint16), (32, 1))
    out = load_image(_encode(Image.fromarray(ramp), "PNG"))
    assert out[0, 0, 0] == 0 and out[0, -1, 0] == 255
    assert 100 < out[0, 32, 0] < 155  # mid-grey stays mid-grey
    assert np.all(np.diff(out[0, :, 0].astype(int)) >= 0)


def test_exif_rotation_is_applied(photo):
    img = _rgb(photo)  # 160 wide × 120 high
    exif = img.getexif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    out = load_image(_encode(img, "JPEG", exif=exif, quality=95))
    assert out.shape == (160, 120, 3)  # upright: now portrait
    expected = np.asarray(img.transpose(Image.Transpose.ROTATE_270))
    assert np.abs(out.astype(int) - expected.astype(int)).mean() < 6


def test_animated_gif_gives_its_first_frame():
    frames = [Image.new("RGB", (40, 30), c) for c in ((255, 0, 0), (0, 0, 255))]
    data = _encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    out = load_image(data)
    assert out.shape == (30, 40, 3) and out[0, 0, 0] > 200 and out[0, 0, 2] < 50


def test_huge_but_legal_image_is_downscaled():
    big = Image.new("RGB", (6000, 4000), (10, 200, 30))
    out = load_image(_encode(big, "JPEG", quality=80), max_dim=500)
    assert out.shape == (333, 500, 3) or out.shape == (334, 500, 3)
    assert abs(int(out[100, 100, 1]) - 200) < 8


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_decompression_bomb_is_refused_before_decoding():
    with pytest.raises(InputError, match="too large to decode"):
        load_image(_png_header_only(30000, 30000))
    w = int(MAX_INPUT_PIXELS ** 0.5) + 10  # above our limit, below Pillow's own hard limit
    with pytest.raises(InputError, match=r"\d+ megapixels\)"):
        load_image(_png_header_only(w, w))


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"just some text, renamed to .png", "not an image format"),
    (None, "upload"),
])
def test_unreadable_inputs(data, message):
    with pytest.raises(InputError, match=message):
        load_image(data)


def test_truncated_jpeg(photo):
    data = _encode(_rgb(photo), "JPEG", quality=90)
    with pytest.raises(InputError, match="damaged or incomplete"):
        load_image(data[: len(data) // 2])


def test_zero_byte_file_on_disk(tmp_path):
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        load_image(str(empty))


def test_tiny_image_is_refused_with_its_size():
    with pytest.raises(InputError, match="1×1 pixels"):
        load_image(_encode(Image.new("RGB", (1, 1)), "PNG"))


def test_names_the_image_in_messages():
    with pytest.raises(InputError, match="style image"):
        load_image(b"nope", what="style image")


def test_array_inputs():
    grey = np.arange(64 * 32, dtype=np.uint16).reshape(32, 64)
    assert load_image(grey).shape == (32, 64, 3)
    floats = np.full((20, 20, 3), 0.5, np.float32)
    assert (load_image(floats) == 128).all()
    rgba = np.zeros((20, 20, 4), np.uint8)
    assert (load_image(rgba) == 255).all()  # fully transparent → white
    with pytest.raises(InputError, match="NaN"):
        load_image(np.full((20, 20, 3), np.nan, np.float32))
    with pytest.raises(InputError, match="shape"):
        load_image(np.zeros((20, 20, 5), np.uint8))


def test_helpers():
    img = np.zeros((100, 300, 3), np.uint8)
    assert resize_max_dim(img, 150).shape == (50, 150, 3)
    assert resize_max_dim(img, 1000) is img  # never upscales
    assert to_uint8(np.array([-1.0, 0.0, 1.0]), -1, 1).tolist() == [0, 128, 255]
    tiles = [np.full((4, 4), v, np.uint8) for v in (0, 100, 200)]
    g = grid(tiles, cols=2, pad=1, scale=2)
    assert g.shape == (2 * (2 * 5 + 1), 2 * (2 * 5 + 1), 3)
    assert g[2, 2, 0] == 0 and g[2, 2 + 10, 0] == 100 and g[2 + 10, 2, 0] == 200


def test_load_frame_decodes_a_jpeg_at_the_size_needed(photo):
    big = np.repeat(np.repeat(photo, 4, axis=0), 4, axis=1)  # 480×640
    buf = io.BytesIO()
    Image.fromarray(big).save(buf, "JPEG", quality=95)
    frame = load_frame(buf.getvalue(), 256)
    assert frame.shape == (192, 256, 3) and frame.dtype == np.uint8
    full = load_image(buf.getvalue(), 256)  # Lanczos from the whole decode: the same picture, near enough
    assert full.shape == frame.shape and np.abs(full.astype(int) - frame).mean() < 4
    assert load_frame(big, 256).shape == (192, 256, 3)  # arrays too
    small = load_frame(photo, 256)
    np.testing.assert_array_equal(small, photo)  # never enlarged
    with pytest.raises(InputError, match="camera frame"):
        load_frame(b"not a picture", 256)
