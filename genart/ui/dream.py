"""The DeepDream tab: upload, choose layers and octaves, watch the dream grow.

Beyond the tutorial's sliders: a weight per checked layer, the objective, the channels of one
layer (chosen, or the strongest / weakest for this image), smoothness (TV, Laplacian pyramid), a
loss threshold that ends the run, a painted (or uploaded) mask and a guide image.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from typing import Callable, Iterator, NamedTuple

import gradio as gr

from ..dream import (CHANNEL_MODES, COSTING, LAYER_CHANNELS, MAX_LAPNORM_LEVELS, OBJECTIVES, DreamConfig, dream,
                     recipe_inputs)
from ..dream.explorer import channel_sheet
from ..errors import InputError
from ..estimate import estimate
from ..export import Timelapse
from ..images import image_hw
from ..models import INCEPTION_LAYERS, weights_mode
from ..recipe import make_recipe
from .downloads import downloads
from .errors import user_error
from .estimate_line import estimate_line, wire_estimate
from .heavy import heavy
from .inputs import ASSETS, UploadImage, as_number
from .precision import precision_radio, precision_value
from .status import status_line
from .streaming import run_facts, stream
from .recipes import Restore, differing, load_recipe, recipe_drop, restored_note, slider_value
from .dream_extras import build_dream_extras
from .masks import editor_value, mask_editor, mask_source

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


def parse_channels(text) -> tuple[int, ...]:
    """``"12, 40"`` → (12, 40); anything but whole numbers separated by commas or spaces is an InputError."""
    text = "" if text is None else str(text).strip()
    if not text:
        return ()
    parts = [p for p in re.split(r"[,\s;]+", text) if p]
    if not all(re.fullmatch(r"\d+", p) for p in parts):
        raise InputError(f"channels: write channel numbers separated by commas, e.g. 12, 40; got {text!r}.")
    return tuple(int(p) for p in parts)


def make_config(layers, octaves, octave_scale, steps_per_octave, step_size, tile_size, max_dim, seed,
                objective="mean", channel_layer=None, channel_mode="all", channels="", channel_count=4,
                threshold=None, tv_weight=0.0, lapnorm_levels=0, guide_layer=None, mask_feather=0.0,
                weights=None, precision="auto") -> DreamConfig:
    """Control values → DreamConfig (validation lives in the config). ``weights``: layer → weight
    (missing layers weigh 1); all 1 gives the tutorial's ``layer_weights=None``."""
    layers = tuple(layers or ())
    per_layer = tuple(float(as_number((weights or {}).get(name, 1.0), f"weight of {name}")) for name in layers)
    return DreamConfig(
        layers=layers,
        layer_weights=None if all(w == 1.0 for w in per_layer) else per_layer,
        octaves=as_number(octaves, "octaves"),
        octave_scale=as_number(octave_scale, "octave_scale"),
        steps_per_octave=as_number(steps_per_octave, "steps_per_octave"),
        step_size=as_number(step_size, "step_size"),
        tile_size=as_number(tile_size, "tile_size"),
        max_dim=as_number(max_dim, "max_dim"),
        seed=as_number(seed, "seed"),
        objective=objective or "mean",
        channel_layer=channel_layer or None,
        channel_mode=None if channel_mode in (None, "", "all") else channel_mode,  # typed channels choose them
        channels=parse_channels(channels) if channel_mode in (None, "", "all", "chosen") else (),
        channel_count=as_number(channel_count, "channel_count"),
        threshold=None if threshold is None or not str(threshold).strip() else as_number(threshold, "threshold"),
        tv_weight=as_number(tv_weight, "tv_weight"),
        lapnorm_levels=as_number(lapnorm_levels, "lapnorm_levels"),
        guide_layer=guide_layer or None,
        mask_feather=as_number(mask_feather, "mask_feather"),
        precision=precision or "auto",
    )


class DreamTab(NamedTuple):
    """What the studio wires across tabs (send-to buttons, the gallery)."""

    image: gr.Image      # the input picture
    png: gr.File         # the finished result, a PNG carrying its recipe
    gif: gr.File         # its time-lapse
    run: object          # the Run event
    restore: Restore     # the recipe restore (sets every control)
    results: gr.Column   # the result column (send-to buttons go at its end)


