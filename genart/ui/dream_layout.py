"""The DeepDream tab's layout: its components, placed in the current Blocks, and what it starts with.

:func:`layout` places them and returns them as a :class:`DreamLayout`; :mod:`genart.ui.dream` wires them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import gradio as gr

from ..dream import CHANNEL_MODES, LAYER_CHANNELS, MAX_LAPNORM_LEVELS, OBJECTIVES, DreamConfig
from ..models import INCEPTION_LAYERS
from .inputs import ASSETS, UploadImage
from .masks import mask_editor
from .precision_radio import precision_radio
from .recipes import recipe_drop

#: Example pictures, each with the settings that suit it (clicking one sets them too): the tutorial's
#: full run for the cat; high layers (eyes, animal parts) for the coffee; low layers (strokes,
#: textures) for Hokusai's wave. Chosen from the tutorial and the layers' known character; ImageNet
#: weights cannot be downloaded where genart is developed, so they were not tuned by eye.
EXAMPLES = [
    ("chelsea.jpg", dict(layers=["mixed3", "mixed5"], octaves=5, octave_scale=1.3, steps=100, step_size=0.01)),
    ("coffee.jpg", dict(layers=["mixed5", "mixed6"], octaves=4, octave_scale=1.4, steps=50, step_size=0.015)),
    ("hokusai-great-wave.jpg", dict(layers=["mixed2", "mixed3"], octaves=3, octave_scale=1.3, steps=40,
                                    step_size=0.01)),
]

_DEFAULT = DreamConfig()
#: The tab starts lighter than the tutorial (100 steps per octave) so a first run takes about a
#: minute on 2 vCPUs; the slider goes past the tutorial's value.
UI_STEPS_PER_OCTAVE = 20
#: Each layer's name with its channel count, as the layer choices show it.
LAYER_CHOICES = [(f"{name} · {LAYER_CHANNELS[name]} ch", name) for name in INCEPTION_LAYERS]


@dataclass
class DreamLayout:
    """The tab's components, as :func:`layout` places them."""

    image: UploadImage
    examples: gr.Examples
    run_btn: gr.Button
    stop_btn: gr.Button
    estimate_md: gr.Markdown
    layers: gr.CheckboxGroup
    weights: list            # a weight slider per Inception layer, in INCEPTION_LAYERS' order
    octaves: gr.Slider
    octave_scale: gr.Slider
    steps: gr.Slider
    step_size: gr.Slider
    tile_size: gr.Slider
    max_dim: gr.Slider
    seed: gr.Number
    precision: gr.Radio
    objective: gr.Radio
    channel_layer: gr.Dropdown
    channel_mode: gr.Radio
    channels: gr.Textbox
    channel_count: gr.Slider
    tv_weight: gr.Slider
    lapnorm_levels: gr.Slider
    threshold: gr.Textbox
    mask: gr.ImageEditor
    mask_upload: UploadImage
    mask_feather: gr.Slider
    guide: UploadImage
    guide_layer: gr.Dropdown
    drop: gr.File            # the recipe drop zone
    results: gr.Column
    output: gr.Image
    status: gr.Textbox
    png: gr.File
    gif: gr.File

    def run_inputs(self) -> list:
        """The components a run reads, in :func:`genart.ui.dream.prepare`'s order."""
        return [self.image, self.layers, self.octaves, self.octave_scale, self.steps, self.step_size, self.tile_size,
                self.max_dim, self.seed, self.objective, self.channel_layer, self.channel_mode, self.channels,
                self.channel_count, self.threshold, self.tv_weight, self.lapnorm_levels, self.guide, self.guide_layer,
                self.mask, self.mask_upload, self.mask_feather, *self.weights, self.precision]

    def settings(self) -> list:
        """The controls a recipe sets, in :func:`genart.ui.dream.wire_recipe_restore`'s order (the zoom's
        sliders follow)."""
        return [self.layers, self.octaves, self.octave_scale, self.steps, self.step_size, self.tile_size,
                self.max_dim, self.seed, self.objective, self.channel_layer, self.channel_mode, self.channels,
                self.channel_count, self.threshold, self.tv_weight, self.lapnorm_levels, self.guide_layer,
                self.mask_feather, *self.weights, self.precision]


