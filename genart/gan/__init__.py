"""DCGAN: a generator learns to draw digits while a discriminator learns to tell them from real ones.

After Radford, Metz & Chintala (2015) and the TensorFlow DCGAN tutorial:

1. Scale the 28×28 training images to [-1, 1]; feed them in shuffled batches of 256.
2. Generator: 100-d noise → Dense 7·7·256 → three transposed convolutions (5×5) up to 28×28×1, tanh.
   Discriminator: two strided 5×5 convolutions with LeakyReLU and dropout → one logit.
3. Each step: generator loss = BCE(D(G(z)), real); discriminator loss = BCE(D(x), real) +
   BCE(D(G(z)), fake); one Adam step for each network on its own loss.
4. A fixed set of 16 noise vectors is drawn through the generator now and then (a 4×4 grid), so
   the grids of a run show the same 16 "digits" taking shape.

MNIST and Fashion-MNIST train exactly the tutorial's networks. A visitor's own pictures
(``dataset="own"``, loaded by :mod:`genart.gan.imagesets` as 32×32 grey or colour) train the same
design one stage deeper (:mod:`genart.gan.networks` documents both); the trainer takes the
architecture from the data's shape, and a checkpoint records it.

:class:`GanTrainer` owns both networks, both optimisers, the counters and the loss history;
``train(epochs)`` continues from where it stands and yields a :class:`~genart.frames.Frame` per
step. Everything random is a function of ``(seed, step)``: ``train(1)`` twice equals ``train(2)``.
One lock guards the trainer, so an abandoned run (Stop, a closed tab) never leaves it half-updated.

After training, :meth:`GanTrainer.samples` draws new grids by seed and :mod:`genart.gan.walk`
walks through the noise space (spherical interpolation, looping), frame by frame.

**bfloat16.** Where ``precision`` resolves to bfloat16 (``auto`` on a CPU with native bfloat16,
or asked for), both networks train *and* sample in Keras' ``mixed_bfloat16`` (weights, images,
logits, losses and Adam's state stay float32; the last layer of each network computes in
float32). Issue #12 allowed training in it only if it learns as well: at most 1.2× float32's
steps until the grid stops being noise. ``benchmarks/bench_gan_quality.py --simulate-bf16 fast``
trains the fast preset with bfloat16's roundings beside float32 (same seed): both stopped being
noise at step 60 (1.0×), and over 310 steps their classifier confidence stayed 0.016 apart on
average (0.09 at most) with the same coverage of the ten classes within 2 (benchmarks/README.md). The
``tutorial`` preset names float32 and stays the tutorial's exact arithmetic.

The package: :mod:`~genart.gan.config` (the settings, the presets, the plan, the cost; no
TensorFlow), :mod:`~genart.gan.trainer` (:class:`GanTrainer`), :mod:`~genart.gan.run` (the step
timing the estimates use), and what they build on: :mod:`~genart.gan.networks`,
:mod:`~genart.gan.step` (the losses and the compiled step), :mod:`~genart.gan.trainset` (shared
training images), :mod:`~genart.gan.pool` (the trainers a server keeps) and
:mod:`~genart.gan.walk` (latent walks). TensorFlow is imported when the first trainer is built; the
networks and losses are :mod:`genart.gan.networks`' and :mod:`genart.gan.step` 's. This module only
hands the public names on.
"""


from .config import (CHECKPOINT_PREFIX, CONFIG_FILE, DEFAULT_PRESET, DIGIT_STEPS, GRID_COLS, GRID_SAMPLES, GRID_SCALE,
                     MAX_EPOCHS, OWN_SIDE, PRESETS, PREVIEW_SECONDS, SIDE, GanConfig, check_epochs, cost_key,
                     epochs_for_steps, image_shape, plan, preset, run_cost)
from .run import COSTING, startup_seconds, step_seconds
from .trainer import HISTORY_KEYS, PRECISION, GanTrainer, policy

__all__ = ["CHECKPOINT_PREFIX", "CONFIG_FILE", "COSTING", "DEFAULT_PRESET", "DIGIT_STEPS", "GRID_COLS", "GRID_SAMPLES",
           "GRID_SCALE", "HISTORY_KEYS", "MAX_EPOCHS", "OWN_SIDE", "PRECISION", "PRESETS", "PREVIEW_SECONDS", "SIDE",
           "GanConfig", "GanTrainer", "check_epochs", "cost_key", "epochs_for_steps", "image_shape", "plan", "policy",
           "preset", "run_cost", "startup_seconds", "step_seconds"]
