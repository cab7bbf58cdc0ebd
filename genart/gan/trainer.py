"""The DCGAN's :class:`GanTrainer`: both networks, both optimisers, the counters, the loss history
and the preview grids (see :mod:`genart.gan` for the algorithm, :mod:`genart.gan.networks` for the
networks and :mod:`genart.gan.step` for one training step).

This module is the trainer's bookkeeping (runs, locks, history, previews, files); what computes
lives in :mod:`genart.gan.step` and :mod:`genart.gan.trainset`, imported with TensorFlow when the
first trainer is built, so that ``genart.gan`` itself imports quickly.
"""

from __future__ import annotations

import dataclasses
import gc
import math
import os
import threading
import time
from typing import Iterator

import numpy as np

from .. import precision
from .data import OWN, load_digits
from ..errors import InputError, check_int
from ..export import Timelapse
from ..frames import Frame, RunFacts
from ..images import grid, to_uint8
from .checkpoint import read_meta, write_meta
from .config import CHECKPOINT_PREFIX, GRID_COLS, GRID_SCALE, PREVIEW_SECONDS, GanConfig, check_epochs

#: ``auto`` precision is decided from the DCGAN's own step at the default preset's batch (genart.precision).
PRECISION_BATCH = 64

#: What :meth:`GanTrainer.history` records per step (checkpoints made before D's scores were kept lack the last two).
HISTORY_KEYS = ("step", "gen_loss", "disc_loss", "real_score", "fake_score")


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
                :class:`genart.gan.imagesets.ImageSet` (then its digest shares one copy between trainers).

        Raises:
            InputError: ``data`` has another shape or type, or ``dataset="own"`` without data.
            DataUnavailable: the dataset cannot be loaded.
        """
        self.config = config
        shared_key, self.data_digest = None, None
        if data is None:
            if config.dataset == OWN:
                raise InputError('dataset "own" needs the pictures: load a zip or folder with '
                                 "genart.gan.imagesets.load_image_set and pass it as data.")
            digits = load_digits(config.dataset)
            data, self.data_source, self.data_note = digits.images, digits.source, digits.note
            shared_key = (config.dataset, digits.source)
        else:
            self.data_source, self.data_note = ("own", getattr(data, "note", "")) if config.dataset == OWN \
                else ("given", "")
            self.data_digest = getattr(data, "digest", None)
            data = getattr(data, "images", data)
        from .networks import architecture_for, networks_note
        from .step import build_parts
        from .trainset import as_images, images_tensor

        data = as_images(data)
        if config.dataset == OWN:
            from .imagesets import digest

            self.data_digest = self.data_digest or digest(data)
            shared_key = (OWN, self.data_digest)
        self.image_shape = tuple(int(v) for v in data.shape[1:])  # (H, W, C)
        self.architecture = architecture_for(self.image_shape, config.networks)
        #: Whose networks and losses train, in plain words (genart.gan.networks.networks_note).
        self.networks_note = networks_note(config, self.architecture)
        self.num_examples = len(data)
        self.examples_per_epoch = min(config.examples_per_epoch or self.num_examples, self.num_examples)
        self.steps_per_epoch = math.ceil(self.examples_per_epoch / config.batch_size)
        self._images = images_tensor(data, shared_key)  # uint8 N×H×W×C; scaled inside the step

        # The networks compute in the resolved precision (Keras' mixed policy: variables, images,
        # logits, losses and Adam's state stay float32); see "bfloat16" in genart.gan's docstring.
        self.precision = policy(config)
        #: What this trainer's runs report (its frames carry it; its recipe records it).
        self.facts = RunFacts(self.precision)
        self._parts = build_parts(self.architecture, config, self.image_shape, self.precision.keras_policy)
        self._step = self._parts.step  # kept after close: step, epoch and history still answer
        self._lock = threading.RLock()
        self._run_id = 0
        self._closed = False
        self._history: dict[str, list] = {key: [] for key in HISTORY_KEYS}
        #: The "looks like digits" meter scores MNIST grids only (Fashion-MNIST and own pictures are not digits).
        from .meter import judges, load_meter

        self.meter = load_meter() if judges(config.dataset, self.image_shape) else None
        self._digits: dict[str, list] = {key: [] for key in ("step", "confidence", "coverage", "reached")}
        # Grids are kept at 1× (45 KB each, not 700 KB) and enlarged when the GIF is written.
        self._timelapse = Timelapse(max_frames=60, max_dim=GRID_COLS * (self.image_shape[0] + 2) + 2)
        self._grid: np.ndarray | None = None
        self.sec_per_step: float | None = None  # measured, moving average

    @property
    def generator(self):
        """The generator (a Keras model; None once closed)."""
        return None if self._parts is None else self._parts.generator

    @property
    def discriminator(self):
        """The discriminator (a Keras model; None once closed)."""
        return None if self._parts is None else self._parts.discriminator

    @property
    def generator_optimizer(self):
        """The generator's Adam (None once closed)."""
        return None if self._parts is None else self._parts.generator_optimizer

    @property
    def discriminator_optimizer(self):
        """The discriminator's Adam (None once closed)."""
        return None if self._parts is None else self._parts.discriminator_optimizer

    def time_step(self, batch_size: int) -> float:
        """Seconds one compiled training step takes on ``batch_size`` images (a warm-up call, then
        the faster of two). For cost estimates: only use a trainer kept for timing, since the steps
        update its networks."""
        with self._lock:
            self._require_open()
            return self._parts.time_step(batch_size)

    # -- the input pipeline -------------------------------------------------------------------------
    def _batches(self, first: int, count: int):
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
        from .trainset import batch_pipeline

        return batch_pipeline(self._images, np.concatenate(chunks), np.array(starts), np.array(sizes))

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
            ``disc_loss``, ``real_score`` (D(x): the discriminator's mean probability of "real" for
            the real batch), ``fake_score`` (D(G(z)), the same for the generated one) and, once
            measured, ``sec_per_step`` (a moving average). The last frame has ``final=True``. A newer ``train`` call on the same
            trainer ends this one at its next step.
        """
        check_epochs(epochs)
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
                    start = time.perf_counter()
                    g_loss, d_loss, d_real, d_fake = self._parts.train(batch)
                    elapsed = time.perf_counter() - start
                    step = self.step
                    if timed:  # the first step of a run may include tracing and pipeline start-up
                        self.sec_per_step = elapsed if self.sec_per_step is None else 0.8 * self.sec_per_step + 0.2 * elapsed
                    timed = True
                    for key, value in zip(HISTORY_KEYS, (step, g_loss, d_loss, d_real, d_fake)):
                        self._history[key].append(value)
                    every = self.config.preview_every or max(1, round(PREVIEW_SECONDS / (self.sec_per_step or PREVIEW_SECONDS)))
                    final = step == last
                    if final or step % spe == 0 or last_preview < 0 or step - last_preview >= every:
                        small = self._render_grid(scale=1, score=True)
                        self._grid = np.repeat(np.repeat(small, GRID_SCALE, 0), GRID_SCALE, 1)
                        self._timelapse.add(small, force=final)
                        last_preview = step
                    metrics = dict(zip(HISTORY_KEYS[1:], (g_loss, d_loss, d_real, d_fake)))
                    if self._digits["step"]:  # the meter's latest score of the grid shown
                        metrics.update(digit_confidence=self._digits["confidence"][-1],
                                       digit_coverage=float(self._digits["coverage"][-1]),
                                       digits_reached=float(self._digits["reached"][-1]))
                    if self.sec_per_step is not None:
                        metrics["sec_per_step"] = self.sec_per_step
                    frame = Frame(self._grid, step, last, f"epoch {math.ceil(step / spe)}/{epochs_total}",
                                  metrics, final=final, facts=self.facts)
                yield frame
        finally:
            del batches  # stop the prefetching pipeline now, not at garbage collection

    # -- looking at it, saving it -------------------------------------------------------------------
    def _render_grid(self, scale: int = GRID_SCALE, score: bool = False) -> np.ndarray:
        """The preview grid; with ``score``, the meter (MNIST only) also scores its samples."""
        samples = self._parts.sample()
        if score and self.meter is not None:
            digits = self.meter.score(samples)
            for key, value in (("step", self.step), ("confidence", digits.confidence), ("coverage", digits.coverage),
                               ("reached", self.meter.reached(digits))):
                self._digits[key].append(value)
        samples = to_uint8(samples[..., 0] if samples.shape[-1] == 1 else samples, -1.0, 1.0)
        return grid(samples, GRID_COLS, pad=2, scale=scale)

    def digits(self) -> dict[str, list]:
        """The meter's scores of the preview grids drawn so far (MNIST only; empty lists otherwise):
        ``step``, ``confidence``, ``coverage`` and ``reached`` (copies; see :mod:`genart.gan.meter`)."""
        with self._lock:
            return {key: list(values) for key, values in self._digits.items()}

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
            images = to_uint8(self._parts.sample(noise), -1.0, 1.0)
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

    def state(self) -> tuple[int, dict[str, list]]:
        """(steps trained, :meth:`history`) read at one moment: no step between the two reads."""
        with self._lock:
            return self.step, self.history()

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
            prefix = self._parts.save(os.path.join(directory, CHECKPOINT_PREFIX))
            write_meta(directory, {
                "config": dataclasses.asdict(self.config), "step": self.step, "history": self._history,
                "digits": self._digits, "architecture": self.architecture, "image_shape": list(self.image_shape),
                "data": {"source": self.data_source, "digest": self.data_digest, "examples": self.num_examples}})
            return prefix

    def restore(self, directory: str | os.PathLike) -> None:
        """Load what :meth:`save` wrote into this trainer (its noise_dim, architecture, image shape and
        averaged generator must match: :func:`genart.gan.checkpoint.read_meta` says which does not).

        Raises:
            InputError: no checkpoint there, or one made for another kind of trainer.
        """
        meta = read_meta(directory, self.config, self.architecture, self.image_shape)
        with self._lock:
            self._require_open()
            self._run_id += 1  # a pending run must not step the restored state
            self._parts.restore(os.path.join(directory, CHECKPOINT_PREFIX))
            history = meta.get("history") or {}
            self._history = {key: list(history.get(key, [])) for key in HISTORY_KEYS}
            digits = meta.get("digits") or {}
            self._digits = {key: list(digits.get(key, [])) for key in self._digits}
            self._grid = self._render_grid()

    def export_generator(self, path: str | os.PathLike) -> str:
        """Save the generator that draws the pictures alone as a ``.keras`` file (``keras.models.load_model``
        reads it back): with ``ema_decay``, the averaged generator, as the grid and the samples show it."""
        if not str(path).endswith(".keras"):
            raise InputError(f"export_generator: the path must end in .keras; got {path}.")
        with self._lock:
            self._require_open()
            self._parts.shown.save(path)
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
            self._images = self._parts = self._grid = self._timelapse = None
        gc.collect()

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran: the trainer's networks are gone."""
        return self._closed

    def _require_open(self) -> None:
        if self._closed:
            raise InputError("This trainer has been closed; start a new one.")


