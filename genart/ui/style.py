"""The style transfer tab: content and style uploads, loss weights, optimiser, watch the painting form.

Its advanced section has the reference tool's controls (VGG19 layers, pooling, gradient
normalisation), and a mask painted over the content (:mod:`genart.ui.masks`) says where the style goes.
The fast method (one pass of the arbitrary-style network), Refine and the live webcam mirror are
:mod:`genart.ui.fast_style`'s; the tab lays them out where they go and shares its uploads with them.

:func:`build_style_tab` places the components (:mod:`genart.ui.style_layout`), then wires them: the
recipe drop zone, the preset, both methods' Run, Refine and Stop, and the estimate line.
"""

from __future__ import annotations

import math
from typing import Callable, Iterator, NamedTuple

import gradio as gr
import pandas as pd

from ..errors import InputError
from ..estimate import estimate
from ..fast_style import paint
from ..export import Timelapse
from ..images import image_hw
from ..models import weights_mode
from ..recipe import make_recipe
from ..style import (CONTENT_LAYERS, CONV_LAYERS, COSTING, FAST, STYLE_LAYERS, TUTORIAL, StyleConfig, recipe_inputs,
                     stylize)
from .downloads import downloads
from .user_errors import user_error
from .estimate_line import estimate_line, wire_estimate
from .heavy import Stopper, heavy
from .inputs import as_number
from .precision_radio import precision_value
from .status import status_line
from .streaming import run_facts, stream
from .recipes import Restore, differing, load_recipe, restored_note, slider_value
from . import fast_style
from .masks import editor_value, mask_source
from .style_layout import PRESETS, UI_MAX_DIM, UI_STEPS, StyleLayout, layout


def make_config(log_style_weight, log_content_weight, tv_weight, steps, max_dim, optimizer, scales,
                preserve_colors, style_scale, second_style_share, init, seed, style_layers=STYLE_LAYERS,
                content_layers=CONTENT_LAYERS, pooling="max", normalize_gradients=False,
                mask_feather=0.0, precision="auto") -> StyleConfig:
    """Control values → StyleConfig (validation lives in the config; weights come as log10).

    ``second_style_share`` None means there is no second style image.
    """
    blend = None
    if second_style_share is not None:
        share = as_number(second_style_share, "second_style_share")
        if not 0 <= share <= 1:
            raise InputError(f"second_style_share must be in [0, 1], got {share!r}.")
        blend = (1.0 - share, share)
    return StyleConfig(
        style_weight=10.0 ** as_number(log_style_weight, "log_style_weight"),
        content_weight=10.0 ** as_number(log_content_weight, "log_content_weight"),
        tv_weight=as_number(tv_weight, "tv_weight"),
        steps=as_number(steps, "steps"),
        max_dim=as_number(max_dim, "max_dim"),
        optimizer=optimizer,
        scales=as_number(scales, "scales"),
        preserve_colors=bool(preserve_colors),
        style_scale=as_number(style_scale, "style_scale"),
        blend=blend,
        init=init,
        seed=as_number(seed, "seed"),
        style_layers=_layers(style_layers),
        content_layers=_layers(content_layers),
        pooling=pooling,
        normalize_gradients=normalize_gradients,
        mask_feather=as_number(mask_feather, "mask_feather"),
        precision=precision or "auto",
    )


def _layers(value) -> tuple:
    """A layer dropdown's value (a list, or one name from an API call) as a tuple."""
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def loss_table(history: list[dict]) -> pd.DataFrame:
    """Long table (step, term, log10 loss) for the live plot; terms at 0 are left out."""
    rows = [(h["step"], term, math.log10(h[term])) for h in history for term in ("style", "content", "tv")
            if h[term] > 0]
    return pd.DataFrame(rows, columns=["step", "term", "log10 loss"])


class StyleTab(NamedTuple):
    """What the studio wires across tabs (send-to buttons, the gallery)."""

    content: gr.Image    # the content picture
    style: gr.Image      # the style picture
    init: gr.Radio       # what the run starts from ("image": init_image)
    init_image: gr.Image
    extras: gr.Accordion  # holds the second style, the start and the seed
    png: gr.File         # the finished result, a PNG carrying its recipe
    gif: gr.File         # its time-lapse
    run: object          # the Run event
    restore: Restore     # the recipe restore (sets every control; a fast recipe the fast method's)
    results: gr.Column   # the result column (send-to buttons go at its end)
    method: gr.Radio     # the optimisation or the fast method (genart.ui.fast_style)
    fast_run: object     # the fast method's Run event (its PNG carries a fast_style recipe)
    refine: object       # Refine's run: the optimisation from the last fast picture


