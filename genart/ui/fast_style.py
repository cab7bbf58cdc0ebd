"""The style tab's fast method: one pass of the arbitrary-style network, Refine, and the live mirror.

:mod:`genart.ui.style_layout` lays the tab out and :mod:`genart.ui.style` wires it; both call in here for what
the fast method adds:

* a **Method** choice at the top (:func:`method_radio`): the optimisation (Gatys et al., step by
  step) or *Fast (one pass)*; switching hides the other method's controls (:func:`wire_method`);
* the fast controls (:func:`build_controls`): strength, max size, their own Run button
  (``/stylize_fast``, sharing the tab's uploads, result, status, downloads, Stop and estimate line),
  the weights in use, and **Refine**: the optimisation started from the last fast picture
  (``init="image"``, :func:`wire_refine`);
* the **live mirror** (:func:`build_live_mirror`): the webcam, each frame painted in the tab's style
  image by :class:`genart.fast_style.FastStyler` (the style prepared once per style, size, strength
  and steadiness; each frame painted knowing the last one, :mod:`genart.fast_style.steady`, as the
  **Steady** slider says), one frame behind so that each pass overlaps the transport of the frame
  before (:class:`genart.fast_style.OneBehind`), streamed as JPEG; its status line says the rate the
  page shows pictures at, measured in the page; a heavy job of the session while it streams, ended
  by the per-run time limit (Gradio's ``time_limit``) and when the tab closes;
* a recipe restore that tells the two methods' recipes apart (:func:`with_fast_restore`).
"""

from __future__ import annotations

import html
from typing import Callable, Iterator, NamedTuple

import gradio as gr
import numpy as np

from ..errors import InputError
from ..estimate import estimate
from ..fast_style import (COSTING, VIDEO_STEADY, FastStyleConfig, FastStyler, OneBehind, model_facts, model_label,
                          paint, recipe_inputs)
from ..images import image_hw, load_frame
from ..models import weights_mode
from ..recipe import make_recipe, read_recipe
from .downloads import downloads
from .user_errors import user_error
from .estimate_line import estimate_line
from .heavy import Stopper, heavy
from .inputs import CameraFrames, as_number
from .limits import HEAVY, budget_words, heavy_limit, run_budget
from .status import status_line
from .streaming import run_facts, stream
from .recipes import Restore, differing, load_recipe, restored_note, slider_value

