"""DCGAN benchmark: the tutorial's train step versus genart's, and steps until the grid shows digits.

Part 1 (speed). A reference written the way the TensorFlow DCGAN tutorial writes it — float32
images in a ``from_tensor_slices(...).shuffle(60000).batch(256)`` pipeline, a ``@tf.function``
train step with two tapes — runs side by side with :class:`genart.gan.GanTrainer` (batch 256, same
data, same process). Steps alternate in blocks (reference, genart, reference, …) so load from other
processes hits both alike; we report the median seconds per step, the time of a 60 000-example
epoch (235 steps) and the ratio reference / genart (> 1: genart is faster). genart's figure
includes everything a run does besides the UI: its input pipeline, the metrics and preview grids.

Part 2 (learning). For each preset, train on the shipped 5 000-digit MNIST sample (batch 256)
and every ``--check-every`` steps score the 4×4 preview grid: for each sample, the best Pearson
correlation with the ten class-mean digits of the sample set; the grid's score is the median over
its 16 samples. Real digits score about 0.68, uniform noise 0.03, the untrained generator 0.05.
The grid "stops being noise" at the first check where the score reaches 0.5. A blurry centred
blob can score fairly well, so this marks digit-shaped output, not good digits.

Part 1b (``--part precision``): genart's step in float32 and in forced bfloat16, interleaved
(``--batch``, default 64). Learning in bfloat16 is compared by ``bench_gan_quality.py``.

Run: ``python benchmarks/bench_gan.py`` (``--part speed`` or ``--part learning`` for one half).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.keras import layers  # noqa: E402

from genart.gan.data import load_shipped_subset  # noqa: E402
from genart.gan import GanConfig, GanTrainer, preset  # noqa: E402

BATCH_SIZE = 256
BUFFER_SIZE = 60000
EPOCH_STEPS = 235  # ceil(60000 / 256)
NOT_NOISE = 0.5


# --- the reference, written as the tutorial writes it ---------------------------------------------
def tutorial_generator():
    model = tf.keras.Sequential()
    model.add(layers.Input((100,)))
    model.add(layers.Dense(7 * 7 * 256, use_bias=False))
    model.add(layers.BatchNormalization())
    model.add(layers.LeakyReLU())
    model.add(layers.Reshape((7, 7, 256)))
    model.add(layers.Conv2DTranspose(128, (5, 5), strides=(1, 1), padding="same", use_bias=False))
    model.add(layers.BatchNormalization())
    model.add(layers.LeakyReLU())
    model.add(layers.Conv2DTranspose(64, (5, 5), strides=(2, 2), padding="same", use_bias=False))
    model.add(layers.BatchNormalization())
    model.add(layers.LeakyReLU())
    model.add(layers.Conv2DTranspose(1, (5, 5), strides=(2, 2), padding="same", use_bias=False, activation="tanh"))
    return model


def tutorial_discriminator():
    model = tf.keras.Sequential()
    model.add(layers.Input((28, 28, 1)))
    model.add(layers.Conv2D(64, (5, 5), strides=(2, 2), padding="same"))
    model.add(layers.LeakyReLU())
    model.add(layers.Dropout(0.3))
    model.add(layers.Conv2D(128, (5, 5), strides=(2, 2), padding="same"))
    model.add(layers.LeakyReLU())
    model.add(layers.Dropout(0.3))
    model.add(layers.Flatten())
    model.add(layers.Dense(1))
    return model


def tutorial_setup(train_images: np.ndarray):
    """The tutorial's dataset and train step, as closures; returns (dataset, train_step)."""
    images = train_images.reshape(train_images.shape[0], 28, 28, 1).astype("float32")
    images = (images - 127.5) / 127.5
    dataset = tf.data.Dataset.from_tensor_slices(images).shuffle(BUFFER_SIZE).batch(BATCH_SIZE)
    generator, discriminator = tutorial_generator(), tutorial_discriminator()
    cross_entropy = tf.keras.losses.BinaryCrossentropy(from_logits=True)
    generator_optimizer = tf.keras.optimizers.Adam(1e-4)
    discriminator_optimizer = tf.keras.optimizers.Adam(1e-4)

    def discriminator_loss(real_output, fake_output):
        return cross_entropy(tf.ones_like(real_output), real_output) + \
            cross_entropy(tf.zeros_like(fake_output), fake_output)

    def generator_loss(fake_output):
        return cross_entropy(tf.ones_like(fake_output), fake_output)

    @tf.function
    def train_step(images):
        noise = tf.random.normal([BATCH_SIZE, 100])
        with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
            generated_images = generator(noise, training=True)
            real_output = discriminator(images, training=True)
            fake_output = discriminator(generated_images, training=True)
            gen_loss = generator_loss(fake_output)
            disc_loss = discriminator_loss(real_output, fake_output)
        gradients_of_generator = gen_tape.gradient(gen_loss, generator.trainable_variables)
        gradients_of_discriminator = disc_tape.gradient(disc_loss, discriminator.trainable_variables)
        generator_optimizer.apply_gradients(zip(gradients_of_generator, generator.trainable_variables))
        discriminator_optimizer.apply_gradients(zip(gradients_of_discriminator, discriminator.trainable_variables))

    return dataset, train_step


def tutorial_steps(dataset, train_step):
    """Endless tutorial-style loop: ``for epoch: for image_batch in dataset: train_step(image_batch)``."""
    while True:
        for image_batch in dataset:
            train_step(image_batch)
            yield