def wire_recipe_restore(drop: gr.File, log_style, log_content, tv, steps, max_dim, optimizer, scales, preserve,
                        style_scale, share, init, seed, style_layers, content_layers, pooling, normalize, feather,
                        precision, fast: fast_style.FastControls) -> Restore:
    """The "Recipe" drop zone ``drop`` (``#style-recipe``): a genart PNG or JSON recipe sets every control
    (/style_recipe); a fast style recipe sets the method to Fast and its controls instead
    (:func:`genart.ui.fast_style.with_fast_restore`).

    Weights go to the log₁₀ sliders; a two-style blend sets the second style's share. The preset
    radio is left alone (the restored values are what count).
    """
    def log_weight(slider, weight):
        if weight <= 0:  # a log slider cannot show 0: its lowest value is the closest
            gr.Warning(f"A weight of 0 cannot be set on the log₁₀ slider; set to 1e{slider.minimum:g}.")
            return gr.update(value=slider.minimum)
        return slider_value(slider, math.log10(weight))

    def restore(path):
        recipe, cfg = load_recipe(path, "style")
        blend = cfg.blend or ()
        not_shown = differing(cfg, TUTORIAL, ("learning_rate", "beta_1", "epsilon", "preview_every"))
        layers = []
        for name, control in (("style_layers", style_layers), ("content_layers", content_layers)):
            value = getattr(cfg, name)
            shown = all(layer in CONV_LAYERS for layer in value)  # the dropdowns offer the convolutions
            layers.append(list(value) if shown else gr.update())
            if not shown:
                not_shown.append(f"{name}={value!r}")
        if len(blend) > 2:
            not_shown.append(f"blend={blend!r} (this tab mixes two styles)")
        share_value = blend[1] / sum(blend) if len(blend) == 2 else 0.5
        restored_note(recipe, not_shown)
        return (log_weight(log_style, cfg.style_weight), log_weight(log_content, cfg.content_weight),
                slider_value(tv, cfg.tv_weight), slider_value(steps, cfg.steps), slider_value(max_dim, cfg.max_dim),
                cfg.optimizer, slider_value(scales, cfg.scales), cfg.preserve_colors,
                slider_value(style_scale, cfg.style_scale), share_value, cfg.init, cfg.seed, *layers, cfg.pooling,
                cfg.normalize_gradients, slider_value(feather, cfg.mask_feather),
                precision_value(precision, cfg.precision))

    outputs = [log_style, log_content, tv, steps, max_dim, optimizer, scales, preserve, style_scale, share, init, seed,
               style_layers, content_layers, pooling, normalize, feather, precision]
    both = fast_style.with_fast_restore(Restore(restore, outputs), fast)
    drop.upload(both.fn, inputs=[drop], outputs=both.outputs, api_name="style_recipe")
    return both

def apply_preset(name):
    """A preset's settings → the steps, size, optimiser, scales, weights and precision controls."""
    cfg = PRESETS[name]
    fast = cfg is FAST
    return (UI_STEPS if fast else cfg.steps, UI_MAX_DIM if fast else cfg.max_dim, cfg.optimizer, cfg.scales,
            math.log10(cfg.style_weight), math.log10(cfg.content_weight), cfg.tv_weight, cfg.precision)


def style_runner(run: Callable[..., Iterator]) -> Callable[..., Iterator]:
    """The Run event's function (/stylize, and Refine's /style_refine): the controls' values → ``run``'s
    painting streamed with its status, loss plot, and at the end its PNG and time-lapse."""
    def run_style(content, style, log_style_weight=math.log10(FAST.style_weight),
                  log_content_weight=math.log10(FAST.content_weight), tv_weight=FAST.tv_weight, steps=UI_STEPS,
                  max_dim=UI_MAX_DIM, optimizer=FAST.optimizer, scales=FAST.scales, preserve_colors=False,
                  style_scale=1.0, second_style=None, second_style_share=0.5, init="content", init_image=None,
                  seed=0, style_layers=STYLE_LAYERS, content_layers=CONTENT_LAYERS, pooling="max",
                  normalize_gradients=False, mask_painted=None, mask_file=None, mask_feather=0.0, precision="auto"):
        try:
            cfg = make_config(log_style_weight, log_content_weight, tv_weight, steps, max_dim, optimizer, scales,
                              preserve_colors, style_scale, second_style_share if second_style else None, init, seed,
                              style_layers, content_layers, pooling, normalize_gradients, mask_feather, precision)
            mask = mask_source(mask_painted, mask_file)
        except Exception as exc:
            raise user_error(exc) from None
        timelapse, history = Timelapse(), []
        styles = [style, second_style] if second_style else [style]
        start = init_image if init == "image" else None
        frames = run(content, styles, cfg, init_image=start, mask=mask)
        plan = estimate(COSTING, cfg, image_hw(content), len(styles), measure=False)
        for tick in stream(frames, timelapse, plan):
            history.append({"step": tick.frame.step, **tick.frame.metrics})
            inputs = recipe_inputs(content, styles, init_image=start, mask=mask) if tick.frame.final else None
            files = (downloads(tick.frame.image, timelapse, f"style-{cfg.max_dim}px", make_recipe(
                "style", cfg, ran=tick.frame.facts, weights=weights_mode(), inputs=inputs, run=run_facts(tick)))
                     if tick.frame.final else (None, None))
            yield (tick.frame.image, status_line(tick), loss_table(history), *files)

    return run_style


