"""Loading the fast style model: the TF-Hub handle as the tutorial does it (or its copy on Kaggle Models),
or the same network untrained.

``load_model()`` gives the model a run calls as ``model(content, style)[0]``:

* ``GENART_WEIGHTS=imagenet`` (the default): the tutorial's ``tensorflow_hub.load(handle)``, with
  ``handle`` from :func:`genart.fast_style.config.model_handle` (the tutorial's TF-Hub URL, or
  ``GENART_FAST_STYLE_MODEL``: another handle or a local folder holding the unpacked SavedModel),
  done in its two halves: :func:`locate` puts the model in a folder (``tensorflow_hub.resolve(handle)``,
  the download, which ``python -m genart weights`` also does alone) and ``tensorflow_hub.load(folder)``
  loads it. tfhub.dev handles redirect to Kaggle Models now, and that redirect has failed in waves
  (HTTP 403); when the tutorial's handle fails for a network reason, :func:`locate` falls back to
  the same model's Kaggle handle (:data:`~genart.fast_style.config.KAGGLE_HANDLE`, version
  :data:`~genart.fast_style.config.KAGGLE_VERSION`) through ``kagglehub.model_download``. Both are
  cached beside Keras' weights (on Spaces the persistent volume): TF-Hub's in ``TFHUB_CACHE_DIR``
  (:func:`cache_dir`), Kaggle's in ``KAGGLEHUB_CACHE`` (:func:`kaggle_cache_dir`), each unless the
  operator set it; so the model downloads once. A download in progress is on
  :mod:`genart.downloads`' channel. When loading fails (offline), :class:`~genart.errors.WeightsUnavailable`
  says in one sentence what to put where; the reason goes to the log.
* ``GENART_WEIGHTS=random``: :class:`genart.fast_style.networks.FastStyleNetwork` with seeded
  random weights (the same architecture and cost, untrained: its pictures are not the real thing).

Models are loaded once per process and per handle, under :data:`genart.models.BUILD_LOCK` (concurrent
requests share one load, and no other network is built meanwhile: two first imports of Keras at once
deadlock).
"""

from __future__ import annotations

import glob
import hashlib
import logging
import os
import subprocess
import sys
from dataclasses import dataclass

from .. import downloads, models
from ..errors import WeightsUnavailable
from ..paths import keras_home
from .config import DEFAULT_HANDLE, KAGGLE_HANDLE, KAGGLE_VERSION, MODEL_ENV, model_handle

#: The environment variables tensorflow_hub and kagglehub read their cache folders from.
CACHE_ENV = "TFHUB_CACHE_DIR"
KAGGLE_CACHE_ENV = "KAGGLEHUB_CACHE"
#: What the model is, on the download channel and in the weights command.
WHAT = "the fast style model"
#: Seconds a Kaggle download may take before it counts as failed.
KAGGLE_TIMEOUT = 1800

log = logging.getLogger("genart")
_cache: dict[tuple, object] = {}


def cache_dir() -> str:
    """Where hub downloads are kept: ``TFHUB_CACHE_DIR`` if set, else ``tfhub`` beside Keras' ``models`` folder."""
    return os.environ.get(CACHE_ENV) or os.path.join(keras_home(), "tfhub")


def kaggle_cache_dir() -> str:
    """Where Kaggle downloads are kept: ``KAGGLEHUB_CACHE`` if set, else ``kagglehub`` beside ``tfhub``."""
    return os.environ.get(KAGGLE_CACHE_ENV) or os.path.join(keras_home(), "kagglehub")


def is_folder(handle: str) -> bool:
    """Whether ``handle`` names a local folder rather than a URL."""
    return "://" not in handle


def hub_folder(handle: str) -> str:
    """The folder tensorflow_hub unpacks a URL handle into: its SHA-1 under :func:`cache_dir`."""
    return os.path.join(cache_dir(), hashlib.sha1(handle.encode("utf8")).hexdigest())


def kaggle_folder() -> str:
    """The folder kagglehub keeps the Kaggle copy of the tutorial's model in."""
    return os.path.join(kaggle_cache_dir(), "models", *KAGGLE_HANDLE.split("/"), str(KAGGLE_VERSION))


def _nonempty(folder: str) -> bool:
    return os.path.isdir(folder) and bool(os.listdir(folder))


def cached(handle: str | None = None) -> str | None:
    """The folder holding the model of ``handle`` (default :func:`model_handle`) on this machine, or None:
    the folder handle itself; tensorflow_hub's cache; for the tutorial's handle, also Kaggle's copy
    (complete: kagglehub marks it so)."""
    handle = handle or model_handle()
    if is_folder(handle):
        return handle if os.path.isdir(handle) else None
    if _nonempty(hub_folder(handle)):
        return hub_folder(handle)
    if handle == DEFAULT_HANDLE and _nonempty(kaggle_folder()) and os.path.isfile(kaggle_folder() + ".complete"):
        return kaggle_folder()
    return None


def resolve_hub(handle: str) -> str:
    """tensorflow_hub's resolver: the handle's model unpacked into :func:`cache_dir` (downloaded once)."""
    os.environ.setdefault(CACHE_ENV, cache_dir())  # an operator's own TFHUB_CACHE_DIR wins
    import tensorflow_hub as hub

    return hub.resolve(handle)


#: Run in a child process, so that kagglehub's progress bars and console log stay out of this process.
_KAGGLE_SCRIPT = "import sys, kagglehub; print(kagglehub.model_download(sys.argv[1]))"


