"""Exceptions whose text is written for the person using the app.

Everything derived from :class:`GenartError` carries a complete sentence that the UI and the
command line show as is; any other exception is a bug and is reported without internals.
"""


class GenartError(Exception):
    """Base class: the message is meant for the user."""


class InputError(GenartError, ValueError):
    """An upload or a setting that genart cannot use (names the argument and what is allowed)."""


class WeightsUnavailable(GenartError, RuntimeError):
    """Pretrained weights could not be loaded (typically: offline and not in Keras' cache)."""


class DataUnavailable(GenartError, RuntimeError):
    """A dataset could not be loaded (typically: offline and not in Keras' cache)."""