class StepTimer:
    """The DCGAN's precision timer: seconds per training step at :data:`PRECISION_BATCH` in a given dtype,
    on one small trainer per dtype, kept while measuring and closed when the measurement ends.

    Args:
        networks: ``GanConfig.networks`` of the trainers timed (the tutorial's, or genart's quick ones).
    """

    def __init__(self, networks: str = "tutorial"):
        self.networks = networks
        self._trainers: dict[str, GanTrainer] = {}

    def __call__(self, dtype: str) -> float:
        if dtype not in self._trainers:
            self._trainers[dtype] = GanTrainer(GanConfig(batch_size=PRECISION_BATCH, precision=dtype,
                                                         networks=self.networks),
                                               data=np.zeros((PRECISION_BATCH, 28, 28), np.uint8))
        return self._trainers[dtype].time_step(PRECISION_BATCH)

    def close(self) -> None:
        trainers, self._trainers = self._trainers, {}
        for trainer in trainers.values():
            trainer.close()


#: The DCGAN's precision with the tutorial's networks: ``auto`` is decided from its own training step
#: in float32 and bfloat16.
PRECISION = precision.AlgorithmPrecision("gan", StepTimer())
#: ``GanConfig.networks`` → its precision: genart's quick networks are decided from their own step
#: (``"gan-quick"``; its bfloat16 gain differs from the tutorial networks': README).
PRECISIONS = {"tutorial": PRECISION, "quick": precision.AlgorithmPrecision("gan-quick", StepTimer("quick"))}


def policy(config: GanConfig) -> precision.Policy:
    """What a trainer of ``config`` computes in: ``auto`` is decided from the DCGAN's own training
    step in float32 and bfloat16 (once per machine; :mod:`genart.precision`), for each family of networks
    apart (:data:`PRECISIONS`)."""
    return PRECISIONS[config.networks].policy(config.precision)
