"""Fast style transfer: one pass of Magenta's arbitrary-style network (the style tutorial's TF-Hub section).

:mod:`genart.fast_style.config` holds the settings, the plan and the cost key;
:mod:`genart.fast_style.hub` loads the model (TF-Hub, a local SavedModel, or the untrained network of
:mod:`genart.fast_style.networks`, imported only when built: it needs Keras); :mod:`genart.fast_style.run`
paints; :mod:`genart.fast_style.steady` carries a painted frame to the next along the motion (OpenCV,
imported when used). Importing this package imports no TensorFlow.
"""

from .config import (DEFAULT_HANDLE, KAGGLE_HANDLE, KAGGLE_VERSION, MAX_DIM_RANGE, MODEL_ENV, STYLE_SIDE,
                     VIDEO_STEADY, FastStyleConfig, cost_key, model_handle, plan, run_cost)
from .hub import (HubModel, cache_dir, cached, kaggle_cache_dir, load_model, locate, model_facts, model_label,
                  unavailable_message)
from .run import COSTING, FastStyler, OneBehind, blend, paint, prepare_style, recipe_inputs, step_seconds, stylise
from .steady import Carried, Steady, warping_error

__all__ = [
    "COSTING", "Carried", "DEFAULT_HANDLE", "HubModel", "KAGGLE_HANDLE", "KAGGLE_VERSION", "MAX_DIM_RANGE",
    "MODEL_ENV", "STYLE_SIDE", "VIDEO_STEADY", "FastStyleConfig", "FastStyler", "OneBehind", "Steady", "blend",
    "cache_dir", "cached", "cost_key", "kaggle_cache_dir", "load_model", "locate", "model_facts", "model_handle",
    "model_label", "paint", "plan", "prepare_style", "recipe_inputs", "run_cost", "step_seconds", "stylise",
    "unavailable_message", "warping_error",
]
