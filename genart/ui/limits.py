"""How much of a shared server runs may take: the heavy slots they share and how long one may last.

:mod:`genart.ui.heavy` wires events into those slots, :mod:`genart.ui.streaming` ends a run at the
time limit, and :mod:`genart.ui.fairness` caps each session's heavy jobs.
"""

from __future__ import annotations

import os

from .. import compute
from ..errors import GenartError
from ..settings import env_number

#: All heavy events (dream, stylize, GAN training) share this concurrency group, limit 1 by
#: default: on 2 vCPUs two runs at once are each slower than one after the other
#: (``benchmarks/load.py`` measures it). GENART_HEAVY_LIMIT raises it on bigger machines.
HEAVY = "genart-heavy"
#: On Hugging Face Spaces a run ends (keeping its result so far) after this many seconds, so one
#: visitor cannot hold the shared worker for hours; GENART_MAX_RUN_SECONDS overrides it
#: (0 = no limit, the default elsewhere).
SPACES_RUN_SECONDS = 600


def heavy_limit() -> int:
    """How many heavy runs may compute at once: GENART_HEAVY_LIMIT, by default 1 in this process and
    the cluster's size on Ray (:func:`genart.compute.run_slots`; 1 while it cannot be reached)."""
    try:
        default = compute.run_slots() or 1
    except GenartError:  # an unreachable cluster: the header says so, and so does each run
        default = 1
    return int(env_number("GENART_HEAVY_LIMIT", default, 1))


def run_budget() -> float | None:
    """Seconds one run may last (GENART_MAX_RUN_SECONDS; 600 on Spaces, else unlimited); None = no limit."""
    seconds = env_number("GENART_MAX_RUN_SECONDS", SPACES_RUN_SECONDS if os.environ.get("SPACE_ID") else 0, 0)
    return seconds or None


def budget_words(seconds: float) -> str:
    """A time limit in words: ``"10 min"``, ``"45 s"``."""
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"
