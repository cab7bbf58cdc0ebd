"""The command line: ``python -m genart dream|style|gan …`` runs the app's generators in a terminal.

Each subcommand's settings are options generated from its config dataclass (so they never drift
from it): ``--steps-per-octave 20`` sets ``DreamConfig.steps_per_octave``; ``--help`` lists them
with the tutorial's defaults and the config's own descriptions. ``--recipe FILE`` starts from the
settings of a PNG written by genart (or a JSON recipe); options given explicitly override it.
Progress is a tqdm bar on stderr (stage, step/total, losses); the result is a PNG carrying its
recipe, optionally with a time-lapse GIF (and, for the DCGAN, a checkpoint folder). Problems the
user can fix end the program with one line, ``genart: error: …``, and exit status 1 (2 for a
malformed command line).
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import math
import os
import re
import sys
import types
import typing
from collections.abc import Sequence

from . import __version__
from .batch import cli as batch_cli
from .errors import GenartError, InputError
from .export import Timelapse, save_png
from .recipe import (config_from_recipe, image_digest, make_recipe, mask_digest, png_text, read_recipe,
                     trainer_recipe)

PROG = "genart"
EPILOG = ("Settings a recipe gives are used unless an option sets them. An optional setting takes "
          "'none' for None. Output written: the PNG (and GIF/checkpoint) paths, one per line, on stdout.")


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``genart: error: …``."""

    def error(self, message):
        self.exit(2, f"{PROG}: error: {message} (see {self.prog} --help)\n")


# --- options generated from a config dataclass ----------------------------------------------------

def field_docs(cls) -> dict[str, str]:
    """Field name → its description, read from the ``Attributes:`` section of the class docstring."""
    docs: dict[str, str] = {}
    names: list[str] = []
    in_attributes = False
    for line in (inspect.getdoc(cls) or "").splitlines():
        if line.strip() == "Attributes:":
            in_attributes = True
        elif in_attributes and (m := re.match(r"^ {4}(\w[\w, ]*): (.*)$", line)):
            names = [name.strip() for name in m.group(1).split(",")]
            docs.update({name: m.group(2) for name in names})
        elif in_attributes and line.startswith(" " * 8) and names:
            docs.update({name: f"{docs[name]} {line.strip()}" for name in names})
        elif in_attributes and line.strip():
            break
    return docs


def _field_kind(hint) -> tuple[type, bool, bool]:
    """(element type, optional, sequence) of a config field's type hint."""
    optional = False
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        optional, hint = len(args) < len(typing.get_args(hint)), args[0]
    origin = typing.get_origin(hint)
    if origin in (tuple, list, Sequence):
        return typing.get_args(hint)[0], optional, True
    return hint, optional, False


def _value_parser(kind: type, optional: bool):
    def parse(text: str):
        if optional and text.strip().lower() == "none":
            return None
        return kind(text)

    parse.__name__ = kind.__name__  # argparse names it in "invalid int value: 'x'"
    return parse


