"""Precision per algorithm: each algorithm's step in float32 and bfloat16 side by side (with a
loop written like the TensorFlow tutorial's where there is one), and what ``auto`` decides in
fresh processes.

    python benchmarks/bench_precision.py [--part dream,style,gan] [--processes 3] [--decisions 5]
                                         [--measure-each] [--steps 4] [--repeats 3]

1. Steps (``--processes`` fresh processes, each running every row interleaved ``--repeats`` times,
   so load and drift hit every row alike; a row's figure is the median over the processes):

   * DeepDream, mixed3 + mixed5, tile 512, at 500×375 (the default's base octave) and 256×192:
     the tutorial's ``get_tiled_gradients`` loop (``bench_dream.tutorial_loop``), genart float32,
     genart bfloat16;
   * style transfer (Adam), at 512×384 and 256×192: the tutorial's ``train_step``, genart float32,
     genart bfloat16;
   * DCGAN training step at batch 64 and 256: genart float32 and bfloat16 (``GanTrainer.time_step``).

2. Decisions: ``--decisions`` fresh processes in a row, sharing one new decision file (the first
   measures, the others read it, as the app's processes and workers do), each printing what
   ``precision.resolve("auto", algorithm, timer=...)`` gives, with the timers below (the ones the run
   modules pass). ``--measure-each``: every process measures afresh (no decision file), which shows
   how stable the measurement itself is.

Random weights (``GENART_WEIGHTS=random``) cost the same FLOPs as ImageNet's. On a CPU without native
bfloat16 the bfloat16 rows are emulated (slower) and ``auto`` stays float32 without measuring.
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

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("GENART_WEIGHTS", "random")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from genart import precision  # noqa: E402

PARTS = ("dream", "style", "gan")
#: What the timers time: the default dream's base octave (bfloat16 gains less below it: 1.4x at 256x192 against
#: 2.2x at 500x375 here); style at 256x192 (bfloat16 gained at least as much as at 512x384 here: 1.5-2.7x
#: against 1.4-1.7x, measured in a quarter of the time); the DCGAN at the tutorial's batch.
DREAM_SHAPE, STYLE_SHAPE, GAN_BATCH = (375, 500), (192, 256), 256


# --- the timers auto is decided from (what each run module passes to precision.resolve) ------------

def dream_timer(shape=DREAM_SHAPE):
    """Seconds per step of the default DeepDream's compiled ascent at ``shape``, in a given dtype."""
    from genart.dream import DreamConfig, step_seconds

    return lambda dtype: step_seconds(DreamConfig(precision=dtype), shape)


def style_timer(shape=STYLE_SHAPE):
    """Seconds per Adam step of the default style transfer at ``shape``, in a given dtype."""
    from genart.style import StyleConfig, step_seconds

    return lambda dtype: step_seconds(StyleConfig(precision=dtype), shape)


class GanTimer:
    """Seconds per DCGAN training step at ``batch``, in a given dtype: one trainer per dtype, kept
    while measuring (``genart.gan.step_seconds`` keeps one probe trainer, so alternating dtypes
    would rebuild it at every call); ``close()`` frees them."""

    def __init__(self, batch: int = GAN_BATCH):
        self.batch, self.trainers = batch, {}

    def __call__(self, dtype: str) -> float:
        from genart.gan import GanConfig, GanTrainer

        if dtype not in self.trainers:
            self.trainers[dtype] = GanTrainer(GanConfig(batch_size=self.batch, precision=dtype),
                                              data=np.zeros((self.batch, 28, 28), np.uint8))
        return self.trainers[dtype].time_step(self.batch)

    def close(self) -> None:
        for trainer in self.trainers.values():
            trainer.close()
        self.trainers.clear()


def decide(algorithm: str) -> precision.Policy:
    """``auto`` for ``algorithm`` as its run module resolves it."""
    timer = {"dream": dream_timer, "style": style_timer, "gan": GanTimer}[algorithm]()
    try:
        return precision.resolve("auto", algorithm, timer=timer)
    finally:
        getattr(timer, "close", lambda: None)()


# --- one process's step rows -------------------------------------------------------------------------

def _interleaved(fns: dict, repeats: int) -> dict:
    """Median seconds per step of each ``fn()`` (which returns seconds per step), rows interleaved."""
    for fn in fns.values():  # trace and warm up
        fn()
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            times[name].append(fn())
    return {name: statistics.median(t) for name, t in times.items()}


