"""The DCGAN tab: train the tutorial's GAN live, one trainer per browser session.

The data is MNIST, Fashion-MNIST or the visitor's own pictures: a zip uploaded here, decoded on
Train by :func:`genart.gan.imagesets.load_image_set` (32×32, grey or colour) and trained with the
32-px networks; trainers on the same pictures share one copy of them.

The trainer lives in this session's ``gr.State`` (built on Train, closed on Reset, when the session
ends or after an hour unused). Train starts over with the controls' settings; Continue adds epochs
to the session's trainer with the settings it was built with; Stop ends a run between two steps
(the trainer's lock keeps it whole), and Continue then resumes from there.

:func:`build_gan_tab` places the components (:mod:`genart.ui.gan_layout`), then wires them: the
recipe drop zone, "Play with the generator" (:mod:`genart.ui.gan_play`), Train, Continue, Stop,
Reset and the downloads, the controls that follow the dataset and preset, and the estimate line.
The data controls' helpers are :mod:`genart.ui.gan_data`'s, the plots' tables :mod:`genart.ui.gan_plots`'.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import tempfile
import time
import zipfile
from typing import Callable, NamedTuple

import gradio as gr

from ..gan.data import DATASET_LABELS, OWN
from ..errors import InputError
from ..estimate import estimate
from ..export import save_png
from ..gan import COSTING, DEFAULT_PRESET, PRESETS, GanConfig, GanTrainer, check_epochs, preset
from ..gan.meter import judges
from ..gan.pool import POOL
from ..gan.imagesets import MIN_IMAGES, count_files
from ..recipe import png_text, trainer_recipe
from .downloads import out_path
from .user_errors import user_error
from .estimate_line import estimate_line, wire_estimate
from .heavy import Stopper, heavy
from .inputs import as_number
from .status import status_line
from .streaming import stream
from .recipes import Restore, load_recipe, restored_note, slider_value
from .gan_data import MAX_EXAMPLES, UI_EPOCHS, default_epochs, examples_available, examples_slider, load_pictures
from .gan_layout import GanLayout, layout
from .gan_play import build_play
from .gan_plots import digits_expectation, digits_table, loss_table

_DEFAULT = GanConfig()
_START = PRESETS[DEFAULT_PRESET]
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
    text += f" {trainer.networks_note}"
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


def trainer_runner(make_trainer: Callable[..., GanTrainer]) -> Callable:
    """Train's function (/train_gan): a new trainer from ``make_trainer`` with the controls' settings
    (the session's old one closed), then its run streamed."""
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

    return train_gan


# Continue (/continue_gan): more epochs of the session's trainer. (Like the others with an endpoint, it
# has no docstring: Gradio would show it as the endpoint's description.)
def continue_gan(epochs=UI_EPOCHS, trainer=None):
    if trainer is None:
        raise gr.Error("Nothing to continue in this session yet: press Train first.", print_exception=False)
    if trainer.closed:
        raise gr.Error(f"This session's trainer was closed to make room for other visitors (this server keeps "
                       f"{POOL.limit} at most); press Train to start a new one.", print_exception=False)
    yield gr.skip(), f"Continuing from step {trainer.step}…", gr.skip(), gr.skip(), describe(trainer), trainer, \
        *(gr.skip(),) * 3
    yield from drive(trainer, epochs)


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


# Reset (/reset_gan): the session's trainer closed, the outputs cleared.
def reset_gan(trainer=None):
    close_trainer(trainer)
    return None, "", None, None, "Reset: press **Train**.", \
        None, None, None, None


# "Prepare downloads now" (/gan_downloads): the session trainer's time-lapse, generator and checkpoint.
def prepare_downloads(trainer=None):
    if trainer is None:
        raise gr.Error("Nothing to download yet: press Train first.", print_exception=False)
    try:
        return write_downloads(trainer)
    except Exception as exc:
        raise user_error(exc) from None


def show_preset(name):
    """A preset's learning rate and batch size (a name that is not a preset changes nothing)."""
    return (PRESETS[name].learning_rate, PRESETS[name].batch_size) if name in PRESETS else (gr.skip(), gr.skip())


def estimate_text(dataset, preset_name, learning_rate, batch_size, epochs, examples_per_epoch, own_zip=None,
                  colour=_DEFAULT.colour):
    """The estimate line for Train with these settings (own pictures: counted, not decoded)."""
    def num_examples():
        if dataset != OWN:  # counted without loading: a first load may download, or wait for the warm-up's
            return examples_available(str(dataset))
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


def build_gan_tab(make_trainer: Callable[..., GanTrainer] = GanTrainer) -> GanTab:
    """Lay out the DCGAN tab inside the current Blocks and wire its events to ``make_trainer``
    (called as ``make_trainer(config)``, or ``make_trainer(config, data=pictures)`` for own pictures)."""
    ui = layout()
    restore = wire_recipe_restore(ui.drop, ui.dataset, ui.preset_name, ui.learning_rate, ui.batch_size, ui.epochs,
                                  ui.examples, ui.colour)
    trainer_state = gr.State(None, time_to_live=STATE_TTL_S, delete_callback=close_trainer)
    stopper = Stopper()  # Stop (and Reset) end Train, Continue and the latent walk
    build_play(trainer_state, stopper)
    train_event, continue_event, grid_events = _wire_training(ui, trainer_state, make_trainer, stopper)
    _wire_settings(ui)
    wire_estimate(estimate_text, [ui.dataset, ui.preset_name, ui.learning_rate, ui.batch_size, ui.epochs,
                                  ui.examples, ui.own_zip, ui.colour],
                  ui.estimate_md, after=[train_event, continue_event], api_name="gan_estimate")
    return GanTab(ui.samples_png, ui.gif, grid_events[1:3], restore, ui.results)


def _wire_training(ui: GanLayout, trainer_state: gr.State, make_trainer: Callable[..., GanTrainer],
                   stopper: Stopper) -> tuple:
    """Train, Continue, Stop, Reset and "Prepare downloads now", each followed by the samples PNG.
    Returns the Train and Continue events and the samples PNG's events (after save, train, continue, reset)."""
    outputs = [ui.grid_image, ui.status, ui.plot, ui.digits_plot, ui.note, trainer_state, ui.gif, ui.keras_file,
               ui.ckpt_zip]
    train_event = heavy(ui.train_btn.click, trainer_runner(make_trainer),
                        [ui.dataset, ui.preset_name, ui.learning_rate, ui.batch_size, ui.epochs, ui.examples,
                         ui.own_zip, ui.colour, trainer_state], outputs, ui.status, stopper=stopper,
                        api_name="train_gan", show_progress_on=[ui.status])
    continue_event = heavy(ui.continue_btn.click, continue_gan, [ui.epochs, trainer_state], outputs, ui.status,
                           stopper=stopper, api_name="continue_gan", show_progress_on=[ui.status])
    stopper.wire(ui.stop_btn)
    stopper.wire(ui.reset_btn)  # Reset stops the training first (the trainer's lock makes the reset wait for it)
    reset_event = ui.reset_btn.click(reset_gan, inputs=[trainer_state], outputs=outputs, api_name="reset_gan")
    save_event = ui.save_btn.click(prepare_downloads, inputs=[trainer_state],
                                   outputs=[ui.gif, ui.keras_file, ui.ckpt_zip], api_name="gan_downloads",
                                   show_progress="minimal")
    # The samples PNG follows every event that changes or saves the trainer (a separate step, so the
    # endpoints above keep their outputs); /gan_png also gives it on its own.
    grid_events = [event.then(write_grid_png, inputs=[trainer_state], outputs=[ui.samples_png],
                              api_name="gan_png" if n == 0 else False, show_progress="hidden")
                   for n, event in enumerate((save_event, train_event, continue_event, reset_event))]
    return train_event, continue_event, grid_events


def _wire_settings(ui: GanLayout) -> None:
    """Controls that follow others: the examples slider and epochs follow the dataset, the own
    pictures' box shows for "own", a preset sets its learning rate and batch size."""
    # The examples slider ends at the images really there (5 000 offline for MNIST): checked again on
    # each page load (Keras may have downloaded MNIST since) and when the visitor picks a dataset.
    gr.on(None, lambda: gr.skip() if examples_available(_DEFAULT.dataset) == ui.available
          else examples_slider(_DEFAULT.dataset), inputs=[], outputs=[ui.examples], api_name=False,
          show_progress="hidden")
    ui.dataset.input(examples_slider, inputs=[ui.dataset, ui.examples], outputs=[ui.examples], api_name=False,
                     show_progress="hidden")
    ui.dataset.input(default_epochs, inputs=[ui.dataset], outputs=[ui.epochs], api_name=False,
                     show_progress="hidden")
    ui.dataset.change(lambda name: gr.update(visible=name == OWN), inputs=[ui.dataset], outputs=[ui.own_group],
                      api_name=False, show_progress="hidden")
    # .input, not .change: a restored recipe sets the preset and its own learning rate together
    ui.preset_name.input(show_preset, inputs=[ui.preset_name], outputs=[ui.learning_rate, ui.batch_size],
                         api_name=False)