def _show(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, (tuple, list)):
        return " ".join(map(str, value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def add_config_options(parser: argparse.ArgumentParser, cls, defaults) -> None:
    """One option per field of ``cls`` (``--field-name``), defaults shown from ``defaults`` but not applied."""
    hints = typing.get_type_hints(cls)
    docs = field_docs(cls)
    group = parser.add_argument_group(f"settings ({cls.__name__}; defaults are the tutorial's)")
    for field in dataclasses.fields(cls):
        kind, optional, sequence = _field_kind(hints[field.name])
        flag = "--" + field.name.replace("_", "-")
        doc = docs.get(field.name, field.name).replace("``", "").rstrip(".")
        text = f"{doc} (default: {_show(getattr(defaults, field.name))})".replace("%", "%%")
        metavar = {int: "N", float: "X"}.get(kind, "NAME")
        if kind is bool:
            group.add_argument(flag, dest=field.name, action=argparse.BooleanOptionalAction,
                               default=argparse.SUPPRESS, help=text)
        else:
            group.add_argument(flag, dest=field.name, type=_value_parser(kind, optional), default=argparse.SUPPRESS,
                               nargs="+" if sequence else None, metavar=metavar, help=text)


def _given(args: argparse.Namespace, cls) -> dict:
    """The config fields set on the command line (lists → tuples; ``none`` → None)."""
    given = {}
    for field in dataclasses.fields(cls):
        if hasattr(args, field.name):
            value = getattr(args, field.name)
            if isinstance(value, list):
                value = None if None in value else tuple(value)
            given[field.name] = value
    return given


def build_parser() -> argparse.ArgumentParser:
    """The ``genart`` parser with its three subcommands."""
    from .gan import PRESETS as GAN_PRESETS, GanConfig
    from .dream import DreamConfig
    from .style import FAST, TUTORIAL, StyleConfig

    parser = _Parser(prog=PROG, description="DeepDream, neural style transfer and a DCGAN from the command "
                     "line, with the same generators and settings as the genart app.")
    parser.add_argument("--version", action="version", version=f"genart {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{dream,style,gan}")

    def command(name, help_text, cls, defaults, presets=None):
        p = sub.add_parser(name, help=help_text, description=help_text, epilog=EPILOG)
        p.add_argument("-o", "--output", default=f"{name}.png", metavar="PNG",
                       help=f"the result as a PNG carrying its recipe (default: {name}.png)")
        p.add_argument("--gif", nargs="?", const=True, metavar="GIF",
                       help="also write a time-lapse GIF (default path: the output's, ending in .gif)"
                       + ("; with --zoom-frames, the zoom animation" if name == "dream" else ""))
        source = p.add_mutually_exclusive_group()
        source.add_argument("--recipe", metavar="FILE", help="start from the settings of a PNG written by genart "
                            "or a JSON recipe; options given override them")
        if presets:
            source.add_argument("--preset", choices=list(presets), default=None,
                                help=f"start from a named config (default: {next(iter(presets))})")
        p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
        add_config_options(p, cls, defaults)
        p.set_defaults(config_class=cls, presets=presets or {})
        return p

    dream = command("dream", "DeepDream: amplify what InceptionV3 sees in an image.", DreamConfig, DreamConfig())
    dream.add_argument("image", nargs="?", metavar="IMAGE", help="the input picture (none with --batch/--video)")
    dream.add_argument("--guide", metavar="IMAGE", help="a guide picture: the guide layer is pulled toward its features")
    dream.add_argument("--mask", metavar="IMAGE", help="where to dream: a black-and-white picture (white = dream) "
                       "or one with a painted alpha channel; resized to the input, softened by --mask-feather")
    dream.add_argument("--mp4", nargs="?", const=True, metavar="MP4",
                       help="with --zoom-frames: also write the zoom animation as an MP4 at --fps "
                       "(default path: the output's, ending in .mp4)")
    dream.add_argument("--fps", type=float, default=12.0, metavar="X",
                       help="frames a second of the zoom animation's MP4 and GIF (default: 12)")
    style = command("style", "Neural style transfer: paint CONTENT in the style of STYLE (several blend).",
                    StyleConfig, TUTORIAL, {"tutorial": TUTORIAL, "fast": FAST})
    style.add_argument("content", nargs="?", metavar="CONTENT", help="the content picture (none with --batch/--video)")
    style.add_argument("styles", nargs="*", metavar="STYLE", help="one or more style pictures")
    style.add_argument("--init-image", metavar="IMAGE", help="the start picture for --init image")
    style.add_argument("--mask", metavar="PATH", help="where the style goes: a black-and-white picture (white = "
                       "style; any size). With one STYLE the content stays outside; with two, the second "
                       "goes outside. Soft edges: --mask-feather")
    for name, p in (("dream", dream), ("style", style)):
        batch_cli.add_options(p, name)
        p.set_defaults(parser=p)
        p.add_argument("--weights", choices=("imagenet", "random"), default=None,
                       help="pretrained ImageNet weights, or the same network untrained "
                       "(default: $GENART_WEIGHTS, else imagenet)")
    gan = command("gan", "DCGAN: train the tutorial's generator and discriminator on digits, or the 32-px "
                  "networks on your own pictures (--dataset FOLDER or --dataset PICTURES.zip).",
                  GanConfig, GanConfig(), dict(GAN_PRESETS))
    gan.add_argument("--epochs", type=int, default=None,
                     help="epochs to train (default: the recipe's, else 1; the tutorial trains 50)")
    gan.add_argument("--checkpoint", metavar="DIR", help="also save a tf.train.Checkpoint of the trainer into DIR")
    return parser


# --- running ---------------------------------------------------------------------------------------

def _note(text: str) -> None:
    print(f"{PROG}: note: {text}", file=sys.stderr)


def _fmt(value: float) -> str:
    a = abs(value)
    return f"{value:.3g}" if a == 0 or 1e-3 <= a < 1e4 else f"{value:.2e}"


def _progress(frames, quiet: bool, timelapse: Timelapse | None = None):
    """Drive a generator of frames with a tqdm bar (stage, step/total, metrics); returns the final frame."""
    from tqdm import tqdm

    last, bar = None, None
    try:
        for frame in frames:
            if bar is None:  # opened at the first frame, when the total is known
                bar = tqdm(total=frame.total, file=sys.stderr, disable=quiet, unit="step", dynamic_ncols=True)
            bar.set_description_str(frame.stage, refresh=False)
            bar.set_postfix_str(" ".join(f"{k} {_fmt(v)}" for k, v in frame.metrics.items()
                                         if k not in ("sec_per_step", "eta_s")), refresh=False)
            bar.update(frame.step - bar.n)
            if timelapse is not None:
                timelapse.add(frame.image, force=frame.final)
            last = frame
    finally:
        if bar is not None:
            bar.close()
    if last is None or not last.final:
        raise GenartError("The run ended before its final frame.")
    return last


def _paths(args) -> tuple[str, str | None]:
    """The PNG and GIF paths, checked before a long run starts."""
    png = args.output
    gif = os.path.splitext(png)[0] + ".gif" if args.gif is True else args.gif
    if not png.lower().endswith(".png"):
        raise InputError(f"--output must name a .png file; got {png!r}.")
    if gif is not None and not gif.lower().endswith(".gif"):
        raise InputError(f"--gif must name a .gif file; got {gif!r}.")
    for path in filter(None, (png, gif)):
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise InputError(f"The folder {folder} for {path} does not exist.")
    return png, gif


def _inputs_exist(*paths) -> None:
    for path in filter(None, paths):
        if not os.path.isfile(path):
            raise InputError(f"{path}: no such file.")


def _config(args, algorithm: str):
    """(config, recipe or None): preset or recipe first, then the options given."""
    cls = args.config_class
    recipe = None
    if args.recipe:
        _inputs_exist(args.recipe)
        recipe = read_recipe(args.recipe, algorithm)
        base = config_from_recipe(recipe)
    elif args.presets:
        base = args.presets[args.preset or next(iter(args.presets))]
    else:
        base = cls()
    return dataclasses.replace(base, **_given(args, cls)), recipe


def _weights(args, recipe) -> str:
    from .models import weights_label, weights_mode

    weights = args.weights or weights_mode()
    if weights == "random":
        _note(weights_label("random").replace(" (GENART_WEIGHTS=random)", ""))
    if recipe and recipe.get("weights") and recipe["weights"] != weights:
        _note(f"the recipe was made with {recipe['weights']} weights and this run uses {weights} weights, "
              "so the picture will differ.")
    return weights


def _compare_inputs(recipe, digests: dict) -> None:
    """A note for each input that differs from the recipe's."""
    for name, digest in digests.items():
        expected = (recipe or {}).get("inputs", {}).get(name)
        if expected is not None and expected != digest:
            _note(f"the {name.replace('_', ' ')} differs from the recipe's ({digest}, recipe: {expected}).")


def _write(png: str, gif: str | None, image, recipe: dict, timelapse: Timelapse | None) -> None:
    save_png(png, image, text=png_text(recipe))
    print(png)
    if gif and timelapse is not None:
        timelapse.save_gif(gif)
        print(gif)


def _mp4_path(args, cfg, png: str) -> str | None:
    """The zoom animation's MP4 path (None without --mp4), checked before a long run starts."""
    from .errors import check_float

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
    from . import models
    from .dream import dream
    from .dream.zoom import record_zoom
    from .export import Clip

    cfg, recipe = _config(args, "dream")
    if batch_cli.batching(args):
        from .batch import dream_task

        if cfg.zoom_frames:
            raise InputError("--zoom-frames animates one picture; it does not go with --batch or --video.")
        _inputs_exist(args.guide, args.mask)
        return batch_cli.run(args, dream_task(cfg, _weights(args, recipe), guide=args.guide, mask=args.mask))
    png, gif = _paths(args)
    mp4 = _mp4_path(args, cfg, png)
    _inputs_exist(args.image, args.guide, args.mask)
    digests = {"image": image_digest(args.image, f"image {args.image}")}
    if args.guide:
        digests["guide"] = image_digest(args.guide, f"guide image {args.guide}")
    if args.mask:
        digests["mask"] = mask_digest(args.mask, f"mask {args.mask}")
    _compare_inputs(recipe, digests)
    weights = _weights(args, recipe)
    model = models.dream_extractor(cfg.layers, weights)
    zooming = cfg.zoom_frames > 0
    clip = Clip() if zooming else None
    timelapse = Timelapse() if gif and not zooming else None
    frames = dream(args.image, cfg, model=model, guide=args.guide, mask=args.mask)
    if clip is not None:
        frames = record_zoom(frames, clip.add)
    final = _progress(frames, args.quiet, timelapse)
    _write(png, None if zooming else gif, final.image,
           make_recipe("dream", cfg, weights=weights, inputs=digests), timelapse)
    if zooming and not len(clip) and (mp4 or gif):
        _note("the run ended before its first zoom frame, so there is no animation to write.")
    elif zooming:
        for path, save in ((mp4, clip.save_mp4), (gif, clip.save_gif)):
            if path:
                print(save(path, args.fps))
    return 0


def run_style(args) -> int:
    from . import models
    from .style import stylize

    cfg, recipe = _config(args, "style")
    if batch_cli.batching(args):
        from .batch import style_task

        _inputs_exist(*args.styles, args.init_image, args.mask)
        return batch_cli.run(args, style_task(cfg, _weights(args, recipe), args.styles, init_image=args.init_image,
                                              mask=args.mask, chained=bool(args.video)))
    png, gif = _paths(args)
    _inputs_exist(args.content, *args.styles, args.init_image, args.mask)
    digests = {"content": image_digest(args.content, f"content image {args.content}"),
               "styles": [image_digest(s, f"style image {s}") for s in args.styles]}
    if args.init_image:
        digests["init_image"] = image_digest(args.init_image, f"initial image {args.init_image}")
    if args.mask:
        digests["mask"] = mask_digest(args.mask, f"mask {args.mask}")
    _compare_inputs(recipe, digests)
    weights = _weights(args, recipe)
    model = models.vgg19_extractor(cfg.style_layers, cfg.content_layers, weights, pooling=cfg.pooling)
    styles = args.styles if len(args.styles) > 1 else args.styles[0]
    timelapse = Timelapse() if gif else None
    frames = stylize(args.content, styles, cfg, model=model, init_image=args.init_image, mask=args.mask)
    final = _progress(frames, args.quiet, timelapse)
    _write(png, gif, final.image, make_recipe("style", cfg, weights=weights, inputs=digests), timelapse)
    return 0


def _own_pictures(args):
    """``--dataset PATH`` (a folder or a .zip): the path, with ``args.dataset`` set to "own"; else None."""
    from .data import DATASETS, OWN

    path = getattr(args, "dataset", None)
    if path is None or path in DATASETS or path == OWN:
        return None
    if not (os.path.isdir(path) or (path.lower().endswith(".zip") and os.path.isfile(path))):
        raise InputError(f"dataset must be one of {', '.join(DATASETS)}, or a folder or .zip of pictures; "
                         f"{path!r} is neither.")
    args.dataset = OWN
    return path


def run_gan(args) -> int:
    from .errors import check_int
    from .gan import MAX_EPOCHS, GanTrainer
    from .imagesets import load_image_set

    own_path = _own_pictures(args)
    cfg, recipe = _config(args, "gan")
    if cfg.dataset == "own" and own_path is None:
        raise InputError("This run trains on your own pictures: give them with --dataset FOLDER or --dataset FILE.zip.")
    png, gif = _paths(args)
    epochs = args.epochs
    if epochs is None:
        trained = ((recipe or {}).get("run") or {}).get("epochs")
        epochs = max(1, math.ceil(trained)) if isinstance(trained, (int, float)) and trained > 0 else 1
    check_int("--epochs", epochs, 1, MAX_EPOCHS)
    if args.checkpoint and os.path.exists(args.checkpoint) and not os.path.isdir(args.checkpoint):
        raise InputError(f"--checkpoint must name a folder; {args.checkpoint} is a file.")
    pictures = None
    if own_path is not None:
        pictures = load_image_set(own_path, cfg.colour)
        _compare_inputs(recipe, {"dataset": pictures.digest})
    trainer = GanTrainer(cfg) if pictures is None else GanTrainer(cfg, data=pictures)
    del pictures
    try:
        if trainer.data_note:
            _note(trainer.data_note)
        _progress(trainer.train(epochs), args.quiet)
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 done, 1 a problem to fix, 2 a malformed command line).

    Args:
        argv: the arguments after the program name (default: ``sys.argv[1:]``).

    ``--help``, ``--version`` and a malformed command line are answered without importing
    TensorFlow, which is imported only once a run starts.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up notes would bury the progress bar
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command in ("dream", "style"):
            batch_cli.check(args, args.parser)
    except SystemExit as exc:  # --help, --version, or a malformed command line (already reported)
        return int(exc.code or 0)
    runner = {"dream": run_dream, "style": run_style, "gan": run_gan}[args.command]
    try:
        return runner(args)
    except GenartError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"{PROG}: error: {exc.strerror or exc}{where}", file=sys.stderr)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    return 1
