"""What the ``dream``, ``style`` and ``gan`` subcommands do: read the settings (a preset or a recipe,
then the options given), run the generator with a progress bar, write the PNG (carrying its recipe)
and what else was asked for.
"""

from __future__ import annotations

import dataclasses
import math
import os

from ..batch import cli as batch_cli
from ..errors import InputError
from ..export import Timelapse, save_png
from ..fingerprints import fingerprints
from ..recipe import config_from_recipe, make_recipe, png_text, read_recipe, trainer_recipe
from .fast import method as fast_method, run as run_fast
from .common import compare_inputs, inputs_exist, note, output_paths, progress, weights_for, write_outputs
from .options import given


def _config(args, algorithm: str):
    """(config, recipe or None): preset or recipe first, then the options given."""
    cls = args.config_class
    recipe = None
    if args.recipe:
        inputs_exist(args.recipe)
        recipe = read_recipe(args.recipe, algorithm)
        base = config_from_recipe(recipe)
    elif args.presets:
        base = args.presets[args.preset or args.default_preset or next(iter(args.presets))]
    else:
        base = cls()
    changes = given(args, cls)
    if "channels" in changes and "channel_mode" not in changes:
        changes["channel_mode"] = None  # naming channels is choosing them, whatever the base had
    return dataclasses.replace(base, **changes), recipe


def _mp4_path(args, cfg, png: str) -> str | None:
    """The zoom animation's MP4 path (None without --mp4), checked before a long run starts."""
    from ..errors import check_float

    check_float("--fps", args.fps, 1, 60)
    if not args.mp4:
        return None
    if not cfg.zoom_frames:
        raise InputError("--mp4 writes the zoom animation: add --zoom-frames N (1 or more).")
    mp4 = os.path.splitext(png)[0] + ".mp4" if args.mp4 is True else args.mp4
    if not mp4.lower().endswith(".mp4"):
        raise InputError(f"--mp4 must name a .mp4 file; got {mp4!r}.")
    folder = os.path.dirname(os.path.abspath(mp4))
    if not os.path.isdir(folder):
        raise InputError(f"The folder {folder} for {mp4} does not exist.")
    return mp4


def run_dream(args) -> int:
    from .. import models
    from ..dream import dream, recipe_inputs
    from ..dream.zoom import record_zoom
    from ..export import Clip

    cfg, recipe = _config(args, "dream")
    if batch_cli.batching(args):
        from ..batch import dream_task

        if cfg.zoom_frames:
            raise InputError("--zoom-frames animates one picture; it does not go with --batch or --video.")
        inputs_exist(args.guide, args.mask)
        return batch_cli.run(args, dream_task(cfg, weights_for(args, recipe), guide=args.guide, mask=args.mask))
    png, gif = output_paths(args)
    mp4 = _mp4_path(args, cfg, png)
    inputs_exist(args.image, args.guide, args.mask)
    digests = fingerprints(recipe_inputs(args.image, cfg, guide=args.guide, mask=args.mask))
    compare_inputs(recipe, digests)
    weights = weights_for(args, recipe)
    model = models.dream_extractor(cfg.layers, weights)
    zooming = cfg.zoom_frames > 0
    clip = Clip() if zooming else None
    timelapse = Timelapse() if gif and not zooming else None
    frames = dream(args.image, cfg, model=model, guide=args.guide, mask=args.mask)
    if clip is not None:
        frames = record_zoom(frames, clip.add)
    final = progress(frames, args.quiet, timelapse)
    write_outputs(png, None if zooming else gif, final.image,
           make_recipe("dream", cfg, ran=final.facts, weights=weights, inputs=digests), timelapse)
    if zooming and not len(clip) and (mp4 or gif):
        note("the run ended before its first zoom frame, so there is no animation to write.")
    elif zooming:
        for path, save in ((mp4, clip.save_mp4), (gif, clip.save_gif)):
            if path:
                print(save(path, args.fps))
    return 0