# --- part 1 ---------------------------------------------------------------------------------------
def bench_speed(images: np.ndarray, rounds: int, block: int) -> None:
    ref = tutorial_steps(*tutorial_setup(images))
    ours = GanTrainer(GanConfig(batch_size=BATCH_SIZE), images).train(epochs=1000)
    times = {"tutorial": [], "genart": []}
    for name, it in (("tutorial", ref), ("genart", ours)):  # warm-up: tracing, pipeline start
        for _ in range(3):
            next(it)
    for _ in range(rounds):
        for name, it in (("tutorial", ref), ("genart", ours)):
            for _ in range(block):
                start = time.perf_counter()
                next(it)
                times[name].append(time.perf_counter() - start)
    ours.close()
    t_ref, t_ours = np.median(times["tutorial"]), np.median(times["genart"])
    print(f"\nDCGAN train step, batch {BATCH_SIZE}, {os.cpu_count()} CPU cores, "
          f"{rounds}×{block} steps each, median (interleaved):")
    print("| | s/step | 60k-example epoch (235 steps) |")
    print("|---|---|---|")
    print(f"| tutorial-style step | {t_ref:.3f} | {t_ref * EPOCH_STEPS / 60:.1f} min |")
    print(f"| genart `GanTrainer` | {t_ours:.3f} | {t_ours * EPOCH_STEPS / 60:.1f} min |")
    print(f"| speed-up (tutorial / genart) | {t_ref / t_ours:.2f}× | |", flush=True)


# --- part 1b: precision ---------------------------------------------------------------------------
def bench_precision(images: np.ndarray, batch: int, rounds: int, block: int) -> None:
    """genart's step in float32 and in bfloat16 (forced), interleaved; on a CPU without native
    bfloat16 the second is emulated (and slow), which is why ``auto`` never picks it there."""
    from genart import precision

    runs = {p: GanTrainer(GanConfig(batch_size=batch, precision=p), images).train(epochs=1000)
            for p in ("float32", "bfloat16")}
    times = {p: [] for p in runs}
    for it in runs.values():
        next(it)  # tracing
    for _ in range(rounds):
        for p, it in runs.items():
            for _ in range(block):
                start = time.perf_counter()
                next(it)
                times[p].append(time.perf_counter() - start)
    native = "native" if precision.native_bf16() else "emulated: no avx512_bf16/amx_bf16 in the CPU flags"
    t32, t16 = np.median(times["float32"]), np.median(times["bfloat16"])
    print(f"\nDCGAN train step, batch {batch}, genart, float32 vs bfloat16 ({native}), "
          f"{rounds}×{block} steps each, median (interleaved):")
    print(f"| float32 | {t32:.3f} s/step |\n| bfloat16 | {t16:.3f} s/step |\n| speed-up | {t32 / t16:.2f}× |", flush=True)


# --- part 2 ---------------------------------------------------------------------------------------
def digit_score(samples: np.ndarray, class_means: np.ndarray) -> float:
    """Median over samples of the best Pearson correlation with a class-mean digit (inputs in [0, 1])."""
    s = samples.reshape(len(samples), -1)
    s = s - s.mean(1, keepdims=True)
    m = class_means - class_means.mean(1, keepdims=True)
    corr = (s @ m.T) / (np.linalg.norm(s, axis=1)[:, None] * np.linalg.norm(m, axis=1)[None] + 1e-8)
    return float(np.median(corr.max(1)))


def bench_learning(images: np.ndarray, labels: np.ndarray, max_steps: int, check_every: int) -> None:
    flat = images.reshape(len(images), -1).astype(np.float32) / 255.0
    means = np.stack([flat[labels == k].mean(0) for k in range(10)])
    print(f"\nSteps until the preview grid stops being noise (score ≥ {NOT_NOISE}), batch {BATCH_SIZE}, "
          f"shipped 5 000-digit sample, checked every {check_every} steps, at most {max_steps}:")
    print("| preset | Adam | steps | epochs of 60k | score then |")
    print("|---|---|---|---|---|")
    for name in ("tutorial", "dcgan-paper"):
        cfg = preset(name, batch_size=BATCH_SIZE, preview_every=10**5)
        trainer = GanTrainer(cfg, images)
        found, score = None, 0.0
        for frame in trainer.train(epochs=-(-max_steps // trainer.steps_per_epoch)):
            if frame.step % check_every == 0:
                samples = (trainer._parts.sample()[..., 0] + 1.0) / 2.0
                score = digit_score(samples, means)
                if score >= NOT_NOISE:
                    found = frame.step
                    break
            if frame.step >= max_steps:
                break
        trainer.close()
        steps = f"{found}" if found else f"> {max_steps}"
        epochs = f"{found / EPOCH_STEPS:.2f}" if found else "–"
        print(f"| {name} | lr {cfg.learning_rate:g}, β1 {cfg.beta_1} | {steps} | {epochs} | {score:.2f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("speed", "learning", "both", "precision"), default="both",
                        help="precision: float32 vs bfloat16 steps (not part of 'both')")
    parser.add_argument("--batch", type=int, default=64, help="batch of --part precision")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--block", type=int, default=5)
    parser.add_argument("--max-steps", type=int, default=500)
    parser.add_argument("--check-every", type=int, default=20)
    args = parser.parse_args()
    digits = load_shipped_subset()
    print(f"TensorFlow {tf.__version__}, data: {len(digits)} shipped MNIST digits")
    if args.part in ("speed", "both"):
        bench_speed(digits.images, args.rounds, args.block)
    if args.part == "precision":
        bench_precision(digits.images, args.batch, args.rounds, args.block)
    if args.part in ("learning", "both"):
        bench_learning(digits.images, digits.labels, args.max_steps, args.check_every)


if __name__ == "__main__":
    main()
