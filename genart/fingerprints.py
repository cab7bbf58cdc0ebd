"""Fingerprints of a run's inputs: a short SHA-256 of each picture's decoded pixels (or of a mask's
coverage), so a recipe can say which pictures a result was made from without storing them."""

from __future__ import annotations

import hashlib
import os
from typing import Any, Mapping

import numpy as np


def is_digest(value) -> bool:
    """Whether ``value`` is already a fingerprint (``"sha256:…"``), as :func:`image_digest` and
    :func:`mask_digest` write them."""
    return isinstance(value, str) and value.startswith("sha256:")


def image_digest(image, what: str = "image") -> str:
    """``"sha256:"`` + the first 16 hex digits of the SHA-256 of an image's decoded RGB pixels and size.

    ``image`` is anything :func:`genart.images.load_image` accepts; it is decoded at full size
    (``what`` names it in an error).
    """
    from .images import load_image

    rgb = np.ascontiguousarray(load_image(image, what=what, min_side=1))
    digest = hashlib.sha256(f"{rgb.shape[0]}x{rgb.shape[1]}:".encode())
    digest.update(rgb.tobytes())
    return "sha256:" + digest.hexdigest()[:16]


def mask_digest(mask, what: str = "mask") -> str:
    """``"sha256:"`` + 16 hex digits of a mask's coverage (white or painted = 1) as 8-bit values at its
    own size: what the run reads from it, so a painted stroke and its black-and-white export agree,
    and painted layers (white RGB, the stroke in alpha) are told apart by their alpha.

    ``mask`` is anything :func:`genart.masks.load_mask` accepts; an empty mask raises its InputError.
    """
    from PIL import Image

    from .masks import decode_mask, load_mask

    if isinstance(mask, Image.Image):
        mask = np.asarray(mask.convert("RGBA") if "A" in mask.mode or mask.mode == "P" else mask.convert("L"))
    elif not isinstance(mask, np.ndarray):
        mask = decode_mask(mask, what)
    cover = np.round(load_mask(mask, np.shape(mask)[:2], what=what)[:, :, 0] * 255).astype(np.uint8)
    digest = hashlib.sha256(f"mask {cover.shape[0]}x{cover.shape[1]}:".encode())
    digest.update(cover.tobytes())
    return "sha256:" + digest.hexdigest()[:16]


#: How an input is named in a message about it (a recipe input's name → words).
INPUT_WORDS = {"image": "image", "content": "content image", "styles": "style image", "guide": "guide image",
               "init_image": "initial image", "mask": "mask", "dataset": "dataset",
               "previous": "previous painted frame"}


def fingerprints(inputs: Mapping[str, Any]) -> dict:
    """``inputs`` (name → an image, a list of images, a ``"sha256:…"`` digest, or None) with every image
    replaced by its :func:`image_digest`; None entries are left out. An image that cannot be read
    raises its InputError, naming it (``"the style image photo.png"``) when it is a path."""
    def fingerprint(name, image):
        if is_digest(image):
            return image
        words = INPUT_WORDS.get(name, name.replace("_", " "))
        return image_digest(image, f"{words} {image}" if isinstance(image, (str, os.PathLike)) else words)

    digests = {}
    for name, value in inputs.items():
        if isinstance(value, (list, tuple)):
            digests[name] = [fingerprint(name, v) for v in value]
        elif value is not None:
            digests[name] = fingerprint(name, value)
    return digests
