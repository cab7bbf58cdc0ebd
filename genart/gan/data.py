"""Digit datasets for the DCGAN: Keras' MNIST / Fashion-MNIST, or the MNIST sample genart ships.

:func:`load_digits` returns the training images exactly as ``keras.datasets`` gives them
(uint8 N×28×28), read from the files ``keras.datasets`` keeps in Keras' cache (``$KERAS_HOME/datasets``,
by default ``~/.keras/datasets``; :data:`DATA_FILES`), downloaded there once through
:mod:`genart.downloads` (so a first training run can show the download; ``python -m genart weights``
fetches them ahead). When that is impossible (offline), MNIST falls back to 5 000 real digits
shipped in ``assets/mnist_5k.npz`` and the result says so; Fashion-MNIST has no offline copy and
raises :class:`~genart.errors.DataUnavailable` with a sentence saying what to do. A visitor's own
pictures (dataset ``"own"``) come from :mod:`genart.gan.imagesets` instead.

Loaded datasets are kept for the life of the process (guarded by a lock); callers never modify them.
"""

from __future__ import annotations

import gzip
import logging
import os
import threading
from dataclasses import dataclass

import numpy as np

from ..downloads import CachedFile
from ..errors import DataUnavailable, InputError
from ..paths import asset

#: Dataset names accepted by :func:`load_digits` (the ``keras.datasets`` module names).
DATASETS = ("mnist", "fashion_mnist")
#: The DCGAN's third dataset: a visitor's own pictures, loaded by :func:`genart.gan.imagesets.load_image_set`.
OWN = "own"
#: Human names for the UI.
DATASET_LABELS = {"mnist": "MNIST digits", "fashion_mnist": "Fashion-MNIST", OWN: "Your pictures (zip)"}
#: The shipped offline sample (see assets/mnist_5k.NOTICE.md for its source and licence).
SUBSET_PATH = asset("mnist_5k.npz")
#: How the shipped sample is split, everywhere: a fixed permutation (``numpy.random.default_rng(0)``),
#: its first :data:`TRAIN_DIGITS` digits to train on, the other 1 000 held out. The networks genart
#: trains on digits (the meter's classifier, the projected discriminator's feature network, the
#: Fréchet yardstick's network) learn from the training part only; the held-out part sets the meter's
#: real-digit line and is the Fréchet distance's reference.
TRAIN_DIGITS = 4000
SUBSET_NOTE = ("MNIST could not be downloaded (offline?), so training uses the 5 000 real MNIST digits "
               "shipped with genart (assets/mnist_5k.npz, CC BY-SA 3.0).")

_KERAS_DATASETS = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
#: The files each dataset is read from, as ``keras.datasets`` names, fetches (and, for MNIST, checks) them;
#: Fashion-MNIST's training split only, the part genart reads.
DATA_FILES = {
    "mnist": (CachedFile("MNIST (the DCGAN's digits)", "mnist.npz", _KERAS_DATASETS + "mnist.npz",
                         "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1", "datasets"),),
    "fashion_mnist": tuple(
        CachedFile(f"Fashion-MNIST's training {part}", name, _KERAS_DATASETS + name, None,
                   os.path.join("datasets", "fashion-mnist"))
        for part, name in (("labels", "train-labels-idx1-ubyte.gz"), ("images", "train-images-idx3-ubyte.gz"))),
}

_lock = threading.Lock()
_cache: dict[str, "Digits"] = {}


@dataclass(frozen=True)
class Digits:
    """A loaded training set.

    Attributes:
        images: uint8 N×28×28, as ``keras.datasets`` returns them.
        labels: uint8 N.
        name: ``"mnist"`` or ``"fashion_mnist"``.
        source: ``"keras"`` (the full training set) or ``"shipped subset"``.
        note: a sentence for the UI when the data is not what was asked for ("" otherwise).
    """

    images: np.ndarray
    labels: np.ndarray
    name: str
    source: str
    note: str = ""

    def __len__(self) -> int:
        return len(self.images)


def load_digits(name: str = "mnist") -> Digits:
    """The training images of ``name`` from Keras' cache/download, else the shipped MNIST sample.

    Args:
        name: ``"mnist"`` or ``"fashion_mnist"``.

    Returns:
        :class:`Digits`; ``source`` and ``note`` say whether the offline sample is in use.

    Raises:
        InputError: unknown ``name``.
        DataUnavailable: Fashion-MNIST (or MNIST without the shipped sample) cannot be loaded.
    """
    if name not in DATASETS:
        raise InputError(f"dataset must be one of {', '.join(DATASETS)}, not {name!r}.")
    with _lock:
        if name not in _cache:
            _cache[name] = _load(name)
        return _cache[name]


def mnist_cached() -> bool:
    """Whether Keras already holds the full MNIST (``mnist.npz``), so :func:`load_digits` needs no download."""
    return all(item.present() for item in DATA_FILES["mnist"])


def load_shipped_subset() -> Digits:
    """The 5 000-digit MNIST sample in ``assets/`` (500 per label)."""
    try:
        with np.load(SUBSET_PATH, allow_pickle=False) as npz:
            images, labels = npz["images"], npz["labels"]
    except (OSError, KeyError, ValueError) as exc:
        raise DataUnavailable(f"The shipped MNIST sample {SUBSET_PATH} could not be read ({exc}); "
                              "rebuild it with `python assets/make_mnist_subset.py`.") from None
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28) or len(labels) != len(images):
        raise DataUnavailable(f"{SUBSET_PATH} does not hold uint8 N×28×28 images with labels; "
                              "rebuild it with `python assets/make_mnist_subset.py`.")
    return Digits(images, labels.astype(np.uint8), "mnist", "shipped subset", SUBSET_NOTE)


def shipped_split(n: int = 5000) -> tuple[np.ndarray, np.ndarray]:
    """(training indices, held-out indices) of the shipped sample's ``n`` digits, each sorted (see :data:`TRAIN_DIGITS`)."""
    order = np.random.default_rng(0).permutation(n)
    return np.sort(order[:TRAIN_DIGITS]), np.sort(order[TRAIN_DIGITS:])


def _keras_load(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The training split of ``name`` as ``keras.datasets.<name>.load_data()`` reads it, from the same
    files in Keras' cache (downloaded there first when missing)."""
    paths = [item.fetch() for item in DATA_FILES[name]]
    if name == "mnist":
        with np.load(paths[0], allow_pickle=False) as npz:
            return npz["x_train"], npz["y_train"]
    with gzip.open(paths[0], "rb") as f:  # IDX files: a 8-byte header for labels, 16 for images
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    with gzip.open(paths[1], "rb") as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(len(labels), 28, 28)
    return images, labels


def _load(name: str) -> Digits:
    try:
        images, labels = _keras_load(name)
    except Exception as exc:  # a failed download (OSError), an unreadable file
        logging.getLogger("genart").warning("loading %s failed: %r", name, exc)
        if name == "mnist" and os.path.exists(SUBSET_PATH):
            return load_shipped_subset()
        raise DataUnavailable(
            f"{DATASET_LABELS[name]} could not be downloaded ({type(exc).__name__}) and genart ships no "
            f"offline copy of it. Connect to the internet once (Keras keeps it in "
            f"{os.path.dirname(DATA_FILES[name][0].path)}; `python -m genart weights` fetches it ahead) or choose "
            "MNIST digits, which fall back to the sample shipped with genart."
        ) from None
    return Digits(np.asarray(images, np.uint8), np.asarray(labels, np.uint8), name, "keras")
