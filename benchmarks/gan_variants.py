"""Training variants around the tutorial's DCGAN, for choosing a preset (used by bench_gan_quality.py).

The networks are always the tutorial's (``genart.gan.networks.build("tutorial", …)``, seeded as
:class:`genart.gan.GanTrainer` seeds them); a :class:`Variant` changes only what is around them:

- Adam's learning rate per network (``g_lr``, ``d_lr``) and ``beta_1``; the batch size;
- a learning-rate schedule: both rates multiplied by ``1 → lr_final`` linearly over ``lr_steps`` steps;
- one-sided label smoothing (``smooth``: the discriminator's target for real images is 1 − smooth);
- instance noise (``noise``: Gaussian noise of this standard deviation, in [-1, 1] pixel units, added
  to every image the discriminator sees, real or generated, fading linearly to 0 over ``noise_steps``);
- an R1 penalty (``r1``: γ; Mescheder et al. 2018): the discriminator's loss gains
  γ/2 · mean ‖∇ₓ D(x)‖² over the real batch (a second backward pass, so a dearer step);
- an exponential moving average of the generator's weights (``ema``: its decay), kept beside the
  generator and used only for the pictures scored; training is unchanged. All the generator's
  weights are averaged (batch norm's moving statistics too), with TensorFlow's warm-up: the decay
  at step t is min(ema, (1 + t) / (10 + t)), so the average forgets the untrained start quickly.

Pictures are drawn in one of :data:`MODES`: ``raw`` (the generator in inference mode, as
GanTrainer draws its grids: batch norm uses its moving statistics), ``raw-bs`` (batch norm uses
the statistics of the batch: the 16 preview vectors and :data:`STAT_SAMPLES` − 16 more fixed
ones, drawn together, the first 16 kept), and ``ema`` / ``ema-bs``, the same for the average.
Moving statistics lag the weights by about 100 steps (momentum 0.99), which matters while the
weights still move fast.

With the defaults (no schedule, smoothing, noise or EMA) :class:`VariantTrainer` computes exactly
what ``GanTrainer`` computes for the same config: the same batches (epoch e's order is
``default_rng([seed, e])``), noise (``stateless_normal`` seeded by (seed, step)), dropout and Adam
update (``genart.gan.step.adam_update``); ``bench_gan_quality.py --parity`` checks it.

Precision: ``"float32"``, ``"bfloat16"`` (Keras' mixed_bfloat16, as genart trains in it) or
``"bfloat16-simulated"`` (float32 arithmetic with mixed_bfloat16's roundings, :func:`simulated_call`,
for a CPU without native bfloat16, where the real thing is far too slow to train with).
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys
import time
from dataclasses import dataclass

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

NOISE_DIM = 100
PRECISIONS = ("float32", "bfloat16", "bfloat16-simulated")
#: How samples are drawn (see the module docstring).
MODES = ("raw", "raw-bs", "ema", "ema-bs")
#: Noise vectors drawn together in the ``-bs`` modes (the 16 preview ones first).
STAT_SAMPLES = 128


@dataclass(frozen=True)
class Variant:
    """Everything around the tutorial's networks that a candidate preset may change (see the module)."""

    batch_size: int = 64
    g_lr: float = 2e-4
    d_lr: float = 2e-4
    beta_1: float = 0.5
    lr_final: float = 1.0
    lr_steps: int = 0
    smooth: float = 0.0
    noise: float = 0.0
    noise_steps: int = 500
    r1: float = 0.0
    ema: float | None = None
    precision: str = "float32"

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {self.precision!r}")
        if self.ema is not None and not 0.0 < self.ema < 1.0:
            raise ValueError(f"ema must be in (0, 1) or None, not {self.ema}")

    @classmethod
    def of_config(cls, config, **overrides) -> Variant:
        """The variant that trains as ``GanTrainer(config)`` does (float32 unless ``precision`` says otherwise)."""
        fields = {"batch_size": config.batch_size, "g_lr": config.learning_rate, "d_lr": config.learning_rate,
                  "beta_1": config.beta_1}
        return cls(**{**fields, **overrides})

    def describe(self) -> str:
        """A short line of the settings that differ from a plain Adam run."""
        lr = f"{self.g_lr:g}" if self.g_lr == self.d_lr else f"G {self.g_lr:g} D {self.d_lr:g}"
        parts = [f"b{self.batch_size}", f"lr {lr}", f"β1 {self.beta_1:g}"]
        if self.lr_steps:
            parts.append(f"lr×{self.lr_final:g} over {self.lr_steps}")
        if self.smooth:
            parts.append(f"smooth {self.smooth:g}")
        if self.noise:
            parts.append(f"noise {self.noise:g}→0 over {self.noise_steps}")
        if self.r1:
            parts.append(f"R1 γ {self.r1:g}")
        if self.ema:
            parts.append(f"EMA {self.ema:g}")
        if self.precision != "float32":
            parts.append(self.precision)
        return ", ".join(parts)


