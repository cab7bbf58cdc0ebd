"""The DCGAN's TensorFlow side: the tutorial's two losses (and the hinge pair), Adam's update written
out, the compiled train step, and :class:`Parts`, everything a trainer computes with.

Each step (the tutorial's ``train_step``): noise z ~ N(0, 1); generator loss = BCE(D(G(z)), real);
discriminator loss = BCE(D(x), real) + BCE(D(G(z)), fake); one Adam step for each network on its
own loss. With ``augment``, the discriminator sees x and G(z) through the same random
transformations (:func:`discriminator_view`); with ``loss="hinge"``, the hinge pair replaces the
cross-entropies. Everything random in a step is a function of ``(seed, step)``.
"""

from __future__ import annotations

import time

import keras
import numpy as np
import tensorflow as tf

from ..models import seed_weights
from .config import GRID_SAMPLES
from .networks import BUILD_LOCK, build, build_generator

_bce = keras.losses.BinaryCrossentropy(from_logits=True)


def generator_loss(fake_logits: tf.Tensor) -> tf.Tensor:
    """The generator wants its images called real."""
    return _bce(tf.ones_like(fake_logits), fake_logits)


def discriminator_loss(real_logits: tf.Tensor, fake_logits: tf.Tensor) -> tf.Tensor:
    """The discriminator wants real images called real and generated ones fake."""
    return _bce(tf.ones_like(real_logits), real_logits) + _bce(tf.zeros_like(fake_logits), fake_logits)


def hinge_generator_loss(fake_logits: tf.Tensor) -> tf.Tensor:
    """The generator wants its images' logits high: −mean D(G(z))."""
    return -tf.reduce_mean(fake_logits)


def hinge_discriminator_loss(real_logits: tf.Tensor, fake_logits: tf.Tensor) -> tf.Tensor:
    """The discriminator wants real logits above 1 and generated ones below −1:
    mean max(0, 1 − D(x)) + mean max(0, 1 + D(G(z)))."""
    return tf.reduce_mean(tf.nn.relu(1.0 - real_logits)) + tf.reduce_mean(tf.nn.relu(1.0 + fake_logits))


#: loss name → (generator loss, discriminator loss).
LOSSES = {"bce": (generator_loss, discriminator_loss), "hinge": (hinge_generator_loss, hinge_discriminator_loss)}


def discriminator_view(real: tf.Tensor, fakes: tf.Tensor, policy: tuple[str, ...], seed: tf.Tensor):
    """(real, fakes) as the discriminator sees them: both through :func:`genart.gan.augment.augment`
    with the same seed, so image i of either batch meets the same transformation (the same policy,
    the same random draws); differentiable, so the generator's gradient flows through. An empty
    policy returns them unchanged."""
    if not policy:
        return real, fakes
    from .augment import augment

    return augment(real, policy, seed), augment(fakes, policy, seed)


def adam_update(optimizer: keras.optimizers.Adam, grads, variables) -> None:
    """``optimizer.apply_gradients(zip(grads, variables))``, written out for Keras' Adam (its ``update_step``).

    Same math on the optimizer's own variables (so checkpoints are unchanged). Tracing Keras'
    apply_gradients into a new tf.function, as every new trainer does, keeps about 35 MB inside
    TensorFlow for good (Keras 3.12, TF 2.21); this does not.
    """
    t = tf.cast(optimizer.iterations + 1, tf.float32)
    b1, b2 = optimizer.beta_1, optimizer.beta_2
    alpha = tf.cast(optimizer.learning_rate, tf.float32) * tf.sqrt(1 - tf.pow(b2, t)) / (1 - tf.pow(b1, t))
    for i, (grad, var) in enumerate(zip(grads, variables)):
        m, v = optimizer._momentums[i], optimizer._velocities[i]  # built for ``variables``, in this order
        m.assign_add((grad - m) * (1 - b1))
        v.assign_add((tf.square(grad) - v) * (1 - b2))
        var.assign_sub(m * alpha / (tf.sqrt(v) + optimizer.epsilon))
    optimizer.iterations.assign_add(1)


