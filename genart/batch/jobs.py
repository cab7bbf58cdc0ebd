"""A batch's inputs and outputs and its run over them (in this process, or on a Ray cluster);
see :mod:`genart.batch` for the shape of a batch."""

from __future__ import annotations

import glob
import os
import sys
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np

from ..errors import GenartError, InputError
from ..export import MAX_VIDEO_FRAMES, save_png
from ..frames import Frame
from ..recipe import png_text, record_run
from .tasks import Task, final_frame

#: Files a batch takes as pictures (by extension, any case).
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff")
#: The most pictures one batch takes.
MAX_FILES = 100_000
#: The most frames of a video a run takes (later frames are left out, and the run says so).
MAX_FRAMES = MAX_VIDEO_FRAMES
#: Suffix of an output being written.
PART = ".part"
#: Results that may wait to be finished (written) while the next input computes, in this process.
BEHIND = 2


# --- inputs and outputs -----------------------------------------------------------------------------

def list_inputs(spec: str, out_dir: str) -> list[str]:
    """The pictures ``spec`` names (a folder, or a glob such as ``'photos/*.jpg'``), sorted by name.

    Raises:
        InputError: nothing matches, the outputs would land among the inputs, or too many files.
    """
    if os.path.isdir(spec):
        paths = [os.path.join(spec, name) for name in os.listdir(spec)]
    else:
        paths = glob.glob(os.path.expanduser(spec))
    pictures = sorted((p for p in paths if os.path.isfile(p) and not os.path.basename(p).startswith(".")
                       and p.lower().endswith(IMAGE_EXTENSIONS)), key=lambda p: (os.path.basename(p), p))
    if not pictures:
        raise InputError(f"--batch {spec}: no pictures there ({', '.join(IMAGE_EXTENSIONS)}). A glob must be "
                         "quoted so that the shell leaves it to genart.")
    if len(pictures) > MAX_FILES:
        raise InputError(f"--batch {spec}: {len(pictures)} pictures; one batch takes at most {MAX_FILES}.")
    out = os.path.realpath(out_dir)
    if any(os.path.dirname(os.path.realpath(p)) == out for p in pictures):
        raise InputError(f"--out {out_dir} holds input pictures; choose another folder for the results.")
    return pictures


def output_paths(inputs: list[str], out_dir: str) -> list[str]:
    """``out_dir/<stem>.png`` per input; a stem several inputs share keeps its extension (``a_jpg.png``,
    ``a_png.png``), and a number if that is not enough (``a_png_2.png``): no two inputs write one file."""
    stems = [os.path.splitext(os.path.basename(p))[0] for p in inputs]
    shared = Counter(stems)
    names: list[str] = []
    used: set[str] = set()
    for stem, path in zip(stems, inputs):
        name = base = f"{stem}_{os.path.splitext(path)[1][1:].lower()}" if shared[stem] > 1 else stem
        k = 1
        while name.lower() in used:  # lower: one file on case-insensitive disks
            k += 1
            name = f"{base}_{k}"
        used.add(name.lower())
        names.append(name)
    return [os.path.join(out_dir, n + ".png") for n in names]


def is_done(path: str) -> bool:
    """True when ``path`` is a finished output (outputs appear only whole, by renaming)."""
    return os.path.isfile(path) and os.path.getsize(path) > 0


def write_png(path: str, image: np.ndarray, recipe: dict) -> str:
    """Write ``image`` with its recipe to ``path`` atomically (``path.part``, then a rename)."""
    save_png(path + PART, image, text=png_text(recipe))
    os.replace(path + PART, path)
    return path


class RunFailed(GenartError):
    """One input's run was lost on the cluster (its worker died); the batch goes on."""


@dataclass
class Report:
    """What a batch did: outputs written, outputs skipped (already done), failures (name, sentence)."""

    written: list[str] = field(default_factory=list)
    skipped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        line = f"{len(self.written)} written, {self.skipped} already done, {len(self.failed)} failed"
        return line + "".join(f"\n  {name}: {why}" for name, why in self.failed)

    @property
    def status(self) -> int:
        return 1 if self.failed else 0