class VariantTrainer:
    """The tutorial's two networks trained as ``variant`` says, one step at a time.

    Attributes:
        step: steps done. train_seconds: wall-clock seconds spent in steps (batch gathering, the
        compiled step, the EMA update; nothing else).
    """

    def __init__(self, variant: Variant, images: np.ndarray, seed: int = 0):
        import keras
        import tensorflow as tf

        from genart.gan.networks import build
        from genart.gan.meter import SET_SIZE
        from genart.models import seed_weights

        self.variant, self.seed = variant, seed
        self.images = images if images.ndim == 4 else images[..., None]
        self.steps_per_epoch = math.ceil(len(self.images) / variant.batch_size)
        dtype = "mixed_bfloat16" if variant.precision == "bfloat16" else "float32"
        self.generator, self.discriminator = build("tutorial", NOISE_DIM, 1, seed=seed, dtype=dtype)
        seed_weights(self.generator, seed)
        seed_weights(self.discriminator, seed + 1)
        self.g_opt = keras.optimizers.Adam(variant.g_lr, beta_1=variant.beta_1)
        self.d_opt = keras.optimizers.Adam(variant.d_lr, beta_1=variant.beta_1)
        self.g_opt.build(self.generator.trainable_variables)
        self.d_opt.build(self.discriminator.trainable_variables)
        self.ema_generator = None
        if variant.ema is not None:
            self.ema_generator = build("tutorial", NOISE_DIM, 1, seed=seed, dtype=dtype)[0]
            self.ema_generator.set_weights(self.generator.get_weights())
        preview = np.random.default_rng([seed, 1]).standard_normal((SET_SIZE, NOISE_DIM)).astype(np.float32)
        self.preview_noise = tf.constant(preview)  # GanTrainer's fixed preview noise for this seed
        extra = np.random.default_rng([seed, 2]).standard_normal((STAT_SAMPLES - SET_SIZE, NOISE_DIM))
        self.stat_noise = tf.constant(np.concatenate([preview, extra.astype(np.float32)]))
        # A copy drawn in training mode (batch statistics), so no network's moving statistics change.
        self.sampler = build("tutorial", NOISE_DIM, 1, seed=seed, dtype=dtype)[0]
        self.step, self.train_seconds = 0, 0.0
        self._order: tuple[int, np.ndarray] | None = None
        self._train_step = self._compile()
        self._train_step.get_concrete_function()  # traced here, so train_seconds holds steps only
        call = simulated_call if variant.precision == "bfloat16-simulated" else _plain_call
        spec = [tf.TensorSpec([None, NOISE_DIM], tf.float32)]
        self._sample = tf.function(lambda z: call(self.generator, z, False), input_signature=spec)
        if self.ema_generator is not None:
            self._sample_ema = tf.function(lambda z: call(self.ema_generator, z, False), input_signature=spec)
        self._sample_bs = tf.function(lambda z: call(self.sampler, z, True)[:SET_SIZE], input_signature=spec)

    def _compile(self):
        import keras
        import tensorflow as tf

        from genart.gan.step import adam_update, discriminator_loss, generator_loss

        v, gen, disc, ema_gen = self.variant, self.generator, self.discriminator, self.ema_generator
        g_opt, d_opt, seed = self.g_opt, self.d_opt, self.seed
        call = simulated_call if v.precision == "bfloat16-simulated" else _plain_call
        bce = keras.losses.BinaryCrossentropy(from_logits=True)

        def d_loss_of(real_logits, fake_logits):
            if not v.smooth:
                return discriminator_loss(real_logits, fake_logits)
            return bce(tf.fill(tf.shape(real_logits), 1.0 - v.smooth), real_logits) + \
                bce(tf.zeros_like(fake_logits), fake_logits)

        @tf.function(input_signature=[tf.TensorSpec([None, 28, 28, 1], tf.uint8), tf.TensorSpec([], tf.int64),
                                      tf.TensorSpec([], tf.float32), tf.TensorSpec([], tf.float32)])
        def train_step(batch, step, lr_scale, sigma):
            real = tf.cast(batch, tf.float32) / 127.5 - 1.0
            noise = tf.random.stateless_normal([tf.shape(real)[0], NOISE_DIM],
                                               seed=tf.stack([tf.cast(seed, tf.int64), step]))
            g_opt.learning_rate.assign(v.g_lr * lr_scale)
            d_opt.learning_rate.assign(v.d_lr * lr_scale)
            with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
                fakes = call(gen, noise, True)
                d_real, d_fake = real, fakes
                if v.noise:
                    keys = [tf.stack([tf.cast(seed, tf.int64) + k, step]) for k in (7919, 7920)]
                    d_real = real + sigma * tf.random.stateless_normal(tf.shape(real), seed=keys[0])
                    d_fake = fakes + sigma * tf.random.stateless_normal(tf.shape(fakes), seed=keys[1])
                with tf.GradientTape() as r1_tape:
                    r1_tape.watch(d_real)
                    real_logits = call(disc, d_real, True)
                    real_sum = tf.reduce_sum(real_logits)
                fake_logits = call(disc, d_fake, True)
                g_loss, d_loss = generator_loss(fake_logits), d_loss_of(real_logits, fake_logits)
                if v.r1:
                    grad = r1_tape.gradient(real_sum, d_real)
                    d_loss += 0.5 * v.r1 * tf.reduce_mean(tf.reduce_sum(tf.square(grad), axis=[1, 2, 3]))
            adam_update(g_opt, g_tape.gradient(g_loss, gen.trainable_variables), gen.trainable_variables)
            adam_update(d_opt, d_tape.gradient(d_loss, disc.trainable_variables), disc.trainable_variables)
            if ema_gen is not None:
                t = tf.cast(step, tf.float32)
                decay = tf.minimum(v.ema, (1.0 + t) / (10.0 + t))
                for e, w in zip(ema_gen.weights, gen.weights):
                    e.assign(decay * e + (1.0 - decay) * tf.cast(w, e.dtype))
            return tf.stack([g_loss, d_loss])

        return train_step

    def batch(self, step: int) -> np.ndarray:
        """The images of global step ``step``: GanTrainer's order (epoch e shuffled by (seed, e))."""
        epoch, i = divmod(step, self.steps_per_epoch)
        if self._order is None or self._order[0] != epoch:
            self._order = (epoch, np.random.default_rng([self.seed, epoch]).permutation(len(self.images)))
        b = self.variant.batch_size
        return self.images[self._order[1][i * b:(i + 1) * b]]

    def lr_scale(self, step: int) -> float:
        v = self.variant
        return 1.0 if not v.lr_steps else 1.0 + (v.lr_final - 1.0) * min(1.0, step / v.lr_steps)

    def sigma(self, step: int) -> float:
        v = self.variant
        return 0.0 if not v.noise else v.noise * max(0.0, 1.0 - step / v.noise_steps)

    def advance(self, steps: int) -> None:
        """Train ``steps`` more steps, timing them into ``train_seconds``."""
        for _ in range(steps):
            start = time.perf_counter()
            self._train_step(self.batch(self.step), np.int64(self.step), np.float32(self.lr_scale(self.step)),
                             np.float32(self.sigma(self.step))).numpy()
            self.train_seconds += time.perf_counter() - start
            self.step += 1

    @property
    def modes(self) -> tuple[str, ...]:
        """The :data:`MODES` this trainer can draw in (the ``ema`` ones only with an EMA)."""
        return MODES if self.ema_generator is not None else MODES[:2]

    def samples(self, mode: str = "raw") -> np.ndarray:
        """The 16 preview samples (float N×28×28×1 in [-1, 1]) drawn in ``mode`` (one of :attr:`modes`)."""
        if mode == "raw":
            return self._sample(self.preview_noise).numpy().astype(np.float32)
        if mode == "ema":
            return self._sample_ema(self.preview_noise).numpy().astype(np.float32)
        source = self.generator if mode == "raw-bs" else self.ema_generator
        for mine, theirs in zip(self.sampler.weights, source.weights):
            mine.assign(theirs)
        return self._sample_bs(self.stat_noise).numpy().astype(np.float32)

    def time_steps(self, steps: int = 10, rounds: int = 5) -> float:
        """Seconds per step: the fastest of ``rounds`` medians of ``steps`` timed steps (trains them)."""
        medians = []
        for _ in range(rounds):
            times = []
            for _ in range(steps):
                before = self.train_seconds
                self.advance(1)
                times.append(self.train_seconds - before)
            medians.append(float(np.median(times)))
        return min(medians)


