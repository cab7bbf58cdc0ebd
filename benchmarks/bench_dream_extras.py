"""DeepDream's channel explorer and zoom animation: wall time, side by side, in one process.

1. Channel explorer, 16 tiles at 128 px, 20 steps: genart's one batch (one forward and backward
   pass a step over 16 images) against 16 separate runs (a batch of one each, same compiled
   step), interleaved so the machine's load hits both alike. Target: under 60 s on 2 vCPUs.
2. Zoom animation, 20 frames at 256 px, 10 steps a frame (after a one-octave, 10-step dream):
   the run's wall time against the estimate genart shows before it. Target: under 2 min on 2 vCPUs.

Random weights by default (the same FLOPs as ImageNet's). Prints the machine's load average
with the figures: on a shared machine they are noisy, the ratios less so.

    python benchmarks/bench_dream_extras.py [--repeats 2] [--layer mixed3] [--skip-zoom]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("GENART_WEIGHTS", "random")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from genart import estimate, models  # noqa: E402
from genart.dream import COSTING, DreamConfig, dream_zoom  # noqa: E402
from genart.dream.explorer import channel_sheet  # noqa: E402


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def _timed(run) -> float:
    start = time.perf_counter()
    for _ in run():
        pass
    return time.perf_counter() - start


def bench_explorer(layer: str, size: int, steps: int, repeats: int) -> None:
    model = models.dream_extractor((layer,))
    channels = list(range(16))

    def batched():
        return channel_sheet(layer, channels, size=size, steps=steps, model=model)

    def separate():
        for c in channels:
            yield from channel_sheet(layer, [c], size=size, steps=steps, model=model)

    _timed(lambda: channel_sheet(layer, [0, 1], size=size, steps=2, model=model))  # build + trace once
    rows = []
    for r in range(repeats):
        rows.append((_timed(batched), _timed(separate)))
        print(f"  repeat {r + 1}: one batch {rows[-1][0]:.1f} s, 16 separate runs {rows[-1][1]:.1f} s ({_load()})")
    one, sep = min(r[0] for r in rows), min(r[1] for r in rows)
    print(f"channel explorer, {layer}, 16 tiles × {size} px × {steps} steps (best of {repeats}):")
    print(f"  one batch          {one:7.1f} s   target < 60 s on 2 vCPUs")
    print(f"  16 separate runs   {sep:7.1f} s   ({sep / one:.2f}× the batch's time)")


def bench_zoom(frames: int, max_dim: int, steps: int) -> None:
    yy, xx = np.mgrid[0:max_dim * 3 // 4, 0:max_dim]
    photo = np.stack([127 + 100 * np.sin(xx / 9), 127 + 100 * np.cos(yy / 7), xx % 255], 2).astype(np.uint8)
    cfg = DreamConfig(octaves=1, steps_per_octave=steps, max_dim=max_dim, zoom_frames=frames, zoom_steps=steps)
    model = models.dream_extractor(cfg.layers)
    est = estimate.estimate(COSTING, cfg, photo.shape[:2], model=model)  # measures the step (and builds it)
    seconds = _timed(lambda: dream_zoom(photo, cfg, model=model))
    print(f"zoom animation, {frames} frames at {max_dim} px, {steps} steps a frame "
          f"(+ a {steps}-step dream first), layers {'+'.join(cfg.layers)}:")
    print(f"  run                {seconds:7.1f} s   ({seconds / frames:.2f} s a frame; target < 120 s on 2 vCPUs)")
    print(f"  estimate before it {est.seconds:7.1f} s   ({est.text})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layer", default="mixed3")
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--zoom-frames", type=int, default=20)
    parser.add_argument("--zoom-size", type=int, default=256)
    parser.add_argument("--zoom-steps", type=int, default=10)
    parser.add_argument("--skip-explorer", action="store_true")
    parser.add_argument("--skip-zoom", action="store_true")
    args = parser.parse_args()
    print(f"weights: {models.weights_mode()}; {_load()}")
    if not args.skip_explorer:
        bench_explorer(args.layer, args.size, args.steps, args.repeats)
    if not args.skip_zoom:
        bench_zoom(args.zoom_frames, args.zoom_size, args.zoom_steps)
    print(f"done; {_load()}")


if __name__ == "__main__":
    main()
