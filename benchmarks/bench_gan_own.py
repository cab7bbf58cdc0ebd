"""DCGAN on own pictures: the 32×32 colour step beside the tutorial's, a 5-epoch run, and steps until shapes appear.

Part 1 (speed). Two trainers in one process, batch 128: the 32-px colour networks on 32×32×3
pictures (the coloured shapes of ``assets/make_shapes.py``) and the tutorial's networks on 28×28
digits (the shipped MNIST sample). Steps alternate in blocks so load from other processes hits
both alike; we print the median seconds per step and the ratio. Then the wall-clock time of a
5-epoch run on 2 000 pictures (16 steps of 128 per epoch, 80 steps, preview grids included) for
both, and the time to decode those 2 000 pictures from a zip (:func:`genart.gan.imagesets.load_image_set`).

Part 2 (learning). Train on 2 000 coloured shapes (batch 128) and every ``--check-every`` steps
score the 4×4 preview grid. A real picture is one flat shape on a flat background: exactly two
colours. The score of a sample is how much of its colour variance a two-colour fit explains
(R² of k-means with k = 2 on its 1 024 RGB pixels, 1 = exactly two colours); the grid's score is
the median over its 16 samples. Real pictures score 1.00, the same blurred (Gaussian, σ 1.5 px)
0.90, a linear colour ramp 0.75 and uniform noise 0.25; the script prints these and the untrained
generator's score. The grid "stops being noise" at the first check where the score reaches 0.85:
most samples are then two nearly flat regions, a blob on a background, more than a smooth ramp. It
says nothing about crisp edges or the shape kinds (a grid of flat colours would pass, so look at
the grid it saves).

Run: ``python benchmarks/bench_gan_own.py`` (``--part speed`` or ``--part learning``).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "assets"))

import numpy as np  # noqa: E402
from PIL import Image, ImageFilter  # noqa: E402

from genart.gan.data import load_shipped_subset  # noqa: E402
from genart.gan import GanConfig, GanTrainer, preset  # noqa: E402
from genart.gan.imagesets import load_image_set  # noqa: E402
from make_shapes import draw_shapes  # noqa: E402

BATCH = 128
RUN_IMAGES, RUN_EPOCHS = 2000, 5
NOT_NOISE = 0.85


def as_zip(pictures: np.ndarray) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i, picture in enumerate(pictures):
            png = io.BytesIO()
            Image.fromarray(picture).save(png, format="PNG")
            zf.writestr(f"shape{i:05d}.png", png.getvalue())
    return buf.getvalue()


# --- part 1 ---------------------------------------------------------------------------------------
def bench_speed(shapes: np.ndarray, digits: np.ndarray, rounds: int, block: int) -> None:
    runs = {"32×32 colour (own pictures)": GanTrainer(GanConfig(batch_size=BATCH, dataset="own"), shapes),
            "28×28 grey (tutorial, digits)": GanTrainer(GanConfig(batch_size=BATCH), digits)}
    its = {name: t.train(epochs=1000) for name, t in runs.items()}
    times = {name: [] for name in runs}
    for it in its.values():  # warm-up: tracing, pipeline start
        for _ in range(3):
            next(it)
    for _ in range(rounds):
        for name, it in its.items():
            for _ in range(block):
                start = time.perf_counter()
                next(it)
                times[name].append(time.perf_counter() - start)
    for t in runs.values():
        t.close()
    med = {name: float(np.median(v)) for name, v in times.items()}
    own, tut = med.values()
    print(f"\nDCGAN train step, batch {BATCH}, {os.cpu_count()} CPU cores, {rounds}×{block} steps each, "
          "median (interleaved):")
    print("| networks | s/step |\n|---|---|")
    for name, value in med.items():
        print(f"| {name} | {value:.3f} |")
    print(f"| ratio (32 px colour / tutorial) | {own / tut:.2f}× |", flush=True)

    data = as_zip(shapes[:RUN_IMAGES])
    start = time.perf_counter()
    loaded = load_image_set(data)
    load_s = time.perf_counter() - start
    rows = []
    for name, cfg, images in (("32×32 colour (own pictures)", GanConfig(batch_size=BATCH, dataset="own"), loaded),
                              ("28×28 grey (tutorial, digits)", GanConfig(batch_size=BATCH), digits[:RUN_IMAGES])):
        start = time.perf_counter()
        trainer = GanTrainer(cfg, images)
        built = time.perf_counter() - start
        frames = list(trainer.train(RUN_EPOCHS))
        rows.append((name, built, time.perf_counter() - start - built, frames[-1].step))
        trainer.close()
    print(f"\n{RUN_EPOCHS}-epoch run on {RUN_IMAGES:,} pictures, batch {BATCH} (decoding the zip of "
          f"{RUN_IMAGES:,} PNGs: {load_s:.1f} s):")
    print("| networks | build | train | steps |\n|---|---|---|---|")
    for name, built, trained, steps in rows:
        print(f"| {name} | {built:.1f} s | {trained:.1f} s | {steps} |")
    print(f"| ratio (32 px colour / tutorial) | | {rows[0][2] / rows[1][2]:.2f}× | |", flush=True)


# --- part 2 ---------------------------------------------------------------------------------------
def two_colour_r2(sample: np.ndarray, iterations: int = 12) -> float:
    """Share of the colour variance of an H×W×3 sample (any scale) that a two-colour k-means fit explains."""
    px = sample.reshape(-1, 3).astype(np.float64)
    total = ((px - px.mean(0)) ** 2).sum()
    if total <= 1e-12:
        return 1.0
    luma = px @ np.array([0.299, 0.587, 0.114])
    centres = np.stack([px[luma.argmin()], px[luma.argmax()]])
    for _ in range(iterations):
        nearest = ((px[:, None] - centres[None]) ** 2).sum(2).argmin(1)
        centres = np.stack([px[nearest == k].mean(0) if (nearest == k).any() else centres[k] for k in (0, 1)])
    within = ((px - centres[nearest]) ** 2).sum()
    return float(1.0 - within / total)


def grid_score(samples: np.ndarray) -> float:
    return float(np.median([two_colour_r2(s) for s in samples]))


def bench_learning(shapes: np.ndarray, max_steps: int, check_every: int, presets: list[str]) -> None:
    rng = np.random.default_rng(1)
    real = grid_score(draw_shapes(16, seed=123))
    noise = grid_score(rng.uniform(size=(16, 32, 32, 3)))
    blurred = grid_score(np.stack([np.asarray(Image.fromarray(p).filter(ImageFilter.GaussianBlur(1.5)))
                                   for p in draw_shapes(16, seed=123)]))
    print(f"\nSteps until the preview grid stops being noise (two-colour score ≥ {NOT_NOISE}), batch {BATCH}, "
          f"{len(shapes):,} coloured shapes, checked every {check_every} steps, at most {max_steps}. "
          f"Real pictures score {real:.2f}, blurred σ 1.5 px {blurred:.2f}, uniform noise {noise:.2f}:")
    print("| preset | Adam | untrained | steps | epochs | score then | seconds |\n|---|---|---|---|---|---|---|")
    for name in presets:
        cfg = preset(name, batch_size=BATCH, dataset="own", preview_every=10**5)
        trainer = GanTrainer(cfg, shapes)
        untrained = grid_score(trainer._parts.sample())
        found, score, start = None, untrained, time.perf_counter()
        for frame in trainer.train(epochs=-(-max_steps // trainer.steps_per_epoch)):
            if frame.step % check_every == 0:
                score = grid_score(trainer._parts.sample())
                if score >= NOT_NOISE:
                    found = frame.step
                    break
            if frame.step >= max_steps:
                break
        elapsed = time.perf_counter() - start
        if found:
            Image.fromarray(trainer.grid()).save(f"bench_gan_own_{name}.png")
        trainer.close()
        steps = f"{found}" if found else f"> {max_steps}"
        epochs = f"{found / trainer.steps_per_epoch:.1f}" if found else "–"
        print(f"| {name} | lr {cfg.learning_rate:g}, β1 {cfg.beta_1} | {untrained:.2f} | {steps} | {epochs} | "
              f"{score:.2f} | {elapsed:.0f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("speed", "learning", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--block", type=int, default=5)
    parser.add_argument("--max-steps", type=int, default=800)
    parser.add_argument("--check-every", type=int, default=20)
    parser.add_argument("--presets", nargs="+", default=["dcgan-paper", "tutorial"])
    args = parser.parse_args()
    import tensorflow as tf

    shapes = draw_shapes(RUN_IMAGES, seed=0)
    print(f"TensorFlow {tf.__version__}; {os.cpu_count()} CPU cores; load average {os.getloadavg()[0]:.1f}")
    if args.part in ("speed", "both"):
        bench_speed(shapes, load_shipped_subset().images, args.rounds, args.block)
    if args.part in ("learning", "both"):
        bench_learning(shapes, args.max_steps, args.check_every, args.presets)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
