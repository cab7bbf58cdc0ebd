"""The DCGAN tab: train the tutorial's GAN live, one trainer per browser session.

The data is MNIST, Fashion-MNIST or the visitor's own pictures: a zip uploaded here, decoded on
Train by :func:`genart.gan.imagesets.load_image_set` (32×32, grey or colour) and trained with the
32-px networks; trainers on the same pictures share one copy of them.

The trainer lives in this session's ``gr.State`` (built on Train, closed on Reset, when the session
ends or after an hour unused). Train starts over with the controls' settings; Continue adds epochs
to the session's trainer with the settings it was built with; Stop ends a run between two steps
(the trainer's lock keeps it whole), and Continue then resumes from there.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import shutil
import tempfile
import time
import zipfile
from typing import Callable, NamedTuple

import gradio as gr

from ..gan.data import DATASET_LABELS, DATASETS, OWN, SUBSET_PATH, load_digits, load_shipped_subset, mnist_cached
from ..errors import InputError
from ..estimate import estimate
from ..export import save_png
from ..gan import (COSTING, DEFAULT_PRESET, DIGIT_STEPS, PRESETS, GanConfig, GanTrainer, check_epochs,
                   epochs_for_steps, preset)
from ..gan.meter import judges
from ..gan.pool import POOL
from ..gan.imagesets import COLOURS, MIN_IMAGES, count_files, load_image_set, max_images
from ..recipe import png_text, trainer_recipe
from .downloads import out_path
from .errors import user_error
from .estimate_line import estimate_line, wire_estimate
from .heavy import heavy
from .inputs import as_number
from .status import status_line
from .streaming import stream
from .recipes import Restore, load_recipe, recipe_drop, restored_note, slider_value
from .gan_play import build_play
from .gan_plots import DIGIT_COLORS, PLOT_COLORS, digits_expectation, digits_table, loss_table

_DEFAULT = GanConfig()
_START = PRESETS[DEFAULT_PRESET]
#: Examples per epoch: the slider's maximum means the whole training set (60 000 for MNIST).
MAX_EXAMPLES = 60_000
#: Epochs of Continue (and of Train on own pictures); Train on MNIST starts at :func:`default_epochs`.
UI_EPOCHS = 1
EPOCHS_SLIDER_MAX = 50
#: A trainer nobody has used for this long is closed (its memory freed).
STATE_TTL_S = 3600
#: The plots are redrawn at most this often.
PLOT_INTERVAL_S = 1.0


def make_config(dataset, preset_name, learning_rate, batch_size, examples_per_epoch, colour="auto") -> GanConfig:
    """Control values → GanConfig (validation lives in the config); β1 comes from the preset."""
    examples = as_number(examples_per_epoch, "examples_per_epoch")
    return preset(str(preset_name), dataset=str(dataset), colour=str(colour),
                  learning_rate=as_number(learning_rate, "learning_rate"),
                  batch_size=as_number(batch_size, "batch_size"),
                  examples_per_epoch=None if examples == MAX_EXAMPLES else examples)


def load_pictures(dataset, zip_path, colour):
    """The uploaded zip as an ImageSet when the dataset is "own" (None otherwise)."""
    if dataset != OWN:
        return None
    if not zip_path:
        raise InputError(f"Upload a zip of your pictures first (at least {MIN_IMAGES}, at most {max_images():,}).")
    return load_image_set(zip_path, str(colour))


#: How the status line names the trainer's metrics (None: not shown there).
STATUS_NAMES = {"gen_loss": "G", "disc_loss": "D", "real_score": "D(x)", "fake_score": "D(G(z))",
                "digit_confidence": "digits", "digit_coverage": "classes", "digits_reached": None}


def describe(trainer: GanTrainer) -> str:
    """The session trainer's settings (and the offline-data note), for the Markdown above the grid."""
    c = trainer.config
    data = f"{DATASET_LABELS[c.dataset]}, {trainer.num_examples:,} images" if trainer.data_source != "given" \
        else f"{trainer.num_examples:,} given images"
    if c.dataset == OWN:
        h, w, channels = trainer.image_shape
        data = f"your pictures, {trainer.num_examples:,} at {w}×{h} {'grey' if channels == 1 else 'colour'}"
    text = (f"**This session's trainer:** {data} · Adam lr {c.learning_rate:g}, β1 {c.beta_1:g} · batch {c.batch_size}"
            f" · {trainer.examples_per_epoch:,} examples ({trainer.steps_per_epoch} steps) per epoch · "
            f"{trainer.epoch:.2f} epochs trained. Continue keeps these settings; Train starts over with the controls'.")
    if c.ema_decay:
        text += f" The pictures come from a moving average of the generator's weights (EMA {c.ema_decay:g})."
    if not judges(c.dataset, trainer.image_shape):
        text += " The \"looks like digits\" meter judges MNIST digits only."
    if trainer.data_note:
        text += f"\n\n⚠️ {trainer.data_note}"
    return text