def layout() -> DreamLayout:
    """Place the tab's components in the current Blocks: the controls on the left, the result on the right."""
    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=320):
            parts = _main_controls()
            parts.update(_objective_controls())
            parts.update(_smoothness_controls())
            parts.update(_mask_and_guide())
            parts["drop"] = recipe_drop("dream")
        with gr.Column(scale=3, min_width=320) as results:
            output = gr.Image(label="Dream", format="jpeg", interactive=False, elem_id="dream-output")
            status = gr.Textbox(label="Status", interactive=False, elem_id="dream-status",
                                elem_classes=["genart-status"])
            with gr.Row():
                png = gr.File(label="Result (PNG)", elem_id="dream-png", height=90)
                gif = gr.File(label="Time-lapse (GIF)", elem_id="dream-gif", height=90)
    return DreamLayout(**parts, results=results, output=output, status=status, png=png, gif=gif)


def _main_controls() -> dict:
    """The input, Run and Stop, the estimate line, the layers and their weights, the tutorial's sliders."""
    image = UploadImage(label="Input image", type="filepath", sources=["upload", "clipboard"],
                        elem_id="dream-input", height=300)
    examples = gr.Examples([os.path.join(ASSETS, name) for name, _ in EXAMPLES], inputs=[image],
                           label="Examples, each with its settings (CC0 photos; Hokusai's Great Wave, "
                           "public domain)", elem_id="dream-examples")
    with gr.Row():
        run_btn = gr.Button("Run", variant="primary", elem_id="dream-run")
        stop_btn = gr.Button("Stop", variant="stop", elem_id="dream-stop")
    estimate_md = gr.Markdown(elem_id="dream-estimate")
    layers = gr.CheckboxGroup(LAYER_CHOICES, value=list(_DEFAULT.layers),
                              label="Layers to amplify", info="Low layers: strokes and textures; "
                              "high layers: eyes, shells, animal parts.", elem_id="dream-layers")
    with gr.Accordion("Layer weights", open=False, elem_id="dream-weights-box"):
        weights = [gr.Slider(-2.0, 5.0, value=1.0, step=0.1, label=f"{name} weight",
                             visible=name in _DEFAULT.layers, elem_id=f"dream-weight-{name}")
                   for name in INCEPTION_LAYERS]
    with gr.Row():
        octaves = gr.Slider(1, 8, value=_DEFAULT.octaves, step=1, label="Octaves")
        octave_scale = gr.Slider(1.0, 2.0, value=_DEFAULT.octave_scale, step=0.05, label="Octave scale")
    with gr.Row():
        steps = gr.Slider(1, 200, value=UI_STEPS_PER_OCTAVE, step=1, label="Steps per octave",
                          info=f"The tutorial uses {_DEFAULT.steps_per_octave}.")
        step_size = gr.Slider(0.001, 0.1, value=_DEFAULT.step_size, step=0.001, label="Step size")
    with gr.Row():
        tile_size = gr.Slider(0, 1024, value=_DEFAULT.tile_size, step=32, label="Tile size (px)",
                              info="0 = whole image at once; otherwise 160–1024.")
        max_dim = gr.Slider(128, 1024, value=_DEFAULT.max_dim, step=4, label="Max size (px)")
    with gr.Row():
        seed = gr.Number(value=_DEFAULT.seed, precision=0, minimum=0, label="Seed")
        precision = precision_radio("dream-precision", algorithm="dream",
                                    exact="with it, the default settings are the tutorial's run")
    return dict(image=image, examples=examples, run_btn=run_btn, stop_btn=stop_btn, estimate_md=estimate_md,
                layers=layers, weights=weights, octaves=octaves, octave_scale=octave_scale, steps=steps,
                step_size=step_size, tile_size=tile_size, max_dim=max_dim, seed=seed, precision=precision)


