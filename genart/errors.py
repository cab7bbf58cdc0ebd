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


def check_int(name: str, value, low: int, high: int) -> None:
    """Raise InputError naming ``name`` unless ``value`` is a whole number (not a bool) in [low, high]."""
    import numpy as np

    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise InputError(f"{name} must be a whole number from {low} to {high}; got {value!r}.")


def check_float(name: str, value, low: float, high: float) -> None:
    """Raise InputError naming ``name`` unless ``value`` is a real number (not a bool) in [low, high]."""
    import numpy as np

    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) \
            or not low <= float(value) <= high:
        raise InputError(f"{name} must be a number from {low:g} to {high:g}; got {value!r}.")