def ema_update(averaged, generator, step, decay: float) -> None:
    """Move every weight of ``averaged`` (batch-norm statistics included) toward ``generator``'s:
    a ← d·a + (1 − d)·g with d = min(decay, (1 + t)/(10 + t)) after step t, so that the average
    follows the generator closely at first instead of lingering at its random start."""
    t = tf.cast(step, tf.float32)
    d = tf.minimum(tf.constant(decay, tf.float32), (1.0 + t) / (10.0 + t))
    for a, g in zip(averaged.weights, generator.weights):
        a.assign(d * a + (1.0 - d) * tf.cast(g, a.dtype))


def compile_train_step(generator, discriminator, generator_optimizer, discriminator_optimizer, noise_dim: int,
                       seed: int, image_shape: tuple[int, int, int], averaged=None, ema_decay: float = 0.0,
                       loss: str = "bce", augment: tuple[str, ...] = ()):
    """The compiled step: ``train_step(batch uint8 [B, H, W, C], step int64) -> [G loss, D loss, D(x), D(G(z))]``,
    where D(x) and D(G(z)) are the discriminator's mean probabilities of "real" (the sigmoid of its
    logits) for the real and the generated batch. It updates both networks and both optimisers in
    place (and, given ``averaged``, the moving average of the generator's weights: :func:`ema_update`);
    any batch size, no retrace. ``loss`` names a pair of :data:`LOSSES`; ``augment`` is the
    DiffAugment policy (:func:`discriminator_view`)."""
    g_opt, d_opt = generator_optimizer, discriminator_optimizer
    g_loss_of, d_loss_of = LOSSES[loss]
    policy = tuple(augment)

    @tf.function(input_signature=[tf.TensorSpec([None, *image_shape], tf.uint8), tf.TensorSpec([], tf.int64)])
    def train_step(batch, step):
        images = tf.cast(batch, tf.float32) / 127.5 - 1.0
        noise = tf.random.stateless_normal([tf.shape(images)[0], noise_dim],
                                           seed=tf.stack([tf.cast(seed, tf.int64), step]))
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fakes = generator(noise, training=True)
            seen_real, seen_fakes = discriminator_view(images, fakes, policy,
                                                       tf.stack([tf.cast(seed, tf.int64) + 1, step]))
            real_logits = discriminator(seen_real, training=True)
            fake_logits = discriminator(seen_fakes, training=True)
            g_loss = g_loss_of(fake_logits)
            d_loss = d_loss_of(real_logits, fake_logits)
        adam_update(g_opt, g_tape.gradient(g_loss, generator.trainable_variables), generator.trainable_variables)
        adam_update(d_opt, d_tape.gradient(d_loss, discriminator.trainable_variables),
                    discriminator.trainable_variables)
        if averaged is not None:
            ema_update(averaged, generator, step, ema_decay)
        return tf.stack([g_loss, d_loss, tf.reduce_mean(tf.sigmoid(real_logits)),
                         tf.reduce_mean(tf.sigmoid(fake_logits))])

    return train_step