def prepare(image, layers=list(_DEFAULT.layers), octaves=_DEFAULT.octaves,
            octave_scale=_DEFAULT.octave_scale, steps_per_octave=UI_STEPS_PER_OCTAVE,
            step_size=_DEFAULT.step_size, tile_size=_DEFAULT.tile_size, max_dim=_DEFAULT.max_dim,
            seed=_DEFAULT.seed, objective="mean", channel_layer="", channel_mode="all", channels=None,
            channel_count=_DEFAULT.channel_count, threshold=None, tv_weight=0.0, lapnorm_levels=0,
            guide=None, guide_layer="", mask=None, mask_upload=None, mask_feather=0.0,
            weight_mixed0=1.0, weight_mixed1=1.0, weight_mixed2=1.0, weight_mixed3=1.0, weight_mixed4=1.0,
            weight_mixed5=1.0, weight_mixed6=1.0, weight_mixed7=1.0, weight_mixed8=1.0, weight_mixed9=1.0,
            weight_mixed10=1.0, precision="auto"):
    """The controls' values (``DreamLayout.run_inputs``, in order) → (image, DreamConfig, the guide and mask)."""
    values = locals()
    cfg = make_config(layers, octaves, octave_scale, steps_per_octave, step_size, tile_size, max_dim, seed,
                      objective, channel_layer, channel_mode, channels, channel_count, threshold, tv_weight,
                      lapnorm_levels, guide_layer, mask_feather,
                      {name: values[f"weight_{name}"] for name in INCEPTION_LAYERS}, precision)
    return image, cfg, {"guide": guide, "mask": mask_source(mask, mask_upload)}


def estimate_text(image, layers, octaves, octave_scale, steps_per_octave, tile_size, max_dim):
    """The estimate line for these settings (the uploaded image's aspect, else 4:3)."""
    def request():
        return make_config(layers, octaves, octave_scale, steps_per_octave, _DEFAULT.step_size, tile_size,
                           max_dim, _DEFAULT.seed), (image_hw(image),), {}
    return estimate_line(COSTING, request)


def check_layer(chosen, checked):
    """A channel or guide layer that is not checked gets checked (the explorer sets it by a click)."""
    checked = list(checked or ())
    if chosen and chosen not in checked:
        checked = [name for name in INCEPTION_LAYERS if name in checked or name == chosen]
    return checked


def example_settings(sample):
    """The chosen example's settings → the layer and octave controls."""
    chosen = EXAMPLES[sample[0]][1]
    return (chosen["layers"], chosen["octaves"], chosen["octave_scale"], chosen["steps"], chosen["step_size"])


# --- layout -------------------------------------------------------------------------------------------

@dataclass
class DreamLayout:
    """The tab's components, as :func:`_layout` places them."""

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
        """The components a run reads, in :func:`prepare`'s order."""
        return [self.image, self.layers, self.octaves, self.octave_scale, self.steps, self.step_size, self.tile_size,
                self.max_dim, self.seed, self.objective, self.channel_layer, self.channel_mode, self.channels,
                self.channel_count, self.threshold, self.tv_weight, self.lapnorm_levels, self.guide, self.guide_layer,
                self.mask, self.mask_upload, self.mask_feather, *self.weights, self.precision]

    def settings(self) -> list:
        """The controls a recipe sets, in :func:`wire_recipe_restore`'s order (the zoom's sliders follow)."""
        return [self.layers, self.octaves, self.octave_scale, self.steps, self.step_size, self.tile_size,
                self.max_dim, self.seed, self.objective, self.channel_layer, self.channel_mode, self.channels,
                self.channel_count, self.threshold, self.tv_weight, self.lapnorm_levels, self.guide_layer,
                self.mask_feather, *self.weights, self.precision]


def _layer_dropdown(label: str, elem_id: str, info: str) -> gr.Dropdown:
    return gr.Dropdown([("first checked layer", "")] + LAYER_CHOICES, value="", label=label, info=info,
                       elem_id=elem_id)


def _layout() -> DreamLayout:
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


# --- wiring -------------------------------------------------------------------------------------------

def build_dream_tab(run: Callable[..., Iterator] = dream, explore: Callable[..., Iterator] = channel_sheet) -> DreamTab:
    """Lay out the DeepDream tab inside the current Blocks and wire its events to ``run`` (dreams and
    the zoom animation) and ``explore`` (the channel explorer)."""
    ui = _layout()
    event = _wire_run(ui, run)
    _wire_controls(ui)
    wire_estimate(estimate_text, [ui.image, ui.layers, ui.octaves, ui.octave_scale, ui.steps, ui.tile_size, ui.max_dim],
                  ui.estimate_md, after=[event], api_name="dream_estimate")
    zoom_sliders = build_dream_extras(inputs=ui.run_inputs(), prepare=prepare, output=ui.output, status=ui.status,
                                      layers=ui.layers, stop=ui.stop_btn, png=ui.png, channel_layer=ui.channel_layer,
                                      channel_mode=ui.channel_mode, channels=ui.channels, run=run, explore=explore)
    restore = wire_recipe_restore(ui.drop, [*ui.settings(), *zoom_sliders])
    return DreamTab(ui.image, ui.png, ui.gif, event, restore, ui.results)


