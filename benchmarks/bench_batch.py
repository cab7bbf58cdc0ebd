"""A DeepDream batch in this process against the same batch on a local Ray cluster, side by side.

    python benchmarks/bench_batch.py [--images 40] [--size 128] [--steps 5] [--workers 2] [--repeat 3]

One measurement (one process): the script makes ``--images`` pictures of ``--size`` px, then runs
``genart.batch`` over them, each a short dream (one octave of ``--steps`` steps, mixed3, no tiles):

* in this process, cold (TensorFlow imported, the network built and the step traced on the first
  picture) and warm (a second batch into another folder);
* on a Ray cluster started inside this process with ``--workers`` CPUs on 127.0.0.1
  (:func:`genart.compute.ray_runs.start_local`; one run per CPU, twice that many in flight), cold
  (the workers import TensorFlow and build the network) and warm.

It prints the seconds and the ratios (in-process ÷ Ray: above 1 means Ray was faster), and checks
that both wrote the same pixels. ``--repeat N`` runs N fresh processes one after another and prints
each and the medians. Random weights (``GENART_WEIGHTS=random``) cost the same FLOPs as ImageNet's.
On a machine with as many cores as workers, Ray cannot win: TensorFlow already uses every core in
one process, and each worker is a second TensorFlow competing for them; Ray pays off once the
cluster has more CPUs (or machines) than this process.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("GENART_WEIGHTS", "random")
sys.path.insert(0, ROOT)
os.chdir(ROOT)  # Ray's local workers import genart from the driver's working directory

ROWS = ("local_cold", "local_warm", "ray_cold", "ray_warm")


def make_pictures(folder: str, count: int, size: int) -> None:
    import numpy as np
    from PIL import Image

    yy, xx = np.mgrid[0:size * 3 // 4, 0:size].astype(np.float32)
    for k in range(count):
        waves = [127 + 120 * np.sin(xx / (5 + k % 7) + yy / (6 + c) + k) for c in range(3)]
        Image.fromarray(np.stack(waves, axis=2).astype(np.uint8)).save(os.path.join(folder, f"pic{k:03d}.png"))


def one(args) -> dict:
    """One measurement in this process: seconds per row, and whether Ray's pixels equal the local ones."""
    import numpy as np
    from PIL import Image

    from genart import batch
    from genart.compute import ray_runs
    from genart.dream import DreamConfig

    cfg = DreamConfig(layers=("mixed3",), octaves=1, steps_per_octave=args.steps, tile_size=0, max_dim=args.size,
                      precision="float32")
    task = batch.dream_task(cfg, "random")
    seconds = {}
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "in")
        os.mkdir(src)
        make_pictures(src, args.images, args.size)
        inputs = batch.list_inputs(src, os.path.join(tmp, "x"))

        def timed(row: str, **ray) -> None:
            out = os.path.join(tmp, row)
            os.mkdir(out)
            t0 = time.perf_counter()
            report = batch.run_items(task, batch.file_items(inputs, out), len(inputs), quiet=True,
                                     on_write=lambda path: None, **ray)
            seconds[row] = time.perf_counter() - t0
            assert len(report.written) == args.images and not report.failed, report.summary()

        timed("local_cold")
        timed("local_warm")
        address = ray_runs.start_local(args.workers)
        try:
            timed("ray_cold", ray=address, use_ray=True)
            timed("ray_warm", ray=address, use_ray=True)
        finally:
            ray_runs.stop_local()
        same = all(np.array_equal(np.asarray(Image.open(os.path.join(tmp, "local_cold", name))),
                                  np.asarray(Image.open(os.path.join(tmp, "ray_warm", name))))
                   for name in os.listdir(os.path.join(tmp, "local_cold")))
    return {"seconds": seconds, "same_pixels": same}


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def show(result: dict, label: str) -> None:
    s = result["seconds"]
    print(f"{label}: in-process {s['local_cold']:.1f} s cold / {s['local_warm']:.1f} s warm; "
          f"Ray {s['ray_cold']:.1f} s cold / {s['ray_warm']:.1f} s warm; in-process ÷ Ray "
          f"{s['local_cold'] / s['ray_cold']:.2f}x cold, {s['local_warm'] / s['ray_warm']:.2f}x warm; "
          f"same pixels: {'yes' if result['same_pixels'] else 'NO'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--size", type=int, default=128, help="long side of the pictures, px (64 or more)")
    parser.add_argument("--steps", type=int, default=5, help="ascent steps per picture")
    parser.add_argument("--workers", type=int, default=2, help="CPUs of the local Ray cluster")
    parser.add_argument("--repeat", type=int, default=1, help="fresh processes to run, one after another")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    head = (f"DeepDream batch: {args.images} pictures of {args.size} px, {args.steps} steps each (mixed3, "
            f"1 octave), {os.cpu_count()} CPUs here, Ray cluster of {args.workers} CPUs on 127.0.0.1")
    if args.child:
        print(json.dumps(one(args)))
        return 0
    if args.repeat <= 1:
        print(head, f"({load()})")
        show(one(args), "run 1")
        return 0
    print(head)
    results = []
    argv = [sys.executable, os.path.abspath(__file__), "--child", "--images", str(args.images), "--size",
            str(args.size), "--steps", str(args.steps), "--workers", str(args.workers)]
    for k in range(1, args.repeat + 1):
        before = load()
        done = subprocess.run(argv, capture_output=True, text=True, check=True, cwd=ROOT)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        show(results[-1], f"run {k} ({before} at the start)")
    median = {row: statistics.median(r["seconds"][row] for r in results) for row in ROWS}
    show({"seconds": median, "same_pixels": all(r["same_pixels"] for r in results)},
         f"median of {args.repeat} processes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