class Parts:
    """What a trainer computes with: both networks and optimisers, the step counter, the fixed
    preview noise, the checkpoint that saves them all, and the compiled train step and sampler.

    Built by :func:`build_parts`; :class:`genart.gan.trainer.GanTrainer` holds one and guards it
    with its lock (nothing here is thread-safe on its own).
    """

    def __init__(self, generator, discriminator, config, image_shape: tuple[int, int, int], preview_noise: np.ndarray,
                 averaged=None):
        """Args: config: the GanConfig (its rates, β1, noise size, seed, EMA decay, loss and augmentation)."""
        self.generator, self.discriminator = generator, discriminator
        #: What draws the pictures: the generator, or the moving average of its weights (``averaged``).
        self.shown = averaged if averaged is not None else generator
        noise_dim = config.noise_dim
        self.generator_optimizer = keras.optimizers.Adam(config.learning_rate, beta_1=config.beta_1)
        self.discriminator_optimizer = keras.optimizers.Adam(config.discriminator_learning_rate, beta_1=config.beta_1)
        self.generator_optimizer.build(generator.trainable_variables)
        self.discriminator_optimizer.build(discriminator.trainable_variables)
        self.image_shape = image_shape
        self.preview_noise = tf.Variable(preview_noise.astype(np.float32), trainable=False, name="preview_noise")
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        self.checkpoint = tf.train.Checkpoint(
            generator=generator, discriminator=discriminator, generator_optimizer=self.generator_optimizer,
            discriminator_optimizer=self.discriminator_optimizer, step=self.step, preview_noise=self.preview_noise,
            # Keras does not track the dropout layers' random state; without it a restored run would differ.
            dropout_state=[layer.seed_generator.state for layer in discriminator.layers
                           if isinstance(layer, keras.layers.Dropout)],
            **({"averaged_generator": averaged} if averaged is not None else {}))
        self.train_step = compile_train_step(generator, discriminator, self.generator_optimizer,
                                             self.discriminator_optimizer, noise_dim, config.seed, image_shape,
                                             averaged, config.ema_decay, config.loss, config.augment)
        shown = self.shown
        self._sample = tf.function(lambda z: shown(z, training=False),
                                   input_signature=[tf.TensorSpec([None, noise_dim], tf.float32)])

    def train(self, batch) -> tuple[float, float, float, float]:
        """One step on ``batch`` (uint8 [B, H, W, C]): (G loss, D loss, D(x), D(G(z))); counts the step."""
        values = self.train_step(batch, self.step).numpy()
        self.step.assign_add(1)
        return tuple(float(v) for v in values)

    def sample(self, noise=None) -> np.ndarray:
        """The generator's images in [-1, 1] (N×H×W×C floats) for ``noise`` (default: the preview noise)."""
        z = self.preview_noise if noise is None else tf.constant(np.asarray(noise, np.float32))
        return self._sample(z).numpy()

    def time_step(self, batch_size: int) -> float:
        """Seconds one compiled step takes on ``batch_size`` images (a warm-up call, then the faster of
        two). The steps update the networks: only for a trainer kept for timing."""
        images = tf.zeros([int(batch_size), *self.image_shape], tf.uint8)
        self.train_step(images, self.step).numpy()  # the first call at a batch size is slower
        times = []
        for _ in range(2):
            start = time.perf_counter()
            self.train_step(images, self.step).numpy()
            times.append(time.perf_counter() - start)
        return min(times)

    def save(self, prefix: str) -> str:
        return self.checkpoint.write(prefix)

    def restore(self, prefix: str) -> None:
        self.checkpoint.read(prefix).assert_existing_objects_matched()


def build_parts(architecture: str, config, image_shape: tuple[int, int, int], dtype: str) -> Parts:
    """The networks of ``architecture`` for ``config`` (a GanConfig) in Keras dtype policy ``dtype``,
    seeded (generator ``seed``, discriminator ``seed + 1``; a projected discriminator's frozen
    features keep their trained weights), with their optimisers and compiled steps; with
    ``config.ema_decay``, also the averaged generator (the same architecture, starting equal)."""
    with BUILD_LOCK:
        generator, discriminator = build(architecture, config.noise_dim, image_shape[2], seed=config.seed, dtype=dtype,
                                         discriminator=config.discriminator)
        seed_weights(generator, config.seed)
        seed_weights(discriminator, config.seed + 1)
        averaged = None
        if config.ema_decay:
            averaged = build_generator(architecture, config.noise_dim, image_shape[2], dtype=dtype)
            averaged.set_weights(generator.get_weights())
        preview = np.random.default_rng([config.seed, 1]).standard_normal((GRID_SAMPLES, config.noise_dim))
        return Parts(generator, discriminator, config, image_shape, preview, averaged)
