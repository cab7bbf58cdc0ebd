"""The DCGAN's training images as one tensor, shared by every trainer that trains on the same data.

A loaded dataset (MNIST, Fashion-MNIST: 47 MB) is kept for good, once; a visitor's own pictures are
shared by content digest by the trainers on them and freed with the last one.
"""

from __future__ import annotations

import weakref

import numpy as np
import tensorflow as tf

from .data import OWN
from ..errors import InputError
from .config import OWN_SIDE, SIDE
from .networks import BUILD_LOCK, architecture_for

_shared_images: dict[tuple[str, str], tf.Tensor] = {}
_shared_own: "weakref.WeakValueDictionary[tuple[str, str], tf.Tensor]" = weakref.WeakValueDictionary()


def images_tensor(data: np.ndarray, shared_key: tuple[str, str] | None) -> tf.Tensor:
    """``data`` (uint8 N×H×W×C) as a tensor: the same tensor for every trainer with the same
    ``shared_key`` (``(dataset, source)``, or ``("own", digest)``); None: a tensor of its own."""
    if shared_key is None:
        return tf.constant(data)
    shared = _shared_own if shared_key[0] == OWN else _shared_images
    with BUILD_LOCK:
        tensor = shared.get(shared_key)
        if tensor is None:
            tensor = shared[shared_key] = tf.constant(data)
        return tensor


def as_images(data) -> np.ndarray:
    """Training images as uint8 N×H×W×C (N×28×28 digits gain their channel axis).

    Raises:
        InputError: not uint8 digits (N×28×28[×1]) or own pictures (N×32×32×C, C = 1 or 3).
    """
    data = np.asarray(data)
    if data.dtype == np.uint8 and data.ndim == 3 and data.shape[1:] == (SIDE, SIDE):
        data = data[..., None]
    if data.dtype != np.uint8 or data.ndim != 4 or not len(data) or architecture_for(data.shape[1:]) is None:
        raise InputError(f"data must be uint8 images of shape N×{SIDE}×{SIDE} (digits) or N×{OWN_SIDE}×{OWN_SIDE}×C "
                         f"with C 1 or 3 (own pictures); got {data.dtype} {data.shape}.")
    return data


def batch_pipeline(images: tf.Tensor, order: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> tf.data.Dataset:
    """Batches ``images[order[s:s + n]]`` for each (s, n) of ``starts`` and ``sizes``, gathered two
    ahead in the background, in order."""
    flat = tf.constant(order)
    return (tf.data.Dataset.from_tensor_slices((starts.astype(np.int32), sizes.astype(np.int32)))
            .map(lambda s, n: tf.gather(images, flat[s:s + n]), num_parallel_calls=2, deterministic=True)
            .prefetch(2))
