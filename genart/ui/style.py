"""The style transfer tab: content and style uploads, loss weights, optimiser, watch the painting form.

Its advanced section has the reference tool's controls (VGG19 layers, pooling, gradient
normalisation), and a mask painted over the content (:mod:`genart.ui.masks`) says where the style goes.
The fast method (one pass of the arbitrary-style network), Refine and the live webcam mirror are
:mod:`genart.ui.fast_style`'s; this module lays them out where they go and shares its uploads with them.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Callable, Iterator, NamedTuple

import gradio as gr
import pandas as pd

from ..errors import InputError
from ..estimate import estimate
from ..fast_style import paint
from ..export import Timelapse
from ..images import image_hw
from ..masks import MAX_FEATHER
from ..models import weights_mode
from ..recipe import make_recipe
from ..style import (CONTENT_LAYERS, CONV_LAYERS, COSTING, FAST, INITS, OPTIMIZERS, POOLINGS, STYLE_LAYERS, TUTORIAL,
                     StyleConfig, recipe_inputs, stylize)
from .downloads import downloads
from .errors import user_error
from .estimate_line import estimate_line, wire_estimate
from .heavy import heavy
from .inputs import ASSETS, UploadImage, as_number
from .precision import precision_radio, precision_value
from .status import status_line
from .streaming import run_facts, stream
from .recipes import Restore, differing, load_recipe, recipe_drop, restored_note, slider_value
from . import fast_style
from .masks import editor_value, mask_editor, mask_source

#: A photo and a public-domain painting each (assets/paintings.NOTICE.md).
EXAMPLES = [[os.path.join(ASSETS, photo), os.path.join(ASSETS, painting)] for photo, painting in (
    ("chelsea.jpg", "hokusai-great-wave.jpg"), ("coffee.jpg", "picabia-udnie.jpg"),
    ("chelsea.jpg", "matisse-woman-with-hat.jpg"))]
EXAMPLES_CREDIT = ("Photos: scikit-image's samples (CC0). Paintings, all **public domain**: Katsushika Hokusai, "
                   "*The Great Wave off Kanagawa* (c. 1831) · Francis Picabia, *Udnie* (1913) · Henri Matisse, "
                   "*Woman with a Hat* (1905).")

#: The tab starts from the FAST preset at a size a 2-vCPU box paints in about a minute or two;
#: the sliders reach the tutorial's 512 px and 1000 steps.
UI_MAX_DIM = 256
UI_STEPS = 60
PRESETS = {
    "Coarse-to-fine (Adam, quarter and half size first)": FAST,
    "Tutorial (Adam, 1000 steps, 512 px)": TUTORIAL,
}


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


#: Fixed colours, named in the plot's label (Gradio drops the legend of a plot that starts empty).
PLOT_COLORS = {"style": "#4c78a8", "content": "#f58518", "tv": "#54a24b"}


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
                "style", cfg, weights=weights_mode(), inputs=inputs, run=run_facts(tick)))
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


# --- layout -------------------------------------------------------------------------------------------

@dataclass
class StyleLayout:
    """The tab's components, as :func:`_layout` places them."""

    method: gr.Radio
    content: UploadImage
    style: UploadImage
    run_btn: gr.Button
    stop_btn: gr.Button
    fast: fast_style.FastControls   # the fast method's controls, its Run among them
    estimate_md: gr.Markdown
    optimisation: gr.Column         # the optimisation's controls (hidden for the fast method)
    preset: gr.Radio
    log_style: gr.Slider
    log_content: gr.Slider
    tv: gr.Slider
    steps: gr.Slider
    max_dim: gr.Slider
    optimizer: gr.Radio
    scales: gr.Slider
    preserve: gr.Checkbox
    style_scale: gr.Slider
    extras: gr.Accordion            # the second style, the start and the seed
    style2: UploadImage
    share: gr.Slider
    init: gr.Radio
    init_image: UploadImage
    seed: gr.Number
    style_layers: gr.Dropdown
    content_layers: gr.Dropdown
    pooling: gr.Radio
    normalize: gr.Checkbox
    precision: gr.Radio
    mask_paint: gr.ImageEditor
    mask_upload: UploadImage
    feather: gr.Slider
    live: object                    # the live mirror's stream event
    drop: gr.File                   # the recipe drop zone
    results: gr.Column
    output: gr.Image
    status: gr.Textbox
    plot: gr.LinePlot
    png: gr.File
    gif: gr.File

    def run_inputs(self) -> list:
        """The components a run reads, in :func:`style_runner`'s parameters' order."""
        return [self.content, self.style, self.log_style, self.log_content, self.tv, self.steps, self.max_dim,
                self.optimizer, self.scales, self.preserve, self.style_scale, self.style2, self.share, self.init,
                self.init_image, self.seed, self.style_layers, self.content_layers, self.pooling, self.normalize,
                self.mask_paint, self.mask_upload, self.feather, self.precision]

    def run_outputs(self) -> list:
        """What a run updates: the picture, status, loss plot, PNG and time-lapse."""
        return [self.output, self.status, self.plot, self.png, self.gif]