# --- running ------------------------------------------------------------------------------------------

@dataclass
class Item:
    """One input: its name in messages, its output path, and how to read it (bytes or an array)."""

    name: str
    out: str
    read: Callable[[], object]


class _Cluster:
    """The Ray side of a batch (imports Ray): submit runs, wait for any, read results."""

    def __init__(self, address: str | None):
        from ..compute import ADDRESS_ENV

        try:
            from ..compute import ray_runs
        except ImportError:
            raise GenartError("--ray needs Ray, an optional extra: pip install .[ray] (or requirements-ray.txt).") \
                from None
        if address:
            os.environ[ADDRESS_ENV] = address
        self.runs = ray_runs
        self.ray = ray_runs.connect()
        self.limit = max(1, ray_runs.cluster().slots * 2)

    def submit(self, task: Task, args: tuple, kwargs: dict):
        return self.runs.run_to_end(task.body, *args, **kwargs)

    def result(self, ref) -> Frame:
        """A run's final frame; a worker lost on the way (crashed, out of memory) fails this input only."""
        try:
            return self.runs.result(ref)
        except self.ray.exceptions.RayError as exc:
            raise RunFailed(f"The Ray worker computing it failed ({type(exc).__name__}).") from None

    def first_done(self, refs: list):
        return self.ray.wait(refs, num_returns=1)[0][0]

    def cancel(self, refs: Iterable) -> None:
        for ref in refs:
            self.ray.cancel(ref)


class _Behind:
    """Finishing work (a steady frame's blend, writing the PNG) done on one thread, in order, behind the next
    input's compute: at most :data:`BEHIND` results wait, so memory holds a few frames."""

    def __init__(self):
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="genart-finish")
        self.waiting: deque = deque()

    def submit(self, fn, *args) -> None:
        self.waiting.append(self.pool.submit(fn, *args))
        while len(self.waiting) > BEHIND:
            self.waiting.popleft().result()

    def drain(self) -> None:
        """Wait for everything submitted (an error in it is raised here)."""
        while self.waiting:
            self.waiting.popleft().result()

    def close(self) -> None:
        try:
            self.drain()
        finally:
            self.pool.shutdown()


def _returning(result):
    """A callable that gives ``result`` back, or raises it when it is an exception."""
    def give():
        if isinstance(result, BaseException):
            raise result
        return result
    return give


def _progress(total: int, unit: str, quiet: bool):
    from tqdm import tqdm

    return tqdm(total=total, file=sys.stderr, disable=quiet, unit=unit, dynamic_ncols=True)


