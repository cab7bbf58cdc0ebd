"""Loading the fast style model: the TF-Hub handle as the tutorial does it, or the same network untrained.

``load_model()`` gives the model a run calls as ``model(content, style)[0]``:

* ``GENART_WEIGHTS=imagenet`` (the default): ``tensorflow_hub.load(handle)`` exactly as the style
  tutorial does, with ``handle`` from :func:`genart.fast_style.config.model_handle` (the tutorial's
  TF-Hub URL, or ``GENART_FAST_STYLE_MODEL``: another handle or a local folder holding the
  unpacked SavedModel). Downloads go to ``TFHUB_CACHE_DIR``, which is set, unless the operator set
  it, to ``tfhub`` beside Keras' weights (:func:`cache_dir`; on Spaces the persistent volume), so
  the model downloads once. When loading fails (offline), :class:`~genart.errors.WeightsUnavailable`
  says in one sentence what to put where; the reason goes to the log.
* ``GENART_WEIGHTS=random``: :class:`genart.fast_style.networks.FastStyleNetwork` with seeded
  random weights (the same architecture and cost, untrained: its pictures are not the real thing).

Models are loaded once per process and per handle, under :data:`genart.models.BUILD_LOCK` (concurrent
requests share one load, and no other network is built meanwhile: two first imports of Keras at once
deadlock).
"""

from __future__ import annotations

import logging
import os

from .. import models
from ..errors import WeightsUnavailable
from ..paths import keras_home
from .config import MODEL_ENV, model_handle

#: The environment variable tensorflow_hub reads its cache folder from.
CACHE_ENV = "TFHUB_CACHE_DIR"

_cache: dict[tuple, object] = {}


def cache_dir() -> str:
    """Where hub downloads are kept: ``TFHUB_CACHE_DIR`` if set, else ``tfhub`` beside Keras' ``models`` folder."""
    return os.environ.get(CACHE_ENV) or os.path.join(keras_home(), "tfhub")


def is_folder(handle: str) -> bool:
    """Whether ``handle`` names a local folder rather than a URL."""
    return "://" not in handle


def load_model(weights: str | None = None, handle: str | None = None):
    """The cached fast style model: called as ``model(content, style)[0]`` (float32 [1, H, W, 3] in [0, 1]).

    Args:
        weights: ``"imagenet"`` (the pretrained hub model) or ``"random"``; None: ``genart.models.weights_mode()``.
        handle: the hub handle or SavedModel folder; None: :func:`genart.fast_style.config.model_handle`.

    Raises:
        WeightsUnavailable: the pretrained model cannot be loaded (one sentence naming the handle).
    """
    weights = weights or models.weights_mode()
    if weights == "random":
        key = ("random", models.RANDOM_SEED)
    else:
        key = ("hub", handle or model_handle())
    with models.BUILD_LOCK:
        if key not in _cache:
            _cache[key] = _build(key)
        return _cache[key]


def _build(key: tuple):
    if key[0] == "random":
        from .networks import FastStyleNetwork

        return FastStyleNetwork(seed=key[1])
    return _load_hub(key[1])


def _load_hub(handle: str):
    os.environ.setdefault(CACHE_ENV, cache_dir())  # an operator's own TFHUB_CACHE_DIR wins
    try:
        import tensorflow_hub as hub
    except ImportError as exc:  # not installed, or its pkg_resources import fails (setuptools 82 and later)
        logging.getLogger("genart").warning("importing tensorflow_hub failed: %r", exc)
        raise WeightsUnavailable(
            f"Could not load the fast style model {handle}: tensorflow_hub could not be imported (pip install "
            f"-r requirements.txt installs it); or set {models.WEIGHTS_ENV}=random to run the same network "
            "untrained.") from None
    try:
        model = hub.load(handle)
        if not callable(model):
            raise TypeError("the SavedModel has no __call__ (not the arbitrary-image-stylization model)")
    except Exception as exc:  # urllib, tensorflow_hub and SavedModel errors alike
        logging.getLogger("genart").warning("loading the fast style model %s failed: %r", handle, exc)
        raise WeightsUnavailable(unavailable_message(handle)) from None
    return model


def unavailable_message(handle: str) -> str:
    """The one sentence a failed load shows: which model, where to put it, how to run without it."""
    if is_folder(handle):
        where = f"{handle} (from {MODEL_ENV}) is not a SavedModel folder of that model"
    else:
        where = (f"{handle} could not be downloaded (is this machine offline?); it is kept in {cache_dir()} "
                 f"once downloaded, or set {MODEL_ENV} to a folder holding the unpacked SavedModel")
    return (f"Could not load the fast style model: {where}; or set {models.WEIGHTS_ENV}=random "
            "to run the same network untrained.")


def model_label(weights: str | None = None) -> str:
    """One line for the UI saying which fast style model is in use."""
    if (weights or models.weights_mode()) == "random":
        return ("Random, untrained weights (GENART_WEIGHTS=random): the fast network's pictures show the "
                "mechanics, not what the pretrained network paints.")
    return f"Magenta's arbitrary-image-stylization network (Ghiasi et al. 2017) from {model_handle()}."


def model_facts(weights: str | None = None) -> dict:
    """What a fast recipe's run facts say about the network that painted: ``{"model": handle}`` (the hub
    handle or SavedModel folder), or ``{"model": "random"}`` (the untrained network)."""
    return {"model": "random" if (weights or models.weights_mode()) == "random" else model_handle()}


def clear_cache() -> None:
    """Forget the loaded models (tests; a changed ``GENART_FAST_STYLE_MODEL``)."""
    with models.BUILD_LOCK:
        _cache.clear()