def resolve_kaggle() -> str:
    """kagglehub's resolver: the Kaggle copy of the tutorial's model, downloaded once into
    :func:`kaggle_cache_dir` by ``kagglehub.model_download`` (in a child process, whose output is kept).

    Raises:
        OSError: the download failed (the reason: kagglehub's last line).
    """
    env = {**os.environ, KAGGLE_CACHE_ENV: kaggle_cache_dir()}
    env.setdefault("KAGGLEHUB_VERBOSITY", "error")
    handle = f"{KAGGLE_HANDLE}/{KAGGLE_VERSION}"
    try:
        done = subprocess.run([sys.executable, "-c", _KAGGLE_SCRIPT, handle], capture_output=True, text=True,
                              env=env, stdin=subprocess.DEVNULL, timeout=KAGGLE_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise TimeoutError(f"kagglehub did not download {handle} within {KAGGLE_TIMEOUT} s") from None
    lines = done.stdout.strip().splitlines()
    if done.returncode or not lines or not os.path.isdir(lines[-1]):
        reason = (done.stderr.strip().splitlines() or lines or ["no output"])[-1]
        raise OSError(f"kagglehub could not download {handle}: {reason}")
    return lines[-1]


def _hub_download_bytes(handle: str) -> int:
    """Bytes tensorflow_hub has unpacked so far (it fills ``<folder>.<task>.tmp``, then renames it)."""
    folder = hub_folder(handle)
    return downloads.folder_bytes(folder, *glob.glob(glob.escape(folder) + ".*.tmp"))


def locate(handle: str | None = None, report: downloads.Report | None = None) -> str:
    """The folder holding the model of ``handle`` (default :func:`model_handle`), downloading it first:
    tensorflow_hub's resolver, then for the tutorial's handle, when that fails for a network reason,
    kagglehub's. Downloads are announced on :mod:`genart.downloads`' channel (and to ``report``).

    Raises:
        OSError: no resolver could download it (the last one's reason); other exceptions of
            tensorflow_hub as they come.
    """
    handle = handle or model_handle()
    folder = cached(handle)
    if folder is not None:
        return folder
    if is_folder(handle):
        raise FileNotFoundError(f"{handle} (from {MODEL_ENV}) is not a folder")
    try:
        with downloads.announce(WHAT, handle, report, measure=lambda: _hub_download_bytes(handle)):
            return resolve_hub(handle)
    except OSError as exc:  # urllib's errors (an HTTP 403 after the redirect), timeouts, a page that is no archive
        if handle != DEFAULT_HANDLE:
            raise
        log.warning("downloading the fast style model from %s failed (%r); trying Kaggle Models' %s/%s",
                    handle, exc, KAGGLE_HANDLE, KAGGLE_VERSION)
    archive = os.path.join(os.path.dirname(kaggle_folder()), f"{KAGGLE_VERSION}.archive")
    with downloads.announce(WHAT, f"{KAGGLE_HANDLE}/{KAGGLE_VERSION}", report,
                            measure=lambda: downloads.folder_bytes(kaggle_folder(), archive)):
        return resolve_kaggle()


@dataclass(frozen=True)
class HubModel:
    """The fast style model as an entry of genart's downloads (:mod:`genart.catalogue`): what
    :class:`genart.downloads.CachedFile` is for a file.

    Attributes:
        source: the handle (or SavedModel folder) the app loads.
    """

    source: str
    what: str = WHAT

    @property
    def path(self) -> str:
        """The folder the model is in, or (not there yet) the one tensorflow_hub unpacks it into."""
        return cached(self.source) or (self.source if is_folder(self.source) else hub_folder(self.source))

    def present(self) -> bool:
        """Whether the model is on this machine (:func:`cached`)."""
        return cached(self.source) is not None

    def fetch(self, report: downloads.Report | None = None) -> str:
        """:func:`locate`: the model's folder, downloaded first when missing."""
        return locate(self.source, report)


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
    os.environ.setdefault(CACHE_ENV, cache_dir())  # before tensorflow_hub reads it
    try:
        import tensorflow_hub as hub
    except ImportError as exc:  # not installed, or its pkg_resources import fails (setuptools 82 and later)
        log.warning("importing tensorflow_hub failed: %r", exc)
        raise WeightsUnavailable(
            f"Could not load the fast style model {handle}: tensorflow_hub could not be imported (pip install "
            f"-r requirements.txt installs it); or set {models.WEIGHTS_ENV}=random to run the same network "
            "untrained.") from None
    try:
        model = hub.load(locate(handle))
        if not callable(model):
            raise TypeError("the SavedModel has no __call__ (not the arbitrary-image-stylization model)")
    except Exception as exc:  # urllib, kagglehub, tensorflow_hub and SavedModel errors alike
        log.warning("loading the fast style model %s failed: %r", handle, exc)
        raise WeightsUnavailable(unavailable_message(handle)) from None
    return model


def unavailable_message(handle: str) -> str:
    """The one sentence a failed load shows: which model, where to put it, how to run without it."""
    if is_folder(handle):
        where = f"{handle} (from {MODEL_ENV}) is not a SavedModel folder of that model"
    elif handle == DEFAULT_HANDLE:
        where = (f"neither {handle} nor its copy on Kaggle Models ({KAGGLE_HANDLE}, version {KAGGLE_VERSION}) "
                 f"could be downloaded (is this machine offline?); they are kept in {cache_dir()} and "
                 f"{kaggle_cache_dir()} once downloaded (`python -m genart weights` fetches the model ahead), "
                 f"or set {MODEL_ENV} to a folder holding the unpacked SavedModel")
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
