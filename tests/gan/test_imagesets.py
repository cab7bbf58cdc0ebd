"""genart.gan.imagesets: a visitor's zip or folder of pictures → a 32×32 training set, safely."""

import io
import os
import zipfile

import numpy as np
import pytest
from PIL import Image

from genart.gan import imagesets
from genart.errors import InputError
from genart.gan.imagesets import MIN_IMAGES, count_files, load_image_set


def encode(arr: np.ndarray, fmt: str = "PNG", mode: str | None = None) -> bytes:
    buf = io.BytesIO()
    img = Image.fromarray(arr)
    if mode:
        img = img.convert(mode)
    img.save(buf, format=fmt)
    return buf.getvalue()


def picture(i: int, h: int = 40, w: int = 48, grey: bool = False) -> np.ndarray:
    """A smooth picture that differs with ``i`` (colour unless ``grey``)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = 127 + 100 * np.sin(xx / 5 + i)
    g = 127 + 100 * np.cos(yy / 4 + 0.5 * i)
    b = np.full_like(r, (37 * i) % 256)
    rgb = np.stack([r, g, b], axis=2).clip(0, 255).astype(np.uint8)
    return np.repeat(rgb[..., :1], 3, axis=2) if grey else rgb


def zip_bytes(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def pictures(n: int, grey: bool = False, prefix: str = "img") -> dict[str, bytes]:
    return {f"{prefix}{i:03d}.png": encode(picture(i, grey=grey)) for i in range(n)}


def test_a_zip_of_mixed_sizes_and_modes_becomes_32px_colour_in_name_order(tmp_path):
    members = pictures(MIN_IMAGES)
    members["z1.jpg"] = encode(picture(1, 300, 200), "JPEG")  # larger, portrait, JPEG
    rgba = np.dstack([picture(2), np.full((40, 48), 128, np.uint8)])
    members["z2.png"] = encode(rgba)  # transparency: flattened onto white like every upload
    members["z3.gif"] = encode(picture(3), "GIF", mode="P")
    members["z4.bmp"] = encode(picture(4, 20, 90), "BMP")  # elongated
    members["sub/z5.webp"] = encode(picture(5), "WEBP")
    path = tmp_path / "mine.zip"
    path.write_bytes(zip_bytes(members))
    s = load_image_set(str(path))
    assert s.images.shape == (MIN_IMAGES + 5, 32, 32, 3) and s.images.dtype == np.uint8 and s.channels == 3
    assert s.name == "The zip mine.zip" and s.skipped == () and s.note == ""
    # the first picture: a 40×48 PNG centre-cropped to 40×40, then resized to 32×32
    expected = np.asarray(Image.fromarray(picture(0)[:, 4:44]).resize((32, 32), Image.LANCZOS))
    assert np.abs(s.images[0].astype(int) - expected).max() <= 1
    # RGBA at 50% alpha over white is lighter than the picture itself
    assert s.images[MIN_IMAGES + 2].mean() > s.images[2].mean() + 30
    assert not s.images.flags.writeable


def test_centre_crop_keeps_the_middle_of_a_wide_picture():
    wide = np.zeros((40, 120, 3), np.uint8)
    wide[:, :40] = (255, 0, 0)
    wide[:, 40:80] = (0, 0, 255)
    wide[:, 80:] = (0, 255, 0)
    members = {**pictures(MIN_IMAGES), "wide.png": encode(wide)}
    s = load_image_set(zip_bytes(members))
    assert np.abs(s.images[-1].astype(int) - (0, 0, 255)).max() <= 2  # only the blue middle third


def test_a_folder_gives_the_same_set_as_its_zip_and_the_digest_follows_the_pixels(tmp_path):
    members = pictures(MIN_IMAGES + 3)
    folder = tmp_path / "photos"
    (folder / "more").mkdir(parents=True)
    for name, data in members.items():
        (folder / ("more/" + name if name.endswith("1.png") else name)).write_bytes(data)
    from_folder = load_image_set(str(folder))
    zipped = {("more/" + n if n.endswith("1.png") else n): d for n, d in members.items()}
    from_zip = load_image_set(zip_bytes(zipped))
    assert from_folder.name == "The folder photos" and count_files(str(folder)) == MIN_IMAGES + 3
    assert from_folder.digest == from_zip.digest and np.array_equal(from_folder.images, from_zip.images)
    assert from_folder.digest.startswith("sha256:") and len(from_folder.digest) == 7 + 16
    other = load_image_set(zip_bytes(pictures(MIN_IMAGES + 3, prefix="b") | {"x.png": encode(picture(99))}))
    assert other.digest != from_zip.digest


def test_grey_pictures_give_one_channel_and_the_control_can_force_either():
    grey = load_image_set(zip_bytes(pictures(MIN_IMAGES, grey=True)))
    assert grey.images.shape == (MIN_IMAGES, 32, 32, 1)
    # JPEG's small colour noise on a grey picture still counts as grey
    as_jpeg = {n.replace(".png", ".jpg"): encode(picture(i, grey=True), "JPEG") for i, n in
               enumerate(pictures(MIN_IMAGES))}
    assert load_image_set(zip_bytes(as_jpeg)).channels == 1
    forced = load_image_set(zip_bytes(pictures(MIN_IMAGES, grey=True)), colour="colour")
    assert forced.channels == 3 and np.array_equal(forced.images[..., 0], grey.images[..., 0])
    colour = load_image_set(zip_bytes(pictures(MIN_IMAGES)))
    as_grey = load_image_set(zip_bytes(pictures(MIN_IMAGES)), colour="grey")
    assert colour.channels == 3 and as_grey.channels == 1
    luma = np.round(colour.images.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32))
    assert np.abs(as_grey.images[..., 0].astype(int) - luma).max() <= 1
    with pytest.raises(InputError, match="colour must be one of auto, colour, grey"):
        load_image_set(zip_bytes(pictures(MIN_IMAGES)), colour="sepia")


def test_non_pictures_are_skipped_and_named_and_names_are_never_paths(tmp_path):
    members = pictures(MIN_IMAGES)
    members["README.txt"] = b"my holiday pictures"
    members["broken.jpg"] = encode(picture(7), "JPEG")[:200]  # truncated
    members["../../escape.png"] = b"not a png at all"
    members["__MACOSX/._img000.png"] = b"\x00\x05\x16\x07 resource fork"  # macOS metadata: ignored
    members[".DS_Store"] = b"\x00\x00\x00\x01Bud1"
    before = set(os.listdir(tmp_path.parent))
    s = load_image_set(zip_bytes(members))
    assert len(s) == MIN_IMAGES
    assert s.skipped == ("../../escape.png", "README.txt", "broken.jpg")
    assert s.note == ("3 files are not pictures genart can read and were skipped: ../../escape.png, README.txt, "
                      "broken.jpg.")
    assert set(os.listdir(tmp_path.parent)) == before  # nothing was written anywhere


def test_many_non_pictures_are_listed_first_few():
    members = pictures(MIN_IMAGES) | {f"notes{i}.txt": b"text" for i in range(8)}
    assert load_image_set(zip_bytes(members)).note.endswith("notes0.txt, notes1.txt, notes2.txt, notes3.txt, "
                                                            "notes4.txt and 3 more.")


@pytest.mark.parametrize("members, message", [
    ({}, "The zip is empty: it holds no files"),
    ({"a/": b"", "__MACOSX/._x.png": b"x"}, "The zip is empty"),
    (pictures(MIN_IMAGES - 1), f"holds only {MIN_IMAGES - 1} pictures genart can read; training needs at least 64"),
    ({"a.txt": b"x", "b.txt": b"y"}, r"holds no pictures genart can read; training needs at least 64\. 2 files are "
                                     r"not pictures genart can read and were skipped: a.txt, b.txt\."),
    (pictures(MIN_IMAGES) | {"more.zip": zip_bytes(pictures(2))},
     r"contains another archive \(more.zip\); archives inside archives are not opened"),
    (pictures(MIN_IMAGES) | {"sneaky.png": zip_bytes(pictures(2))}, r"contains another archive \(sneaky.png\)"),
    (pictures(MIN_IMAGES) | {"old.tar.gz": b"\x1f\x8b\x08\x00"}, r"contains another archive \(old.tar.gz\)"),
    (pictures(MIN_IMAGES) | {"zeros.bmp": bytes(3_000_000)}, r"looks like a zip bomb: it would expand to 3 MB"),
])
def test_unusable_zips_are_one_sentence(members, message):
    with pytest.raises(InputError, match=message):
        load_image_set(zip_bytes(members))


def test_files_that_are_not_zips_and_missing_sources_are_one_sentence(tmp_path):
    bogus = tmp_path / "photos.zip"
    bogus.write_bytes(encode(picture(0)))
    with pytest.raises(InputError, match="The zip photos.zip is not a zip archive genart can read"):
        load_image_set(str(bogus))
    with pytest.raises(InputError, match="Please upload a zip of pictures first"):
        load_image_set(None)
    assert count_files(str(bogus)) == 0


def test_size_limits_refuse_before_decoding(monkeypatch, tmp_path):
    data = zip_bytes(pictures(MIN_IMAGES), compression=zipfile.ZIP_STORED)
    monkeypatch.setattr(imagesets, "MAX_TOTAL_BYTES", len(data) // 2)
    with pytest.raises(InputError, match="looks like a zip bomb.*MB in all"):
        load_image_set(data)
    folder = tmp_path / "pics"
    folder.mkdir()
    for name, blob in pictures(MIN_IMAGES).items():
        (folder / name).write_bytes(blob)
    with pytest.raises(InputError, match="The folder pics is too large"):
        load_image_set(str(folder))


def test_the_image_limit_is_configurable(monkeypatch):
    data = zip_bytes(pictures(MIN_IMAGES + 1))
    monkeypatch.setenv("GENART_MAX_OWN_IMAGES", str(MIN_IMAGES))
    assert imagesets.max_images() == MIN_IMAGES
    with pytest.raises(InputError, match="holds 65 files; genart trains on at most 64 pictures"):
        load_image_set(data)
    assert len(load_image_set(data, limit=100)) == MIN_IMAGES + 1
    monkeypatch.setenv("GENART_MAX_OWN_IMAGES", "lots")
    assert imagesets.max_images() == 20_000