def estimate_text(content, second_style=None, steps=UI_STEPS, max_dim=UI_MAX_DIM, optimizer=FAST.optimizer,
                  scales=FAST.scales, style_scale=1.0, style_layers=STYLE_LAYERS, content_layers=CONTENT_LAYERS,
                  pooling="max", method=fast_style.OPTIMISATION, fast_max_dim=fast_style.UI_MAX_DIM):
    """The estimate line for these settings (the content's aspect, else 4:3), of the chosen method."""
    if method == fast_style.FAST_METHOD:
        return fast_style.estimate_text(content, fast_max_dim)

    def request():
        cfg = make_config(math.log10(FAST.style_weight), math.log10(FAST.content_weight), FAST.tv_weight, steps,
                          max_dim, optimizer, scales, False, style_scale, None, "content", 0, style_layers,
                          content_layers, pooling)
        return cfg, (image_hw(content), 1 + bool(second_style)), {}
    return estimate_line(COSTING, request)


def build_style_tab(run: Callable[..., Iterator] = stylize, fast: Callable[..., Iterator] = paint) -> StyleTab:
    """Lay out the style transfer tab inside the current Blocks and wire its events to ``run`` (the
    optimisation) and ``fast`` (the fast method's one pass)."""
    ui = layout()
    restore = wire_recipe_restore(ui.drop, ui.log_style, ui.log_content, ui.tv, ui.steps, ui.max_dim, ui.optimizer,
                                  ui.scales, ui.preserve, ui.style_scale, ui.share, ui.init, ui.seed, ui.style_layers,
                                  ui.content_layers, ui.pooling, ui.normalize, ui.feather, ui.precision, ui.fast)
    event, fast_event, refine = _wire_runs(ui, run, fast)
    wire_estimate(estimate_text, [ui.content, ui.style2, ui.steps, ui.max_dim, ui.optimizer, ui.scales,
                                  ui.style_scale, ui.style_layers, ui.content_layers, ui.pooling, ui.method,
                                  ui.fast.max_dim], ui.estimate_md,
                  after=[event, fast_event, refine], api_name="style_estimate")
    return StyleTab(ui.content, ui.style, ui.init, ui.init_image, ui.extras, ui.png, ui.gif, event, restore,
                    ui.results, ui.method, fast_event, refine)


def _wire_runs(ui: StyleLayout, run: Callable[..., Iterator], fast: Callable[..., Iterator]) -> tuple:
    """The preset, Run (/stylize), the method switch, the fast Run, Refine and Stop; the mask editor
    shows the content. Returns the (Run, fast Run, Refine) events."""
    run_style = style_runner(run)
    ui.preset.change(apply_preset, inputs=[ui.preset], outputs=[ui.steps, ui.max_dim, ui.optimizer, ui.scales,
                                                                ui.log_style, ui.log_content, ui.tv, ui.precision],
                     api_name=False)
    stopper = Stopper()  # Stop ends the runs (Run, the fast Run, Refine) themselves and cancels the live mirror
    stopper.wire(ui.stop_btn, cancels=[ui.live])
    event = heavy(ui.run_btn.click, run_style, ui.run_inputs(), ui.run_outputs(), ui.status, stopper=stopper,
                  api_name="stylize")
    fast_style.wire_method(ui.fast, [ui.optimisation, ui.run_btn, ui.plot, ui.gif])
    fast_event = fast_style.wire_run(ui.fast, ui.content, ui.style, ui.output, ui.status, ui.png, ui.gif, run=fast,
                                     stopper=stopper)
    refine = fast_style.wire_refine(ui.fast, ui.init, ui.init_image, ui.extras, run_style, ui.run_inputs(),
                                    ui.run_outputs(), stopper=stopper)
    ui.content.change(editor_value, inputs=[ui.content], outputs=[ui.mask_paint], api_name=False)  # paint over it
    return event, fast_event, refine
