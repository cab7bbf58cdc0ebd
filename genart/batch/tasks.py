"""What a batch runs per picture: the task bodies (module-level, so that Ray ships them by reference)
and :class:`Task`, a body bound to one algorithm's settings and shared inputs: DeepDream, style
transfer (its video frames chained) and fast style transfer (one pass per picture; a video's frames
made steady in order where the batch runs, :class:`SteadyFrames`)."""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

import numpy as np

from ..errors import InputError
from ..frames import Frame


# --- the task bodies (run here or on a Ray worker) ----------------------------------------------------

def dream_frames(image, config, weights: str, guide=None, mask=None) -> Iterator[Frame]:
    """:func:`genart.dream.dream` on ``image`` with the ``weights`` network (built or cached here).

    Args:
        image: the picture (bytes or an array); config: a DreamConfig; weights: ``imagenet`` or ``random``;
        guide, mask: as :func:`genart.dream.dream` takes them (bytes here).

    Yields:
        The run's frames, the last one final.
    """
    from .. import models
    from ..dream import dream

    return dream(image, config, model=models.dream_extractor(config.layers, weights), guide=guide, mask=mask)


def style_frames(content, styles, config, weights: str, init_image=None, mask=None) -> Iterator[Frame]:
    """:func:`genart.style.stylize` of ``content`` with the ``weights`` VGG19 (built or cached here).

    Args:
        content: the picture (bytes or an array); styles: one style picture or a list; config: a
        StyleConfig; weights: ``imagenet`` or ``random``; init_image, mask: as :func:`genart.style.stylize`.

    Yields:
        The run's frames, the last one final.
    """
    from .. import models
    from ..style import stylize

    model = models.vgg19_extractor(config.style_layers, config.content_layers, weights, pooling=config.pooling)
    return stylize(content, styles, config, model=model, init_image=init_image, mask=mask)


def fast_style_frames(content, style, config, weights: str) -> Iterator[Frame]:
    """:func:`genart.fast_style.paint` of ``content`` with the ``weights`` network (loaded or cached here),
    the style prepared once per process (:func:`prepared_style`) however many pictures use it.

    Args:
        content: the picture (bytes or an array); style: the style picture (bytes); config: a
        FastStyleConfig; weights: ``imagenet`` (the hub model) or ``random``.

    Yields:
        The run's frames (the content, then the final picture).
    """
    from ..fast_style import load_model, paint

    return paint(content, style, config, model=load_model(weights), prepared=prepared_style(style, config.style_size))


def prepared_style(style, size: int) -> np.ndarray:
    """:func:`genart.fast_style.prepare_style` of a batch's style picture; bytes are prepared once per process
    and kept for the next pictures (the last few styles)."""
    if isinstance(style, bytes):
        return _prepared(style, size)
    from ..fast_style import prepare_style

    return prepare_style(style, size)


@functools.lru_cache(maxsize=4)
def _prepared(style: bytes, size: int) -> np.ndarray:
    from ..fast_style import prepare_style

    out = prepare_style(style, size)
    out.flags.writeable = False
    return out


def final_frame(frames: Iterable[Frame], on_frame: Callable[[Frame], None] | None = None) -> Frame:
    """Drive a run to its end (showing each frame to ``on_frame``); its final frame."""
    last = None
    for last in frames:
        if on_frame is not None:
            on_frame(last)
    if last is None or not last.final:
        raise InputError("The run ended before its final frame.")
    return last


@dataclass(frozen=True)
class Task:
    """One algorithm and its settings, bound to everything but the picture.

    ``call(image, previous)`` gives the task body's (args, kwargs) for one picture (``previous``: the
    result a chained frame starts from, else None); ``recipe(image, previous)`` the recipe its PNG
    carries, but for what the run reports (it decodes the picture, so a broken file fails here, before
    any compute; :func:`genart.recipe.record_run` adds the final frame's facts). ``settings`` is what a
    finished output's recipe must hold to count as made by this task (its config, as a recipe records
    it, and the weights; a chained task's ``init`` varies and is left out, and so does ``auto``
    precision, which a run records as the dtype it computed in). ``follow``, when set, makes a
    :class:`SteadyFrames`-like object that finishes each body's result where the batch runs, in input
    order (the bodies may still run in parallel).
    """

    body: Callable[..., Iterator[Frame]]
    call: Callable[[object, np.ndarray | None], tuple[tuple, dict]]
    recipe: Callable[[object, np.ndarray | None], dict]
    settings: dict
    chained: bool = False
    follow: Callable[[], "SteadyFrames"] | None = None

    def made(self, recipe: dict) -> bool:
        """True when ``recipe`` (a finished output's) has this task's settings."""
        config = recipe.get("config") or {}
        return recipe.get("weights") == self.settings["weights"] and all(
            config.get(k) == v for k, v in self.settings["config"].items())


def _settings(algorithm: str, config, weights: str, leave_out: tuple[str, ...] = ()) -> dict:
    from ..recipe import make_recipe

    settings = make_recipe(algorithm, config, weights=weights)["config"]
    if settings.get("precision") == "auto":  # any dtype a run chose for auto
        leave_out += ("precision",)
    return {"weights": weights, "config": {k: v for k, v in settings.items() if k not in leave_out}}


def _bytes(path: str | None) -> bytes | None:
    """A file the whole batch uses (guide, mask, style), read once: it travels to Ray workers as bytes."""
    if path is None:
        return None
    with open(path, "rb") as fh:
        return fh.read()


