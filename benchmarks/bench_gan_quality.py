"""Time to digits: wall-clock seconds until a DCGAN preset's samples score like real digits.

The quality signal needs no pretrained network:

1. A small digit classifier (two strided convolutions and a dense layer, a few seconds) is trained
   on 4 000 of the 5 000 shipped MNIST digits; the other 1 000 are held out.
2. A set of 64 samples is scored by **confidence** (the classifier's mean top-class probability)
   and **coverage** (how many of the ten classes the samples' top classes cover).
3. The **threshold is what real digits score**: the median confidence of 64-digit sets drawn from
   the held-out digits, and their median coverage (printed with each run; about 0.95 and 10).
   Samples "look like digits" at the first check where both confidence and coverage reach it.

Every preset trains on the shipped 5 000 digits with the trainer the app uses (its input pipeline,
preview grids at the preset's cadence, metrics: what a visitor waits for). Presets run side by
side in one process, ``--block`` steps at a time, the one that has had the least time going next,
so load from other processes hits them alike; a preset's time is the sum of its own steps' wall-clock time (scoring excluded),
stopped at the threshold, ``--max-steps`` or ``--max-seconds``.

Each run also reports the step at which the samples "stop being noise" by ``bench_gan.py``'s
criterion (median best correlation with a class-mean digit ≥ 0.5), the criterion the bfloat16
decision uses (issue #12: at most 1.2× float32's steps).

Run: ``python benchmarks/bench_gan_quality.py`` (``--presets tutorial dcgan-paper fast``;
``--simulate-bf16 fast`` adds the fast preset trained with bfloat16's roundings, see below;
``--precision bfloat16`` trains every preset in real bfloat16, useful on a CPU that has it;
``--candidates`` tries the configurations the ``fast`` preset was chosen from).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from genart.data import load_shipped_subset  # noqa: E402
from genart.gan import PRESETS, preset  # noqa: E402

SET_SIZE = 64
#: Configurations tried for the ``fast`` preset (name → overrides of the dcgan-paper preset).
CANDIDATES = {
    "b64-lr2e-4": dict(batch_size=64),
    "b64-lr4e-4": dict(batch_size=64, learning_rate=4e-4),
    "b32-lr2e-4": dict(batch_size=32),
    "b128-lr4e-4": dict(batch_size=128, learning_rate=4e-4),
}


def train_classifier(images: np.ndarray, labels: np.ndarray, seed: int = 0):
    """A small CNN classifier on uint8 28×28 digits; returns predict(x in [0, 1], N×28×28) → probabilities."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    L = keras.layers
    model = keras.Sequential([keras.Input((28, 28, 1)),
                              L.Conv2D(32, 3, strides=2, padding="same", activation="relu"),
                              L.Conv2D(64, 3, strides=2, padding="same", activation="relu"),
                              L.Flatten(), L.Dropout(0.3), L.Dense(10)])
    model.compile(keras.optimizers.Adam(1e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(images[..., None] / 255.0, labels, batch_size=64, epochs=6, verbose=0)
    predict = tf.function(lambda x: tf.nn.softmax(model(x[..., None], training=False)))
    return lambda x: predict(tf.constant(x, tf.float32)).numpy()


def score(probabilities: np.ndarray) -> tuple[float, int]:
    """(mean top-class confidence, number of classes covered) of a set of class probabilities."""
    return float(probabilities.max(1).mean()), len(set(probabilities.argmax(1).tolist()))


def real_threshold(predict, held_images: np.ndarray, held_labels: np.ndarray, sets: int = 50):
    """Median (confidence, coverage) of ``sets`` random 64-digit sets of held-out digits, and the accuracy."""
    rng = np.random.default_rng(0)
    probs = predict(held_images / 255.0)
    accuracy = float((probs.argmax(1) == held_labels).mean())
    scores = [score(probs[rng.choice(len(probs), SET_SIZE, replace=False)]) for _ in range(sets)]
    return float(np.median([s[0] for s in scores])), int(np.median([s[1] for s in scores])), accuracy


#: benchmarks/bench_gan.py's criterion "the grid stops being noise" (median best correlation with a
#: class-mean digit ≥ 0.5; real digits score about 0.68), reported beside the classifier's.
NOT_NOISE = 0.5
CLASS_MEANS: np.ndarray | None = None


def not_noise_score(samples: np.ndarray, class_means: np.ndarray) -> float:
    """Median over samples (in [0, 1]) of the best Pearson correlation with a class-mean digit."""
    s = samples.reshape(len(samples), -1)
    s = s - s.mean(1, keepdims=True)
    m = class_means - class_means.mean(1, keepdims=True)
    corr = (s @ m.T) / (np.linalg.norm(s, axis=1)[:, None] * np.linalg.norm(m, axis=1)[None] + 1e-8)
    return float(np.median(corr.max(1)))


class Contender:
    """One preset's trainer, advanced a block of steps at a time, timed and scored."""

    def __init__(self, name, config, images, noise_seed=7, simulated=False):
        from genart.gan import GanTrainer

        self.name, self.config = name, config
        start = time.perf_counter()
        self.trainer = simulated_trainer(config, images) if simulated else GanTrainer(config, images)
        self.frames = self.trainer.train(epochs=1000)
        self.seconds = time.perf_counter() - start  # building and tracing count: a visitor waits for them
        self.noise = np.random.default_rng(noise_seed).standard_normal((SET_SIZE, config.noise_dim)).astype(np.float32)
        self.reached = self.not_noise = None
        self.last = (0.0, 0)
        self.checks: list[tuple[int, float, float, int]] = []

    def advance(self, steps: int) -> None:
        for _ in range(steps):
            start = time.perf_counter()
            next(self.frames)
            self.seconds += time.perf_counter() - start

    def check(self, predict, threshold) -> bool:
        samples = (self.trainer._sample(self.noise).numpy()[..., 0] + 1.0) / 2.0
        if self.not_noise is None and not_noise_score(samples, CLASS_MEANS) >= NOT_NOISE:
            self.not_noise = (self.trainer.step, self.seconds)
        self.last = score(predict(samples))
        self.checks.append((self.trainer.step, self.seconds, *self.last))
        if self.last[0] >= threshold[0] and self.last[1] >= threshold[1]:
            self.reached = (self.trainer.step, self.seconds)
        return self.reached is not None


# --- bfloat16, simulated: this machine has no native bfloat16 -------------------------------------
# Emulated bfloat16 convolutions run about 20× slower than float32 here (batch 64: 37–50 s a step
# against 1.8–3.5 s), too slow to train hundreds of steps. What bfloat16 changes about *learning* is
# rounding, and that can be reproduced exactly at float32 speed: Keras' mixed_bfloat16 rounds each
# layer's input and kernel to bfloat16, multiplies (a product of two bfloat16 numbers is exact in
# float32), accumulates in float32 (as the native kernels do) and rounds the output to bfloat16; in
# the backward pass the gradients leaving each layer are bfloat16 too. ``--simulate-bf16`` trains
# the same networks with those roundings (``q`` below) at every layer of every network but the
# float32 last ones, which is how genart's mixed networks are built. ``check_simulation`` compares
# it once with a real mixed_bfloat16 network of the same weights. On this CPU TensorFlow's emulated
# kernels round inside their sums as well (layer by layer: batch norm matches the simulation
# exactly, the convolutions differ from it about as much as from float32), so the simulation
# models a native bfloat16 CPU (float32 accumulation, as AVX512-BF16's dot products and oneDNN do)
# rather than this machine's emulation.
def _q(x):
    """Round to bfloat16 and back; the gradient is rounded the same way."""
    import tensorflow as tf

    @tf.custom_gradient
    def q(v):
        return tf.cast(tf.cast(v, tf.bfloat16), tf.float32), lambda dy: tf.cast(tf.cast(dy, tf.bfloat16), tf.float32)

    return q(tf.convert_to_tensor(x))


def simulated_call(model, x, training: bool):
    """``model(x, training)`` with mixed_bfloat16's roundings, computed in float32."""
    import keras
    import tensorflow as tf

    L = keras.layers
    for i, layer in enumerate(model.layers):
        last = i == len(model.layers) - 1
        x = _q(x)
        if isinstance(layer, (L.Conv2DTranspose, L.Conv2D, L.Dense)):
            kernel = layer.kernel if last else _q(layer.kernel)
            if isinstance(layer, L.Conv2DTranspose):
                s = layer.strides[0]
                shape = tf.stack([tf.shape(x)[0], tf.shape(x)[1] * s, tf.shape(x)[2] * s, layer.filters])
                y = tf.nn.conv2d_transpose(x, kernel, shape, s, "SAME")
            elif isinstance(layer, L.Conv2D):
                y = tf.nn.conv2d(x, kernel, layer.strides[0], "SAME")
            else:
                y = tf.matmul(x, kernel)
            if layer.use_bias:
                y = y + (layer.bias if last else _q(layer.bias))
            y = layer.activation(y)
        else:
            y = layer(x, training=training)
        x = y if last else _q(y)
    return x


def simulated_trainer(config, images):
    """A GanTrainer (float32 networks) whose step and sampler compute with bfloat16's roundings."""
    import tensorflow as tf

    from genart.gan import GanTrainer
    from genart.gan.trainer import adam_update, discriminator_loss, generator_loss

    class SimulatedBf16Trainer(GanTrainer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            gen = self.generator
            self._sample = tf.function(lambda z: simulated_call(gen, z, False),
                                       input_signature=[tf.TensorSpec([None, self.config.noise_dim], tf.float32)])

        def _compile_step(self):
            gen, disc = self.generator, self.discriminator
            g_opt, d_opt = self.generator_optimizer, self.discriminator_optimizer
            noise_dim, seed = self.config.noise_dim, self.config.seed

            @tf.function(input_signature=[tf.TensorSpec([None, *self.image_shape], tf.uint8),
                                          tf.TensorSpec([], tf.int64)])
            def train_step(batch, step):
                real = tf.cast(batch, tf.float32) / 127.5 - 1.0
                noise = tf.random.stateless_normal([tf.shape(real)[0], noise_dim],
                                                   seed=tf.stack([tf.cast(seed, tf.int64), step]))
                with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
                    fakes = simulated_call(gen, noise, True)
                    real_logits = simulated_call(disc, real, True)
                    fake_logits = simulated_call(disc, fakes, True)
                    g_loss, d_loss = generator_loss(fake_logits), discriminator_loss(real_logits, fake_logits)
                adam_update(g_opt, g_tape.gradient(g_loss, gen.trainable_variables), gen.trainable_variables)
                adam_update(d_opt, d_tape.gradient(d_loss, disc.trainable_variables), disc.trainable_variables)
                return tf.stack([g_loss, d_loss, tf.reduce_mean(tf.sigmoid(real_logits)),
                                 tf.reduce_mean(tf.sigmoid(fake_logits))])

            return train_step

    return SimulatedBf16Trainer(config, images)


def check_simulation(images) -> str:
    """Generator outputs of one set of weights: float32, simulated and real mixed_bfloat16 (mean |Δ|)."""
    import dataclasses

    import tensorflow as tf

    from genart.gan import GanConfig, GanTrainer

    cfg = GanConfig(batch_size=16, examples_per_epoch=64, precision="float32")
    f32 = GanTrainer(cfg, images)
    for _ in f32.train(1):  # a few steps, so batch norm's statistics are no longer the initial ones
        pass
    real = GanTrainer(dataclasses.replace(cfg, precision="bfloat16"), images)
    real.generator.set_weights(f32.generator.get_weights())
    z = tf.random.stateless_normal([16, cfg.noise_dim], [0, 9])
    a, b = f32.generator(z, training=False).numpy(), real.generator(z, training=False).numpy()
    c = simulated_call(f32.generator, z, False).numpy()
    f32.close(), real.close()
    return (f"generator output, mean |Δ| in [-1, 1] units: float32 vs real bfloat16 {abs(a - b).mean():.4f}, "
            f"simulated vs real bfloat16 {abs(c - b).mean():.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="*", default=["tutorial", "dcgan-paper", "fast"])
    parser.add_argument("--candidates", action="store_true", help="also run the fast-preset candidates")
    parser.add_argument("--precision", default=None, help="override every preset's precision")
    parser.add_argument("--block", type=int, default=10, help="steps per turn and between checks")
    parser.add_argument("--max-steps", type=int, default=1500)
    parser.add_argument("--max-seconds", type=float, default=900.0)
    parser.add_argument("--simulate-bf16", nargs="*", default=[], metavar="PRESET",
                        help="also run these presets with bfloat16's roundings (see simulated_call)")
    parser.add_argument("--trace", action="store_true", help="print every check")
    args = parser.parse_args()

    import tensorflow as tf

    global CLASS_MEANS
    digits = load_shipped_subset()
    flat = digits.images.reshape(len(digits), -1).astype(np.float32) / 255.0
    CLASS_MEANS = np.stack([flat[digits.labels == k].mean(0) for k in range(10)])
    order = np.random.default_rng(0).permutation(len(digits))
    train, held = order[:4000], order[4000:]
    start = time.perf_counter()
    predict = train_classifier(digits.images[train], digits.labels[train])
    conf, cover, accuracy = real_threshold(predict, digits.images[held], digits.labels[held])
    print(f"TensorFlow {tf.__version__}, {os.cpu_count()} CPU cores; classifier trained in "
          f"{time.perf_counter() - start:.1f} s, held-out accuracy {accuracy:.3f}")
    print(f"Threshold (real held-out digits, median of 50 sets of {SET_SIZE}): confidence ≥ {conf:.3f} "
          f"and coverage ≥ {cover} classes")
    untrained = Contender("untrained", PRESETS["tutorial"], digits.images)
    untrained.check(predict, (conf, cover))
    print(f"Untrained generator: confidence {untrained.last[0]:.3f}, coverage {untrained.last[1]}", flush=True)
    untrained.trainer.close()

    configs = {name: preset(name) for name in args.presets}
    if args.candidates:
        configs.update({name: preset("dcgan-paper", **over) for name, over in CANDIDATES.items()})
    if args.precision:
        configs = {f"{name} ({args.precision})": preset_with(c, args.precision) for name, c in configs.items()}
    runners = [Contender(name, config, digits.images) for name, config in configs.items()]
    if args.simulate_bf16:
        print(check_simulation(digits.images[:256]), flush=True)
        runners += [Contender(f"{name} (bfloat16, simulated)", preset(name), digits.images, simulated=True)
                    for name in args.simulate_bf16]
    active = list(runners)
    while active:  # the one that has had the least time goes next: each gets an equal share of the machine
        runner = min(active, key=lambda r: r.seconds)
        runner.advance(args.block)
        if runner.check(predict, (conf, cover)) or runner.trainer.step >= args.max_steps \
                or runner.seconds >= args.max_seconds:
            active.remove(runner)
        if args.trace:
            print(f"  {runner.name}: step {runner.trainer.step} {runner.seconds:.0f} s "
                  f"conf {runner.last[0]:.3f} cover {runner.last[1]}"
                  + (f" not-noise at {runner.not_noise[0]}" if runner.not_noise else ""), flush=True)

    print(f"\nTime to digits on the shipped 5 000 digits ({os.cpu_count()} CPU cores, presets side by side):")
    print("| preset | batch · Adam lr, β1 · precision | steps | seconds | s/step | confidence · coverage then "
          "| no longer noise (bench_gan.py): steps, seconds |")
    print("|---|---|---|---|---|---|---|")
    for r in runners:
        c = r.config
        steps, seconds = r.reached if r.reached else (r.trainer.step, r.seconds)
        mark = "" if r.reached else "> "
        print(f"| {r.name} | {c.batch_size} · {c.learning_rate:g}, {c.beta_1:g} · {c.precision} | {mark}{steps} | "
              f"{mark}{seconds:.0f} | {seconds / max(steps, 1):.3f} | {r.last[0]:.3f} · {r.last[1]} | "
              + (f"{r.not_noise[0]}, {r.not_noise[1]:.0f} |" if r.not_noise else "not reached |"))
        r.trainer.close()


def preset_with(config, precision: str):
    import dataclasses

    return dataclasses.replace(config, precision=precision)


if __name__ == "__main__":
    main()
