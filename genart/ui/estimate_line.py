"""Each tab's one-line estimate: how long the run its controls describe would take here, a cheaper
setting past ten minutes, and which precision would run; kept fresh as the controls change.

An estimate never waits behind heavy work: it answers at once from what is measured, and times a
step only while nothing else computes here (no run, no warm-up, no download, no other estimate
measuring), in a second answer to the same event (:func:`wire_estimate`). While a download is
under way it says so (which file, how much of it); the run's status line follows it live.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
from typing import Callable

import gradio as gr

from .. import precision as precision_policy
from ..downloads import active as active_downloads
from ..errors import GenartError
from ..estimate import LONG_S, describe, estimate, measuring, suggest_cheaper
from .progress import busy

log = logging.getLogger("genart")

#: Estimate events have their own group, without a limit: each answers at once (the measuring is one at
#: a time, :func:`can_measure`), so an estimate never waits behind another, nor behind a heavy run.
ESTIMATE = "genart-estimate"

#: Set by :func:`wire_estimate`'s first answer: estimate_line must not measure, and notes here whether
#: a measurement would change its line (None: a plain call, which measures when it may).
_quick: contextvars.ContextVar[list | None] = contextvars.ContextVar("genart_estimate_quick", default=None)

#: What a line says while its measurement waits for the server to be free; :func:`wire_estimate` asks
#: again every :data:`RETRY_S` seconds while a line says it.
WAITING = " It is measured when this server is free (no run, warm-up or download going)."
RETRY_S = 2.0


def can_measure() -> bool:
    """Whether an estimate may time a step now: nothing else computes here (no tracked run, no
    warm-up: :func:`genart.ui.progress.busy`), no download is under way, no other estimate measures."""
    return not busy() and not active_downloads() and not measuring()


def download_note() -> str:
    """`` Downloading …: 12.3 of 87.9 MB so far; the run starts when it is in.`` ('' without a download)."""
    lines = [p.line() for p in active_downloads()]
    if not lines:
        return ""
    text = "; ".join(lines)
    return f" {text[0].upper()}{text[1:]}; a run starts when it is in (its status line follows the download)."


def estimate_line(costing, request: Callable[[], tuple], suggest: bool = True) -> str:
    """The tab's one-line estimate of the run ``request()`` describes, as ``(config, inputs, options)``
    for :func:`genart.estimate.estimate` with ``costing``; it measures only when :func:`can_measure`
    (and not in :func:`wire_estimate`'s first answer), says so while a download is under way, and
    past ten minutes (``LONG_S``) adds the cheaper setting :func:`genart.estimate.suggest_cheaper`
    finds (unless ``suggest`` is False). A setting that cannot be used (``request()`` raising a
    GenartError) is the line itself."""
    quick = _quick.get()
    try:
        measure = quick is None and can_measure()
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
    if est.seconds is None and quick is not None and can_measure():
        quick.append(True)  # the second answer measures
        text += " Measuring it now…"
    elif est.seconds is None and not measure:
        text += WAITING
    requested = getattr(config, "precision", None)
    if requested == "auto":  # which arithmetic runs, and what it measured (the header says it for every tab)
        text += f" {precision_policy.describe(est.key[0])}"
    elif requested is not None:
        text += f" In {requested}, as asked."
    return text + download_note()


def answer_twice(fn: Callable[..., str]) -> Callable:
    """``fn`` (a tab's estimate, returning its line) as an event that answers at once from what is
    measured, then, when that line lacks a measurement that may be taken now, again once measured
    (in a worker thread: the event loop stays free)."""
    @functools.wraps(fn)
    async def answer(*args):
        wanted: list = []
        token = _quick.set(wanted)
        try:
            line = fn(*args)
        finally:
            _quick.reset(token)
        yield line
        if wanted:
            yield await asyncio.to_thread(fn, *args)

    return answer


def wire_estimate(fn, inputs: list, output, after=(), api_name: str | bool = False) -> None:
    """Run ``fn(*inputs) -> str`` into ``output`` on page load, on any change of ``inputs`` (the last
    change wins) and after each event in ``after`` (a finished run is a fresh measurement), answered
    as :func:`answer_twice` does, in the :data:`ESTIMATE` group. A line that waits for the server to
    be free (:data:`WAITING`: the page loaded during the warm-up, or while a run computes) is asked
    again every :data:`RETRY_S` seconds by a timer of the page until it is measured.

    The API names the returned line ``estimate`` (``output``'s label, when it has none of its own).
    """
    if getattr(output, "label", None) is None:
        output.label = "estimate"
    opts = dict(outputs=output, trigger_mode="always_last", concurrency_id=ESTIMATE, concurrency_limit=None,
                show_progress="hidden")
    answer = answer_twice(fn)
    retry = gr.Timer(RETRY_S, active=False)

    def keep_asking(line: str):
        return gr.Timer(active=WAITING in (line or ""))

    follow = dict(fn=keep_asking, inputs=output, outputs=retry, api_name=False, queue=False, show_progress="hidden")
    gr.on(None, answer, inputs=inputs, api_name=api_name, **opts).then(**follow)
    for event in after:
        event.then(answer, inputs=inputs, api_name=False, **opts).then(**follow)
    retry.tick(answer, inputs=inputs, api_name=False, **opts).then(**follow)