def run_items(task: Task, items: Iterable[Item], total: int, *, ray: str | None = None, use_ray: bool = False,
              quiet: bool = False, unit: str = "file", on_write: Callable[[str], None] | None = None) -> Report:
    """Run ``task`` over ``items``: skip finished outputs, write the others, report the failures.

    Args:
        task: what each item runs (:func:`dream_task`, :func:`style_task`).
        items: the inputs in order (a chained task runs them in this order, each from the previous result;
            a followed task's results are finished in this order, each after the previous one).
        total: how many items there are (for the progress bar).
        ray: the cluster's address for ``use_ray`` (None: ``GENART_RAY_ADDRESS``, else ``auto``).
        use_ray: run on a Ray cluster instead of in this process.
        quiet: no progress bar.
        on_write: called with each output path as it is written (default: print it on stdout, above the bar).
    """
    report = Report()
    cluster = _Cluster(ray) if use_ray else None
    pending: dict = {}  # ObjectRef → (item, data, recipe), runs in flight on the cluster, in submission order
    previous: np.ndarray | None = None  # a chained task's last result
    follow = task.follow() if task.follow is not None else None  # finishes results in input order
    behind = _Behind() if cluster is None and not task.chained else None  # write while the next one computes
    other = 0  # outputs already done with other settings
    if cluster is not None:
        report.notes.append(f"computed on {cluster.runs.cluster().describe()}")
    bar = _progress(total, unit, quiet)
    on_write = on_write or (lambda path: bar.write(path, file=sys.stdout))

    def finish(item: Item, data, recipe: dict, compute: Callable[[], Frame]) -> np.ndarray | None:
        """Write one result with what its run reported (or record its failure); the image written, else None."""
        try:
            final = compute()
            image = final.image
            if follow is not None:
                image, recipe = follow(data, image, recipe)
        except (InputError, RunFailed) as exc:
            report.failed.append((item.name, str(exc)))
            image = None
            if follow is not None:
                follow.reset()
        else:
            report.written.append(write_png(item.out, image, record_run(recipe, final.facts)))
            on_write(item.out)
        bar.update()
        return image

    def collect() -> None:
        # in order when the results are followed (a steady video), else whichever is done first
        ref = next(iter(pending)) if follow is not None else cluster.first_done(list(pending))
        finish(*pending.pop(ref), lambda: cluster.result(ref))

    def in_order() -> None:
        """Finish every result so far (before a followed task learns of a done or failed input)."""
        while pending:
            collect()
        if behind is not None:
            behind.drain()

    try:
        for item in items:
            bar.set_postfix_str(item.name, refresh=False)
            if is_done(item.out):
                if follow is not None:  # the frames before this one first
                    in_order()
                report.skipped += 1
                other += not _made_by(task, item.out)
                previous = _read_png(item.out) if task.chained else None
                if follow is not None:
                    try:
                        follow.done(item.read(), _read_png(item.out))
                    except InputError:
                        follow.reset()
                bar.update()
                continue
            try:
                data = item.read()
                recipe = task.recipe(data, previous)
                args, kwargs = task.call(data, previous)
            except InputError as exc:
                report.failed.append((item.name, str(exc)))
                previous = None
                if follow is not None:
                    in_order()
                    follow.reset()
                bar.update()
                continue
            if cluster is None:
                def shown(frame: Frame, name=item.name) -> None:  # where the file's run is, beside the bar
                    bar.set_postfix_str(f"{name}: {frame.stage}, step {frame.step}/{frame.total}")

                try:
                    frame = final_frame(task.body(*args, **kwargs), shown)
                except (InputError, RunFailed) as exc:
                    frame = exc
                if behind is not None:
                    behind.submit(finish, item, data, recipe, _returning(frame))
                    continue
                result = finish(item, data, recipe, _returning(frame))
            elif task.chained:  # the next frame starts from this result: one at a time
                ref = cluster.submit(task, args, kwargs)
                result = finish(item, data, recipe, lambda: cluster.result(ref))
            else:
                pending[cluster.submit(task, args, kwargs)] = (item, data, recipe)
                while len(pending) >= cluster.limit:
                    collect()
                continue
            previous = result if task.chained else None
        while pending:
            collect()
    finally:
        if pending:
            cluster.cancel(pending)
        if behind is not None:
            behind.close()
        bar.close()
    if other:
        report.notes.append(f"{other} of the outputs already done were made with other settings or weights; they "
                            "were kept (delete them, or choose another --out, to make them with these).")
    return report


def _made_by(task: Task, path: str) -> bool:
    """True when the finished output at ``path`` carries ``task``'s settings in its recipe."""
    from ..recipe import read_recipe

    try:
        return task.made(read_recipe(path))
    except InputError:  # not a genart PNG, or a damaged one
        return False


def _read_png(path: str) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"))


def file_items(inputs: list[str], out_dir: str) -> list[Item]:
    """One :class:`Item` per input file (read as bytes: they travel to Ray workers as they are)."""
    def reader(path):
        def read() -> bytes:
            try:
                with open(path, "rb") as fh:
                    return fh.read()
            except OSError as exc:
                raise InputError(f"The file could not be read ({exc.strerror}).") from None
        return read

    return [Item(os.path.basename(p), out, reader(p)) for p, out in zip(inputs, output_paths(inputs, out_dir))]
