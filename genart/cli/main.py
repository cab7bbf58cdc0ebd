"""The command line: ``python -m genart dream|style|gan …`` runs the app's generators in a terminal;
``python -m genart weights`` fetches what they download ahead (:mod:`genart.cli.weights`).

Each subcommand's settings are options generated from its config dataclass (so they never drift
from it): ``--steps-per-octave 20`` sets ``DreamConfig.steps_per_octave``; ``--help`` lists them
with the tutorial's defaults and the config's own descriptions. ``--recipe FILE`` starts from the
settings of a PNG written by genart (or a JSON recipe); options given explicitly override it.
Progress is a tqdm bar on stderr (stage, step/total, losses); the result is a PNG carrying its
recipe, optionally with a time-lapse GIF (and, for the DCGAN, a checkpoint folder). Problems the
user can fix end the program with one line, ``genart: error: …``, and exit status 1 (2 for a
malformed command line). The terminal stays quiet: TensorFlow's log lines show with ``-v`` (or as
TensorFlow's own ``TF_CPP_*`` variables say, when set).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence

from .. import __version__
from ..batch import cli as batch_cli
from ..errors import GenartError
from ..models import WEIGHTS_ENV
from ..paths import use_persistent_storage
from . import weights as weights_cli
from .common import configure_logging, import_tensorflow
from .fast import add_options as add_fast_options, check as check_fast
from .commands import run_dream, run_gan, run_style
from .options import PROG, Parser, add_config_options

VERBOSE_HELP = "also show TensorFlow's log lines and genart's own log (default: quiet)"

EPILOG = ("Settings a recipe gives are used unless an option sets them. An optional setting takes "
          "'none' for None. Output written: the PNG (and GIF/checkpoint) paths, one per line, on stdout.")


def build_parser() -> argparse.ArgumentParser:
    """The ``genart`` parser with its subcommands: dream, style, gan and weights."""
    from ..dream import DreamConfig
    from ..gan import DEFAULT_PRESET as GAN_DEFAULT, PRESETS as GAN_PRESETS, GanConfig
    from ..style import FAST, TUTORIAL, StyleConfig

    parser = Parser(prog=PROG, description="DeepDream, neural style transfer and a DCGAN from the command "
                     "line, with the same generators and settings as the genart app.")
    parser.add_argument("--version", action="version", version=f"genart {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    sub = parser.add_subparsers(dest="command", required=True, metavar="{dream,style,gan,weights}")

    def command(name, help_text, cls, defaults, presets=None, default_preset=None, title=None):
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
                                help=f"start from a named config (default: {default_preset or next(iter(presets))})")
        p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
        p.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help=VERBOSE_HELP)
        add_config_options(p, cls, defaults, title=title)
        p.set_defaults(config_class=cls, presets=presets or {}, default_preset=default_preset)
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
    style = command("style", "Neural style transfer: paint CONTENT in the style of STYLE (several blend); "
                    "--method fast paints in one pass of the arbitrary-style network.",
                    StyleConfig, TUTORIAL, {"tutorial": TUTORIAL, "fast": FAST})
    add_fast_options(style)
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
                  GanConfig, GAN_PRESETS[GAN_DEFAULT], dict(GAN_PRESETS), GAN_DEFAULT,
                  title=f"settings (GanConfig; defaults are the {GAN_DEFAULT} preset's; the tutorial's: "
                  "--preset tutorial)")
    gan.add_argument("--epochs", type=int, default=None,
                     help="epochs to train (default: the recipe's, else 1; the tutorial trains 50)")
    gan.add_argument("--checkpoint", metavar="DIR", help="also save a tf.train.Checkpoint of the trainer into DIR")
    gan.add_argument("--until-digits", action="store_true",
                     help="stop as soon as the samples look like real digits to genart's digit meter (MNIST "
                     "only; --epochs is then the limit)")
    weights = weights_cli.add_parser(sub)
    weights.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help=VERBOSE_HELP)
    return parser


@contextlib.contextmanager
def _weights_env(weights: str | None):
    """``--weights`` as GENART_WEIGHTS while the run lasts, so that every part of it (the precision
    decision's timing run too) builds the networks with the weights asked for."""
    if weights is None:
        yield
        return
    before = os.environ.get(WEIGHTS_ENV)
    os.environ[WEIGHTS_ENV] = weights
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(WEIGHTS_ENV, None)
        else:
            os.environ[WEIGHTS_ENV] = before


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 done, 1 a problem to fix, 2 a malformed command line).

    Args:
        argv: the arguments after the program name (default: ``sys.argv[1:]``).

    ``--help``, ``--version``, a malformed command line and ``weights --check`` are answered without
    importing TensorFlow, which is imported (quietly, unless ``-v``) only once a run starts.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command in ("dream", "style"):
            batch_cli.check(args, args.parser)
        if args.command == "style":
            check_fast(args, args.parser)
    except SystemExit as exc:  # --help, --version, or a malformed command line (already reported)
        return int(exc.code or 0)
    use_persistent_storage()  # on a Space, the caches the app reads
    args.quiet_tensorflow = configure_logging(args.verbose)
    runner = {"dream": run_dream, "style": run_style, "gan": run_gan, "weights": weights_cli.run}[args.command]
    try:
        if args.command != "weights":
            import_tensorflow(args.quiet_tensorflow)
        with _weights_env(getattr(args, "weights", None)):
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
