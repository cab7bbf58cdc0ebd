"""The batch options of ``genart dream`` and ``genart style`` (``--batch``, ``--video``, ``--out``, ``--ray``)."""

from __future__ import annotations

import argparse
import os
import sys

from .jobs import Report, file_items, list_inputs, run_items
from .tasks import Task
from .video import run_video

_ORDER = {"dream": "DeepDream frames are independent: on Ray they run in parallel.",
          "style": "Style frames are chained: frame k starts from frame k-1's result (init image), which keeps "
                   "the frames consistent and makes them run one after another, on Ray too. With --method fast "
                   "each frame is one pass of its own (on Ray in parallel), then made steady in order "
                   "(--steady)."}


def add_options(parser: argparse.ArgumentParser, name: str) -> None:
    """Add the batch options to the ``dream`` or ``style`` subcommand ``parser``."""
    group = parser.add_argument_group(
        "batch jobs", "Many pictures, or a video's frames, with the same settings" +
        (" (the positional pictures are then all STYLE pictures)" if name == "style" else "") +
        ". Outputs already in --out are skipped (re-run to resume); a picture that cannot be used is "
        "reported and the rest go on (exit status 1).")
    source = group.add_mutually_exclusive_group()
    source.add_argument("--batch", metavar="FOLDER_OR_GLOB",
                        help="every picture of a folder, or a quoted glob ('photos/*.jpg'): one PNG each, "
                        "DIR/<name>.png, carrying its recipe")
    source.add_argument("--video", metavar="VIDEO",
                        help="each frame of a video (at most 960): DIR/frames/frame_00001.png …, then "
                        f"DIR/<name>.mp4 at the video's frame rate. {_ORDER[name]}")
    group.add_argument("--out", metavar="DIR", help="the folder the batch writes to (created if missing)")
    group.add_argument("--ray", nargs="?", const="", metavar="ADDRESS",
                       help="spread the batch over a Ray cluster: 'auto' or an address (--ray alone: "
                       "$GENART_RAY_ADDRESS, else auto); needs pip install .[ray]")


def batching(args: argparse.Namespace) -> bool:
    """True when the command line asks for a batch."""
    return bool(getattr(args, "batch", None) or getattr(args, "video", None))


def check(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """Refuse a command line that mixes single-run and batch use (``parser.error``: exit status 2);
    for ``style`` in a batch, every positional picture becomes a style picture."""
    wanted = batching(args)
    first = "image" if args.command == "dream" else "content"
    if not wanted:
        if args.out is not None or args.ray is not None:
            parser.error("--out and --ray go with --batch or --video")
        if getattr(args, first) is None:
            parser.error(f"the following arguments are required: {first.upper()}")
        if args.command == "style" and not args.styles:
            parser.error("the following arguments are required: STYLE (after CONTENT)")
        return
    if args.out is None:
        parser.error("--batch and --video need --out DIR, the folder for the results")
    for option in ("gif", "mp4"):
        if getattr(args, option, None):
            parser.error(f"--{option} is for a single run, not with --batch or --video")
    if args.command == "dream" and args.image is not None:
        parser.error(f"give IMAGE or --batch/--video, not both (got IMAGE {args.image})")
    if args.command == "style":
        args.styles, args.content = [p for p in (args.content, *args.styles) if p is not None], None
        if not args.styles:
            parser.error("the following arguments are required: STYLE (the style pictures of the batch)")


def run(args: argparse.Namespace, task: Task) -> int:
    """Run the batch the command line asks for; prints outputs on stdout, a summary on stderr.

    Returns:
        The exit status: 0, or 1 when a picture or frame failed (named in the summary).
    """
    os.makedirs(args.out, exist_ok=True)
    options = dict(ray=args.ray or None, use_ray=args.ray is not None, quiet=args.quiet)
    if args.batch:
        inputs = list_inputs(args.batch, args.out)
        report = run_items(task, file_items(inputs, args.out), len(inputs), **options)
    else:
        report = run_video(task, args.video, args.out, **options)
    _summary(report)
    return report.status


def _summary(report: Report) -> None:
    for note in report.notes:
        print(f"genart: note: {note}", file=sys.stderr)
    label = "error" if report.failed else "done"
    print(f"genart: {label}: {report.summary()}", file=sys.stderr)
