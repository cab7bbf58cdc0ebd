"""Refine: the optimisation started from the fast picture versus today's FAST preset, in seconds to the
tutorial's final loss, side by side in one process.

    python benchmarks/bench_refine.py                          # 256 px, the tutorial's 1000 steps
    python benchmarks/bench_refine.py --tutorial-steps 200     # a measured fraction (a weaker target)
    python benchmarks/bench_refine.py --target 11495.7 --budget 400   # a target measured before

1. The tutorial's loop (``bench_style.tutorial``: its own ``tf.function`` step, Adam lr 0.02 / β₁ 0.99 /
   ε 0.1) runs ``--tutorial-steps`` steps on the landscape and strokes assets at ``--size``; the loss of
   its final image is the target, its seconds the budget.
2. **FAST**: genart's FAST preset (Adam, ¼ and ½ size first), from the content, as ``bench_style`` runs it.
3. **Refine**: one pass of the fast network (:func:`genart.fast_style.paint`, timed and counted), then the
   same FAST preset with ``init="image"`` from that picture, as the style tab's Refine button starts it.
4. **Refine at full size**: the same, but the optimisation at the full size only (Adam, one scale): the
   coarse scales of FAST first shrink the fast picture to a quarter, which throws its detail away.

Each run stops once its full-size picture reaches the target, or after the tutorial's seconds; the
seconds count from the call (the pass included for Refine). Weights are random (``GENART_WEIGHTS=random``):
VGG19's and the fast network's architectures untrained, so the fast picture is an untrained network's
output, not a painting near the goal, and the figure says what the mechanics cost, not what the
pretrained network gains. With the real networks the pass starts the loop near a styled picture; that
has to be measured where the weights can be downloaded.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_style  # noqa: E402  (sets GENART_WEIGHTS=random and the import path first)

from genart.fast_style import FastStyleConfig, load_model, paint  # noqa: E402
from genart.images import load_image  # noqa: E402
from genart.models import vgg19_extractor, weights_mode  # noqa: E402
from genart.style import CONTENT_LAYERS, FAST, STYLE_LAYERS, stylize  # noqa: E402


def chase(content, style, cfg, model, target, budget, init_image=None, start=None):
    """Run until the full-size loss ≤ ``target`` or ``budget`` seconds after ``start``: (seconds or None,
    best loss, steps)."""
    start = time.perf_counter() if start is None else start
    best, steps = float("inf"), 0
    frames = stylize(content, style, cfg, model, init_image=init_image)
    try:
        for frame in frames:
            now = time.perf_counter() - start
            steps = frame.step
            if frame.image.shape[:2] == content.shape[:2]:
                best = min(best, frame.metrics["total"])
                if best <= target:
                    return now, best, steps
            if now > budget:
                break
    finally:
        frames.close()
    return None, best, steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=256, help="long side of the content image (default 256)")
    ap.add_argument("--tutorial-steps", type=int, default=bench_style.TUTORIAL_STEPS,
                    help=f"tutorial steps measured for the target (default: all {bench_style.TUTORIAL_STEPS})")
    ap.add_argument("--target", type=float, default=None,
                    help="the target loss, measured before (skips the tutorial's run; needs --budget)")
    ap.add_argument("--budget", type=float, default=None, help="seconds each run may take (default: the tutorial's)")
    args = ap.parse_args()

    content = bench_style.at_size(load_image(os.path.join(bench_style.ASSETS, "style_landscape.png")), args.size)
    style = bench_style.at_size(load_image(os.path.join(bench_style.ASSETS, "style_strokes.png")), args.size)
    model = vgg19_extractor(STYLE_LAYERS, CONTENT_LAYERS)
    fast_model = load_model()
    fast_cfg = FastStyleConfig(max_dim=args.size)
    list(paint(content, style, fast_cfg, model=fast_model))  # warm: the network built and traced
    print(f"content {content.shape[1]}×{content.shape[0]} px, weights: {weights_mode()}, {os.cpu_count()} CPUs, "
          f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")

    if args.target is None:
        times, _, target, initial = bench_style.tutorial(model, content[None] / np.float32(255),
                                                         style[None] / np.float32(255), args.tutorial_steps)
        budget = float(sum(times)) if args.budget is None else args.budget
        print(f"tutorial: {args.tutorial_steps} steps in {sum(times):.1f} s; loss of the content {initial:.6g}, "
              f"target (its final loss) {target:.6g}")
    else:
        if args.budget is None:
            ap.error("--target needs --budget")
        target, budget = args.target, args.budget
        initial = chase(content, style, replace(FAST, steps=1, max_dim=args.size, scales=1), model, float("-inf"),
                        budget)[1]
        print(f"target {target:.6g} (given); loss of the content {initial:.6g}")
    cfg = replace(FAST, steps=args.tutorial_steps, max_dim=args.size, preview_every=1)

    rows = []
    secs, best, steps = chase(content, style, cfg, model, target, budget)
    rows.append(("FAST preset, from the content", secs, best, steps, None))
    start = time.perf_counter()
    *_, picture = paint(content, style, fast_cfg, model=fast_model)
    pass_s = time.perf_counter() - start
    secs, best, steps = chase(content, style, replace(cfg, init="image"), model, target, budget,
                              init_image=picture.image, start=start)
    rows.append(("Refine: one fast pass, then FAST from it", secs, best, steps, pass_s))
    start = time.perf_counter()
    *_, picture = paint(content, style, fast_cfg, model=fast_model)
    pass_s = time.perf_counter() - start
    secs, best, steps = chase(content, style, replace(cfg, init="image", scales=1), model, target, budget,
                              init_image=picture.image, start=start)
    rows.append(("Refine at full size: a pass, then Adam, 1 scale", secs, best, steps, pass_s))
    loss = chase(content, style, replace(cfg, init="image", steps=1), model, float("-inf"), budget,
                 init_image=picture.image)[1]

    print(f"\n{'run':44} {'s to target':>12} {'steps':>6} {'best loss':>11} {'fast pass':>9}")
    for label, secs, best, steps, pass_s in rows:
        shown = f"{secs:12.1f}" if secs is not None else f"{'not in ' + format(budget, '.0f') + ' s':>12}"
        extra = f"{pass_s:8.2f}s" if pass_s is not None else f"{'':9}"
        print(f"{label:44} {shown} {steps:6d} {best:11.6g} {extra}")
    print(f"\nloss of the fast picture itself: {loss:.6g} (the content's: {initial:.6g}); "
          f"load average now {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    if weights_mode() == "random":
        print("Random weights: the fast picture is an untrained network's output, so this measures what Refine "
              "costs, not how near the pretrained network's picture starts the loop.")


if __name__ == "__main__":
    main()
