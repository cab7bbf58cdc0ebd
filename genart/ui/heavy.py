"""Heavy events: a run wired into the shared heavy slots, which Stop and a closed tab end at once.

A tab hands its run (a generator function yielding the event's updates) to :func:`heavy`; the slots
and the per-run limits are :mod:`genart.ui.limits`'. Its Stop button is a :class:`Stopper`'s: the
runs end themselves, keeping their picture, and their status line says "stopped".
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import re
import threading
import time
from typing import Callable, Iterator

import gradio as gr

from ..downloads import active as active_downloads
from .fairness import JOINED
from .limits import HEAVY, heavy_limit
from .user_errors import user_error

#: Seconds between two looks at the download channel while a run waits for its next update.
POLL_S = 0.5
#: Sessions whose last Stop is remembered (the oldest are forgotten first).
MAX_SESSIONS = 1024


class Stopper:
    """One tab's Stop: ends that tab's runs in the session whose Stop was pressed.

    Gradio's own ``cancels`` would end them too, but a cancelled event can show red "Error" badges
    on all its outputs when another event of the page starts while the cancel is under way (issue
    32.7: Refine → Stop → the live mirror at once; the page's own error handler, not the server).
    Here the run ends itself instead, as a run that finished: the wrapper of :func:`stoppable`
    sees the request within :data:`POLL_S`, writes ``… · stopped`` into the status line and returns,
    so the slot is free at once; its backend thread ends at its next update, as after a cancel.
    A run still waiting in the queue when Stop is pressed ends as soon as it starts (its join time,
    stamped by the fairness middleware, is before the Stop).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[str, set[threading.Event]] = {}
        self._stopped_at: dict[str, float] = {}

    def register(self, session: str | None, joined: float | None) -> threading.Event:
        """A stop flag for a run of ``session`` that joined the queue at ``joined`` (already set when
        Stop was pressed since)."""
        flag = threading.Event()
        with self._lock:
            if session is not None and joined is not None and self._stopped_at.get(session, float("-inf")) >= joined:
                flag.set()
            self._running.setdefault(session, set()).add(flag)
        return flag

    def release(self, session: str | None, flag: threading.Event) -> None:
        with self._lock:
            flags = self._running.get(session)
            if flags is not None:
                flags.discard(flag)
                if not flags:
                    del self._running[session]

    def stop(self, session: str | None) -> int:
        """Ask the session's runs to end; returns how many were running."""
        with self._lock:
            self._stopped_at[session] = time.monotonic()
            while len(self._stopped_at) > MAX_SESSIONS:
                del self._stopped_at[next(iter(self._stopped_at))]
            flags = list(self._running.get(session, ()))
        for flag in flags:
            flag.set()
        return len(flags)

    def wire(self, button: gr.Button, cancels: list | None = None) -> None:
        """``button`` stops this tab's runs (answered outside the queue, so it never waits); ``cancels``:
        events Gradio cancels as before (the live mirror's stream, which has no run to end)."""
        def stop(request: gr.Request):
            self.stop(getattr(request, "session_hash", None))

        button.click(stop, None, None, queue=False, api_name=False, show_progress="hidden")
        if cancels:
            button.click(None, cancels=cancels, api_name=False)


def _joined(request) -> float | None:
    try:
        return request.request.scope.get(JOINED)
    except AttributeError:  # an API call without the middleware, or no request at all
        return None


_LEFT = re.compile(r" · ~[^·]* left$")


def stopped_line(line) -> str:
    """The status line of a run Stop ended: its last line, without the time left, then ``stopped``."""
    return (_LEFT.sub("", line) + " · stopped") if isinstance(line, str) and line else "stopped"


def download_line() -> str | None:
    """What the downloads a run waits for are at (``downloading …: 12.3 of 87.9 MB; …``), or None."""
    active = active_downloads()
    if not active:
        return None
    return "; ".join(p.line() for p in active) + " · the run starts when it is in"


def _feed(ctx, fn, args, kwargs, loop, updates: asyncio.Queue, wanted: threading.Semaphore,
          stop: threading.Event) -> None:
    """:func:`stoppable`'s thread: call ``fn`` in ``ctx`` and hand its updates to ``updates`` on ``loop``,
    one each time ``wanted`` is released, as ``("update", value)``, then ``("done", None)`` or
    ``("error", exc)``; it returns as soon as it sees ``stop`` and closes ``fn``'s generator."""
    gen = None
    try:
        gen = ctx.run(fn, *args, **kwargs)
        while True:
            while not wanted.acquire(timeout=POLL_S):
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


def stoppable(fn: Callable[..., Iterator], outputs: int, status: int | None = None,
              stopper: Stopper | None = None) -> Callable:
    """``fn`` (a generator function yielding a heavy event's updates) as an async generator that Stop
    and a closed tab end at once, whatever ``fn`` is doing.

    Gradio can only end a plain generator between two of its yields, and the first call of a new
    kind of step traces it for seconds (6.6 s was measured for a first dream). So ``fn`` runs in a
    thread of its own, one update at a time as Gradio asks for them, while this generator waits for
    each update where a cancel (a closed tab, an API client's) or the ``stopper``'s Stop lands at
    once: the queue slot is free again in well under a second. The abandoned thread ends at its next
    update and then closes ``fn`` (its ``finally`` blocks run, stopping the backend). The thread runs
    in the event's context, so gr.Info and gr.Warning work.

    With ``status`` (the index of the status box among the event's ``outputs``), the status line
    says what the run waits for while a download it needs is under way (:mod:`genart.downloads`),
    ends with ``stopped`` when Stop ended it, and says why when it failed: an error ends the event
    as before (its gr.Error reaches the page and the API), after one more update writing it there.
    """
    def only_status(text: str) -> tuple:
        return tuple(text if i == status else gr.skip() for i in range(outputs))

    @functools.wraps(fn)
    async def run(request: gr.Request, *args, **kwargs):
        loop, ctx = asyncio.get_running_loop(), contextvars.copy_context()
        updates: asyncio.Queue = asyncio.Queue()
        wanted, stop = threading.Semaphore(0), threading.Event()
        session = getattr(request, "session_hash", None)
        asked = stopper.register(session, _joined(request)) if stopper is not None else threading.Event()

        last_status = None
        try:
            if not asked.is_set():
                threading.Thread(target=_feed, args=(ctx, fn, args, kwargs, loop, updates, wanted, stop),
                                 name=f"genart-{fn.__name__}", daemon=True).start()
            while not asked.is_set():
                wanted.release()
                while True:
                    try:
                        kind, value = await asyncio.wait_for(updates.get(), POLL_S)
                        break
                    except asyncio.TimeoutError:
                        if asked.is_set():
                            break
                        line = download_line() if status is not None else None
                        if line and line != last_status:
                            last_status = line
                            yield only_status(line)
                if asked.is_set():
                    break
                if kind == "done":
                    return
                if kind == "error":
                    error = value if isinstance(value, gr.Error) else user_error(value)
                    if status is not None:
                        yield only_status(f"stopped: {error.message}")
                    raise error
                if status is not None and isinstance(value, tuple) and isinstance(value[status], str):
                    last_status = value[status]
                yield value
            if status is not None:
                yield only_status(stopped_line(last_status))
        finally:
            stop.set()
            if stopper is not None:
                stopper.release(session, asked)

    # Gradio hands a gr.Request to the parameter annotated so (the session, and when it joined the queue):
    # the first one here, before ``fn``'s own, which keep their places for the inputs.
    request = inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=gr.Request)
    run.__signature__ = inspect.Signature([request, *inspect.signature(fn).parameters.values()])
    run.__annotations__ = {"request": gr.Request}
    return run


def heavy(trigger, fn: Callable[..., Iterator], inputs: list, outputs: list, status=None,
          stopper: Stopper | None = None, **options):
    """Wire ``fn`` to ``trigger`` (a component's ``.click`` and the like) as a heavy run: one of the
    shared :data:`~genart.ui.limits.HEAVY` slots, :func:`stoppable` (``status``: the status box among
    ``outputs``; ``stopper``: the tab's Stop), a minimal progress display unless ``options`` say
    otherwise, and the given event ``options`` (``api_name``, …); returns the event."""
    return trigger(stoppable(fn, len(outputs), outputs.index(status) if status is not None else None, stopper),
                   inputs=inputs, outputs=outputs, concurrency_id=HEAVY, concurrency_limit=heavy_limit(),
                   **{"show_progress": "minimal", **options})
