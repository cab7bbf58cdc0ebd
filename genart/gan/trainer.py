"""The DCGAN's losses and :class:`GanTrainer` (see :mod:`genart.gan` for the algorithm and
:mod:`genart.gan.networks` for the networks, importable from here too)."""

from __future__ import annotations

import dataclasses
import gc
import json
import math
import os
import threading
import time
import weakref
from typing import Iterator

import keras
import numpy as np
import tensorflow as tf

from .. import precision
from ..data import OWN, load_digits
from ..errors import InputError, check_int
from ..export import Timelapse
from ..frames import Frame
from ..images import grid, to_uint8
from ..models import seed_weights
from . import (CHECKPOINT_PREFIX, CONFIG_FILE, GRID_COLS, GRID_SAMPLES, GRID_SCALE, MAX_EPOCHS,  # noqa: F401
               PREVIEW_SECONDS, SIDE, GanConfig, plan)
from .networks import (ARCHITECTURE_LABELS, architecture_for, build, make_discriminator,  # noqa: F401
                       make_discriminator_32, make_generator, make_generator_32)


_bce = keras.losses.BinaryCrossentropy(from_logits=True)


def generator_loss(fake_logits: tf.Tensor) -> tf.Tensor:
    """The generator wants its images called real."""
    return _bce(tf.ones_like(fake_logits), fake_logits)


def discriminator_loss(real_logits: tf.Tensor, fake_logits: tf.Tensor) -> tf.Tensor:
    """The discriminator wants real images called real and generated ones fake."""
    return _bce(tf.ones_like(real_logits), real_logits) + _bce(tf.zeros_like(fake_logits), fake_logits)


#: What :meth:`GanTrainer.history` records per step (checkpoints made before D's scores were kept lack the last two).
HISTORY_KEYS = ("step", "gen_loss", "disc_loss", "real_score", "fake_score")

_build_lock = threading.Lock()  # Keras layer naming is process-global; build one trainer at a time


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


#: A loaded dataset's images as one tensor that every trainer shares (47 MB for MNIST), kept for good.
_shared_images: dict[tuple[str, str], tf.Tensor] = {}
#: Own pictures by content digest: shared by the trainers on them, freed when the last one goes.
_shared_own: "weakref.WeakValueDictionary[tuple[str, str], tf.Tensor]" = weakref.WeakValueDictionary()


def _images_tensor(data: np.ndarray, shared_key: tuple[str, str] | None) -> tf.Tensor:
    """``data`` (uint8 N×H×W×C) as a tensor; the same tensor for every trainer of a loaded dataset."""
    if shared_key is None:
        return tf.constant(data)
    shared = _shared_own if shared_key[0] == OWN else _shared_images
    with _build_lock:
        tensor = shared.get(shared_key)
        if tensor is None:
            tensor = shared[shared_key] = tf.constant(data)
        return tensor


def _as_images(data) -> np.ndarray:
    """Training images as uint8 N×H×W×C (N×28×28 digits gain their channel axis)."""
    data = np.asarray(data)
    if data.dtype == np.uint8 and data.ndim == 3 and data.shape[1:] == (SIDE, SIDE):
        data = data[..., None]
    if data.dtype != np.uint8 or data.ndim != 4 or not len(data) or architecture_for(data.shape[1:]) is None:
        raise InputError(f"data must be uint8 images of shape N×{SIDE}×{SIDE} (digits) or N×32×32×C with C 1 or 3 "
                         f"(own pictures); got {data.dtype} {data.shape}.")
    return data


