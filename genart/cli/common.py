"""What every subcommand's run does alike: a quiet terminal (TensorFlow's log lines only when asked for),
notes on stderr, the progress bar, checking paths before a long run, the weights in use, comparing inputs
with a recipe's, and writing the outputs."""

from __future__ import annotations

import contextlib
import logging
import os
import sys

from ..errors import GenartError, InputError
from ..export import Timelapse, save_png
from ..recipe import png_text
from .options import PROG


#: TensorFlow's own logging variables: when the user set one, TensorFlow logs as they asked.
TF_LOG_VARIABLES = ("TF_CPP_MIN_LOG_LEVEL", "TF_CPP_MAX_VLOG_LEVEL", "TF_CPP_MIN_VLOG_LEVEL", "TF_CPP_VMODULE")


def configure_logging(verbose: bool) -> bool:
    """Set up this process's log output before TensorFlow is imported; returns whether TensorFlow's
    import should be silenced (:func:`import_tensorflow`).

    Quiet by default: TensorFlow's C++ log lines (start-up notes; ``failed call to cuInit`` on a
    machine without a GPU, an error line for nothing wrong) and the Python warnings that explain
    failures the command already reports in a sentence are not shown. ``verbose`` shows them all
    (genart's and TensorFlow's, at INFO). TensorFlow's own variables (:data:`TF_LOG_VARIABLES`) win:
    set, TensorFlow logs as they say.
    """
    if verbose:
        logging.basicConfig(level=logging.INFO, format="%(name)s: %(levelname)s: %(message)s")
        return False
    if not logging.getLogger().handlers:  # a program of its own: no "last resort" printing of warnings
        logging.getLogger().addHandler(logging.NullHandler())
    if any(name in os.environ for name in TF_LOG_VARIABLES):
        return False
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # the lines TensorFlow writes once it has started
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    return True


@contextlib.contextmanager
def native_stderr_silenced():
    """The process's file descriptor 2 points at the null device while the block runs (what native
    libraries write there is lost; Python's exceptions are raised after the block, so they still show)."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no standard error to silence
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def import_tensorflow(quiet: bool) -> None:
    """Import TensorFlow, with ``quiet`` silencing what it writes while it loads (its start-up lines
    are written before its log level is read, so only this keeps them off the terminal)."""
    with native_stderr_silenced() if quiet else contextlib.nullcontext():
        import tensorflow  # noqa: F401


def note(text: str) -> None:
    """``genart: note: …`` on stderr."""
    print(f"{PROG}: note: {text}", file=sys.stderr)


def fmt(value: float) -> str:
    """A metric as the progress bar shows it (3 significant digits, or exponent notation)."""
    a = abs(value)
    return f"{value:.3g}" if a == 0 or 1e-3 <= a < 1e4 else f"{value:.2e}"


def progress(frames, quiet: bool, timelapse: Timelapse | None = None):
    """Drive a generator of frames with a tqdm bar (stage, step/total, metrics); returns the final frame."""
    from tqdm import tqdm

    last, bar = None, None
    try:
        for frame in frames:
            if bar is None:  # opened at the first frame, when the total is known
                bar = tqdm(total=frame.total, file=sys.stderr, disable=quiet, unit="step", dynamic_ncols=True)
            bar.set_description_str(frame.stage, refresh=False)
            bar.set_postfix_str(" ".join(f"{k} {fmt(v)}" for k, v in frame.metrics.items()
                                         if k not in ("sec_per_step", "digits_reached")), refresh=False)
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


def output_paths(args) -> tuple[str, str | None]:
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


def inputs_exist(*paths) -> None:
    """An InputError naming the first of ``paths`` (None ones skipped) that is not a file."""
    for path in filter(None, paths):
        if not os.path.isfile(path):
            raise InputError(f"{path}: no such file.")


def weights_for(args, recipe) -> str:
    """The weights of this run (``--weights``, else GENART_WEIGHTS), noting random ones and a recipe's other ones."""
    from ..models import weights_label, weights_mode

    weights = args.weights or weights_mode()
    if weights == "random":
        note(weights_label("random").replace(" (GENART_WEIGHTS=random)", ""))
    if recipe and recipe.get("weights") and recipe["weights"] != weights:
        note(f"the recipe was made with {recipe['weights']} weights and this run uses {weights} weights, "
             "so the picture will differ.")
    return weights


def compare_inputs(recipe, digests: dict) -> None:
    """A note for each input that differs from the recipe's."""
    for name, digest in digests.items():
        expected = (recipe or {}).get("inputs", {}).get(name)
        if expected is not None and expected != digest:
            note(f"the {name.replace('_', ' ')} differs from the recipe's ({digest}, recipe: {expected}).")


def write_outputs(png: str, gif: str | None, image, recipe: dict, timelapse: Timelapse | None) -> None:
    """Write the PNG carrying ``recipe`` (and the time-lapse GIF), printing each path."""
    save_png(png, image, text=png_text(recipe))
    print(png)
    if gif and timelapse is not None:
        timelapse.save_gif(gif)
        print(gif)
