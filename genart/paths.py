"""Where genart's shipped files are: ``assets/`` in a source checkout, ``genart/assets`` once installed.

``pip install .`` installs the repository's top-level ``assets/`` folder as ``genart/assets``
(see pyproject.toml); a checkout run in place (``python app.py``, the tests) reads ``assets/``
next to the package. Nothing here depends on the current directory.
"""

from __future__ import annotations

import os
from typing import MutableMapping

_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def assets_dir() -> str:
    """The folder holding the example pictures, the paintings and the offline MNIST sample."""
    installed = os.path.join(_PACKAGE, "assets")
    if os.path.isdir(installed):
        return installed
    return os.path.join(os.path.dirname(_PACKAGE), "assets")


def asset(name: str) -> str:
    """The path of the shipped file ``name`` (e.g. ``"mnist_5k.npz"``)."""
    return os.path.join(assets_dir(), name)


def keras_home() -> str:
    """Keras' own folder for downloads: ``$KERAS_HOME``, by default ``~/.keras`` (on Spaces with
    persistent storage, :func:`use_persistent_storage` points it at the volume)."""
    return os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")


def keras_cache(kind: str) -> str:
    """Where Keras keeps downloads of ``kind``: ``"models"`` (weights) or ``"datasets"``."""
    return os.path.join(keras_home(), kind)


#: Where Hugging Face Spaces mounts persistent storage, when the Space has it.
SPACES_DATA_DIR = "/data"


def on_spaces(environ: MutableMapping[str, str] = os.environ) -> bool:
    """True on Hugging Face Spaces (which sets ``SPACE_ID``)."""
    return bool(environ.get("SPACE_ID"))


def use_persistent_storage(environ: MutableMapping[str, str] = os.environ, data_dir: str = SPACES_DATA_DIR) -> None:
    """On Spaces with persistent storage, keep Keras' weights and datasets there across restarts
    (``KERAS_HOME=/data/.keras``; the TF-Hub and Kaggle caches follow it). Call it before Keras is
    imported (Keras reads ``KERAS_HOME`` once, at import): the app's server and the command line do.

    Nothing changes elsewhere, nor when the operator has set ``KERAS_HOME``.
    """
    if on_spaces(environ) and "KERAS_HOME" not in environ and os.path.isdir(data_dir) \
            and os.access(data_dir, os.W_OK):
        environ["KERAS_HOME"] = os.path.join(data_dir, ".keras")
