"""Streaming a run to the page: a backend generator's frames, throttled, tracked against the run's
estimate, ended at the server's time limit, errors made sentences.

Tabs hand the generator to :func:`stream` and map each :class:`Tick` to component updates
(:func:`genart.ui.status.status_line` words it).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Iterator

import gradio as gr

from ..estimate import Estimate
from ..export import Timelapse
from ..frames import Frame, close_frames
from .user_errors import user_error
from .limits import budget_words, run_budget
from .progress import Tracker

#: The fastest rate at which intermediate frames are sent to the browser (seconds between).
MIN_FRAME_INTERVAL = 0.25


@dataclass
class Tick:
    """A frame to show, with the seconds elapsed since the run started and, when the run is
    tracked against an estimate, the seconds it has ``remaining`` (None: not known yet).

    ``note`` is set when the run ended early (the per-run time limit) and says so.
    """

    frame: Frame
    elapsed: float
    note: str = ""
    remaining: float | None = None


def stream(frames: Iterator[Frame], timelapse: Timelapse | None = None, estimate: Estimate | None = None,
           min_interval: float = MIN_FRAME_INTERVAL, budget: float | None = ...) -> Iterator[Tick]:
    """Iterate a backend generator, passing on at most one frame per ``min_interval`` seconds.

    The final frame always passes. Every frame is offered to ``timelapse``. With an ``estimate`` of
    the run, a :class:`~genart.ui.progress.Tracker` follows it: each tick says the time left, and the
    run's timings go back into the estimates' table. After ``budget`` seconds (default:
    :func:`~genart.ui.limits.run_budget`) the run ends early: the latest frame is passed on as the
    final one, with a note. Errors become :class:`gr.Error`; the backend generator is closed however
    the stream ends (Stop, a closed tab, an error, the time limit), so its cleanup runs at once.
    """
    if budget is ...:
        budget = run_budget()
    tracker = Tracker(estimate) if estimate is not None else None
    source = tracker.wrap(frames) if tracker is not None else frames
    start, last = time.perf_counter(), float("-inf")  # the first frame always passes
    try:
        for frame in source:
            now = time.perf_counter()
            over = budget is not None and not frame.final and now - start >= budget
            if over:
                frame = dataclasses.replace(frame, final=True)
            if timelapse is not None:
                timelapse.add(frame.image, force=frame.final)
            if frame.final or now - last >= min_interval:
                last = now
                note = f"stopped at this server's limit of {budget_words(budget)} per run" if over else ""
                yield Tick(frame, now - start, note, tracker.remaining() if tracker is not None else None)
            if over:
                return
    except gr.Error:
        raise
    except Exception as exc:
        raise user_error(exc) from None
    finally:
        close_frames(source)
        close_frames(frames)


def run_facts(tick: Tick) -> dict | None:
    """What a recipe must add about a run that ended early: the step its picture shows."""
    if not tick.note:
        return None
    return {"stopped_at_step": tick.frame.step, "planned_steps": tick.frame.total, "stopped_because": tick.note}