def epoch_name(trainer: GanTrainer) -> str:
    """``"dcgan-epoch3"`` (``"dcgan-epoch2.5"`` part-way): the start of the trainer's download names."""
    return "dcgan-epoch" + (f"{trainer.epoch:.2f}".rstrip("0").rstrip(".") or "0")


def write_downloads(trainer: GanTrainer) -> tuple[str, str, str]:
    """Time-lapse GIF, generator ``.keras`` and a zip of the tf.train.Checkpoint files."""
    name = epoch_name(trainer)
    gif = trainer.timelapse(out_path(f"{name}.gif"))
    generator = trainer.export_generator(out_path("dcgan-generator.keras"))
    folder = tempfile.mkdtemp(prefix="genart-ckpt-")
    try:
        trainer.save(folder)
        archive = out_path(f"{name.replace('dcgan-', 'dcgan-checkpoint-')}.zip")
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
            for name in sorted(os.listdir(folder)):
                zf.write(os.path.join(folder, name), arcname=name)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return gif, generator, archive


def write_grid_png(trainer: GanTrainer | None) -> str | None:
    """The current 4×4 sample grid as a PNG carrying the trainer's recipe (None without a trainer)."""
    if trainer is None:
        return None
    return save_png(out_path(f"{epoch_name(trainer)}.png"), trainer.grid(), text=png_text(trainer_recipe(trainer)))


class GanTab(NamedTuple):
    """What the studio wires across tabs (send-to buttons, the gallery)."""

    png: gr.File         # the samples grid, a PNG carrying the trainer's recipe
    gif: gr.File         # the time-lapse
    done: list           # the events that write ``png`` after Train / Continue
    restore: Restore     # the recipe restore (sets every control)
    results: gr.Column   # the result column (send-to buttons go at its end)


def wire_recipe_restore(drop: gr.File, dataset, preset_name, learning_rate, batch_size, epochs, examples,
                        colour) -> Restore:
    """The "Recipe" drop zone ``drop`` (``#gan-recipe``): a genart PNG or JSON recipe sets every control (/gan_recipe).

    The preset is the one with the recipe's β1 (the tab takes β1 from the preset); epochs are
    those the recipe's trainer had trained. Own pictures are not in a recipe (only their digest):
    the visitor uploads them again.
    """
    def restore(path):
        recipe, cfg = load_recipe(path, "gan")
        names = [name for name, p in PRESETS.items() if p.beta_1 == cfg.beta_1]
        name = next((n for n in names if (PRESETS[n].learning_rate, PRESETS[n].batch_size)
                     == (cfg.learning_rate, cfg.batch_size)), None)
        name = name or next((n for n in names if PRESETS[n].learning_rate == cfg.learning_rate), names[0] if names else None)
        not_shown = [] if name else [f"beta_1={cfg.beta_1:g}"]
        not_shown += [f"{f}={getattr(cfg, f)!r}" for f in ("noise_dim", "preview_every", "seed")
                      if getattr(cfg, f) != getattr(_DEFAULT, f)]
        restored_note(recipe, not_shown)
        trained = (recipe.get("run") or {}).get("epochs")
        known = isinstance(trained, (int, float)) and not isinstance(trained, bool) and 0 < trained <= 1000
        return (cfg.dataset, name or gr.skip(), cfg.learning_rate, slider_value(batch_size, cfg.batch_size),
                slider_value(epochs, max(1, math.ceil(trained))) if known else gr.skip(),
                slider_value(examples, cfg.examples_per_epoch or examples_available(cfg.dataset)), cfg.colour)

    outputs = [dataset, preset_name, learning_rate, batch_size, epochs, examples, colour]
    drop.upload(restore, inputs=[drop], outputs=outputs, api_name="gan_recipe")
    return Restore(restore, outputs)


def close_trainer(trainer: GanTrainer | None) -> None:
    """gr.State delete_callback: free a session's trainer."""
    if trainer is not None:
        trainer.close()


def default_epochs(dataset) -> int:
    """The Epochs slider's start for ``dataset``: on MNIST, enough epochs of the digits there for
    about :data:`DIGIT_STEPS` steps of the default preset (1 epoch of 60 000, 7 of the 5 000 shipped);
    otherwise :data:`UI_EPOCHS`."""
    n = examples_available(str(dataset)) if dataset == "mnist" else 0
    return min(EPOCHS_SLIDER_MAX, epochs_for_steps(_START, DIGIT_STEPS, n)) if n else UI_EPOCHS