class ConfigTrainer:
    """A :class:`genart.gan.GanConfig` trained with genart's own step (``genart.gan.step.build_parts``:
    the networks, losses, augmentation and EMA a ``GanTrainer`` of that config trains), with
    :class:`VariantTrainer`'s interface: the same batches (epoch e's order is ``default_rng([seed, e])``),
    ``advance``, ``samples``, ``train_seconds``. It draws its pictures in two modes: ``ema`` (the
    averaged generator in inference mode, what the tab shows; only with ``ema_decay``) and ``raw``."""

    def __init__(self, config, images: np.ndarray, seed: int = 0):
        from genart.gan.networks import architecture_for
        from genart.gan.step import build_parts
        from genart.gan.trainer import policy

        self.config = dataclasses.replace(config, seed=seed)
        self.seed = seed
        self.images = images if images.ndim == 4 else images[..., None]
        self.steps_per_epoch = math.ceil(len(self.images) / config.batch_size)
        shape = tuple(self.images.shape[1:])
        self.precision = policy(self.config).dtype
        self.parts = build_parts(architecture_for(shape, config.networks), self.config, shape,
                                 policy(self.config).keras_policy)
        self.variant = Variant(batch_size=config.batch_size)  # for batch(): the trainer's order
        self.step, self.train_seconds = 0, 0.0
        self._order = None
        self.parts.train_step.get_concrete_function()  # traced here, so train_seconds holds steps only
        import tensorflow as tf

        raw = self.parts.generator
        self._sample_raw = tf.function(lambda z: raw(z, training=False),
                                       input_signature=[tf.TensorSpec([None, config.noise_dim], tf.float32)])

    batch = VariantTrainer.batch

    def advance(self, steps: int) -> None:
        """Train ``steps`` more steps, timing them into ``train_seconds``."""
        for _ in range(steps):
            start = time.perf_counter()
            self.parts.train_step(self.batch(self.step), np.int64(self.step)).numpy()
            self.train_seconds += time.perf_counter() - start
            self.step += 1
        self.parts.step.assign(self.step)

    @property
    def modes(self) -> tuple[str, ...]:
        return ("ema", "raw") if self.config.ema_decay else ("raw",)

    def samples(self, mode: str = "ema", noise: np.ndarray | None = None) -> np.ndarray:
        """Samples (float N×28×28×1 in [-1, 1]) of the preview noise (or ``noise``) drawn in ``mode``."""
        if mode == "raw":
            z = self.parts.preview_noise if noise is None else np.asarray(noise, np.float32)
            return self._sample_raw(z).numpy().astype(np.float32)
        return self.parts.sample(noise).astype(np.float32)

    time_steps = VariantTrainer.time_steps