def _per_step(run, steps: int):
    def timed():
        start = time.perf_counter()
        run(steps)
        return (time.perf_counter() - start) / steps
    return timed


def dream_rows(steps: int, repeats: int) -> dict:
    import tensorflow as tf
    from bench_dream import tutorial_loop, tutorial_model

    from genart import models
    from genart.dream import DreamConfig
    from genart.dream.ascent import ascent_for, extras

    layers = DreamConfig().layers
    reference = tutorial_loop(tutorial_model())
    args = (tf.constant(0.01), tf.constant(512), tf.constant([0, 0]), tf.constant([1.0] * len(layers)), *extras())
    rows = {}
    for h, w in ((375, 500), (192, 256)):
        img = tf.constant(np.random.default_rng(0).uniform(-1, 1, (h, w, 3)).astype(np.float32))

        def ours(dtype, img=img):
            step = ascent_for(models.dream_extractor(layers, precision=dtype)).step()
            return lambda n: float(tf.reduce_sum(step(img, tf.constant(n), *args)[0]))

        fns = {f"dream {w}x{h} tutorial loop (float32)": lambda n, img=img: float(tf.reduce_sum(reference(img, n))),
               f"dream {w}x{h} genart float32": ours("float32"), f"dream {w}x{h} genart bfloat16": ours("bfloat16")}
        rows.update(_interleaved({k: _per_step(f, steps) for k, f in fns.items()}, repeats))
    return rows


def style_rows(steps: int, repeats: int) -> dict:
    import keras
    import tensorflow as tf

    from genart import models
    from genart.style import CONTENT_LAYERS, STYLE_LAYERS, StyleConfig
    from genart.style.losses import compiled_for
    from genart.style.optimizers import adam

    n_style, rows = len(STYLE_LAYERS), {}
    model = models.vgg19_extractor(STYLE_LAYERS, CONTENT_LAYERS)

    def extractor(image):  # the tutorial's StyleContentModel
        outputs = model(keras.applications.vgg19.preprocess_input(image * 255.0))
        grams = [tf.linalg.einsum("bijc,bijd->bcd", o, o) / tf.cast(tf.shape(o)[1] * tf.shape(o)[2], tf.float32)
                 for o in outputs[:n_style]]
        return grams, outputs[n_style:]

    for h, w in ((384, 512), (192, 256)):
        content = np.random.default_rng(0).uniform(0, 1, (1, h, w, 3)).astype(np.float32)
        style_t, content_t = extractor(tf.constant(content[:, ::-1]))[0], extractor(tf.constant(content))[1]
        image = tf.Variable(content)
        opt = keras.optimizers.Adam(learning_rate=0.02, beta_1=0.99, epsilon=1e-1)

        @tf.function()
        def train_step(image, style_t=style_t, content_t=content_t, opt=opt):
            with tf.GradientTape() as tape:
                s, c = extractor(image)
                loss = (1e-2 / n_style * tf.add_n([tf.reduce_mean((a - b) ** 2) for a, b in zip(s, style_t)])
                        + 1e4 * tf.add_n([tf.reduce_mean((a - b) ** 2) for a, b in zip(c, content_t)])
                        + 30 * tf.image.total_variation(image))
            opt.apply_gradients([(tape.gradient(loss, image), image)])
            image.assign(tf.clip_by_value(image, 0.0, 1.0))

        def tutorial(n, image=image, train_step=train_step):
            for _ in range(n):
                train_step(image)
            float(tf.reduce_sum(image))

        def ours(dtype, content=content):
            cfg = StyleConfig(precision=dtype)
            fns = compiled_for(models.vgg19_extractor(STYLE_LAYERS, CONTENT_LAYERS, precision=dtype), n_style)
            grams, feats = fns.targets(tf.constant(content[:, ::-1]))[0], fns.targets(tf.constant(content))[1]
            weights = tf.constant([cfg.style_weight, cfg.content_weight, cfg.tv_weight], tf.float32)

            def run(n):
                for _ in adam(fns, content, n, (grams, feats, weights), cfg):
                    pass
            return run

        fns = {f"style {w}x{h} tutorial train_step (float32)": tutorial,
               f"style {w}x{h} genart float32": ours("float32"), f"style {w}x{h} genart bfloat16": ours("bfloat16")}
        rows.update(_interleaved({k: _per_step(f, steps) for k, f in fns.items()}, repeats))
    return rows


