"""The style transfer tab's layout: its components, placed in the current Blocks, and what it starts with.

:func:`layout` places them (the fast method's controls and the live mirror through
:mod:`genart.ui.fast_style`) and returns them as a :class:`StyleLayout`; :mod:`genart.ui.style` wires them.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import gradio as gr

from ..masks import MAX_FEATHER
from ..style import CONTENT_LAYERS, CONV_LAYERS, FAST, INITS, OPTIMIZERS, POOLINGS, STYLE_LAYERS, TUTORIAL
from . import fast_style
from .inputs import ASSETS, UploadImage
from .masks import mask_editor
from .precision_radio import precision_radio
from .recipes import recipe_drop

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
#: Fixed colours, named in the plot's label (Gradio drops the legend of a plot that starts empty).
PLOT_COLORS = {"style": "#4c78a8", "content": "#f58518", "tv": "#54a24b"}


@dataclass
class StyleLayout:
    """The tab's components, as :func:`layout` places them."""

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
        """The components a run reads, in :func:`genart.ui.style.style_runner`'s parameters' order."""
        return [self.content, self.style, self.log_style, self.log_content, self.tv, self.steps, self.max_dim,
                self.optimizer, self.scales, self.preserve, self.style_scale, self.style2, self.share, self.init,
                self.init_image, self.seed, self.style_layers, self.content_layers, self.pooling, self.normalize,
                self.mask_paint, self.mask_upload, self.feather, self.precision]

    def run_outputs(self) -> list:
        """What a run updates: the picture, status, loss plot, PNG and time-lapse."""
        return [self.output, self.status, self.plot, self.png, self.gif]


def layout() -> StyleLayout:
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