def _plain_call(model, x, training: bool):
    return model(x, training=training)


def parity(config, images: np.ndarray, steps: int = 3) -> float:
    """Largest |Δ| between GanTrainer's generator weights and VariantTrainer's after ``steps`` steps."""
    from genart.gan import GanTrainer

    reference = GanTrainer(dataclasses.replace(config, precision="float32", preview_every=1000), images)
    frames = reference.train(epochs=1)
    for _ in range(steps):
        next(frames)
    ours = VariantTrainer(Variant.of_config(config), images, seed=config.seed)
    ours.advance(steps)
    diff = max(float(np.abs(a - b).max()) for a, b in zip(reference.generator.get_weights(),
                                                          ours.generator.get_weights()))
    frames.close()
    reference.close()
    return diff


# --- bfloat16, simulated: for a CPU without native bfloat16 ----------------------------------------
# Emulated bfloat16 convolutions ran about 20× slower than float32 on such a CPU (batch 64: 37–50 s
# a step against 1.8–3.5 s), too slow to train hundreds of steps. What bfloat16 changes about
# *learning* is rounding, and that can be reproduced at float32 speed: Keras' mixed_bfloat16 rounds
# each layer's input and kernel to bfloat16, multiplies (a product of two bfloat16 numbers is exact
# in float32), accumulates in float32 (as native kernels do) and rounds the output to bfloat16; in
# the backward pass the gradients leaving each layer are bfloat16 too. ``simulated_call`` applies
# those roundings (``_q``) at every layer but the float32 last ones, as genart's mixed networks are
# built. This models a native bfloat16 CPU (float32 accumulation, as AVX512-BF16's dot products and
# oneDNN do); on a CPU that has it, train with precision "bfloat16" instead.
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


def check_simulation(images: np.ndarray) -> str:
    """Generator outputs of one set of weights: float32, simulated and real mixed_bfloat16 (mean |Δ|)."""
    import tensorflow as tf

    f32 = VariantTrainer(Variant(batch_size=16), images)
    f32.advance(4)  # a few steps, so batch norm's statistics are no longer the initial ones
    real = VariantTrainer(Variant(batch_size=16, precision="bfloat16"), images)
    real.generator.set_weights(f32.generator.get_weights())
    z = tf.random.stateless_normal([16, NOISE_DIM], [0, 9])
    a, b = f32.generator(z, training=False).numpy(), real.generator(z, training=False).numpy()
    c = simulated_call(f32.generator, z, False).numpy()
    return (f"generator output, mean |Δ| in [-1, 1] units: float32 vs real bfloat16 {abs(a - b).mean():.4f}, "
            f"simulated vs real bfloat16 {abs(c - b).mean():.4f}")