def gan_rows(steps: int, repeats: int) -> dict:
    rows = {}
    for batch in (64, 256):
        timer = GanTimer(batch)
        try:
            rows.update(_interleaved({f"gan batch {batch} genart {d}": (lambda d=d, timer=timer: timer(d))
                                      for d in ("float32", "bfloat16")}, repeats))
        finally:
            timer.close()
    return rows


# --- the driver --------------------------------------------------------------------------------------

def _child(*args: str, env=None) -> dict:
    out = subprocess.run([sys.executable, os.path.abspath(__file__), *args], capture_output=True, text=True,
                         env={**os.environ, **(env or {})}, check=False)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode or not lines:
        raise SystemExit(f"child {' '.join(args)} failed:\n{out.stderr[-3000:]}")
    return json.loads(lines[-1])


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def steps_table(parts, processes: int, steps: int, repeats: int) -> None:
    runs = []
    for i in range(processes):
        runs.append(_child("--worker", ",".join(parts), "--steps", str(steps), "--repeats", str(repeats)))
        print(f"  process {i + 1}/{processes} done (load {_load()})", flush=True)
    print(f"\nSeconds per step, median of {processes} processes ({repeats} interleaved repeats of {steps} steps "
          f"each); ratios are per process, then the median")
    print(f"{'':46s} {'s/step':>8s} {'vs float32':>11s} {'vs tutorial':>12s}  (per process)")
    for name in runs[0]:
        group = name.rsplit(" ", 1)[0].replace(" genart", "").replace(" tutorial loop", "").replace(
            " tutorial train_step", "")
        f32 = next((k for k in runs[0] if k.startswith(group) and k.endswith("genart float32")), None)
        tut = next((k for k in runs[0] if k.startswith(group) and "tutorial" in k), None)

        def ratio(ref, name=name):
            return statistics.median(r[ref] / r[name] for r in runs) if ref else None

        cells = [f"{ratio(f32):10.2f}x" if f32 else f"{'':11s}", f"{ratio(tut):11.2f}x" if tut else f"{'':12s}"]
        each = " ".join(f"{r[name]:.3f}" for r in runs)
        print(f"{name:46s} {statistics.median(r[name] for r in runs):8.3f} {cells[0]} {cells[1]}  ({each})")


def decisions_table(parts, count: int, measure_each: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        cache = "off" if measure_each else os.path.join(folder, "precision.json")
        env = {precision.CACHE_ENV: cache, precision.PRECISION_ENV: "auto"}
        how = "each measuring afresh" if measure_each else "sharing one new decision file"
        print(f"\nauto in {count} fresh processes in a row, {how}:")
        for i in range(count):
            start = time.perf_counter()
            got = _child("--decide", ",".join(parts), env=env)
            cells = [f"{a} {d['dtype']} ({d['speedup']:.2f}x{', measured' if d['measured'] else ', read'})"
                     if d["speedup"] else f"{a} {d['dtype']}" for a, d in got.items()]
            print(f"  process {i + 1}: {'; '.join(cells)}  [{time.perf_counter() - start:.0f} s, load {_load()}]",
                  flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", default=",".join(PARTS), help="comma-separated: dream, style, gan")
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--decisions", type=int, default=5)
    parser.add_argument("--measure-each", action="store_true")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--decide", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:  # one process's rows, as JSON
        rows = {}
        for part in args.worker.split(","):
            rows.update({"dream": dream_rows, "style": style_rows, "gan": gan_rows}[part](args.steps, args.repeats))
        print(json.dumps(rows))
        return
    if args.decide:  # one fresh process's auto decisions, as JSON
        out = {}
        for part in args.decide.split(","):
            measured = precision.known(part) is None
            policy = decide(part)
            out[part] = {"dtype": policy.dtype, "speedup": policy.speedup, "measured": measured}
        print(json.dumps(out))
        return
    parts = [p for p in args.part.split(",") if p]
    flags = precision.cpu_flags()
    print(f"{precision.cpu_model()}, {os.cpu_count()} CPUs; native bfloat16 flags: "
          f"{sorted(precision.BF16_FLAGS & flags) or 'none'}; load {_load()}; {time.strftime('%Y-%m-%d %H:%M')}")
    if args.processes:
        steps_table(parts, args.processes, args.steps, args.repeats)
    if args.decisions:
        decisions_table(parts, args.decisions, args.measure_each)
    print(f"\nload average at the end: {_load()}")


if __name__ == "__main__":
    main()
