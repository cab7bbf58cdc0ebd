"""Small adapters every tab shares: uploads, throttled streaming, status lines, downloads, errors.

Nothing here does TensorFlow math: tabs turn slider values into a config, hand the backend
generator to :func:`stream`, and map each :class:`~genart.frames.Frame` to component updates.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import functools
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterator

import gradio as gr

from .. import compute
from .. import precision as precision_policy
from ..errors import GenartError, InputError
from ..estimate import LONG_S, Estimate, describe, estimate, suggest_cheaper
from ..export import Timelapse, save_png
from ..frames import Frame, close_frames
from .progress import Tracker, busy, left_text
from ..paths import assets_dir
from ..recipe import png_text
from ..settings import env_number

log = logging.getLogger("genart")

#: All heavy events (dream, stylize, GAN training) share this concurrency group, limit 1 by
#: default: on 2 vCPUs two runs at once are each slower than one after the other
#: (``benchmarks/load.py`` measures it). GENART_HEAVY_LIMIT raises it on bigger machines.
HEAVY = "genart-heavy"
#: On Hugging Face Spaces a run ends (keeping its result so far) after this many seconds, so one
#: visitor cannot hold the shared worker for hours; GENART_MAX_RUN_SECONDS overrides it
#: (0 = no limit, the default elsewhere).
SPACES_RUN_SECONDS = 600
#: Estimate events have their own group, limit 1: they never wait for a heavy run, nor pile up.
ESTIMATE = "genart-estimate"
#: The fastest rate at which intermediate frames are sent to the browser (seconds between).
MIN_FRAME_INTERVAL = 0.25

#: The project's example inputs (assets/ in a checkout, genart/assets once installed).
ASSETS = assets_dir()

_OUT_DIR = os.path.join(tempfile.gettempdir(), "genart-out")
_OUT_MAX_AGE = 3600.0
#: Download names genart writes: letters, digits, dots, dashes, underscores.
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,100}")


class UploadImage(gr.Image):
    """``gr.Image`` that hands the uploaded file's cache path to genart's own decoder.

    Gradio's own preprocessing opens the file with Pillow before our code runs, so a damaged
    or non-image upload would fail inside Gradio with a generic error; genart's decoder
    (:func:`genart.images.load_image`) gives a clear sentence instead.
    """

    is_template = True  # Gradio renders a template component with its parent's (gr.Image's) front end

    def preprocess(self, payload):
        if payload is not None and getattr(payload, "path", None) and self.type == "filepath":
            return str(payload.path)
        return super().preprocess(payload)


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


def as_number(value, name: str):
    """A control's value as a number (an int when whole), or an InputError naming the control.

    API calls bypass the sliders and may send anything; range checks live in the configs.
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number; got {value!r}.") from None
    return int(number) if number.is_integer() else number


