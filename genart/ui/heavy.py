"""Heavy events: a run wired into the shared heavy slots, which Stop and a closed tab end at once.

A tab hands its run (a generator function yielding the event's updates) to :func:`heavy`; the slots
and the per-run limits are :mod:`genart.ui.limits`'.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from typing import Callable, Iterator

import gradio as gr

from .user_errors import user_error
from .limits import HEAVY, heavy_limit


def stoppable(fn: Callable[..., Iterator], outputs: int, status: int | None = None) -> Callable:
    """``fn`` (a generator function yielding a heavy event's updates) as an async generator that Stop
    and a closed tab end at once, whatever ``fn`` is doing.

    Gradio can only end a plain generator between two of its yields, and the first call of a new
    kind of step traces it for seconds (6.6 s was measured for a first dream). So ``fn`` runs in a
    thread of its own, one update at a time as Gradio asks for them, while this generator waits for
    each update where a cancel lands at once: the queue slot is free again in well under a second.
    The abandoned thread ends at its next update and then closes ``fn`` (its ``finally`` blocks run,
    stopping the backend). The thread runs in the event's context, so gr.Info and gr.Warning work.

    An error ends the event as before (its gr.Error reaches the page and the API); first, with
    ``status`` (the index of the status box among the event's ``outputs``), one more update writes
    why the run stopped into the status line.
    """
    @functools.wraps(fn)
    async def run(*args, **kwargs):
        loop, ctx = asyncio.get_running_loop(), contextvars.copy_context()
        updates: asyncio.Queue = asyncio.Queue()
        wanted, stop = threading.Semaphore(0), threading.Event()

        def work():
            gen = None
            try:
                gen = ctx.run(fn, *args, **kwargs)
                while True:
                    while not wanted.acquire(timeout=0.5):
                        if stop.is_set():
                            return
                    if stop.is_set():
                        return
                    try:
                        item = ("update", ctx.run(next, gen))
                    except StopIteration:
                        item = ("done", None)
                    except BaseException as exc:  # handed to the event, which raises it
                        item = ("error", exc)
                    loop.call_soon_threadsafe(updates.put_nowait, item)
                    if item[0] != "update":
                        return
            finally:
                if gen is not None:
                    ctx.run(gen.close)

        threading.Thread(target=work, name=f"genart-{fn.__name__}", daemon=True).start()
        try:
            while True:
                wanted.release()
                kind, value = await updates.get()
                if kind == "done":
                    return
                if kind == "error":
                    error = value if isinstance(value, gr.Error) else user_error(value)
                    if status is not None:
                        yield tuple(f"stopped: {error.message}" if i == status else gr.skip() for i in range(outputs))
                    raise error
                yield value
        finally:
            stop.set()

    return run


def heavy(trigger, fn: Callable[..., Iterator], inputs: list, outputs: list, status=None, **options):
    """Wire ``fn`` to ``trigger`` (a component's ``.click`` and the like) as a heavy run: one of the
    shared :data:`~genart.ui.limits.HEAVY` slots, :func:`stoppable` (``status``: the status box among
    ``outputs``), a minimal progress display unless ``options`` say otherwise, and the given event
    ``options`` (``api_name``, …); returns the event."""
    return trigger(stoppable(fn, len(outputs), outputs.index(status) if status is not None else None),
                   inputs=inputs, outputs=outputs, concurrency_id=HEAVY, concurrency_limit=heavy_limit(),
                   **{"show_progress": "minimal", **options})
