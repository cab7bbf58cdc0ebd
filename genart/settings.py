"""Settings read from the environment: numbers an operator may set (``GENART_MAX_TRAINERS``,
``GENART_HEAVY_LIMIT``, …), read where they are used, with the default kept when a value is unusable."""

from __future__ import annotations

import logging
import os

log = logging.getLogger("genart")


def env_number(name: str, default: float, low: float) -> float:
    """The number in environment variable ``name``; ``default`` when unset, not a number or below ``low``."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        log.warning("ignoring %s=%r: not a number", name, raw)
        return default
    return value if value >= low else default