def user_error(exc: BaseException) -> gr.Error:
    """The gr.Error to raise for ``exc``: its text when it is meant for users, a generic one otherwise."""
    if isinstance(exc, GenartError):
        return gr.Error(str(exc), print_exception=False)
    log.exception("unexpected error in a genart run")
    return gr.Error("Something went wrong on the server while running this; the details are in the "
                    "server log. Please try again, perhaps with a smaller image or fewer steps.",
                    print_exception=False)


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
    :func:`run_budget`) the run ends early: the latest frame is passed on as the final one, with a
    note. Errors become :class:`gr.Error`; the backend generator is closed however the stream ends
    (Stop, a closed tab, an error, the time limit), so its cleanup runs at once.
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
                note = f"stopped at this server's limit of {_minutes(budget)} per run" if over else ""
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
    shared :data:`HEAVY` slots, :func:`stoppable` (``status``: the status box among ``outputs``),
    a minimal progress display unless ``options`` say otherwise, and the given event ``options``
    (``api_name``, …); returns the event."""
    return trigger(stoppable(fn, len(outputs), outputs.index(status) if status is not None else None),
                   inputs=inputs, outputs=outputs, concurrency_id=HEAVY, concurrency_limit=heavy_limit(),
                   **{"show_progress": "minimal", **options})


def run_facts(tick: Tick) -> dict | None:
    """What a recipe must add about a run that ended early: the step its picture shows."""
    if not tick.note:
        return None
    return {"stopped_at_step": tick.frame.step, "planned_steps": tick.frame.total, "stopped_because": tick.note}


def status_line(tick: Tick, names: dict[str, str] | None = None) -> str:
    """``"octave 2/5 · step 140/500 · loss 1.234 · 12.3 s · ~1 min 05 s left"`` ("done" on the final frame).

    Metrics are shown by their key, or by the short name ``names`` gives it (the DCGAN's ``G``,
    ``D(x)`` …; None leaves it out); ``sec_per_step`` reads ``0.31 s/step``.
    """
    f, names = tick.frame, names or {}
    parts = [f.stage, f"step {f.step}/{f.total}"]
    parts += [f"{v:.2f} s/step" if k == "sec_per_step" else f"{names.get(k, k)} {_fmt(v)}"
              for k, v in f.metrics.items() if names.get(k, k) is not None]
    parts.append(f"{tick.elapsed:.1f} s")
    if f.final:
        parts.append(tick.note or "done")
    elif tick.remaining is not None:
        parts.append(left_text(tick.remaining))
    return " · ".join(parts)


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"


def _fmt(v: float) -> str:
    a = abs(v)
    return f"{v:.3g}" if a == 0 or 1e-3 <= a < 1e4 else f"{v:.2e}"


def out_path(name: str) -> str:
    """A fresh path ending in the readable file name ``name`` (``dream-seed0.png``) for a download.

    Each file gets a folder of its own with an unguessable name, so sessions' files stay apart
    while the browser saves them under ``name``. Folders older than an hour are removed on the way.
    """
    if not _SAFE_NAME.fullmatch(name):
        raise ValueError(f"not a plain file name: {name!r}")
    os.makedirs(_OUT_DIR, exist_ok=True)
    now = time.time()
    for entry in os.scandir(_OUT_DIR):
        try:
            if now - entry.stat().st_mtime > _OUT_MAX_AGE:
                shutil.rmtree(entry.path) if entry.is_dir(follow_symlinks=False) else os.remove(entry.path)
        except OSError:
            pass
    return os.path.join(tempfile.mkdtemp(dir=_OUT_DIR), name)


def downloads(image, timelapse: Timelapse | None, stem: str, recipe: dict | None = None) -> tuple[str, str | None]:
    """Write the final PNG, carrying ``recipe`` when given (and the time-lapse GIF when there are
    frames); returns their paths."""
    png = save_png(out_path(f"{stem}.png"), image, text=png_text(recipe) if recipe else None)
    gif = timelapse.save_gif(out_path(f"{stem}.gif")) if timelapse is not None and len(timelapse) else None
    return png, gif


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


def precision_radio(elem_id: str, exact: str, algorithm: str) -> gr.Radio:
    """The tab's "Precision" control: ``auto`` (what this server runs fastest for ``algorithm``, see
    the header) or the tutorials' exact ``float32``; ``bfloat16`` is offered only where the hardware
    runs it natively (emulated, it would hold the shared slot about eight times as long). ``exact``
    says which of the tab's settings are the tutorial's exact run ("with float32, the defaults are …")."""
    try:
        auto = precision_policy.resolve("auto", algorithm)  # never measures: what is decided so far
    except InputError:  # a bad GENART_PRECISION: the header says so; runs will too
        auto = None
    native = (auto is not None and auto.dtype == "bfloat16") or precision_policy.native_bf16()
    choices = ["auto", "float32"] + (["bfloat16"] if native else [])
    here = "auto cannot be resolved here" if auto is None else "auto is decided by timing the first run here" \
        if auto.provisional else f"auto is {auto.dtype} here"
    return gr.Radio(choices, value="auto", label="Precision", elem_id=elem_id,
                    info=f"Arithmetic of the network; {here}. float32: the tutorial's exact arithmetic ({exact}).")


def precision_value(radio: gr.Radio, recorded: str):
    """A recipe's recorded precision for ``radio``: itself when offered here, else ``auto``."""
    offered = [choice[1] if isinstance(choice, tuple) else choice for choice in radio.choices]
    return recorded if recorded in offered else "auto"