def _objective_controls() -> dict:
    """The "Objective and channels" accordion."""
    with gr.Accordion("Objective and channels", open=False, elem_id="dream-objective-box"):
        objective = gr.Radio(list(OBJECTIVES), value=_DEFAULT.objective, label="Objective",
                             info="mean: the tutorial; l2: mean of squared activations; norm: their L2 norm.",
                             elem_id="dream-objective")
        channel_layer = _layer_dropdown("Channel layer", "dream-channel-layer",
                                        "The layer whose channels are targeted (checked if it is not).")
        channel_mode = gr.Radio(list(CHANNEL_MODES), value=_DEFAULT.channel_mode, label="Channels",
                                info="chosen: the numbers below; strongest / weakest: the N channels this "
                                "image excites most / least.", elem_id="dream-channel-mode")
        with gr.Row():
            channels = gr.Textbox("", label="Chosen channels", placeholder="e.g. 12, 40",
                                  elem_id="dream-channels")
            channel_count = gr.Slider(1, 64, value=_DEFAULT.channel_count, step=1, label="N (strongest / weakest)",
                                      elem_id="dream-channel-count")
    return dict(objective=objective, channel_layer=channel_layer, channel_mode=channel_mode, channels=channels,
                channel_count=channel_count)


def _smoothness_controls() -> dict:
    """The "Smoothness and stopping" accordion."""
    with gr.Accordion("Smoothness and stopping", open=False, elem_id="dream-smooth-box"):
        with gr.Row():
            tv_weight = gr.Slider(0.0, 2.0, value=_DEFAULT.tv_weight, step=0.01, label="Smoothness (TV weight)",
                                  info="0 = off; a total-variation penalty against noise.",
                                  elem_id="dream-tv-weight")
            lapnorm_levels = gr.Slider(0, MAX_LAPNORM_LEVELS, value=_DEFAULT.lapnorm_levels, step=1,
                                       label="Laplacian pyramid levels", info="0 = the tutorial's "
                                       "normalisation; 3–5: smoother, larger patterns.",
                                       elem_id="dream-lapnorm")
        threshold = gr.Textbox("", label="Stop at loss", placeholder="off: run every step",
                               info="The run ends once the loss reaches this number.",
                               elem_id="dream-threshold")
    return dict(tv_weight=tv_weight, lapnorm_levels=lapnorm_levels, threshold=threshold)


def _mask_and_guide() -> dict:
    """The "Mask: where to dream" and "Guide image" accordions."""
    with gr.Accordion("Mask: where to dream", open=False, elem_id="dream-mask-box"):
        mask = mask_editor("dream-mask")
        with gr.Row():
            mask_upload = UploadImage(label="…or upload a black-and-white mask", type="filepath",
                                      sources=["upload"], elem_id="dream-mask-upload", height=140)
            mask_feather = gr.Slider(0, 32, value=_DEFAULT.mask_feather, step=1, label="Soft edge (px)",
                                     elem_id="dream-mask-feather")
    with gr.Accordion("Guide image", open=False, elem_id="dream-guide-box"):
        guide = UploadImage(label="Guide: dream toward this picture's features", type="filepath",
                            sources=["upload", "clipboard"], elem_id="dream-guide", height=160)
        guide_layer = _layer_dropdown("Guide layer", "dream-guide-layer", "The layer pulled toward the guide.")
    return dict(mask=mask, mask_upload=mask_upload, mask_feather=mask_feather, guide=guide, guide_layer=guide_layer)


def _layer_dropdown(label: str, elem_id: str, info: str) -> gr.Dropdown:
    return gr.Dropdown([("first checked layer", "")] + LAYER_CHOICES, value="", label=label, info=info,
                       elem_id=elem_id)