def examples_available(dataset) -> int:
    """Training images of ``dataset`` that Train will draw from, found without loading or downloading.

    The full training set when Keras has it cached (or already loaded here); otherwise, for MNIST,
    the 5 000 digits shipped with genart: all there is offline, and what an epoch draws at most
    until the first download has landed in the cache. Fashion-MNIST has no offline copy: 60 000.
    """
    if dataset == "mnist" and not mnist_cached():
        return _shipped_size() if os.path.isfile(SUBSET_PATH) else MAX_EXAMPLES
    return MAX_EXAMPLES


@functools.lru_cache(maxsize=1)
def _shipped_size() -> int:
    return len(load_shipped_subset())


def examples_slider(dataset, examples=MAX_EXAMPLES):
    """The examples slider for ``dataset``: its range ends at the images really there (5 000 offline)."""
    n = examples_available(str(dataset))
    value = as_number(examples, "examples_per_epoch") if examples is not None else n
    # the range stays 100–60 000 (API calls may send up to it; training draws at most n)
    return gr.update(value=n if value >= n or value == MAX_EXAMPLES else value, info=_examples_info(n))


def _examples_info(n: int) -> str:
    return (f"Drawn at random each epoch, at most {n:,}: all the training images there are here. "
            "A full MNIST epoch (60,000) takes minutes on 2 CPU cores.")


