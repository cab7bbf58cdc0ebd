"""The DeepDream tab: upload, choose layers and octaves, watch the dream grow.

Beyond the tutorial's sliders: a weight per checked layer, the objective, the channels of one
layer (chosen, or the strongest / weakest for this image), smoothness (TV, Laplacian pyramid), a
loss threshold that ends the run, a painted (or uploaded) mask and a guide image.

:func:`build_dream_tab` places the components (:mod:`genart.ui.dream_layout`), then wires them:
Run and Stop, the controls that follow others, the estimate line, the channel explorer and zoom
animation (:mod:`genart.ui.dream_extras`) and the recipe drop zone.
"""

from __future__ import annotations

import functools
import re
from typing import Callable, Iterator, NamedTuple

import gradio as gr

from ..dream import COSTING, DreamConfig, dream, recipe_inputs
from ..dream.explorer import channel_sheet
from ..errors import InputError
from ..estimate import estimate
from ..export import Timelapse
from ..images import image_hw
from ..models import INCEPTION_LAYERS, weights_mode
from ..recipe import make_recipe
from .downloads import downloads
from .user_errors import user_error
from .estimate_line import estimate_line, wire_estimate
from .heavy import Stopper, heavy
from .inputs import as_number
from .precision_radio import precision_value
from .status import status_line
from .streaming import run_facts, stream
from .recipes import Restore, differing, load_recipe, restored_note, slider_value
from .dream_extras import build_dream_extras
from .dream_layout import EXAMPLES, UI_STEPS_PER_OCTAVE, DreamLayout, layout
from .masks import editor_value, mask_source

_DEFAULT = DreamConfig()


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


def build_dream_tab(run: Callable[..., Iterator] = dream, explore: Callable[..., Iterator] = channel_sheet) -> DreamTab:
    """Lay out the DeepDream tab inside the current Blocks and wire its events to ``run`` (dreams and
    the zoom animation) and ``explore`` (the channel explorer)."""
    ui = layout()
    stopper = Stopper()  # the tab's Stop: dreams, the explorer and the zoom
    stopper.wire(ui.stop_btn)
    event = _wire_run(ui, run, stopper)
    _wire_controls(ui)
    wire_estimate(estimate_text, [ui.image, ui.layers, ui.octaves, ui.octave_scale, ui.steps, ui.tile_size, ui.max_dim],
                  ui.estimate_md, after=[event], api_name="dream_estimate")
    zoom_sliders = build_dream_extras(inputs=ui.run_inputs(), prepare=prepare, output=ui.output, status=ui.status,
                                      layers=ui.layers, stop=stopper, png=ui.png, channel_layer=ui.channel_layer,
                                      channel_mode=ui.channel_mode, channels=ui.channels, run=run, explore=explore)
    restore = wire_recipe_restore(ui.drop, [*ui.settings(), *zoom_sliders])
    return DreamTab(ui.image, ui.png, ui.gif, event, restore, ui.results)


def _wire_run(ui: DreamLayout, run: Callable[..., Iterator], stopper: Stopper):
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
                               make_recipe("dream", cfg, ran=tick.frame.facts, weights=weights_mode(),
                                           run=run_facts(tick),
                                           inputs=recipe_inputs(image, cfg, guide=guide, mask=mask_src)))
                     if tick.frame.final else (None, None))
            yield (tick.frame.image, status_line(tick), *files)

    return heavy(ui.run_btn.click, run_dream, ui.run_inputs(), [ui.output, ui.status, ui.png, ui.gif], ui.status,
                 stopper=stopper, api_name="dream")


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