def _layout() -> StyleLayout:
    """Place the tab's components in the current Blocks: the controls on the left, the result on the right."""
    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=320):
            parts = _inputs_and_buttons()
            with gr.Column(elem_id="style-optimisation") as optimisation:  # hidden for the fast method
                parts.update(_optimisation_controls())
                parts.update(_extras_accordion())
                parts.update(_advanced_accordion())
                parts.update(_mask_accordion())
            live = fast_style.build_live_mirror(parts["style"], parts["fast"].strength)
            drop = recipe_drop("style")
        with gr.Column(scale=3, min_width=320) as results:
            output = gr.Image(label="Stylised", format="jpeg", interactive=False, elem_id="style-output")
            status = gr.Textbox(label="Status", interactive=False, elem_id="style-status",
                                elem_classes=["genart-status"])
            plot = gr.LinePlot(x="step", y="log10 loss", color="term", color_map=PLOT_COLORS,
                               label="Loss terms, log₁₀ weighted (blue: style · orange: content · green: TV)",
                               height=220, elem_id="style-plot")
            with gr.Row():
                png = gr.File(label="Result (PNG)", elem_id="style-png")
                gif = gr.File(label="Time-lapse (GIF)", elem_id="style-gif")
    return StyleLayout(**parts, optimisation=optimisation, live=live, drop=drop, results=results, output=output,
                       status=status, plot=plot, png=png, gif=gif)


def _inputs_and_buttons() -> dict:
    """The method, the content and style uploads, Run (either method's) and Stop, the fast controls, the
    estimate line and the examples."""
    method = fast_style.method_radio()
    with gr.Row():
        content = UploadImage(label="Content image", type="filepath", sources=["upload", "clipboard"],
                              elem_id="style-content", height=220)
        style = UploadImage(label="Style image", type="filepath", sources=["upload", "clipboard"],
                            elem_id="style-style", height=220)
    with gr.Row():
        run_btn = gr.Button("Run", variant="primary", elem_id="style-run")
        fast_btn = fast_style.run_button()
        stop_btn = gr.Button("Stop", variant="stop", elem_id="style-stop")
    fast = fast_style.build_controls(method, fast_btn)
    estimate_md = gr.Markdown(elem_id="style-estimate")
    gr.Examples(EXAMPLES, inputs=[content, style], label="Examples: a photo in the style of a painting",
                elem_id="style-examples")
    gr.Markdown(EXAMPLES_CREDIT, elem_id="style-credits")
    return dict(method=method, content=content, style=style, run_btn=run_btn, stop_btn=stop_btn, fast=fast,
                estimate_md=estimate_md)


def _optimisation_controls() -> dict:
    """The preset, the loss weights, steps and size, the optimiser and scales, colours and style scale."""
    preset = gr.Radio(list(PRESETS), value=next(iter(PRESETS)), label="Preset",
                      info="Sets the optimiser, steps, size and scales below.", elem_id="style-preset")
    with gr.Row():
        log_style = gr.Slider(-4, 6, value=math.log10(FAST.style_weight), step=0.1,
                              label="Style weight (log₁₀)", info="Tutorial: −2 (1e-2).")
        log_content = gr.Slider(0, 8, value=math.log10(FAST.content_weight), step=0.1,
                                label="Content weight (log₁₀)", info="Tutorial: 4 (1e4).")
        tv = gr.Slider(0, 300, value=FAST.tv_weight, step=1, label="TV weight",
                       info="Smoothness; tutorial: 30.")
    with gr.Row():
        steps = gr.Slider(1, 1000, value=UI_STEPS, step=1, label="Steps", elem_id="style-steps",
                          info=f"The tutorial runs {TUTORIAL.steps}.")
        max_dim = gr.Slider(64, 1024, value=UI_MAX_DIM, step=32, label="Max size (px)",
                            elem_id="style-max-dim", info=f"Tutorial: {TUTORIAL.max_dim}.")
    with gr.Row():
        optimizer = gr.Radio(list(OPTIMIZERS), value=FAST.optimizer, label="Optimiser",
                             info="adam: the tutorial; lbfgs: the paper (L-BFGS-B).")
        scales = gr.Slider(1, 4, value=FAST.scales, step=1, label="Coarse-to-fine scales",
                           info="2 = half size first, then full size.")
    with gr.Row():
        preserve = gr.Checkbox(value=False, label="Keep the content's colours",
                               info="Transfer luminance only.")
        style_scale = gr.Slider(0.25, 2.0, value=1.0, step=0.05, label="Style scale",
                                info="Style size relative to the content: bigger = larger brush marks.")
    return dict(preset=preset, log_style=log_style, log_content=log_content, tv=tv, steps=steps, max_dim=max_dim,
                optimizer=optimizer, scales=scales, preserve=preserve, style_scale=style_scale)


