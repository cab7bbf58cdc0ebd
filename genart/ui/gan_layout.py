"""The DCGAN tab's layout: its components, placed in the current Blocks.

:func:`layout` places them and returns them as a :class:`GanLayout`; :mod:`genart.ui.gan` wires them.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from ..gan import DEFAULT_PRESET, PRESETS, GanConfig
from ..gan.data import DATASET_LABELS, DATASETS, OWN
from ..gan.imagesets import COLOURS, MIN_IMAGES, max_images
from .gan_data import EPOCHS_SLIDER_MAX, MAX_EXAMPLES, default_epochs, examples_available, examples_info
from .gan_plots import DIGIT_COLORS, PLOT_COLORS
from .recipes import recipe_drop

_DEFAULT = GanConfig()
_START = PRESETS[DEFAULT_PRESET]


@dataclass
class GanLayout:
    """The tab's components, as :func:`layout` places them."""

    dataset: gr.Radio
    own_group: gr.Group      # the own pictures' zip and colour (shown for "own")
    own_zip: gr.File
    colour: gr.Radio
    train_btn: gr.Button
    continue_btn: gr.Button
    stop_btn: gr.Button
    reset_btn: gr.Button
    estimate_md: gr.Markdown
    preset_name: gr.Radio
    learning_rate: gr.Number
    batch_size: gr.Slider
    epochs: gr.Slider
    examples: gr.Slider
    available: int           # the examples slider's start: the training images there were at build time
    drop: gr.File            # the recipe drop zone
    results: gr.Column
    note: gr.Markdown
    grid_image: gr.Image
    status: gr.Textbox
    plot: gr.LinePlot
    digits_plot: gr.LinePlot
    gif: gr.File
    keras_file: gr.File
    ckpt_zip: gr.File
    samples_png: gr.File
    save_btn: gr.Button



def layout() -> GanLayout:
    """Place the tab's components in the current Blocks: the controls on the left, the trainer's grid,
    status, plots and downloads on the right."""
    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=320):
            parts = _controls()
        with gr.Column(scale=3, min_width=320) as results:
            parts.update(_results())
    return GanLayout(**parts, results=results)



def _controls() -> dict:
    """The dataset (and own pictures), Train, Continue, Stop, Reset, the estimate line, the settings."""
    dataset = gr.Radio([(DATASET_LABELS[name], name) for name in DATASETS + (OWN,)], value=_DEFAULT.dataset,
                       label="Dataset", elem_id="gan-dataset")
    with gr.Group(visible=_DEFAULT.dataset == OWN, elem_id="gan-own") as own_group:
        own_zip = gr.File(label=f"Your pictures: a .zip of {MIN_IMAGES} to {max_images():,} images",
                          file_types=[".zip"], type="filepath", elem_id="gan-own-zip")
        colour = gr.Radio(list(COLOURS), value=_DEFAULT.colour, label="Colour", elem_id="gan-colour",
                          info="auto: grey when every picture is grey. Pictures are centre-cropped to "
                          "32×32 and train a DCGAN one stage deeper than the tutorial's.")
    with gr.Row():
        train_btn = gr.Button("Train", variant="primary", elem_id="gan-train")
        continue_btn = gr.Button("Continue", elem_id="gan-continue")
        stop_btn = gr.Button("Stop", variant="stop", elem_id="gan-stop")
        reset_btn = gr.Button("Reset", elem_id="gan-reset")
    estimate_md = gr.Markdown(elem_id="gan-estimate")
    preset_name = gr.Radio(list(PRESETS), value=DEFAULT_PRESET, label="Preset", elem_id="gan-preset",
                           info="quick: genart's quick networks, not the tutorial's (a narrower generator), "
                           "trained as fast: digits soonest · fast: the tutorial's networks, Adam 2e-4, β1 0.5, "
                           "batch 64, pictures from an EMA of the generator (0.99) · tutorial: Adam 1e-4, β1 0.9, "
                           "batch 256 · dcgan-paper: Adam 2e-4, β1 0.5, batch 256")
    learning_rate = gr.Number(value=_START.learning_rate, label="Learning rate", step=1e-5,
                              info="Adam, both networks (1e-6 to 0.1).", elem_id="gan-lr")
    batch_size = gr.Slider(16, 256, value=_START.batch_size, step=16, label="Batch size",
                           elem_id="gan-batch")
    epochs = gr.Slider(1, EPOCHS_SLIDER_MAX, value=default_epochs(_DEFAULT.dataset), step=1, label="Epochs",
                       elem_id="gan-epochs",
                       info="Epochs to add on Train or Continue; a stopped, unfinished epoch counts as one. "
                       "The tutorial trains 50.")
    available = examples_available(_DEFAULT.dataset)
    examples = gr.Slider(100, MAX_EXAMPLES, value=available, step=100, label="Examples per epoch",
                         elem_id="gan-examples", info=examples_info(available))
    drop = recipe_drop("gan")
    return dict(dataset=dataset, own_group=own_group, own_zip=own_zip, colour=colour, train_btn=train_btn,
                continue_btn=continue_btn, stop_btn=stop_btn, reset_btn=reset_btn, estimate_md=estimate_md,
                preset_name=preset_name, learning_rate=learning_rate, batch_size=batch_size, epochs=epochs,
                examples=examples, available=available, drop=drop)



def _results() -> dict:
    """The trainer's note, the sample grid, status, the two plots and the downloads."""
    note = gr.Markdown("Press **Train**: the 4×4 grid shows what the generator draws from 16 fixed "
                       "noise vectors, updated every few seconds.", label="Trainer", elem_id="gan-note")
    grid_image = gr.Image(label="Generated samples (fixed noise)", format="jpeg", interactive=False,
                          elem_id="gan-grid", height=360)
    status = gr.Textbox(label="Status", interactive=False, elem_id="gan-status",
                        elem_classes=["genart-status"])
    plot = gr.LinePlot(None, x="step", y="value", color="series", color_map=PLOT_COLORS,
                       label="Losses (blue: generator · orange: discriminator) and the discriminator's "
                       "scores (green: D(x), real images · red: D(G(z)), generated ones)",
                       elem_id="gan-loss", height=240)
    digits_plot = gr.LinePlot(None, x="step", y="value", color="series", color_map=DIGIT_COLORS,
                              y_lim=[0, 1], elem_id="gan-digits", height=200,
                              label="Looks like digits? A classifier trained on real MNIST digits scores the "
                              "16 samples (confidence · classes covered ÷ 10); the flat lines are what 9 in "
                              "10 sets of 16 real digits reach. MNIST only.")
    with gr.Row():
        gif = gr.File(label="Time-lapse (GIF)", elem_id="gan-gif")
        keras_file = gr.File(label="Generator (.keras)", elem_id="gan-keras")
        ckpt_zip = gr.File(label="Checkpoint (zip)", elem_id="gan-ckpt")
    samples_png = gr.File(label="Samples (PNG, with its recipe)", elem_id="gan-png")
    save_btn = gr.Button("Prepare downloads now", size="sm", elem_id="gan-save")
    return dict(note=note, grid_image=grid_image, status=status, plot=plot, digits_plot=digits_plot, gif=gif,
                keras_file=keras_file, ckpt_zip=ckpt_zip, samples_png=samples_png, save_btn=save_btn)