def build_gan_tab(make_trainer: Callable[..., GanTrainer] = GanTrainer) -> GanTab:
    """Lay out the DCGAN tab inside the current Blocks and wire its events to ``make_trainer``
    (called as ``make_trainer(config)``, or ``make_trainer(config, data=pictures)`` for own pictures)."""
    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=320):
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
                                   info="fast: Adam 2e-4, β1 0.5, batch 64, pictures from an EMA of the generator "
                                   "(0.99), digits soonest · tutorial: Adam 1e-4, "
                                   "β1 0.9, batch 256 · dcgan-paper: Adam 2e-4, β1 0.5, batch 256")
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
                                 elem_id="gan-examples", info=_examples_info(available))
            restore = wire_recipe_restore(recipe_drop("gan"), dataset, preset_name, learning_rate, batch_size, epochs,
                                          examples, colour)
        with gr.Column(scale=3, min_width=320) as results:
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
    trainer_state = gr.State(None, time_to_live=STATE_TTL_S, delete_callback=close_trainer)
    play_events = build_play(trainer_state)

    def drive(trainer: GanTrainer, epochs):
        """Train ``trainer`` and map its frames to (grid, status, plot, note, state, gif, keras, zip)."""
        try:
            frames = trainer.train(as_number(epochs, "epochs"))
        except Exception as exc:
            raise user_error(exc) from None
        plan = estimate(COSTING, trainer.config, epochs=as_number(epochs, "epochs"), num_examples=trainer.num_examples,
                        fresh=False, measure=False)
        with POOL.using(trainer):
            yield from updates(trainer, stream(frames, estimate=plan))

    def updates(trainer, ticks):
        """Ticks of ``trainer``'s run → (grid, status, plot, note, state, gif, keras, zip) updates."""
        last_image, last_plot = None, 0.0
        for tick in ticks:
            frame, now = tick.frame, time.perf_counter()
            image = frame.image if frame.image is not last_image else gr.skip()
            last_image = frame.image
            table = digits = gr.skip()
            if frame.final or now - last_plot >= PLOT_INTERVAL_S:
                table, digits, last_plot = loss_table(trainer.history()), digits_table(trainer), now
            files = write_downloads(trainer) if frame.final else (gr.skip(),) * 3
            note_text = describe(trainer) if frame.final else gr.skip()
            yield image, status_line(tick, STATUS_NAMES), table, digits, note_text, trainer, *files

    def train_gan(dataset=_DEFAULT.dataset, preset_name=DEFAULT_PRESET, learning_rate=_START.learning_rate,
                  batch_size=_START.batch_size, epochs=UI_EPOCHS, examples_per_epoch=MAX_EXAMPLES,
                  own_zip=None, colour=_DEFAULT.colour, trainer=None):
        try:
            config = make_config(dataset, preset_name, learning_rate, batch_size, examples_per_epoch, colour)
            check_epochs(as_number(epochs, "epochs"))
        except Exception as exc:
            raise user_error(exc) from None
        close_trainer(trainer)
        yield None, "Building the networks and loading the data…", None, None, gr.skip(), \
            None, None, None, None
        try:
            pictures = load_pictures(config.dataset, own_zip, config.colour)
            trainer = make_trainer(config) if pictures is None else make_trainer(config, data=pictures)
            del pictures  # the trainer holds the one copy it needs
        except Exception as exc:
            raise user_error(exc) from None
        POOL.add(trainer)
        yield gr.skip(), "Tracing the train step…", gr.skip(), gr.skip(), describe(trainer), trainer, *(gr.skip(),) * 3
        yield from drive(trainer, epochs)

    def continue_gan(epochs=UI_EPOCHS, trainer=None):
        if trainer is None:
            raise gr.Error("Nothing to continue in this session yet: press Train first.", print_exception=False)
        if trainer.closed:
            raise gr.Error(f"This session's trainer was closed to make room for other visitors (this server keeps "
                           f"{POOL.limit} at most); press Train to start a new one.", print_exception=False)
        yield gr.skip(), f"Continuing from step {trainer.step}…", gr.skip(), gr.skip(), describe(trainer), trainer, \
            *(gr.skip(),) * 3
        yield from drive(trainer, epochs)

    def reset_gan(trainer=None):
        close_trainer(trainer)
        return None, "", None, None, "Reset: press **Train**.", \
            None, None, None, None

    def prepare_downloads(trainer=None):
        if trainer is None:
            raise gr.Error("Nothing to download yet: press Train first.", print_exception=False)
        try:
            return write_downloads(trainer)
        except Exception as exc:
            raise user_error(exc) from None

    def show_preset(name):
        return (PRESETS[name].learning_rate, PRESETS[name].batch_size) if name in PRESETS else (gr.skip(), gr.skip())

    outputs = [grid_image, status, plot, digits_plot, note, trainer_state, gif, keras_file, ckpt_zip]
    train_event = heavy(train_btn.click, train_gan, [dataset, preset_name, learning_rate, batch_size, epochs, examples,
                                                     own_zip, colour, trainer_state], outputs, status,
                        api_name="train_gan", show_progress_on=[status])
    continue_event = heavy(continue_btn.click, continue_gan, [epochs, trainer_state], outputs, status,
                           api_name="continue_gan", show_progress_on=[status])
    stop_btn.click(None, cancels=[train_event, continue_event, *play_events], api_name=False)
    reset_event = reset_btn.click(reset_gan, inputs=[trainer_state], outputs=outputs,
                                  cancels=[train_event, continue_event], api_name="reset_gan")
    save_event = save_btn.click(prepare_downloads, inputs=[trainer_state], outputs=[gif, keras_file, ckpt_zip],
                                api_name="gan_downloads", show_progress="minimal")
    # The samples PNG follows every event that changes or saves the trainer (a separate step, so the
    # endpoints above keep their outputs); /gan_png also gives it on its own.
    grid_events = [event.then(write_grid_png, inputs=[trainer_state], outputs=[samples_png],
                              api_name="gan_png" if n == 0 else False, show_progress="hidden")
                   for n, event in enumerate((save_event, train_event, continue_event, reset_event))]
    # The examples slider ends at the images really there (5 000 offline for MNIST): checked again on
    # each page load (Keras may have downloaded MNIST since) and when the visitor picks a dataset.
    gr.on(None, lambda: gr.skip() if examples_available(_DEFAULT.dataset) == available
          else examples_slider(_DEFAULT.dataset), inputs=[], outputs=[examples], api_name=False, show_progress="hidden")
    dataset.input(examples_slider, inputs=[dataset, examples], outputs=[examples], api_name=False,
                  show_progress="hidden")
    dataset.input(default_epochs, inputs=[dataset], outputs=[epochs], api_name=False, show_progress="hidden")
    dataset.change(lambda name: gr.update(visible=name == OWN), inputs=[dataset], outputs=[own_group], api_name=False,
                   show_progress="hidden")
    # .input, not .change: a restored recipe sets the preset and its own learning rate together
    preset_name.input(show_preset, inputs=[preset_name], outputs=[learning_rate, batch_size], api_name=False)

    def estimate_text(dataset, preset_name, learning_rate, batch_size, epochs, examples_per_epoch, own_zip=None,
                      colour=_DEFAULT.colour):
        """The estimate line for Train with these settings (own pictures: counted, not decoded)."""
        def num_examples():
            if dataset != OWN:
                return len(load_digits(str(dataset)))
            if not own_zip or count_files(own_zip) < MIN_IMAGES:
                raise InputError(f"upload a zip of at least {MIN_IMAGES} pictures to see how long training takes.")
            return count_files(own_zip)

        def request():
            cfg = make_config(dataset, preset_name, learning_rate, batch_size, examples_per_epoch, colour)
            return cfg, (), {"epochs": as_number(epochs, "epochs"), "num_examples": num_examples()}

        line = estimate_line(COSTING, request)
        with contextlib.suppress(InputError):  # a setting the line above already refuses
            if dataset == "mnist" and preset_name == DEFAULT_PRESET:
                line += " " + digits_expectation(make_config(dataset, preset_name, learning_rate, batch_size,
                                                             MAX_EXAMPLES))
        return line

    wire_estimate(estimate_text, [dataset, preset_name, learning_rate, batch_size, epochs, examples, own_zip, colour],
                  estimate_md, after=[train_event, continue_event], api_name="gan_estimate")
    return GanTab(samples_png, gif, grid_events[1:3], restore, results)
