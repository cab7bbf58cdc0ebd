"""Precision and the work around the network: each algorithm's step, float32 and bfloat16, side by
side with a loop written like the TensorFlow tutorial's, in one process.

    python benchmarks/bench_precision.py [--part dream|style|all] [--steps 6] [--repeats 3]

Rows (seconds per step, the median of ``--repeats`` interleaved measurements, so load and thermal
drift hit every row alike; run the script in several processes and take the median of those):

* DeepDream, 500×375, mixed3 + mixed5, tile 512: the tutorial's ``get_tiled_gradients`` loop
  (``bench_dream.tutorial_loop``); genart's step forced through its tile loop (what it did before one
  tile was special-cased); genart ``float32``; genart ``bfloat16``; and what ``auto`` picks here.
  Then a 3-octave, 20-step dream of a photo in both precisions: grey-level difference, mean and max.
* Style transfer, 512×384: the tutorial's train step (Adam on a variable, clip) against genart's
  Adam step in ``float32`` and ``bfloat16``.

The figures depend on the CPU: with native bfloat16 (``avx512_bf16``/``amx_bf16``) the bfloat16 rows
should be faster; without it, bfloat16 is emulated and ``auto`` stays float32 (the script prints
which). Random weights (``GENART_WEIGHTS=random``) cost the same FLOPs as ImageNet's.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("GENART_WEIGHTS", "random")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from genart import models, precision  # noqa: E402
from genart.dream import DreamConfig, dream  # noqa: E402
from genart.dream.ascent import _Ascent, ascent_for, extras  # noqa: E402
from genart.images import load_image  # noqa: E402

ASSETS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "assets")
LAYERS = ("mixed3", "mixed5")


class _AlwaysTiled(_Ascent):
    """genart's step as it was before one covering tile skipped the tile loop, padding and second roll."""

    def _gradients(self, s, img, tile_size, seed, args):
        size = tf.shape(img)[:2]
        tiled = tile_size > 0
        roll = tf.maximum(tile_size, 1)
        shift = tf.random.stateless_uniform([2], seed, -roll, roll, tf.int32) * tf.cast(tiled, tf.int32)
        rolled = tf.roll(img, shift=shift, axis=[0, 1])
        counts = tf.where(tiled, (size + tile_size - 1) // tf.maximum(tile_size, 1), tf.ones([2], tf.int32))
        grads, loss = self._tiled(s, rolled, counts, args)
        grads = tf.roll(grads, shift=-shift, axis=[0, 1])
        return grads / (tf.math.reduce_std(grads) + 1e-8), loss


def _interleaved(fns: dict, repeats: int, steps: int) -> dict:
    for fn in fns.values():  # trace and warm up
        fn(1)
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn(steps)
            times[name].append((time.perf_counter() - start) / steps)
    return {name: statistics.median(t) for name, t in times.items()}


def _table(title: str, medians: dict, reference: str) -> None:
    print(f"\n{title}")
    print(f"{'':34s} {'s/step':>8s} {'vs ' + reference:>14s}")
    for name, sec in medians.items():
        print(f"{name:34s} {sec:8.3f} {medians[reference] / sec:13.2f}x")


def bench_dream(steps: int, repeats: int) -> None:
    from bench_dream import tutorial_loop, tutorial_model

    img = tf.constant(np.random.default_rng(0).uniform(-1, 1, (375, 500, 3)).astype(np.float32))
    reference = tutorial_loop(tutorial_model())
    args = (tf.constant(0.01), tf.constant(512), tf.constant([0, 0]), tf.constant([1.0, 1.0]), *extras())

    def ours(ascent):
        step = ascent.step()  # the default structure: the tutorial's objective
        return lambda n: float(tf.reduce_sum(step(img, tf.constant(n), *args)[0]))

    fns = {"tutorial loop (float32)": lambda n: float(tf.reduce_sum(reference(img, n))),
           "genart, tile loop kept (float32)": ours(_AlwaysTiled(models.dream_extractor(LAYERS))),
           "genart float32": ours(ascent_for(models.dream_extractor(LAYERS))),
           "genart bfloat16": ours(ascent_for(models.dream_extractor(LAYERS, precision="bfloat16")))}
    _table(f"DeepDream step, 500x375, {'+'.join(LAYERS)}, tile 512, {steps} steps x {repeats}",
           _interleaved(fns, repeats, steps), "tutorial loop (float32)")

    photo = load_image(os.path.join(ASSETS, "chelsea.jpg"), 500)
    cfg = DreamConfig(layers=LAYERS, octaves=3, steps_per_octave=20, tile_size=512)
    out = {p: list(dream(photo, dataclasses.replace(cfg, precision=p)))[-1].image.astype(np.float64)
           for p in ("float32", "bfloat16")}
    diff = np.abs(out["float32"] - out["bfloat16"])
    print(f"3-octave, 20-step dream of chelsea.jpg ({photo.shape[1]}x{photo.shape[0]}): bfloat16 vs float32 "
          f"differ by {diff.mean():.2f} grey levels on average, {diff.max():.0f} at most")


def bench_style(steps: int, repeats: int) -> None:
    import keras

    from genart.style import CONTENT_LAYERS, STYLE_LAYERS, StyleConfig, _adam, _compiled_for

    rng = np.random.default_rng(0)
    content = rng.uniform(0, 1, (1, 384, 512, 3)).astype(np.float32)
    n_style = len(STYLE_LAYERS)
    model = models.vgg19_extractor(STYLE_LAYERS, CONTENT_LAYERS)

    def extractor(image):  # the tutorial's StyleContentModel
        outputs = model(keras.applications.vgg19.preprocess_input(image * 255.0))
        grams = [tf.linalg.einsum("bijc,bijd->bcd", o, o) / tf.cast(tf.shape(o)[1] * tf.shape(o)[2], tf.float32)
                 for o in outputs[:n_style]]
        return grams, outputs[n_style:]

    style_t, content_t = extractor(tf.constant(content[:, ::-1]))[0], extractor(tf.constant(content))[1]
    image = tf.Variable(content)
    opt = tf.keras.optimizers.Adam(learning_rate=0.02, beta_1=0.99, epsilon=1e-1)

    @tf.function()
    def train_step(image):
        with tf.GradientTape() as tape:
            s, c = extractor(image)
            loss = (1e-2 / n_style * tf.add_n([tf.reduce_mean((a - b) ** 2) for a, b in zip(s, style_t)])
                    + 1e4 * tf.add_n([tf.reduce_mean((a - b) ** 2) for a, b in zip(c, content_t)])
                    + 30 * tf.image.total_variation(image))
        opt.apply_gradients([(tape.gradient(loss, image), image)])
        image.assign(tf.clip_by_value(image, 0.0, 1.0))

    def tutorial(n):
        for _ in range(n):
            train_step(image)
        float(tf.reduce_sum(image))

    def ours(dtype):
        cfg = StyleConfig(precision=dtype)
        fns = _compiled_for(models.vgg19_extractor(STYLE_LAYERS, CONTENT_LAYERS, precision=dtype), n_style)
        grams, feats = fns.targets(tf.constant(content[:, ::-1]))[0], fns.targets(tf.constant(content))[1]
        weights = tf.constant([cfg.style_weight, cfg.content_weight, cfg.tv_weight], tf.float32)

        def run(n):
            for _ in _adam(fns, content, n, (grams, feats), weights, cfg):
                pass
        return run

    fns = {"tutorial train_step (float32)": tutorial, "genart float32": ours("float32"),
           "genart bfloat16": ours("bfloat16")}
    _table(f"Style transfer step (Adam), 512x384, {steps} steps x {repeats}", _interleaved(fns, repeats, steps),
           "tutorial train_step (float32)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("dream", "style", "all"), default="all")
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    flags = precision.cpu_flags()
    print(f"{os.cpu_count()} CPUs; native bfloat16 flags: {sorted(precision.BF16_FLAGS & flags) or 'none'}; "
          f"weights={models.weights_mode()}")
    print(f"auto here: {precision.resolve('auto').reason}")
    if args.part in ("dream", "all"):
        bench_dream(args.steps, args.repeats)
    if args.part in ("style", "all"):
        bench_style(args.steps, args.repeats)


if __name__ == "__main__":
    main()