def _extras_accordion() -> dict:
    """The "Second style, start image, seed" accordion."""
    with gr.Accordion("Second style, start image, seed", open=False) as extras:
        with gr.Row():
            style2 = UploadImage(label="Second style image (optional)", type="filepath",
                                 sources=["upload", "clipboard"], elem_id="style-style2", height=160)
            share = gr.Slider(0, 1, value=0.5, step=0.05, label="Second style's share",
                              info="Its weight in the blended style target (used when uploaded).")
        with gr.Row():
            init = gr.Radio(list(INITS), value="content", label="Start from",
                            info="'image' continues from the picture below (e.g. a previous result).")
            init_image = UploadImage(label="Start image", type="filepath", sources=["upload", "clipboard"],
                                     elem_id="style-init", height=160)
        seed = gr.Number(value=0, precision=0, minimum=0, label="Seed (noise start)")
    return dict(extras=extras, style2=style2, share=share, init=init, init_image=init_image, seed=seed)


def _advanced_accordion() -> dict:
    """The "Advanced" accordion: VGG19 layers, pooling, gradient normalisation, precision."""
    with gr.Accordion("Advanced: VGG19 layers, pooling, gradients", open=False, elem_id="style-advanced"):
        with gr.Row():
            style_layers = gr.Dropdown(list(CONV_LAYERS), value=list(STYLE_LAYERS), multiselect=True,
                                       label="Style layers", elem_id="style-style-layers",
                                       info="Gram matrices of these; tutorial: block1–5_conv1.")
            content_layers = gr.Dropdown(list(CONV_LAYERS), value=list(CONTENT_LAYERS), multiselect=True,
                                         label="Content layers", elem_id="style-content-layers",
                                         info="Features kept from the content; tutorial: block5_conv2.")
        with gr.Row():
            pooling = gr.Radio(list(POOLINGS), value="max", label="Pooling", elem_id="style-pooling",
                               info="max: the tutorial; avg: the paper (smoother pictures).")
            normalize = gr.Checkbox(value=False, label="Normalise gradients per layer",
                                    elem_id="style-normalize",
                                    info="jcjohnson's neural-style: every layer pushes as hard as its "
                                         "weight (Adam only; its weights: content 5, style 100).")
        precision = precision_radio("style-precision", algorithm="style", exact="the Tutorial preset sets it")
    return dict(style_layers=style_layers, content_layers=content_layers, pooling=pooling, normalize=normalize,
                precision=precision)


def _mask_accordion() -> dict:
    """The "Mask: paint where the style goes" accordion."""
    with gr.Accordion("Mask: paint where the style goes", open=False, elem_id="style-mask-box"):
        gr.Markdown("Pick the brush (left of the picture) and paint over the content. With one style, the "
                    "style goes where you paint and the rest stays the photo; with a second style, the "
                    "first goes where you paint and the second elsewhere (its share weighs the two "
                    "regions). Nothing painted "
                    "(and no mask uploaded): everywhere.")
        mask_paint = mask_editor("style-mask", "Mask: paint where the style goes")
        with gr.Row():
            mask_upload = UploadImage(label="…or upload a black-and-white mask (white = style)",
                                      type="filepath", sources=["upload", "clipboard"],
                                      elem_id="style-mask-upload", height=140)
            feather = gr.Slider(0, min(32, MAX_FEATHER), value=0, step=0.5, label="Soft edges (px)",
                                elem_id="style-feather",
                                info="Blur of the mask's edge, in pixels at the final size.")
    return dict(mask_paint=mask_paint, mask_upload=mask_upload, feather=feather)


# --- wiring -------------------------------------------------------------------------------------------

def build_style_tab(run: Callable[..., Iterator] = stylize, fast: Callable[..., Iterator] = paint) -> StyleTab:
    """Lay out the style transfer tab inside the current Blocks and wire its events to ``run`` (the
    optimisation) and ``fast`` (the fast method's one pass)."""
    ui = _layout()
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
    event = heavy(ui.run_btn.click, run_style, ui.run_inputs(), ui.run_outputs(), ui.status, api_name="stylize")
    fast_style.wire_method(ui.fast, [ui.optimisation, ui.run_btn, ui.plot, ui.gif])
    fast_event = fast_style.wire_run(ui.fast, ui.content, ui.style, ui.output, ui.status, ui.png, ui.gif, run=fast)
    refine = fast_style.wire_refine(ui.fast, ui.init, ui.init_image, ui.extras, run_style, ui.run_inputs(),
                                    ui.run_outputs())
    ui.stop_btn.click(None, cancels=[event, fast_event, refine, ui.live], api_name=False)
    ui.content.change(editor_value, inputs=[ui.content], outputs=[ui.mask_paint], api_name=False)  # paint over it
    return event, fast_event, refine