def dream_task(config, weights: str, *, guide: str | None = None, mask: str | None = None) -> Task:
    """DeepDream of each picture with ``config`` (and the same guide and mask for all).

    Args:
        config: the DreamConfig of every run; weights: ``imagenet`` or ``random``.
        guide, mask: paths of a guide picture and a mask for every run, read once (None: none).
    """
    from ..dream import recipe_inputs
    from ..recipe import make_recipe

    guide, mask = _bytes(guide), _bytes(mask)

    def call(image, previous):
        return (image, config, weights), {"guide": guide, "mask": mask}

    def recipe(image, previous):
        inputs = recipe_inputs(image, config, guide=guide, mask=mask)
        return make_recipe("dream", config, weights=weights, inputs=inputs)

    return Task(dream_frames, call, recipe, _settings("dream", config, weights))


def style_task(config, weights: str, styles: list[str], *, init_image: str | None = None,
               mask: str | None = None, chained: bool = False) -> Task:
    """Style transfer of each picture (the content) onto ``styles``.

    Args:
        config: the StyleConfig of every run; weights: ``imagenet`` or ``random``.
        styles: paths of the style pictures (one, or several blended by ``config.blend``), read once.
        init_image, mask: paths of a start picture (``init="image"``) and a mask for every run.
        chained: each picture starts from the previous one's result (``init="image"``) when there is
            one: a video's frames.
    """
    from ..fingerprints import image_digest, mask_digest
    from ..recipe import make_recipe
    from ..style import recipe_inputs

    pictures = [_bytes(s) for s in styles]
    digests = [image_digest(data, f"style image {path}") for data, path in zip(pictures, styles)]
    init, mask = _bytes(init_image), _bytes(mask)
    init_digest = None if init is None else image_digest(init, f"initial image {init_image}")
    mask_print = None if mask is None else mask_digest(mask)
    style_arg = pictures if len(pictures) > 1 else pictures[0]
    from_previous = dataclasses.replace(config, init="image")

    def call(image, previous):
        if previous is not None:
            return (image, style_arg, from_previous, weights), {"init_image": previous, "mask": mask}
        return (image, style_arg, config, weights), {"init_image": init, "mask": mask}

    def recipe(image, previous):
        inputs = recipe_inputs(image, digests, init_image=previous if previous is not None else init_digest,
                               mask=mask_print)
        return make_recipe("style", from_previous if previous is not None else config, weights=weights,
                           inputs=inputs)

    return Task(style_frames, call, recipe, _settings("style", config, weights, ("init",) if chained else ()), chained)


def fast_style_task(config, weights: str, style: str, *, steady: bool = False) -> Task:
    """Fast style transfer of each picture (the content) onto ``style``: one pass each, independent of
    the others (a video's frames too, so on Ray they run in parallel).

    Args:
        config: the FastStyleConfig of every run; weights: ``imagenet`` (the hub model) or ``random``.
        style: the path of the style picture, read once.
        steady: the pictures are a video's frames in order: with ``config.steady`` above 0 each one's
            pass is then made steady after the previous one (:class:`SteadyFrames`, where the batch
            runs); at 0, or for a folder of pictures, each is its one-pass picture.
    """
    from ..fast_style import model_facts, recipe_inputs
    from ..fingerprints import image_digest
    from ..recipe import make_recipe

    picture = _bytes(style)
    digest = image_digest(picture, f"style image {style}")
    facts = model_facts(weights)

    def call(image, previous):
        return (image, picture, config, weights), {}

    def recipe(image, previous):
        return make_recipe("fast_style", config, weights=weights, inputs=recipe_inputs(image, digest), run=facts)

    follow = functools.partial(SteadyFrames, config) if steady and config.steady > 0 else None
    return Task(fast_style_frames, call, recipe, _settings("fast_style", config, weights), follow=follow)


class SteadyFrames:
    """A fast video's frames made steady in order: each one-pass picture blended with the previous result
    carried along the motion (:class:`genart.fast_style.Steady`), where the batch runs, so that the passes
    may run in parallel (on Ray) while this light step goes frame by frame.

    Args:
        config: the FastStyleConfig of the run (``steady`` and the working size ``max_dim``).
    """

    def __init__(self, config):
        from ..fast_style import Steady

        self.max_dim = config.max_dim
        self.steady = Steady(config.steady)
        self.previous: np.ndarray | None = None

    def content(self, image) -> np.ndarray:
        """The frame at the working size, as the pass saw it."""
        from ..images import load_image

        return load_image(image, self.max_dim, what="content image")

    def done(self, image, result: np.ndarray) -> None:
        """A frame already written (a resumed run): the next one is carried from ``result``."""
        self.steady.remember(self.content(image), result)
        self.previous = result

    def __call__(self, image, picture: np.ndarray, recipe: dict) -> tuple[np.ndarray, dict]:
        """The steady frame of ``image`` whose one-pass picture is ``picture``, and its recipe: the run facts
        say how much was carried (:meth:`genart.fast_style.Carried.facts`), the inputs name the previous
        painted frame when something was."""
        from ..fingerprints import image_digest

        out = self.steady(self.content(image), picture)
        carried = self.steady.last
        recipe = {**recipe, "run": {**(recipe.get("run") or {}), **carried.facts()}}
        if carried.trusted > 0 and not carried.cut and self.previous is not None:
            recipe["inputs"] = {**recipe["inputs"], "previous": image_digest(self.previous)}
        self.previous = out
        return out, recipe

    def reset(self) -> None:
        """A frame failed: the next one starts afresh."""
        self.steady.reset()
        self.previous = None
