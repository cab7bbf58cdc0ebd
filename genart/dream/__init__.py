"""DeepDream: amplify what InceptionV3 sees, by gradient ascent on the image itself.

After Mordvintsev, Olah & Tyka (2015) and the TensorFlow DeepDream tutorial:

1. Scale the image to [-1, 1] (InceptionV3's ``preprocess_input``).
2. For each octave, resize the image by ``octave_scale ** n`` (n = -2…2 for five octaves) and
   run ``steps_per_octave`` ascent steps:
   loss = Σ_l w_l · mean(activation_l); gradient ÷ its standard deviation;
   image += step_size · gradient; clip to [-1, 1].
   Beyond the tutorial (each off by default, so the defaults are its math exactly): other
   objectives (``l2``, ``norm``; :mod:`genart.dream.objectives`), chosen / strongest / weakest
   channels of one layer, a guide image, a total-variation penalty, Laplacian-pyramid gradient
   normalisation (:mod:`genart.dream.lapnorm`), a mask that multiplies the gradient, and a loss
   threshold that ends the run early.
3. Large images: the gradient is computed tile by tile on a randomly rolled copy of the image
   (rolling hides the tile seams; tiling bounds memory); ``tile_size=0`` turns both off.
4. Resize the result back to the input size.

The package: :mod:`~genart.dream.config` (the settings, the plan, the cost; no TensorFlow),
:mod:`~genart.dream.run` (the generators, the step timing, the recipe inputs), and what they build
on: :mod:`~genart.dream.ascent` (the compiled step), :mod:`~genart.dream.objectives`,
:mod:`~genart.dream.lapnorm`, :mod:`~genart.dream.prepare`, :mod:`~genart.dream.zoom` and the
channel explorer (:mod:`~genart.dream.explorer`). This module only hands their public names on.
"""


from .config import (CHANNEL_MODES, GUIDE_MAX_DIM, LAYER_CHANNELS, MAX_LAPNORM_LEVELS, MAX_ZOOM_FRAMES, MIN_NET_SIDE,
                     OBJECTIVES, PREVIEW_SECONDS, TUTORIAL, DreamConfig, cost_key, octave_shape, plan, run_cost)
from .run import (ALGORITHM, COSTING, PRECISION, dream, dream_zoom, model_for, policy, recipe_inputs, step_seconds,
                  structure)

__all__ = ["ALGORITHM", "CHANNEL_MODES", "COSTING", "GUIDE_MAX_DIM", "LAYER_CHANNELS", "MAX_LAPNORM_LEVELS",
           "MAX_ZOOM_FRAMES", "MIN_NET_SIDE", "OBJECTIVES", "PRECISION", "PREVIEW_SECONDS", "TUTORIAL", "DreamConfig",
           "cost_key", "dream", "dream_zoom", "model_for", "octave_shape", "plan", "policy", "recipe_inputs",
           "run_cost", "step_seconds", "structure"]
