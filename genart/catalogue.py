"""Everything the app can download, in one list: what ``python -m genart weights`` fetches ahead and
``--check`` looks for.

Each entry has ``what`` (for people), ``source`` (a file name or model handle), ``path`` (where the
loaders look), ``present()`` and ``fetch(report)`` (download when missing, progress on
:mod:`genart.downloads`' channel): :class:`genart.downloads.CachedFile` for Keras' files,
:class:`genart.fast_style.HubModel` for the fast style model.
"""

from __future__ import annotations

from . import models
from .downloads import CachedFile
from .fast_style import HubModel, model_handle
from .gan.data import DATA_FILES


def everything() -> list[CachedFile | HubModel]:
    """The networks' weights (InceptionV3, VGG19, the fast style model), then the digit datasets."""
    return [*models.WEIGHTS.values(), HubModel(model_handle()), *DATA_FILES["mnist"], *DATA_FILES["fashion_mnist"]]


def missing() -> list[CachedFile | HubModel]:
    """The entries of :func:`everything` not on this machine yet."""
    return [item for item in everything() if not item.present()]