def _wire_run(ui: DreamLayout, run: Callable[..., Iterator]):
    """Run (/dream) streams ``run``'s dream into the result, then its PNG and time-lapse; Stop ends it.
    Returns the Run event."""
    @functools.wraps(prepare)  # the same parameters and defaults (/dream's API: all but the image optional)
    def run_dream(*values, **named):
        try:
            image, cfg, sources = prepare(*values, **named)
            guide, mask_src = sources["guide"], sources["mask"]
        except Exception as exc:
            raise user_error(exc) from None
        timelapse = Timelapse()
        frames = run(image, cfg, guide=guide, mask=mask_src)
        for tick in stream(frames, timelapse, estimate(COSTING, cfg, image_hw(image), measure=False)):
            files = (downloads(tick.frame.image, timelapse, f"dream-seed{cfg.seed}",
                               make_recipe("dream", cfg, weights=weights_mode(), run=run_facts(tick),
                                           inputs=recipe_inputs(image, cfg, guide=guide, mask=mask_src)))
                     if tick.frame.final else (None, None))
            yield (tick.frame.image, status_line(tick), *files)

    event = heavy(ui.run_btn.click, run_dream, ui.run_inputs(), [ui.output, ui.status, ui.png, ui.gif], ui.status,
                  api_name="dream")
    ui.stop_btn.click(None, cancels=[event], api_name=False)
    return event


def _wire_controls(ui: DreamLayout) -> None:
    """Controls that follow others: the mask editor shows the input, a weight slider per checked layer,
    typed channels choose them, a channel or guide layer gets checked, an example sets its settings."""
    ui.image.change(editor_value, inputs=[ui.image], outputs=[ui.mask], api_name=False, show_progress="hidden")
    ui.layers.change(lambda checked: [gr.update(visible=name in (checked or ())) for name in INCEPTION_LAYERS],
                     inputs=[ui.layers], outputs=ui.weights, api_name=False, show_progress="hidden")
    # Naming channels is choosing them: the radio says so as soon as channels are typed.
    ui.channels.input(lambda text, mode: "chosen" if str(text or "").strip() and mode == "all" else gr.skip(),
                      inputs=[ui.channels, ui.channel_mode], outputs=[ui.channel_mode], api_name=False,
                      show_progress="hidden")
    for dropdown in (ui.channel_layer, ui.guide_layer):
        dropdown.change(check_layer, inputs=[dropdown, ui.layers], outputs=[ui.layers], api_name=False,
                        show_progress="hidden")
    ui.examples.dataset.click(example_settings, inputs=[ui.examples.dataset],
                              outputs=[ui.layers, ui.octaves, ui.octave_scale, ui.steps, ui.step_size],
                              api_name=False, show_progress="hidden")


def wire_recipe_restore(drop: gr.File, controls: list) -> Restore:
    """The "Recipe" drop zone ``drop`` (``#dream-recipe``): a genart PNG or JSON recipe sets every control,
    the zoom animation's too when the recipe made one (/dream_recipe; the guide, mask and input
    pictures are not stored, only their fingerprints)."""
    (layers, octaves, octave_scale, steps, step_size, tile_size, max_dim, seed, objective, channel_layer,
     channel_mode, channels, channel_count, threshold, tv_weight, lapnorm_levels, guide_layer, mask_feather,
     *weights, precision, zoom_frames, zoom, zoom_steps) = controls

    def restore(path):
        recipe, cfg = load_recipe(path, "dream")
        restored_note(recipe, differing(cfg, _DEFAULT, ("preview_every",)))
        per_layer = dict(zip(cfg.layers, cfg.layer_weights or (1.0,) * len(cfg.layers)))
        sliders = [slider_value(octaves, cfg.octaves), slider_value(octave_scale, cfg.octave_scale),
                   slider_value(steps, cfg.steps_per_octave), slider_value(step_size, cfg.step_size),
                   slider_value(tile_size, cfg.tile_size), slider_value(max_dim, cfg.max_dim)]
        return (list(cfg.layers), *sliders, cfg.seed, cfg.objective, cfg.channel_layer or "", cfg.channel_mode,
                ", ".join(map(str, cfg.channels)), slider_value(channel_count, cfg.channel_count),
                "" if cfg.threshold is None else f"{cfg.threshold:g}",
                slider_value(tv_weight, cfg.tv_weight), cfg.lapnorm_levels, cfg.guide_layer or "", cfg.mask_feather,
                *[{**slider_value(w, per_layer.get(name, 1.0)), "visible": name in cfg.layers}
                  for w, name in zip(weights, INCEPTION_LAYERS)], precision_value(precision, cfg.precision),
                *((slider_value(zoom_frames, cfg.zoom_frames), slider_value(zoom, cfg.zoom),
                   slider_value(zoom_steps, cfg.zoom_steps)) if cfg.zoom_frames else (gr.skip(),) * 3))

    drop.upload(restore, inputs=[drop], outputs=controls, api_name="dream_recipe")
    return Restore(restore, controls)
