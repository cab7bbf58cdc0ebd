"""Where genart's shipped files are: ``assets/`` in a source checkout, ``genart/assets`` once installed.

``pip install .`` installs the repository's top-level ``assets/`` folder as ``genart/assets``
(see pyproject.toml); a checkout run in place (``python app.py``, the tests) reads ``assets/``
next to the package. Nothing here depends on the current directory.
"""

from __future__ import annotations

import os

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
    """Keras' own folder for downloads: ``$KERAS_HOME``, by default ``~/.keras`` (on Spaces,
    :func:`genart.ui.server.configure_environment` points it at the persistent volume)."""
    return os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")


def keras_cache(kind: str) -> str:
    """Where Keras keeps downloads of ``kind``: ``"models"`` (weights) or ``"datasets"``."""
    return os.path.join(keras_home(), kind)