#: The two methods, as the Method radio names them.
OPTIMISATION = "Optimisation (step by step)"
FAST_METHOD = "Fast (one pass)"
METHODS = (OPTIMISATION, FAST_METHOD)
#: The fast method's size in the tab: the tutorial's 512 px (about half a second on 2 vCPUs).
UI_MAX_DIM = 512
#: The live mirror's size (long side of each painted webcam frame) and the sizes its slider offers.
LIVE_SIZE = 256
LIVE_SIZES = (64, 320)
#: How often the page sends a camera frame. The server paints the newest frame it has when it is ready
#: for one (a frame takes about 0.15–0.2 s on 2 vCPUs), so sending more often only costs the browser's
#: encoding and the server's decoding of frames never painted.
LIVE_EVERY_S = 0.1
#: What the page asks of the camera: no more than the mirror's largest size needs (Gradio asks for
#: 1920×1440 by default, and sends every frame at the camera's size as a JPEG data URL).
CAMERA = {"video": {"width": {"ideal": LIVE_SIZES[1]}, "height": {"ideal": LIVE_SIZES[1] * 3 // 4}}}
#: What the live mirror says while the tab has no style image.
NO_STYLE = "Upload a style image above first: the live mirror paints your webcam in that style."
#: The page measures the rate it shows the mirror's pictures at over this many seconds.
SHOWN_WINDOW_S = 3
#: Fills the status line's rate in the page (gr.HTML's ``js_on_load``): each new picture the mirror's output
#: image loads is one shown; the line says how many a second over the last :data:`SHOWN_WINDOW_S` seconds.
SHOWN_JS = """
if (!window.genartShown) {
  const state = {times: [], last: null};
  window.genartShown = state;
  document.addEventListener("load", (event) => {
    const img = event.target;
    if (!(img instanceof HTMLImageElement) || !img.closest("#style-live-output") || img.src === state.last) return;
    state.last = img.src;
    state.times.push(performance.now());
  }, true);
}
const state = window.genartShown;
const show = () => {
  const now = performance.now();
  state.times = state.times.filter((t) => now - t < WINDOW_MS);
  const span = element.querySelector(".genart-live-shown");
  if (!span) return;
  const n = state.times.length;
  const rate = n > 1 ? (n - 1) * 1000 / (state.times[n - 1] - state.times[0]) : 0;
  span.textContent = n > 2 ? ` · ${rate.toFixed(1)} pictures a second shown here` : "";
};
watch("value", show);
setInterval(show, 500);
""".replace("WINDOW_MS", str(SHOWN_WINDOW_S * 1000))


def method_radio() -> gr.Radio:
    """The Method choice at the top of the style tab (``#style-method``)."""
    return gr.Radio(list(METHODS), value=OPTIMISATION, label="Method", elem_id="style-method",
                    info="Optimisation: the tutorial's Gatys et al. loop, watched as it paints. Fast: one pass of "
                         "Magenta's arbitrary-style network (Ghiasi et al. 2017), the tutorial's TF-Hub section.")


class FastControls(NamedTuple):
    """The fast method's components (laid out by :func:`build_controls`)."""

    method: gr.Radio
    run: gr.Button       # ``#style-fast-run``
    box: gr.Column       # strength, size, Refine, the weights note (``#style-fast-box``)
    strength: gr.Slider
    max_dim: gr.Slider
    refine: gr.Button    # ``#style-refine``
    last: gr.State       # the last fast picture's PNG (what Refine starts from)


def run_button() -> gr.Button:
    """The fast method's Run button (``#style-fast-run``), shown instead of the optimisation's."""
    return gr.Button("Run (one pass)", variant="primary", visible=False, elem_id="style-fast-run")


def build_controls(method: gr.Radio, run: gr.Button) -> FastControls:
    """Lay out the fast method's controls (hidden until Fast is chosen) in the current Blocks."""
    with gr.Column(visible=False, elem_id="style-fast-box") as box:
        with gr.Row():
            strength = gr.Slider(0, 1, value=1.0, step=0.05, label="Strength", elem_id="style-fast-strength",
                                 info="How much of the style: a blend of the network's picture with the photo "
                                      "(0: the photo; 1: the network's picture).")
            max_dim = gr.Slider(64, 1024, value=UI_MAX_DIM, step=32, label="Max size (px)",
                                elem_id="style-fast-max-dim", info="The tutorial's: 512.")
        refine = gr.Button("Refine: optimise from this picture", size="sm", elem_id="style-refine")
        gr.Markdown("Refine starts the optimisation from the last fast picture, with the optimisation's settings "
                    f"(shown again), so the loop begins near its goal. **Network:** {_model_note()}",
                    elem_id="style-fast-model")
    return FastControls(method, run, box, strength, max_dim, refine, gr.State(None))


def _model_note() -> str:
    try:
        return model_label()
    except Exception as exc:  # a bad GENART_WEIGHTS: the header says so
        return str(exc)


def wire_method(fast: FastControls, optimisation: list) -> None:
    """Switching the method shows its controls: the ``optimisation`` components (its controls, its Run,
    the loss plot, the time-lapse) for the optimisation, the fast controls and Run for Fast."""
    def switch(method):
        on = method == FAST_METHOD
        return [gr.update(visible=not on)] * len(optimisation) + [gr.update(visible=on)] * 2

    fast.method.change(switch, inputs=[fast.method], outputs=[*optimisation, fast.box, fast.run], api_name=False,
                       show_progress="hidden")


def make_config(strength, max_dim) -> FastStyleConfig:
    """Control values → FastStyleConfig (validation lives in the config)."""
    return FastStyleConfig(max_dim=as_number(max_dim, "max_dim"), strength=as_number(strength, "strength"))


def wire_run(fast: FastControls, content, style, output, status, png, gif,
             run: Callable[..., Iterator] = paint, stopper: Stopper | None = None):
    """The fast Run (``/stylize_fast``: content, style, strength, max_dim): the content at once, then the
    picture, its PNG (carrying a ``fast_style`` recipe) and the last fast picture for Refine; ``stopper``:
    the tab's Stop. Returns the event."""
    def run_fast(content, style, strength=1.0, max_dim=UI_MAX_DIM):
        try:
            cfg = make_config(strength, max_dim)
        except Exception as exc:
            raise user_error(exc) from None
        weights = weights_mode()
        note = " · random, untrained network" if weights == "random" else ""
        plan = estimate(COSTING, cfg, image_hw(content), measure=False)
        for tick in stream(run(content, style, cfg), None, plan):
            if not tick.frame.final:
                yield tick.frame.image, status_line(tick), None, None, gr.skip()
                continue
            recipe = make_recipe("fast_style", cfg, ran=tick.frame.facts, weights=weights,
                                 inputs=recipe_inputs(content, style),
                                 run={**model_facts(weights), **(run_facts(tick) or {})})
            result, _ = downloads(tick.frame.image, None, f"fast-style-{cfg.max_dim}px", recipe)
            yield tick.frame.image, status_line(tick) + note, result, None, result

    return heavy(fast.run.click, run_fast, [content, style, fast.strength, fast.max_dim],
                 [output, status, png, gif, fast.last], status, stopper=stopper, api_name="stylize_fast")


def wire_refine(fast: FastControls, init: gr.Radio, init_image, extras, run_fn: Callable, inputs: list,
                outputs: list, stopper: Stopper | None = None):
    """Refine: the method becomes the optimisation, its start the last fast picture (``/style_refine_start``),
    then ``run_fn`` (the optimisation's run) computes from it (``/style_refine``); ``stopper``: the tab's Stop.
    Returns the run's event."""
    def start(last):
        if not last:
            raise gr.Error("There is no fast picture to refine yet: run the fast method first.", print_exception=False)
        return OPTIMISATION, "image", last, gr.update(open=True)

    started = fast.refine.click(start, inputs=[fast.last], outputs=[fast.method, init, init_image, extras],
                                api_name="style_refine_start", show_progress="hidden")
    return heavy(started.success, run_fn, inputs, outputs, outputs[1], stopper=stopper, api_name="style_refine")


def estimate_text(content, max_dim=UI_MAX_DIM) -> str:
    """The tab's estimate line for a fast run at ``max_dim`` (the content's aspect, else 4:3)."""
    return estimate_line(COSTING, lambda: (make_config(1.0, max_dim), (image_hw(content),), {}))


# --- recipes ---------------------------------------------------------------------------------------

def fast_restore(fast: FastControls) -> Restore:
    """A fast recipe sets the method to Fast, the strength and the size (and says what it cannot show)."""
    def restore(path):
        recipe, cfg = load_recipe(path, "fast_style")
        not_shown = differing(cfg, FastStyleConfig(), ("style_size", "steady"))
        painted_with = (recipe.get("run") or {}).get("model")
        here = model_facts(weights_mode())["model"]
        if painted_with and painted_with != here:
            gr.Warning(f"The picture was painted by the network {painted_with}; this server uses {here}, so a "
                       "run here will differ.")
        restored_note(recipe, not_shown)
        return FAST_METHOD, slider_value(fast.strength, cfg.strength), slider_value(fast.max_dim, cfg.max_dim)

    return Restore(restore, [fast.method, fast.strength, fast.max_dim])


def _is_fast_recipe(path) -> bool:
    try:
        return read_recipe(str(path)).get("algorithm") == "fast_style"
    except Exception:  # not a recipe at all: the optimisation's restore says what is wrong
        return False


def with_fast_restore(style: Restore, fast: FastControls) -> Restore:
    """One restore for the style tab's drop zone: a fast recipe sets the fast method's controls (the
    optimisation's stay); any other goes to ``style`` (the optimisation's), and the method becomes it."""
    own = fast_restore(fast)

    def restore(path):
        if path and _is_fast_recipe(path):
            return (*[gr.skip()] * len(style.outputs), *own.fn(path))
        return (*style.fn(path), OPTIMISATION, gr.skip(), gr.skip())

    return Restore(restore, [*style.outputs, *own.outputs])


# --- the live mirror ----------------------------------------------------------------------------------

class Mirror:
    """One session's live mirror: the :class:`~genart.fast_style.FastStyler` of its style, size, strength and
    steadiness (made again when one of them changes; the style is prepared once per styler, its vector
    once where the network allows), painting one frame behind (:class:`~genart.fast_style.OneBehind`), so
    that each frame's pass overlaps the transport of the frame before it."""

    def __init__(self):
        self.key: tuple | None = None
        self.styler: FastStyler | None = None
        self.behind: OneBehind | None = None

    def __call__(self, frame, style: str, size: int, strength: float, steady: float):
        """Hand in ``frame`` (a camera frame: JPEG bytes, or an array); the picture of the frame before it
        (uint8 RGB, long side ``size``) and what the steady step did with it
        (:class:`~genart.fast_style.Carried`), or None for the first frame of a stream."""
        key = (style, size, strength, steady)
        if key != self.key:
            styler = FastStyler(FastStyleConfig(max_dim=size, strength=strength, steady=steady),
                                reuse_style_vector=None)
            styler.set_style(style)
            if self.behind is not None:
                self.behind.close()
            self.key, self.styler = key, styler
            self.behind = OneBehind(lambda rgb: (styler(rgb), styler.last))
        return self.behind(load_frame(frame, size))


def live_status(facts: str) -> str:
    """The mirror's status line: the server's ``facts``, then the rate the page shows pictures at (filled in
    by the page, :data:`SHOWN_JS`)."""
    return f'<span class="genart-live-facts">{html.escape(facts)}</span><span class="genart-live-shown"></span>'


def live_frame(frame, style, size=LIVE_SIZE, strength=1.0, steady=VIDEO_STEADY, mirror: Mirror | None = None):
    """One webcam frame → (the painted frame before it, the mirror's status line, the session's mirror).

    Without a style image the frame is not painted and the status says so (the stream goes on, so
    the mirror starts as soon as a style is uploaded); a style that cannot be used says why. The
    first frame of a stream gives no picture yet (the mirror paints one frame behind).
    """
    mirror = mirror if mirror is not None else Mirror()
    if frame is None:
        return gr.skip(), gr.skip(), mirror
    if not style:
        return gr.skip(), live_status(NO_STYLE), mirror
    try:
        size, strength = as_number(size, "size"), as_number(strength, "strength")
        steady = as_number(steady, "steady")
        done = mirror(frame, style, size, strength, steady)
    except InputError as exc:
        return gr.skip(), live_status(str(exc)), mirror
    except Exception as exc:  # the network cannot be loaded (offline), or a failure of ours: the stream ends
        raise user_error(exc) from None
    if done is None:
        return gr.skip(), live_status("starting"), mirror
    painted, carried = done
    line = f"{painted.shape[1]}×{painted.shape[0]} px · "
    if not steady:
        line += "every frame on its own"
    elif carried.cut:
        line += f"steady {steady:g}: a new scene, painted afresh"
    else:
        line += f"steady {steady:g}: {carried.trusted:.0%} carried from the last frame"
    return painted, live_status(line + (" · random, untrained network" if weights_mode() == "random" else "")), mirror


def build_live_mirror(style, strength: gr.Slider):
    """The "Live mirror" accordion (``#style-live-box``): webcam in (``#style-live-input``), the painted
    frames out (``#style-live-output``), a size slider (``#style-live-size``), a Steady slider
    (``#style-live-steady``) and a status line (``#style-live-status``). Each frame uses the tab's
    ``style`` image and fast ``strength``. Returns the stream event."""
    with gr.Accordion("Live mirror: your webcam in the chosen style", open=False, elem_id="style-live-box"):
        limit = f"; it stops after {budget_words(run_budget())}" if run_budget() else ""
        gr.Markdown("Start the webcam: each frame is painted in the style image above by the fast network, as fast "
                    "as this server allows, one frame behind the camera. While it streams it counts as one of your "
                    "runs (and other visitors' runs wait for it)" + limit + ".")
        with gr.Row():
            live_in = CameraFrames(sources=["webcam"], streaming=True, type="numpy", label="Webcam",
                                   elem_id="style-live-input", webcam_options=gr.WebcamOptions(constraints=CAMERA))
            live_out = gr.Image(label="Painted", format="jpeg", interactive=False, elem_id="style-live-output")
        with gr.Row():
            size = gr.Slider(*LIVE_SIZES, value=LIVE_SIZE, step=32, label="Size (px)",
                             elem_id="style-live-size", info="Long side of each painted frame.")
            steady = gr.Slider(0, 1, value=VIDEO_STEADY, step=0.05, label="Steady", elem_id="style-live-steady",
                               info="How much of the last painted frame each frame keeps where the motion is "
                                    "trusted (0: every frame on its own).")
        status = gr.HTML(live_status(""), label="Mirror", elem_id="style-live-status",
                         elem_classes=["genart-status"], js_on_load=SHOWN_JS)
    mirror = gr.State(None)
    budget = run_budget()
    return live_in.stream(live_frame, inputs=[live_in, style, size, strength, steady, mirror],
                          outputs=[live_out, status, mirror], api_name="style_live", concurrency_id=HEAVY,
                          concurrency_limit=heavy_limit(), stream_every=LIVE_EVERY_S,
                          time_limit=int(budget) if budget else None, show_progress="hidden")
