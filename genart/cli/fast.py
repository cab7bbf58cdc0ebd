"""``genart style --method fast``: the style tutorial's TF-Hub section from the command line.

One pass of Magenta's arbitrary-style network (:func:`genart.fast_style.paint`) per picture: a single
run, or with ``--batch`` / ``--video`` every picture or frame on its own (so on Ray they run in
parallel). A video's frames are then made steady in order (``--steady``, default
:data:`genart.fast_style.VIDEO_STEADY`; 0: every frame on its own), each painted knowing the last
(:mod:`genart.fast_style.steady`); ``--steady`` is for ``--video`` only.

The method comes from ``--method``, else from a ``--recipe`` of a fast picture, else it is the
optimisation. Each method refuses the other's options in one sentence: ``--strength`` and
``--style-size`` are the fast method's; the optimisation's settings (``--steps``, ``--optimizer`` …),
``--preset``, ``--init-image``, ``--mask`` and ``--gif`` (one pass has no time-lapse) are not;
``--max-dim`` is both's.
"""

from __future__ import annotations

import argparse
import dataclasses
import os

from ..batch import cli as batch_cli
from ..errors import InputError
from ..fingerprints import fingerprints
from ..recipe import config_from_recipe, make_recipe, read_recipe
from .common import compare_inputs, inputs_exist, output_paths, progress, weights_for, write_outputs
from .options import given

#: The two methods of ``genart style``.
METHODS = ("optimisation", "fast")
#: Settings both methods have (one option sets both).
SHARED = ("max_dim",)
#: Options of ``genart style`` that only the optimisation reads, besides its StyleConfig settings.
OPTIMISATION_ONLY = {"preset": "--preset", "init_image": "--init-image", "mask": "--mask", "gif": "--gif"}


def add_options(parser: argparse.ArgumentParser) -> None:
    """``--method`` and the fast method's settings (FastStyleConfig's, but ``--max-dim``) on ``genart style``."""
    from ..fast_style import VIDEO_STEADY, FastStyleConfig
    from .options import add_config_options

    parser.add_argument("--method", choices=METHODS, default=None,
                        help="optimisation: the tutorial's Gatys et al. loop (the default); fast: one pass of "
                        "Magenta's arbitrary-style network (Ghiasi et al. 2017), the tutorial's TF-Hub section "
                        "(--weights imagenet: the hub model, $GENART_FAST_STYLE_MODEL or the tutorial's handle). "
                        "A --recipe of a fast picture chooses fast")
    # --steady is for --video, whose default is VIDEO_STEADY: shown as the default
    add_config_options(parser, FastStyleConfig, FastStyleConfig(steady=VIDEO_STEADY), skip=SHARED,
                       title="fast method settings (FastStyleConfig; with --method fast; --max-dim sets both; "
                       "--steady with --video)")


def method(args: argparse.Namespace) -> str:
    """The method a ``genart style`` command line asks for: ``--method``, else its recipe's, else the optimisation."""
    if args.method:
        return args.method
    if args.recipe and os.path.isfile(args.recipe):
        try:
            return "fast" if read_recipe(args.recipe).get("algorithm") == "fast_style" else "optimisation"
        except InputError:  # the run reads it again and says what is wrong
            pass
    return "optimisation"


def _flags(names) -> list[str]:
    return ["--" + name.replace("_", "-") for name in names]


def check(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """Refuse, in one sentence (``parser.error``: exit status 2), the options of the method not chosen."""
    from ..fast_style import FastStyleConfig
    from ..style import StyleConfig

    fast_only = sorted(set(given(args, FastStyleConfig)) - set(SHARED))
    if method(args) == "optimisation":
        if fast_only:
            flags = ", ".join(_flags(fast_only))
            parser.error(f"{flags} {'is a setting' if len(fast_only) == 1 else 'are settings'} of --method fast; "
                         "the optimisation has no such setting (its style's size is --style-scale)")
        return
    optimisation = _flags(sorted(set(given(args, StyleConfig)) - set(SHARED)))
    optimisation += [flag for dest, flag in OPTIMISATION_ONLY.items() if getattr(args, dest, None)]
    if optimisation:
        parser.error(f"{', '.join(optimisation)} {'is' if len(optimisation) == 1 else 'are'} for the optimisation; "
                     "--method fast paints in one pass and takes --strength, --max-dim and --style-size")
    if "steady" in given(args, FastStyleConfig) and not getattr(args, "video", None):
        parser.error("--steady is for --video: it paints each frame knowing the last one; a single picture or a "
                     "--batch of pictures is painted on its own")
    styles = [s for s in (args.styles or ()) if s is not None]
    if len(styles) > 1:
        parser.error(f"--method fast paints with one STYLE picture, not {len(styles)} (the optimisation blends "
                     "several)")


def _config(args):
    """(FastStyleConfig, recipe or None): the recipe's settings (or the defaults), then the options given.
    A video's ``steady`` is the option's, else the recipe's, else :data:`genart.fast_style.VIDEO_STEADY`."""
    from ..fast_style import VIDEO_STEADY, FastStyleConfig

    recipe = None
    base = FastStyleConfig()
    if args.recipe:
        inputs_exist(args.recipe)
        recipe = read_recipe(args.recipe, "fast_style")
        base = config_from_recipe(recipe)
    if getattr(args, "video", None) and "steady" not in (recipe or {}).get("config", {}):
        base = dataclasses.replace(base, steady=VIDEO_STEADY)
    return dataclasses.replace(base, **given(args, FastStyleConfig)), recipe


def run(args: argparse.Namespace) -> int:
    """``genart style --method fast``: one picture, or a batch / a video's frames, each in one pass."""
    from ..fast_style import load_model, model_facts, paint, recipe_inputs

    cfg, recipe = _config(args)
    if batch_cli.batching(args):
        from ..batch import fast_style_task

        inputs_exist(*args.styles)
        return batch_cli.run(args, fast_style_task(cfg, weights_for(args, recipe), args.styles[0],
                                                   steady=bool(args.video)))
    png, _ = output_paths(args)
    style = args.styles[0]
    inputs_exist(args.content, style)
    digests = fingerprints(recipe_inputs(args.content, style))
    compare_inputs(recipe, digests)
    weights = weights_for(args, recipe)
    final = progress(paint(args.content, style, cfg, model=load_model(weights)), args.quiet)
    write_outputs(png, None, final.image, make_recipe("fast_style", cfg, ran=final.facts, weights=weights,
                                                      inputs=digests, run=model_facts(weights)), None)
    return 0
