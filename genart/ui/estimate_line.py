"""Each tab's one-line estimate: how long the run its controls describe would take here, a cheaper
setting past ten minutes, and which precision would run; kept fresh as the controls change."""

from __future__ import annotations

import logging
from typing import Callable

import gradio as gr

from .. import precision as precision_policy
from ..errors import GenartError
from ..estimate import LONG_S, describe, estimate, suggest_cheaper
from .progress import busy

log = logging.getLogger("genart")

#: Estimate events have their own group, limit 1: they never wait for a heavy run, nor pile up.
ESTIMATE = "genart-estimate"


def estimate_line(costing, request: Callable[[], tuple], suggest: bool = True) -> str:
    """The tab's one-line estimate of the run ``request()`` describes, as ``(config, inputs, options)``
    for :func:`genart.estimate.estimate` with ``costing``; it measures only while no run is busy, and
    past ten minutes (``LONG_S``) adds the cheaper setting :func:`genart.estimate.suggest_cheaper` finds
    (unless ``suggest`` is False). A setting that cannot be used (``request()`` raising a
    GenartError) is the line itself."""
    try:
        measure = not busy()
        config, inputs, options = request()
        est = estimate(costing, config, *inputs, measure=measure, **options)
        suggestion = suggest_cheaper(costing, config, *inputs, budget_s=LONG_S, **options) \
            if suggest and (est.seconds or 0) > LONG_S else None
    except GenartError as exc:
        return f"**Estimate:** {exc}"
    except Exception:
        log.exception("estimate failed")
        return "**Estimate:** not available (see the server log)."
    text = f"**Estimate:** {describe(est, suggestion, LONG_S)}"
    if est.seconds is None and not measure:
        text += " It is measured when the current run has finished."
    requested = getattr(config, "precision", None)
    if requested == "auto":  # which arithmetic runs, and what it measured (the header says it for every tab)
        text += f" {precision_policy.describe(est.key[0])}"
    elif requested is not None:
        text += f" In {requested}, as asked."
    return text


def wire_estimate(fn, inputs: list, output, after=(), api_name: str | bool = False) -> None:
    """Run ``fn(*inputs) -> str`` into ``output`` on page load, on any change of ``inputs`` (the last
    change wins) and after each event in ``after`` (a finished run is a fresh measurement).

    The API names the returned line ``estimate`` (``output``'s label, when it has none of its own).
    """
    if getattr(output, "label", None) is None:
        output.label = "estimate"
    opts = dict(outputs=output, trigger_mode="always_last", concurrency_id=ESTIMATE, concurrency_limit=1,
                show_progress="hidden")
    gr.on(None, fn, inputs=inputs, api_name=api_name, **opts)
    for event in after:
        event.then(fn, inputs=inputs, api_name=False, **opts)
