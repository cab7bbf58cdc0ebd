"""The DeepDream tab: upload, choose layers and octaves, watch the dream grow."""

from __future__ import annotations

import os
from typing import Callable, Iterator

import gradio as gr

from .. import estimate
from ..dream import DreamConfig, dream
from ..export import Timelapse
from ..models import INCEPTION_LAYERS, weights_mode
from ..recipe import make_recipe
from .common import (ASSETS, HEAVY, UploadImage, as_number, differing, downloads, estimate_line, heavy_limit,
                     load_recipe, recipe_drop, restored_note, run_facts, slider_value, status_line, stream, user_error,
                     wire_estimate)
from .dream_extras import build_dream_extras

EXAMPLES = [os.path.join(ASSETS, name) for name in ("chelsea.jpg", "coffee.jpg")]

_DEFAULT = DreamConfig()
#: The tab starts lighter than the tutorial (100 steps per octave) so a first run takes about a
#: minute on 2 vCPUs; the slider goes past the tutorial's value.
UI_STEPS_PER_OCTAVE = 20


def make_config(layers, octaves, octave_scale, steps_per_octave, step_size, tile_size, max_dim, seed) -> DreamConfig:
    """Control values → DreamConfig (validation lives in the config)."""
    return DreamConfig(
        layers=tuple(layers or ()),
        octaves=as_number(octaves, "octaves"),
        octave_scale=as_number(octave_scale, "octave_scale"),
        steps_per_octave=as_number(steps_per_octave, "steps_per_octave"),
        step_size=as_number(step_size, "step_size"),
        tile_size=as_number(tile_size, "tile_size"),
        max_dim=as_number(max_dim, "max_dim"),
        seed=as_number(seed, "seed"),
    )


def build_recipe_restore(layers, octaves, octave_scale, steps, step_size, tile_size, max_dim, seed) -> None:
    """The "Recipe" drop zone (``#dream-recipe``): a genart PNG or JSON recipe sets every control (/dream_recipe)."""
    drop = recipe_drop("dream")

    def restore(path):
        recipe, cfg = load_recipe(path, "dream")
        restored_note(recipe, differing(cfg, _DEFAULT, ("layer_weights", "preview_every")))
        return (list(cfg.layers), slider_value(octaves, cfg.octaves), slider_value(octave_scale, cfg.octave_scale),
                slider_value(steps, cfg.steps_per_octave), slider_value(step_size, cfg.step_size),
                slider_value(tile_size, cfg.tile_size), slider_value(max_dim, cfg.max_dim), cfg.seed)

    drop.upload(restore, inputs=[drop], outputs=[layers, octaves, octave_scale, steps, step_size, tile_size,
                                                 max_dim, seed], api_name="dream_recipe")


def build_dream_tab(run: Callable[..., Iterator] = dream) -> None:
    """Lay out the DeepDream tab inside the current Blocks and wire its events to ``run``."""
    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=320):
            image = UploadImage(label="Input image", type="filepath", sources=["upload", "clipboard"],
                                elem_id="dream-input", height=300)
            gr.Examples(EXAMPLES, inputs=[image], label="Examples (CC0 photos)")
            with gr.Row():
                run_btn = gr.Button("Run", variant="primary", elem_id="dream-run")
                stop_btn = gr.Button("Stop", variant="stop", elem_id="dream-stop")
            estimate_md = gr.Markdown(elem_id="dream-estimate")
            layers = gr.CheckboxGroup(list(INCEPTION_LAYERS), value=list(_DEFAULT.layers),
                                      label="Layers to amplify", info="Low layers: strokes and textures; "
                                      "high layers: eyes, shells, animal parts.", elem_id="dream-layers")
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
            seed = gr.Number(value=_DEFAULT.seed, precision=0, minimum=0, label="Seed")
            build_recipe_restore(layers, octaves, octave_scale, steps, step_size, tile_size, max_dim, seed)
        with gr.Column(scale=3, min_width=320):
            output = gr.Image(label="Dream", format="jpeg", interactive=False, elem_id="dream-output")
            status = gr.Textbox(label="Status", interactive=False, elem_id="dream-status",
                                elem_classes=["genart-status"])
            with gr.Row():
                png = gr.File(label="Result (PNG)", elem_id="dream-png", height=90)
                gif = gr.File(label="Time-lapse (GIF)", elem_id="dream-gif", height=90)

    def run_dream(image, layers=list(_DEFAULT.layers), octaves=_DEFAULT.octaves,
                  octave_scale=_DEFAULT.octave_scale, steps_per_octave=UI_STEPS_PER_OCTAVE,
                  step_size=_DEFAULT.step_size, tile_size=_DEFAULT.tile_size, max_dim=_DEFAULT.max_dim,
                  seed=_DEFAULT.seed):
        try:
            cfg = make_config(layers, octaves, octave_scale, steps_per_octave, step_size, tile_size, max_dim, seed)
        except Exception as exc:
            raise user_error(exc) from None
        timelapse = Timelapse()
        tracker = estimate.Tracker(estimate.estimate_dream(cfg, estimate.image_hw(image), measure=False))
        for tick in stream(tracker.wrap(run(image, cfg)), timelapse):
            files = (downloads(tick.frame.image, timelapse, "dream",
                               make_recipe("dream", cfg, weights=weights_mode(), inputs={"image": image},
                                           run=run_facts(tick)))
                     if tick.frame.final else (None, None))
            yield (tick.frame.image, status_line(tick, tracker.remaining()), *files)

    event = run_btn.click(
        run_dream, inputs=[image, layers, octaves, octave_scale, steps, step_size, tile_size, max_dim, seed],
        outputs=[output, status, png, gif], api_name="dream", concurrency_id=HEAVY,
        concurrency_limit=heavy_limit(), show_progress="minimal",
    )
    stop_btn.click(None, cancels=[event], api_name=False)

    def estimate_text(image, layers, octaves, octave_scale, steps_per_octave, tile_size, max_dim):
        """The estimate line for these settings (the uploaded image's aspect, else 4:3)."""
        def cfg():
            return make_config(layers, octaves, octave_scale, steps_per_octave, _DEFAULT.step_size, tile_size,
                               max_dim, _DEFAULT.seed)
        shape = estimate.image_hw(image)
        return estimate_line(lambda measure: estimate.estimate_dream(cfg(), shape, measure=measure),
                             lambda budget: estimate.suggest_cheaper(cfg(), shape, budget_s=budget))

    wire_estimate(estimate_text, [image, layers, octaves, octave_scale, steps, tile_size, max_dim], estimate_md,
                  after=[event], api_name="dream_estimate")
    build_dream_extras(inputs=[image, layers, octaves, octave_scale, steps, step_size, tile_size, max_dim, seed],
                       prepare=lambda image, *values: (image, make_config(*values), {}), output=output,
                       status=status, layers=layers, stop=stop_btn, png=png, run=run)