class GanTrainer:
    """Both DCGAN networks with their optimisers, counters, loss history and preview grids.

    Safe to share between threads: every method takes the trainer's lock, a step at a time, and
    a newer ``train`` call retires any older one still pending (its generator just ends).
    """

    def __init__(self, config: GanConfig = GanConfig(), data: np.ndarray | None = None):
        """Build the networks and the optimisers and load the data.

        Args:
            config: the settings; ``config.dataset`` is loaded when ``data`` is None (not for ``"own"``).
            data: uint8 training images: N×28×28 (or N×28×28×1) for the tutorial's networks, as
                ``keras.datasets`` returns them, or N×32×32×C (C = 1 or 3) for the 32-px ones; or a
                :class:`genart.imagesets.ImageSet` (then its digest shares one copy between trainers).

        Raises:
            InputError: ``data`` has another shape or type, or ``dataset="own"`` without data.
            DataUnavailable: the dataset cannot be loaded.
        """
        self.config = config
        shared_key, self.data_digest = None, None
        if data is None:
            if config.dataset == OWN:
                raise InputError('dataset "own" needs the pictures: load a zip or folder with '
                                 "genart.imagesets.load_image_set and pass it as data.")
            digits = load_digits(config.dataset)
            data, self.data_source, self.data_note = digits.images, digits.source, digits.note
            shared_key = (config.dataset, digits.source)
        else:
            self.data_source, self.data_note = ("own", getattr(data, "note", "")) if config.dataset == OWN \
                else ("given", "")
            self.data_digest = getattr(data, "digest", None)
            data = getattr(data, "images", data)
        data = _as_images(data)
        if config.dataset == OWN:
            from ..imagesets import digest

            self.data_digest = self.data_digest or digest(data)
            shared_key = (OWN, self.data_digest)
        self.image_shape = tuple(int(v) for v in data.shape[1:])  # (H, W, C)
        self.architecture = architecture_for(self.image_shape)
        self.num_examples = len(data)
        self.examples_per_epoch = min(config.examples_per_epoch or self.num_examples, self.num_examples)
        self.steps_per_epoch = math.ceil(self.examples_per_epoch / config.batch_size)
        self._images = _images_tensor(data, shared_key)  # uint8 N×H×W×C; scaled inside the step

        # The networks compute in the resolved precision (Keras' mixed policy: variables, images,
        # logits, losses and Adam's state stay float32); see "bfloat16" in genart.gan's docstring.
        self.precision = precision.resolve(config.precision)
        with _build_lock:
            self.generator, self.discriminator = build(self.architecture, config.noise_dim, self.image_shape[2],
                                                       seed=config.seed, dtype=self.precision.keras_policy)
            seed_weights(self.generator, config.seed)
            seed_weights(self.discriminator, config.seed + 1)
            self.generator_optimizer = keras.optimizers.Adam(config.learning_rate, beta_1=config.beta_1)
            self.discriminator_optimizer = keras.optimizers.Adam(config.learning_rate, beta_1=config.beta_1)
            self.generator_optimizer.build(self.generator.trainable_variables)
            self.discriminator_optimizer.build(self.discriminator.trainable_variables)
        preview_noise = np.random.default_rng([config.seed, 1]).standard_normal((GRID_SAMPLES, config.noise_dim))
        self._preview_noise = tf.Variable(preview_noise.astype(np.float32), trainable=False, name="preview_noise")
        self._step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        self._checkpoint = tf.train.Checkpoint(
            generator=self.generator, discriminator=self.discriminator,
            generator_optimizer=self.generator_optimizer, discriminator_optimizer=self.discriminator_optimizer,
            step=self._step, preview_noise=self._preview_noise,
            # Keras does not track the dropout layers' random state; without it a restored run would differ.
            dropout_state=[layer.seed_generator.state for layer in self.discriminator.layers
                           if isinstance(layer, keras.layers.Dropout)])
        self._train_step = self._compile_step()
        self._sample = tf.function(lambda z: self.generator(z, training=False),
                                   input_signature=[tf.TensorSpec([None, config.noise_dim], tf.float32)])
        self._lock = threading.RLock()
        self._run_id = 0
        self._closed = False
        self._history: dict[str, list] = {key: [] for key in HISTORY_KEYS}
        # Grids are kept at 1× (45 KB each, not 700 KB) and enlarged when the GIF is written.
        self._timelapse = Timelapse(max_frames=60, max_dim=GRID_COLS * (self.image_shape[0] + 2) + 2)
        self._grid: np.ndarray | None = None
        self.sec_per_step: float | None = None  # measured, moving average

    # -- the compiled step --------------------------------------------------------------------------
    def _compile_step(self):
        generator, discriminator = self.generator, self.discriminator
        g_opt, d_opt = self.generator_optimizer, self.discriminator_optimizer
        noise_dim, seed = self.config.noise_dim, self.config.seed

        @tf.function(input_signature=[tf.TensorSpec([None, *self.image_shape], tf.uint8), tf.TensorSpec([], tf.int64)])
        def train_step(batch, step):
            images = tf.cast(batch, tf.float32) / 127.5 - 1.0
            noise = tf.random.stateless_normal([tf.shape(images)[0], noise_dim],
                                               seed=tf.stack([tf.cast(seed, tf.int64), step]))
            with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
                fakes = generator(noise, training=True)
                real_logits = discriminator(images, training=True)
                fake_logits = discriminator(fakes, training=True)
                g_loss = generator_loss(fake_logits)
                d_loss = discriminator_loss(real_logits, fake_logits)
            adam_update(g_opt, g_tape.gradient(g_loss, generator.trainable_variables), generator.trainable_variables)
            adam_update(d_opt, d_tape.gradient(d_loss, discriminator.trainable_variables),
                        discriminator.trainable_variables)
            return tf.stack([g_loss, d_loss, tf.reduce_mean(tf.sigmoid(real_logits)),
                             tf.reduce_mean(tf.sigmoid(fake_logits))])

        return train_step

    def time_step(self, batch_size: int) -> float:
        """Seconds one compiled training step takes on ``batch_size`` images (a warm-up call, then
        the faster of two). For cost estimates: only use a trainer kept for timing, since the steps
        update its networks."""
        with self._lock:
            self._require_open()
            images = tf.zeros([int(batch_size), *self.image_shape], tf.uint8)
            self._train_step(images, self._step).numpy()  # the first call at a batch size is slower
            times = []
            for _ in range(2):
                start = time.perf_counter()
                self._train_step(images, self._step).numpy()
                times.append(time.perf_counter() - start)
            return min(times)

    # -- the input pipeline -------------------------------------------------------------------------
    def _batches(self, first: int, count: int) -> tf.data.Dataset:
        """Batches for global steps ``first … first+count-1``; epoch e's order depends on (seed, e) only."""
        spe, b, k = self.steps_per_epoch, self.config.batch_size, self.examples_per_epoch
        chunks, starts, sizes, offset = [], [], [], 0
        for epoch in range(first // spe, (first + count - 1) // spe + 1):
            order = np.random.default_rng([self.config.seed, epoch]).permutation(self.num_examples)[:k]
            lo, hi = max(first, epoch * spe) - epoch * spe, min(first + count, (epoch + 1) * spe) - epoch * spe
            chunks.append(order[lo * b: min(hi * b, k)].astype(np.int32))
            for i in range(lo, hi):
                starts.append(offset + (i - lo) * b)
                sizes.append(min(b, k - i * b))
            offset += len(chunks[-1])
        flat, images = tf.constant(np.concatenate(chunks)), self._images
        return (tf.data.Dataset.from_tensor_slices((np.array(starts, np.int32), np.array(sizes, np.int32)))
                .map(lambda s, n: tf.gather(images, flat[s:s + n]), num_parallel_calls=2, deterministic=True)
                .prefetch(2))

    # -- training -----------------------------------------------------------------------------------
    @property
    def step(self) -> int:
        """Training steps done so far (over all ``train`` calls)."""
        return int(self._step.numpy())

    @property
    def epoch(self) -> float:
        """Epochs done so far (fractional after a stopped run)."""
        return self.step / self.steps_per_epoch

    def train(self, epochs: int = 1) -> Iterator[Frame]:
        """Train ``epochs`` more epochs from where the trainer stands.

        Args:
            epochs: epochs to add (1 … 1000); an epoch is ``steps_per_epoch`` steps, and the
                unfinished epoch of a stopped run counts as the first (the run ends at an epoch's end).

        Yields:
            One :class:`Frame` per step: the latest 4×4 preview grid (redrawn every
            ``preview_every`` steps, at each epoch's end and at the last step), stage
            ``"epoch e/E"`` (counted since the trainer was built), metrics ``gen_loss``,
            ``disc_loss``, ``D(x)``, ``D(G(z))`` and, once measured, ``sec_per_step`` and
            ``eta_s``. The last frame has ``final=True``. A newer ``train`` call on the same
            trainer ends this one at its next step.
        """
        check_int("epochs", epochs, 1, MAX_EPOCHS)
        with self._lock:
            if self._closed:
                raise InputError("This trainer has been closed; start a new one.")
            self._run_id += 1
            run, first = self._run_id, self.step
            last = first + epochs * self.steps_per_epoch - (first % self.steps_per_epoch)
        return self._run(run, first, last)

    def _run(self, run: int, first: int, last: int) -> Iterator[Frame]:
        spe, epochs_total = self.steps_per_epoch, math.ceil(last / self.steps_per_epoch)
        with self._lock:
            if run != self._run_id or self._closed:
                return
            batches = iter(self._batches(first, last - first))
        last_preview, timed = -1, False
        try:
            for batch in batches:
                with self._lock:
                    if run != self._run_id or self._closed:
                        return
                    step = self.step
                    start = time.perf_counter()
                    g_loss, d_loss, d_real, d_fake = (float(v) for v in self._train_step(batch, self._step).numpy())
                    elapsed = time.perf_counter() - start
                    self._step.assign(step + 1)
                    step += 1
                    if timed:  # the first step of a run may include tracing and pipeline start-up
                        self.sec_per_step = elapsed if self.sec_per_step is None else 0.8 * self.sec_per_step + 0.2 * elapsed
                    timed = True
                    for key, value in zip(HISTORY_KEYS, (step, g_loss, d_loss, d_real, d_fake)):
                        self._history[key].append(value)
                    every = self.config.preview_every or max(1, round(PREVIEW_SECONDS / (self.sec_per_step or PREVIEW_SECONDS)))
                    final = step == last
                    if final or step % spe == 0 or last_preview < 0 or step - last_preview >= every:
                        small = self._render_grid(scale=1)
                        self._grid = np.repeat(np.repeat(small, GRID_SCALE, 0), GRID_SCALE, 1)
                        self._timelapse.add(small, force=final)
                        last_preview = step
                    metrics = {"gen_loss": g_loss, "disc_loss": d_loss, "D(x)": d_real, "D(G(z))": d_fake}
                    if self.sec_per_step is not None:
                        metrics.update(sec_per_step=self.sec_per_step, eta_s=(last - step) * self.sec_per_step)
                    frame = Frame(self._grid, step, last, f"epoch {math.ceil(step / spe)}/{epochs_total}",
                                  metrics, final=final)
                yield frame
        finally:
            del batches  # stop the prefetching pipeline now, not at garbage collection

    # -- looking at it, saving it -------------------------------------------------------------------
    def _render_grid(self, scale: int = GRID_SCALE) -> np.ndarray:
        samples = self._sample(self._preview_noise).numpy()
        samples = to_uint8(samples[..., 0] if samples.shape[-1] == 1 else samples, -1.0, 1.0)
        return grid(samples, GRID_COLS, pad=2, scale=scale)

    def grid(self) -> np.ndarray:
        """The current 4×4 grid of the fixed preview noise (uint8 H×W×3)."""
        with self._lock:
            self._require_open()
            return self._render_grid()

    # -- new samples and latent walks (see genart.gan.walk) ------------------------------------------
    def generate(self, noise: np.ndarray) -> np.ndarray:
        """The generator's images for ``noise`` (N×noise_dim floats) as uint8 N×H×W×3 (inference mode).

        Raises:
            InputError: ``noise`` is not N×noise_dim with 1 ≤ N ≤ 256.
        """
        noise = np.asarray(noise, np.float32)
        if noise.ndim != 2 or noise.shape[1] != self.config.noise_dim or not 1 <= len(noise) <= 256:
            raise InputError(f"noise must be N×{self.config.noise_dim} with N from 1 to 256; got {noise.shape}.")
        with self._lock:
            self._require_open()
            images = to_uint8(self._sample(tf.constant(noise)).numpy(), -1.0, 1.0)
        return np.repeat(images, 3, axis=3) if images.shape[3] == 1 else images

    def samples(self, seed: int, n: int = 16) -> np.ndarray:
        """A grid of ``n`` new samples from fresh noise, the same for the same seed and weights.

        Args:
            seed: the noise is ``numpy.random.default_rng(seed).standard_normal((n, noise_dim))``
                (so the first sample is also where the latent walk of that seed starts).
            n: samples, 1 … 64, in a grid ⌈√n⌉ wide, each pixel enlarged ``GRID_SCALE`` times.

        Returns:
            uint8 H×W×3.
        """
        check_int("seed", seed, 0, 2**31 - 1)
        check_int("n", n, 1, 64)
        noise = np.random.default_rng(seed).standard_normal((n, self.config.noise_dim))
        return grid(self.generate(noise), math.ceil(math.sqrt(n)), pad=2, scale=GRID_SCALE)

    def history(self) -> dict[str, list]:
        """Per-step ``step``, ``gen_loss``, ``disc_loss``, ``real_score`` (D(x): the discriminator's mean
        probability that the batch's real images are real) and ``fake_score`` (D(G(z)), the same for
        the generated images) lists (copies)."""
        with self._lock:
            return {key: list(values) for key, values in self._history.items()}

    def save(self, directory: str | os.PathLike) -> str:
        """Write a ``tf.train.Checkpoint`` (networks, optimisers, step, preview noise) and the config.

        Args:
            directory: created if missing; holds ``ckpt.index``, ``ckpt.data-*`` and ``genart_gan.json``
                (the config, step, loss history, the architecture and image shape, and the data's digest).

        Returns:
            The checkpoint prefix.
        """
        with self._lock:
            self._require_open()
            os.makedirs(directory, exist_ok=True)
            prefix = self._checkpoint.write(os.path.join(directory, CHECKPOINT_PREFIX))
            meta = {"config": dataclasses.asdict(self.config), "step": self.step, "history": self._history,
                    "architecture": self.architecture, "image_shape": list(self.image_shape),
                    "data": {"source": self.data_source, "digest": self.data_digest, "examples": self.num_examples}}
            with open(os.path.join(directory, CONFIG_FILE), "w") as fh:
                json.dump(meta, fh)
            return prefix

    def restore(self, directory: str | os.PathLike) -> None:
        """Load what :meth:`save` wrote into this trainer (its noise_dim, architecture and image shape must match).

        Checkpoints written before the architecture was recorded are the tutorial's 28×28×1 networks.

        Raises:
            InputError: no checkpoint there, or one made for another noise_dim, architecture or image shape.
        """
        try:
            with open(os.path.join(directory, CONFIG_FILE)) as fh:
                meta = json.load(fh)
            noise_dim = int(meta["config"]["noise_dim"])
            architecture = str(meta.get("architecture", "tutorial"))
            shape = tuple(int(v) for v in meta.get("image_shape", (SIDE, SIDE, 1)))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            raise InputError(f"No genart GAN checkpoint in {directory} ({CONFIG_FILE} missing or unreadable).") from None
        if (architecture, shape) != (self.architecture, self.image_shape):
            raise InputError(f"The checkpoint holds {_describe(architecture, shape)}; this trainer has "
                             f"{_describe(self.architecture, self.image_shape)}. Restore it into a trainer on "
                             "pictures of the same size and colour.")
        if noise_dim != self.config.noise_dim:
            raise InputError(f"The checkpoint was made with noise_dim {noise_dim}; this trainer uses "
                             f"{self.config.noise_dim}.")
        with self._lock:
            self._require_open()
            self._run_id += 1  # a pending run must not step the restored state
            self._checkpoint.read(os.path.join(directory, CHECKPOINT_PREFIX)).assert_existing_objects_matched()
            history = meta.get("history") or {}
            self._history = {key: list(history.get(key, [])) for key in HISTORY_KEYS}
            self._grid = self._render_grid()

    def export_generator(self, path: str | os.PathLike) -> str:
        """Save the generator alone as a ``.keras`` file (``keras.models.load_model`` reads it back)."""
        if not str(path).endswith(".keras"):
            raise InputError(f"export_generator: the path must end in .keras; got {path}.")
        with self._lock:
            self._require_open()
            self.generator.save(path)
        return str(path)

    def timelapse(self, path: str | os.PathLike) -> str:
        """Write the preview grids drawn so far as an animated GIF (the current grid if none yet)."""
        with self._lock:
            self._require_open()
            if not len(self._timelapse):
                self._timelapse.add(self._render_grid(scale=1), force=True)
            return self._timelapse.save_gif(path, scale=GRID_SCALE)

    def close(self) -> None:
        """End any pending run and free the networks, optimisers, compiled steps and data at once.

        Keras models and tf.functions sit in reference cycles that Python's collector may leave
        alone for a long while, and with them about 60 MB of TensorFlow memory per trainer; so
        close drops them and collects. Afterwards only ``step``, ``epoch`` and ``history`` work.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._run_id += 1
            self._images = self.generator = self.discriminator = None
            self.generator_optimizer = self.discriminator_optimizer = None
            self._checkpoint = self._train_step = self._sample = self._grid = None
            self._timelapse = None
        gc.collect()

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran: the trainer's networks are gone."""
        return self._closed

    def _require_open(self) -> None:
        if self._closed:
            raise InputError("This trainer has been closed; start a new one.")


def _describe(architecture: str, shape: tuple[int, ...]) -> str:
    """``"the 32×32 networks for colour pictures (32×32×3)"``."""
    label = ARCHITECTURE_LABELS.get(architecture, f"the {architecture!r} networks")
    kind = {1: "grey", 3: "colour"}.get(shape[-1], f"{shape[-1]}-channel") if len(shape) == 3 else "unknown"
    return f"{label} for {kind} pictures ({'×'.join(map(str, shape))})"
