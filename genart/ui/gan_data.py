"""The DCGAN tab's data: how many training images are here (the 5 000 digits genart ships, while
Keras has no MNIST cached), the epochs and examples sliders that follow from that, and the visitor's
own pictures from an uploaded zip."""

from __future__ import annotations

import functools
import os

import gradio as gr

from ..errors import InputError
from ..gan import DEFAULT_PRESET, DIGIT_STEPS, PRESETS, epochs_for_steps
from ..gan.data import OWN, SUBSET_PATH, load_shipped_subset, mnist_cached
from ..gan.imagesets import MIN_IMAGES, load_image_set, max_images
from .inputs import as_number

_START = PRESETS[DEFAULT_PRESET]
#: Examples per epoch: the slider's maximum means the whole training set (60 000 for MNIST).
MAX_EXAMPLES = 60_000
#: Epochs of Continue (and of Train on own pictures); Train on MNIST starts at :func:`default_epochs`.
UI_EPOCHS = 1
EPOCHS_SLIDER_MAX = 50


def load_pictures(dataset, zip_path, colour):
    """The uploaded zip as an ImageSet when the dataset is "own" (None otherwise)."""
    if dataset != OWN:
        return None
    if not zip_path:
        raise InputError(f"Upload a zip of your pictures first (at least {MIN_IMAGES}, at most {max_images():,}).")
    return load_image_set(zip_path, str(colour))


def default_epochs(dataset) -> int:
    """The Epochs slider's start for ``dataset``: on MNIST, enough epochs of the digits there for
    about :data:`DIGIT_STEPS` steps of the default preset (1 epoch of 60 000, 7 of the 5 000 shipped);
    otherwise :data:`UI_EPOCHS`."""
    n = examples_available(str(dataset)) if dataset == "mnist" else 0
    return min(EPOCHS_SLIDER_MAX, epochs_for_steps(_START, DIGIT_STEPS, n)) if n else UI_EPOCHS


def examples_available(dataset) -> int:
    """Training images of ``dataset`` that Train will draw from, found without loading or downloading.

    The full training set when Keras has it cached (or already loaded here); otherwise, for MNIST,
    the 5 000 digits shipped with genart: all there is offline, and what an epoch draws at most
    until the first download has landed in the cache. Fashion-MNIST has no offline copy: 60 000.
    """
    if dataset == "mnist" and not mnist_cached():
        return _shipped_size() if os.path.isfile(SUBSET_PATH) else MAX_EXAMPLES
    return MAX_EXAMPLES


@functools.lru_cache(maxsize=1)
def _shipped_size() -> int:
    return len(load_shipped_subset())


def examples_slider(dataset, examples=MAX_EXAMPLES):
    """The examples slider for ``dataset``: its range ends at the images really there (5 000 offline)."""
    n = examples_available(str(dataset))
    value = as_number(examples, "examples_per_epoch") if examples is not None else n
    # the range stays 100–60 000 (API calls may send up to it; training draws at most n)
    return gr.update(value=n if value >= n or value == MAX_EXAMPLES else value, info=examples_info(n))


def examples_info(n: int) -> str:
    """The examples slider's info line when ``n`` training images are here."""
    return (f"Drawn at random each epoch, at most {n:,}: all the training images there are here. "
            "A full MNIST epoch (60,000) takes minutes on 2 CPU cores.")
