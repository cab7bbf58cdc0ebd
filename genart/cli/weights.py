"""``genart weights``: fetch everything the app can use ahead of its first visitor, or check that it is there.

Without options, each entry of :func:`genart.catalogue.everything` that is missing is downloaded into
the cache its loader reads (Keras' ``$KERAS_HOME``, TF-Hub's and Kaggle's caches beside it), with a
progress bar per file on stderr; the paths are written on stdout, one per line. ``--check`` downloads
nothing: it names each file or model handle and says ``present`` or ``missing`` (exit status 1 when
something is missing), so a Dockerfile or a Space's build can run ``genart weights`` and then
``genart weights --check``.
"""

from __future__ import annotations

import argparse
import sys

from .common import import_tensorflow, note
from .options import PROG

HELP = ("fetch the networks' weights and the datasets the app can use into the caches it reads "
        "(for a Docker image or a Space's build step), or --check that they are there")


def add_parser(sub) -> argparse.ArgumentParser:
    """The ``weights`` subcommand on ``sub`` (the parser's subparsers)."""
    p = sub.add_parser("weights", help=HELP, description=HELP[0].upper() + HELP[1:] + ".",
                       epilog="Where: $KERAS_HOME (default ~/.keras) holds models/, datasets/, tfhub/ and kagglehub/ "
                       "unless TFHUB_CACHE_DIR or KAGGLEHUB_CACHE say otherwise. On a Space with persistent storage "
                       "the app uses /data/.keras. Exit status: 0 all there, 1 something missing or not downloaded.")
    p.add_argument("--check", action="store_true",
                   help="download nothing; say for each file or model whether it is present (exit status 1 if not)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    return p


def _row(item, present: bool) -> str:
    return f"{'present' if present else 'missing'}  {item.source}: {item.what}, in {item.path}"


def check(items) -> int:
    """Say for each entry whether it is present; 1 when one is missing."""
    missing = 0
    for item in items:
        present = item.present()
        missing += not present
        print(_row(item, present))
    if missing:
        note(f"{missing} of {len(items)} missing; `{PROG} weights` downloads them.")
    return 1 if missing else 0


def _bar(item, quiet: bool):
    """A ``report(done, total)`` driving a tqdm bar of bytes, opened at the first report; and its closer."""
    from tqdm import tqdm

    state = {}

    def report(done: int, total: int | None) -> None:
        bar = state.get("bar")
        if bar is None:
            bar = state["bar"] = tqdm(total=total, desc=item.source, file=sys.stderr, disable=quiet, unit="B",
                                      unit_scale=True, unit_divisor=1024, dynamic_ncols=True, leave=True)
        if total and bar.total != total:
            bar.total = total
        if done != bar.n:
            bar.update(done - bar.n)

    def close() -> None:
        if "bar" in state:
            state["bar"].close()

    return report, close


def fetch(items, quiet: bool, quiet_tensorflow: bool = True) -> int:
    """Download each missing entry (a bar each); print every entry's path; 1 when one failed."""
    from ..fast_style import HubModel

    failed = 0
    for item in items:
        if not item.present():
            if isinstance(item, HubModel):  # tensorflow_hub imports TensorFlow: quietly, as the runs do
                import_tensorflow(quiet_tensorflow)
            report, close = _bar(item, quiet)
            try:
                item.fetch(report)
            except Exception as exc:  # the reason is the point here: an operator reads it
                close()
                print(f"{PROG}: error: could not download {item.what} ({item.source}): {exc}", file=sys.stderr)
                failed += 1
                continue
            close()
        print(item.path)
    return 1 if failed else 0


def run(args) -> int:
    from ..catalogue import everything

    items = everything()
    if args.check:
        return check(items)
    return fetch(items, args.quiet, getattr(args, "quiet_tensorflow", True))
