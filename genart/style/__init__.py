"""Neural style transfer (Gatys, Ecker & Bethge, 2015), as in the TensorFlow tutorial, made fast.

The picture is optimised directly: starting from the content image (or noise, or a given image),
pixels move so that VGG19's features match the content image at the content layers and the
Gram matrices (feature correlations) of the style image(s) at the style layers:

1. Images are float32 RGB in [0, 1], shape [1, H, W, 3]; the content's long side is at most
   ``max_dim``; each style image is resized so its long side is ``style_scale`` × the content's.
2. The extractor sees ``vgg19.preprocess_input(image * 255)``; its outputs are the style layers
   then the content layers (:func:`genart.models.vgg19_extractor`).
3. loss = style_weight / #style layers · Σ mean((G − G*)²)
        + content_weight / #content layers · Σ mean((F − F*)²)
        + tv_weight · total_variation(image),
   with G = Gram matrix / (H·W of that layer); several styles blend their G* by weight.
4. The tutorial's optimiser is Adam (lr 0.02, β₁ 0.99, ε 0.1), clipping to [0, 1] after each
   step. Beyond it: L-BFGS-B with [0, 1] bounds (the paper's choice, SciPy), coarse-to-fine
   (optimise at half size first, upsample, continue), luminance-only transfer that keeps the
   content's colours (Gatys et al. 2016), and initialisation from noise or a given image.
5. The reference tool's controls (jcjohnson's neural-style): any VGG19 layers for the two
   losses, average instead of max pooling (the paper's choice: smoother pictures), and
   per-layer gradient normalisation (:mod:`genart.style.losses`).
6. A mask (:func:`genart.masks.load_mask`, resized with the picture at every scale) says where:
   with one style, the style goes inside it and the content stays outside; with two styles, the
   first goes inside and the second outside (region Gram targets, Gatys et al. 2017). See
   :func:`stylize` for how.

The package: :mod:`~genart.style.config` (the settings, the presets, the plan, the cost; no
TensorFlow), :mod:`~genart.style.run` (the generator :func:`stylize`, the step timing, the recipe
inputs), and what they build on: :mod:`~genart.style.losses` (the loss terms and the compiled
function), :mod:`~genart.style.optimizers` (Adam, L-BFGS-B) and :mod:`~genart.style.colors`. This
module only hands their public names on.
"""


from .config import (CONTENT_LAYERS, CONV_LAYERS, FAST, INITS, MIN_SCALE_SIDE, OPTIMIZERS, POOLINGS, PREVIEW_SECONDS,
                     STYLE_LAYERS, TUTORIAL, VGG19_LAYERS, StyleConfig, cost_key, plan, run_cost, style_size)
from .run import ALGORITHM, COSTING, PRECISION, model_for, policy, recipe_inputs, step_seconds, stylize

__all__ = ["ALGORITHM", "CONTENT_LAYERS", "CONV_LAYERS", "COSTING", "FAST", "INITS", "MIN_SCALE_SIDE", "OPTIMIZERS",
           "POOLINGS", "PRECISION", "PREVIEW_SECONDS", "STYLE_LAYERS", "TUTORIAL", "VGG19_LAYERS", "StyleConfig",
           "cost_key", "model_for", "plan", "policy", "recipe_inputs", "run_cost", "step_seconds", "style_size",
           "stylize"]