def run_style(args) -> int:
    from .. import models
    from ..style import recipe_inputs, stylize

    if fast_method(args) == "fast":
        return run_fast(args)
    cfg, recipe = _config(args, "style")
    if batch_cli.batching(args):
        from ..batch import style_task

        inputs_exist(*args.styles, args.init_image, args.mask)
        return batch_cli.run(args, style_task(cfg, weights_for(args, recipe), args.styles, init_image=args.init_image,
                                              mask=args.mask, chained=bool(args.video)))
    png, gif = output_paths(args)
    inputs_exist(args.content, *args.styles, args.init_image, args.mask)
    digests = fingerprints(recipe_inputs(args.content, args.styles, init_image=args.init_image, mask=args.mask))
    compare_inputs(recipe, digests)
    weights = weights_for(args, recipe)
    model = models.vgg19_extractor(cfg.style_layers, cfg.content_layers, weights, pooling=cfg.pooling)
    styles = args.styles if len(args.styles) > 1 else args.styles[0]
    timelapse = Timelapse() if gif else None
    frames = stylize(args.content, styles, cfg, model=model, init_image=args.init_image, mask=args.mask)
    final = progress(frames, args.quiet, timelapse)
    write_outputs(png, gif, final.image, make_recipe("style", cfg, ran=final.facts, weights=weights, inputs=digests),
                  timelapse)
    return 0


def _own_pictures(args):
    """``--dataset PATH`` (a folder or a .zip): the path, with ``args.dataset`` set to "own"; else None."""
    from ..gan.data import DATASETS, OWN

    path = getattr(args, "dataset", None)
    if path is None or path in DATASETS or path == OWN:
        return None
    if not (os.path.isdir(path) or (path.lower().endswith(".zip") and os.path.isfile(path))):
        raise InputError(f"dataset must be one of {', '.join(DATASETS)}, or a folder or .zip of pictures; "
                         f"{path!r} is neither.")
    args.dataset = OWN
    return path


def until_digits(frames):
    """``frames`` up to the first one whose grid the digit meter finds real-looking, which becomes the
    final frame (the training run is closed there); all of them when none is."""
    for frame in frames:
        if frame.metrics.get("digits_reached"):
            frames.close()
            yield dataclasses.replace(frame, final=True)
            return
        yield frame


def run_gan(args) -> int:
    from ..gan import GanTrainer, check_epochs, image_shape
    from ..gan.meter import judges
    from ..gan.imagesets import load_image_set

    own_path = _own_pictures(args)
    cfg, recipe = _config(args, "gan")
    if cfg.dataset == "own" and own_path is None:
        raise InputError("This run trains on your own pictures: give them with --dataset FOLDER or --dataset FILE.zip.")
    png, gif = output_paths(args)
    epochs = args.epochs
    if epochs is None:
        trained = ((recipe or {}).get("run") or {}).get("epochs")
        epochs = max(1, math.ceil(trained)) if isinstance(trained, (int, float)) and trained > 0 else 1
    check_epochs(epochs, "--epochs")
    if args.until_digits and not judges(cfg.dataset, image_shape(cfg)):
        raise InputError("--until-digits needs MNIST digits: the digit meter judges nothing else.")
    if args.checkpoint and os.path.exists(args.checkpoint) and not os.path.isdir(args.checkpoint):
        raise InputError(f"--checkpoint must name a folder; {args.checkpoint} is a file.")
    pictures = None
    if own_path is not None:
        pictures = load_image_set(own_path, cfg.colour)
        compare_inputs(recipe, {"dataset": pictures.digest})
    trainer = GanTrainer(cfg) if pictures is None else GanTrainer(cfg, data=pictures)
    del pictures
    try:
        if trainer.data_note:
            note(trainer.data_note)
        frames = trainer.train(epochs)
        if args.until_digits:
            frames = until_digits(frames)
        final = progress(frames, args.quiet)
        if args.until_digits:
            note(f"the samples looked like digits at step {final.step}." if final.metrics.get("digits_reached")
                 else f"the samples did not look like digits yet after {epochs} epoch{'s' * (epochs > 1)} "
                 f"({final.step} steps); train longer with a larger --epochs.")
        save_png(png, trainer.grid(), text=png_text(trainer_recipe(trainer)))
        print(png)
        if gif:
            print(trainer.timelapse(gif))
        if args.checkpoint:
            trainer.save(args.checkpoint)
            print(args.checkpoint)
    finally:
        trainer.close()
    return 0
