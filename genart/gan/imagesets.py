"""A visitor's own pictures as a DCGAN training set: a zip or a folder → uint8 N×32×32×C.

:func:`load_image_set` reads every file of a ``.zip`` archive (or of a folder, recursively) into
memory, decodes it with genart's own safe decoder (:func:`genart.images.load_image`: the same
pixel limit, modes, EXIF orientation and transparency handling as any upload), centre-crops it
to a square and resizes it to 32×32. The result is colour (C = 3) or grey (C = 1): ``"auto"``
takes grey when every picture is grey, or the caller forces one.

What is refused, each with one sentence (:class:`~genart.errors.InputError`):

* a file that is not a zip archive, an encrypted one, or an empty one;
* a zip bomb: more than :data:`MAX_TOTAL_BYTES` uncompressed in all, a member larger than
  :data:`MAX_FILE_BYTES`, or an archive that expands more than :data:`MAX_RATIO` times;
* archives inside the archive (by name or by their first bytes);
* more files than the image limit (:func:`max_images`: 20 000, ``GENART_MAX_OWN_IMAGES``), or
  fewer than :data:`MIN_IMAGES` usable pictures.

Files that are not pictures (or damaged ones) are skipped and named in the set's ``note`` (the
first few); hidden files and macOS' ``__MACOSX/`` folder are ignored. Member names are only ever
shown in sentences, never used as paths: nothing is extracted to disk.

A loaded :class:`ImageSet` has a content ``digest`` (SHA-256 of its pixels), so trainers on the
same pictures share one copy of them and recipes fingerprint the data.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Iterator, Union

import numpy as np

from ..errors import InputError
from ..images import load_image, resize

#: Side of the training images made from own pictures.
IMAGE_SIDE = 32
#: Fewest usable pictures a training set needs.
MIN_IMAGES = 64
#: Most pictures by default; ``GENART_MAX_OWN_IMAGES`` sets another limit.
DEFAULT_MAX_IMAGES, MAX_IMAGES_ENV = 20_000, "GENART_MAX_OWN_IMAGES"
#: Zip-bomb limits: bytes uncompressed in all, bytes per file, and the expansion ratio of the archive.
MAX_TOTAL_BYTES, MAX_FILE_BYTES, MAX_RATIO = 1 << 30, 64 << 20, 100
#: Pictures are first decoded with their longer side at most this (fast JPEG draft decoding).
DECODE_DIM = 4 * IMAGE_SIDE
#: ``colour`` choices: grey when every picture is, always three channels, always one.
COLOURS = ("auto", "colour", "grey")
#: An image counts as grey when its channels differ by at most this on average (JPEG noise) …
GREY_MEAN_DIFF, GREY_MAX_DIFF = 1.5, 24
#: Names and first bytes of archives, which are refused inside an archive.
ARCHIVE_SUFFIXES = (".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".zst", ".jar", ".cbz")
ARCHIVE_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"7z\xbc\xaf\x27\x1c", b"Rar!", b"BZh",
                 b"\xfd7zXZ", b"\x28\xb5\x2f\xfd")
#: How many skipped file names a sentence lists.
NAMES_SHOWN = 5

Source = Union[str, "os.PathLike[str]", bytes, io.IOBase]


@dataclass(frozen=True, eq=False)
class ImageSet:
    """Training pictures loaded by :func:`load_image_set`.

    Attributes:
        images: uint8 N×32×32×C (C = 1 grey or 3 colour); never modified.
        digest: ``"sha256:"`` + 16 hex digits of the pixels and shape: equal pictures, equal digest.
        name: what was loaded, for messages (a file or folder name, no path).
        skipped: names of files that were not usable pictures, in order.
        note: a sentence about the skipped files ("" when none were).
    """

    images: np.ndarray
    digest: str
    name: str
    skipped: tuple[str, ...] = ()
    note: str = ""

    def __len__(self) -> int:
        return len(self.images)

    @property
    def channels(self) -> int:
        """1 (grey) or 3 (colour)."""
        return int(self.images.shape[-1])


def max_images() -> int:
    """The most pictures a set may hold: ``GENART_MAX_OWN_IMAGES`` if it is a whole number ≥ 64, else 20 000."""
    raw = os.environ.get(MAX_IMAGES_ENV, "").strip()
    try:
        value = int(raw)
    except ValueError:
        return DEFAULT_MAX_IMAGES
    return value if value >= MIN_IMAGES else DEFAULT_MAX_IMAGES


def digest(images: np.ndarray) -> str:
    """The content digest of a uint8 image array (shape and pixels)."""
    images = np.ascontiguousarray(images)
    h = hashlib.sha256("x".join(map(str, images.shape)).encode() + b":")
    h.update(images.tobytes())
    return "sha256:" + h.hexdigest()[:16]


def load_image_set(source: Source, colour: str = "auto", *, limit: int | None = None) -> ImageSet:
    """Decode a zip archive or a folder of pictures into a 32×32 training set.

    Args:
        source: a path to a ``.zip`` file or to a folder (from trusted code: the command line, or
            Gradio's upload cache), or a zip archive's bytes or binary file object.
        colour: ``"auto"`` (grey when every picture is grey), ``"colour"`` or ``"grey"``.
        limit: most pictures accepted; None: :func:`max_images`.

    Returns:
        An :class:`ImageSet`, pictures in the order of their names.

    Raises:
        InputError: the source cannot be used (see the module's docstring), or fewer than
            :data:`MIN_IMAGES` pictures could be decoded.
    """
    if colour not in COLOURS:
        raise InputError(f"colour must be one of {', '.join(COLOURS)}; got {colour!r}.")
    limit = max_images() if limit is None else int(limit)
    name, members = _open(source, limit)
    pictures, skipped = [], []
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:  # Pillow decodes without the GIL
        for chunk in _chunks(members, 64):  # a bounded number of files in memory at a time
            for (label, _), picture in zip(chunk, pool.map(_square, chunk)):
                if picture is None:
                    skipped.append(label)
                else:
                    pictures.append(picture)
    if len(pictures) < MIN_IMAGES:
        found = f"only {len(pictures)} picture{'s' if len(pictures) != 1 else ''}" if pictures else "no pictures"
        extra = f" {_skipped_sentence(skipped)}" if skipped else ""
        raise InputError(f"{name} holds {found} genart can read; training needs at least {MIN_IMAGES}.{extra}")
    stack = np.stack(pictures)
    grey = colour == "grey" or (colour == "auto" and all(_is_grey(p) for p in pictures))
    if grey:
        luma = stack.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)  # ITU-R 601, as Pillow's "L"
        stack = np.clip(np.round(luma), 0, 255).astype(np.uint8)[..., None]
    stack.setflags(write=False)
    return ImageSet(stack, digest(stack), name, tuple(skipped), _skipped_sentence(skipped) if skipped else "")


def count_files(source: Source) -> int:
    """How many files :func:`load_image_set` would try to decode (cheap: no decoding); 0 if unreadable."""
    try:
        if _is_folder(source):
            return sum(1 for _ in _folder_paths(os.fspath(source)))
        with zipfile.ZipFile(_zip_file(source)) as zf:
            return sum(1 for info in zf.infolist() if _wanted(info.filename) and not info.is_dir())
    except (OSError, zipfile.BadZipFile, InputError, ValueError):
        return 0


# --- reading members into memory ------------------------------------------------------------------

def _chunks(members: Iterator[tuple[str, bytes]], size: int) -> Iterator[list[tuple[str, bytes]]]:
    chunk = []
    for member in members:
        chunk.append(member)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _is_folder(source) -> bool:
    return isinstance(source, (str, os.PathLike)) and os.path.isdir(source)


def _open(source: Source, limit: int) -> tuple[str, Iterator[tuple[str, bytes]]]:
    """(display name, iterator of (member name, bytes)) after the whole-archive checks."""
    if source is None:
        raise InputError("Please upload a zip of pictures first.")
    if _is_folder(source):
        folder = os.fspath(source)
        name = f"The folder {os.path.basename(os.path.normpath(folder)) or folder}"
        paths = list(_folder_paths(folder))
        _check_count(name, len(paths), limit)
        return name, _folder_members(name, folder, paths)
    name = f"The zip {os.path.basename(os.fspath(source))}" if isinstance(source, (str, os.PathLike)) else "The zip"
    try:
        zf = zipfile.ZipFile(_zip_file(source))
    except zipfile.BadZipFile:
        raise InputError(f"{name} is not a zip archive genart can read; upload a .zip of pictures.") from None
    except OSError:
        raise InputError(f"{name} could not be read.") from None
    infos = [info for info in zf.infolist() if not info.is_dir() and _wanted(info.filename)]
    if not infos:
        zf.close()
        raise InputError(f"{name} is empty: it holds no files.")
    try:
        _check_count(name, len(infos), limit)
        if any(info.flag_bits & 0x1 for info in infos):
            raise InputError(f"{name} is encrypted; upload a zip without a password.")
        _check_nested(name, [info.filename for info in infos])
        total = sum(info.file_size for info in infos)
        packed = sum(info.compress_size for info in infos)
        big = max(infos, key=lambda info: info.file_size)
        if total > MAX_TOTAL_BYTES or big.file_size > MAX_FILE_BYTES or \
                (total > 16 * MAX_RATIO * 1024 and total > MAX_RATIO * max(packed, 1)):
            raise InputError(f"{name} looks like a zip bomb: it would expand to {total / 1e6:,.0f} MB from "
                             f"{packed / 1e6:,.1f} MB (limits: {MAX_TOTAL_BYTES / 1e6:,.0f} MB in all, "
                             f"{MAX_FILE_BYTES / 1e6:,.0f} MB per file, {MAX_RATIO}× expansion).")
    except InputError:
        zf.close()
        raise
    return name, _zip_members(name, zf, sorted(infos, key=lambda info: info.filename))


def _zip_file(source):
    if isinstance(source, (bytes, bytearray)):
        return io.BytesIO(source)
    return source


def _zip_members(name: str, zf: zipfile.ZipFile, infos) -> Iterator[tuple[str, bytes]]:
    with zf:
        for info in infos:
            try:
                with zf.open(info) as fh:  # reads at most the declared size, which the checks above bounded
                    data = fh.read(MAX_FILE_BYTES + 1)
            except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError, ValueError, RuntimeError):
                data = b""  # damaged or unsupported member: skipped like a non-picture
            _check_nested(name, [info.filename], data)
            yield _label(info.filename), data


def _folder_paths(folder: str) -> Iterator[str]:
    for root, dirs, files in os.walk(folder):  # symlinked folders are not followed
        dirs[:] = sorted(d for d in dirs if _wanted(d + "/"))
        for file in sorted(files):
            path = os.path.join(root, file)
            if _wanted(file) and os.path.isfile(path):
                yield path


def _folder_members(name: str, folder: str, paths: list[str]) -> Iterator[tuple[str, bytes]]:
    total = 0
    for path in paths:
        label = os.path.relpath(path, folder)
        _check_nested(name, [label])
        size = os.path.getsize(path)
        total += size
        if size > MAX_FILE_BYTES or total > MAX_TOTAL_BYTES:
            raise InputError(f"{name} is too large: {label} takes it past the limits ({MAX_FILE_BYTES / 1e6:,.0f} MB "
                             f"per file, {MAX_TOTAL_BYTES / 1e6:,.0f} MB in all).")
        try:
            with open(path, "rb") as fh:
                data = fh.read(MAX_FILE_BYTES + 1)
        except OSError:
            data = b""
        _check_nested(name, [label], data)
        yield _label(label), data


def _wanted(name: str) -> bool:
    """False for macOS metadata (``__MACOSX/``, ``._x``) and hidden files, which are not the user's pictures."""
    parts = [p for p in name.replace("\\", "/").split("/") if p]
    return bool(parts) and not any((p.startswith(".") and p not in (".", "..")) or p == "__MACOSX" for p in parts)


def _label(name: str) -> str:
    """A member name made safe to show in a sentence (printable, at most 60 characters)."""
    text = "".join(c if c.isprintable() else "?" for c in name)
    return text if len(text) <= 60 else "…" + text[-59:]


def _check_count(name: str, count: int, limit: int) -> None:
    if count > limit:
        raise InputError(f"{name} holds {count:,} files; genart trains on at most {limit:,} pictures. "
                         "Remove some and try again.")


def _check_nested(name: str, names: list[str], data: bytes | None = None) -> None:
    nested = [n for n in names if n.lower().endswith(ARCHIVE_SUFFIXES)]
    if data is not None and (data.startswith(ARCHIVE_MAGIC) or data[257:262] == b"ustar"):
        nested = names
    if nested:
        raise InputError(f"{name} contains another archive ({_label(nested[0])}); archives inside archives are "
                         "not opened. Put the pictures themselves in one zip.")


# --- decoding -------------------------------------------------------------------------------------

def _square(member: tuple[str, bytes]) -> np.ndarray | None:
    """A member's picture centre-cropped to a square and resized to 32×32 RGB; None if it is not a picture."""
    label, data = member
    try:
        rgb = load_image(data, DECODE_DIM, what=f"picture {label}", min_side=8)
    except InputError:
        return None
    h, w = rgb.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    return resize(np.ascontiguousarray(rgb[top:top + side, left:left + side]), IMAGE_SIDE, IMAGE_SIDE)


def _is_grey(rgb: np.ndarray) -> bool:
    diff = np.abs(rgb[..., :2].astype(np.int16) - rgb[..., 1:].astype(np.int16))
    return float(diff.mean()) <= GREY_MEAN_DIFF and int(diff.max()) <= GREY_MAX_DIFF


def _skipped_sentence(skipped: list[str] | tuple[str, ...]) -> str:
    shown = ", ".join(skipped[:NAMES_SHOWN])
    more = f" and {len(skipped) - NAMES_SHOWN:,} more" if len(skipped) > NAMES_SHOWN else ""
    n = len(skipped)
    return (f"{n:,} file{'s' if n != 1 else ''} {'are' if n != 1 else 'is'} not {'pictures' if n != 1 else 'a picture'}"
            f" genart can read and {'were' if n != 1 else 'was'} skipped: {shown}{more}.")
