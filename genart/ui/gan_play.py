"""The DCGAN tab's "Play with the generator" part: new samples by seed and latent walks.

Both read the session's trainer (``gr.State``) and may run while it trains: the trainer's lock
lets each call in between two steps. A walk streams at its playback speed (at most
``WALK_PREVIEW_FPS`` frames a second reach the browser) and ends with an MP4 and a GIF of every frame.
"""

from __future__ import annotations

import time

import gradio as gr

from ..export import save_mp4, save_png
from ..gan import GanTrainer
from ..gan.walk import MAX_FRAMES, MAX_FRAMES_BETWEEN, MAX_POINTS, check_walk, latent_walk, save_gif
from ..recipe import png_text, trainer_recipe
from .downloads import out_path
from .user_errors import user_error
from .heavy import Stopper, stoppable
from .inputs import as_number

#: Playback speed of the walk's MP4 and GIF, and the most frames a second streamed to the page.
WALK_FPS, WALK_PREVIEW_FPS = 24, 12
#: Walks and new samples are light (a generator forward pass) and share their own group.
PLAY = "genart-gan-play"


def session_trainer(trainer: GanTrainer | None) -> GanTrainer:
    """The session's trainer, or a gr.Error saying what to do first."""
    if trainer is None:
        raise gr.Error("There is no generator in this session yet: press Train first.", print_exception=False)
    if trainer.closed:
        raise gr.Error("This session's trainer was closed to make room for other visitors; press Train to "
                       "start a new one.", print_exception=False)
    return trainer


def samples_recipe(trainer: GanTrainer, seed: int, n: int) -> dict:
    """The trainer's recipe plus the seed and count of the new samples (``run.samples``)."""
    recipe = trainer_recipe(trainer)
    recipe["run"]["samples"] = {"seed": seed, "n": n}
    return recipe


def new_samples(seed, trainer=None):
    """(grid image, PNG path with its recipe) of 16 new samples for ``seed``."""
    trainer = session_trainer(trainer)
    try:
        seed = as_number(seed, "seed")
        image = trainer.samples(seed, 16)
        path = save_png(out_path("gan-new-samples.png"), image, text=png_text(samples_recipe(trainer, seed, 16)))
    except Exception as exc:
        raise user_error(exc) from None
    return image, path


def walk(points, frames_between, seed, trainer=None):
    """Stream a latent walk at playback speed; end with its MP4 and GIF: (image, status, mp4, gif)."""
    trainer = session_trainer(trainer)
    try:
        points, frames_between, seed = (as_number(v, name) for v, name in
                                        ((points, "points"), (frames_between, "frames_between"), (seed, "seed")))
        check_walk(points, frames_between, seed)
        frames = latent_walk(trainer, points=points, frames_between=frames_between, seed=seed)
    except Exception as exc:
        raise user_error(exc) from None
    images, start, shown = [], time.perf_counter(), float("-inf")
    try:
        for frame in frames:
            images.append(frame.image)
            due = start + (frame.step - 1) / WALK_FPS
            if (wait := due - time.perf_counter()) > 0:
                time.sleep(wait)
            now = time.perf_counter()
            if frame.final or now - shown >= 1 / WALK_PREVIEW_FPS:
                shown = now
                yield frame.image, f"{frame.stage} · frame {frame.step}/{frame.total}", gr.skip(), gr.skip()
        mp4 = save_mp4(images, out_path("gan-walk.mp4"), fps=WALK_FPS)
        gif = save_gif(images, out_path("gan-walk.gif"), fps=WALK_FPS)
    except Exception as exc:
        raise user_error(exc) from None
    finally:
        frames.close()
    yield gr.skip(), (f"{len(images)} frames through {points} points, seed {seed}, at step {trainer.step} "
                      f"of training · MP4 and GIF below"), mp4, gif


def build_play(trainer_state: gr.State, stopper: Stopper | None = None) -> list:
    """Lay out "Play with the generator" inside the current Blocks; the tab's Stop (``stopper``) ends a
    walk. Returns the walk's event."""
    with gr.Accordion("Play with the generator: new samples and latent walks", open=False, elem_id="gan-play"):
        with gr.Row(equal_height=False):
            with gr.Column(min_width=280):
                sample_seed = gr.Number(0, label="Seed", precision=0, minimum=0, elem_id="gan-sample-seed",
                                        info="The same seed and weights give the same 16 samples.")
                sample_btn = gr.Button("New samples", elem_id="gan-sample")
                sample_image = gr.Image(label="New samples (fresh noise)", format="png", interactive=False,
                                        elem_id="gan-samples", height=300)
                sample_png = gr.File(label="New samples (PNG, with its recipe)", elem_id="gan-samples-png")
            with gr.Column(min_width=280):
                points = gr.Slider(2, MAX_POINTS, value=5, step=1, label="Points", elem_id="gan-walk-points",
                                   info="Random noise vectors the walk passes through, looping back to the first.")
                between = gr.Slider(2, MAX_FRAMES_BETWEEN, value=24, step=1, label="Frames between points",
                                    elem_id="gan-walk-between",
                                    info=f"At {WALK_FPS} frames a second; at most {MAX_FRAMES} frames in all.")
                walk_seed = gr.Number(0, label="Walk seed", precision=0, minimum=0, elem_id="gan-walk-seed",
                                      info="Chooses the points; the walk starts at that seed's first sample.")
                walk_btn = gr.Button("Walk", elem_id="gan-walk")
                walk_image = gr.Image(label="Latent walk", format="jpeg", interactive=False, elem_id="gan-walk-image",
                                      height=300)
                walk_status = gr.Textbox(label="Walk", interactive=False, elem_id="gan-walk-status",
                                         elem_classes=["genart-status"])
                with gr.Row():
                    walk_mp4 = gr.File(label="Walk (MP4)", elem_id="gan-walk-mp4")
                    walk_gif = gr.File(label="Walk (GIF)", elem_id="gan-walk-gif")
    play = dict(concurrency_id=PLAY, concurrency_limit=2)
    sample_btn.click(new_samples, inputs=[sample_seed, trainer_state], outputs=[sample_image, sample_png],
                     api_name="gan_samples", show_progress="minimal", **play)
    walk_event = walk_btn.click(stoppable(walk, 4, status=1, stopper=stopper),
                                inputs=[points, between, walk_seed, trainer_state],
                                outputs=[walk_image, walk_status, walk_mp4, walk_gif], api_name="gan_walk",
                                show_progress_on=[walk_status], **play)
    return [walk_event]

