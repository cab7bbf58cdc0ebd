"""DeepDream step throughput: genart's compiled ascent vs a loop written like the TF tutorial's.

Same network (InceptionV3 cut at mixed3 + mixed5; random weights by default, which cost the
same FLOPs as ImageNet's), same 500×375 image, same process, runs interleaved so load and
thermal drift hit all alike. Prints seconds per step and the ratio. With ``--before REV`` (by
default the last revision before DeepDream's new controls) the default step as it was at that
git revision runs alongside, for a before/after line: the new controls must not slow it.

    python benchmarks/bench_dream.py [--steps 8] [--repeats 3] [--before REV | --before none]
"""

from __future__ import annotations

import argparse
import os
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("GENART_WEIGHTS", "random")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from genart import models  # noqa: E402
from genart.dream.ascent import ascent_for as _ascent_for, extras as _extras  # noqa: E402

LAYERS = ("mixed3", "mixed5")
#: The last revision before DeepDream's objectives, channels, threshold, TV, lapnorm, guide and mask.
BEFORE = "0ecce87"


def step_before(rev: str, model):
    """The default step as it was at git revision ``rev`` (its genart/dream/ascent.py loaded on its
    own), as ``fn(img, steps)``; None when git or the revision is not available."""
    try:
        source = subprocess.run(["git", "show", f"{rev}:genart/dream/ascent.py"], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    # A real file: AutoGraph reads the source of what it converts.
    path = os.path.join(tempfile.mkdtemp(prefix="bench-dream-"), "ascent_before.py")
    with open(path, "w") as fh:
        fh.write(source)
    spec = importlib.util.spec_from_file_location("ascent_before", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    old = module._Ascent(model)
    return lambda x, n: old(x, tf.constant(n), tf.constant(0.01), tf.constant(512), tf.constant([0, 0]),
                            tf.constant([1.0, 1.0]))[0]


def tutorial_model():
    """The tutorial's dream_model: InceptionV3 with the chosen layers as outputs."""
    base = models.base_model("InceptionV3")
    return tf.keras.Model(inputs=base.input, outputs=[base.get_layer(n).output for n in LAYERS])


def tutorial_loop(model):
    """The tutorial's tiled gradient (as published, with its size input) and its Python step loop."""

    def calc_loss(img, model):
        img_batch = tf.expand_dims(img, axis=0)
        layer_activations = model(img_batch)
        if len(layer_activations) == 1:
            layer_activations = [layer_activations]
        return tf.reduce_sum([tf.math.reduce_mean(act) for act in layer_activations])

    def random_roll(img, maxroll):
        shift = tf.random.uniform(shape=[2], minval=-maxroll, maxval=maxroll, dtype=tf.int32)
        return shift, tf.roll(img, shift=shift, axis=[0, 1])

    @tf.function(input_signature=(tf.TensorSpec([None, None, 3], tf.float32), tf.TensorSpec([2], tf.int32),
                                  tf.TensorSpec([], tf.int32)))
    def get_tiled_gradients(img, img_size, tile_size=512):
        shift, img_rolled = random_roll(img, tile_size)
        gradients = tf.zeros_like(img_rolled)
        xs = tf.range(0, img_size[1], tile_size)[:-1]
        if not tf.cast(len(xs), bool):
            xs = tf.constant([0])
        ys = tf.range(0, img_size[0], tile_size)[:-1]
        if not tf.cast(len(ys), bool):
            ys = tf.constant([0])
        for x in xs:
            for y in ys:
                with tf.GradientTape() as tape:
                    tape.watch(img_rolled)
                    img_tile = img_rolled[y:y + tile_size, x:x + tile_size]
                    loss = calc_loss(img_tile, model)
                gradients = gradients + tape.gradient(loss, img_rolled)
        gradients = tf.roll(gradients, shift=-shift, axis=[0, 1])
        gradients /= tf.math.reduce_std(gradients) + 1e-8
        return gradients

    def run(img, steps, step_size=0.01):
        size = tf.shape(img)[:2]
        for _ in range(steps):
            gradients = get_tiled_gradients(img, size, tf.constant(512))
            img = img + gradients * step_size
            img = tf.clip_by_value(img, -1, 1)
        return img

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--before", default=BEFORE, help="git revision of the 'before' step ('none': skip it)")
    args = parser.parse_args()

    img = tf.constant(np.random.default_rng(0).uniform(-1, 1, (375, 500, 3)).astype(np.float32))
    reference = tutorial_loop(tutorial_model())
    model = models.dream_extractor(LAYERS)
    step = _ascent_for(model).step()
    ours = lambda x, n: step(x, tf.constant(n), tf.constant(0.01), tf.constant(512), tf.constant([0, 0]),
                             tf.constant([1.0, 1.0]), *_extras())[0]
    runs = {"tutorial": reference, "genart": ours}
    before = None if args.before == "none" else step_before(args.before, model)
    if before is not None:
        runs[f"before ({args.before})"] = before
    for fn in runs.values():  # trace and warm up
        fn(img, 1)

    times = {name: [] for name in runs}
    for _ in range(args.repeats):
        for name, fn in runs.items():
            t0 = time.perf_counter()
            out = fn(img, args.steps)
            float(tf.reduce_sum(out))
            times[name].append((time.perf_counter() - t0) / args.steps)

    median = {name: statistics.median(t) for name, t in times.items()}
    ref, gen = median["tutorial"], median["genart"]
    print(f"DeepDream, 500x375, layers {'+'.join(LAYERS)}, tile 512, {args.steps} steps x {args.repeats} "
          f"repeats, {os.cpu_count()} CPUs, weights={models.weights_mode()}")
    print(f"{'':18s} {'s/step (median)':>16s} {'steps/s':>9s}")
    for name, t in median.items():
        print(f"{name:18s} {t:16.3f} {1 / t:9.2f}")
    print(f"speed-up: {ref / gen:.2f}x")
    if before is not None:
        old = median[f"before ({args.before})"]
        print(f"before/after (default step, {args.before} vs now): {old:.3f} / {gen:.3f} s/step = {old / gen:.2f}x; "
              f"vs tutorial {ref / old:.2f}x before, {ref / gen:.2f}x after")


if __name__ == "__main__":
    main()
