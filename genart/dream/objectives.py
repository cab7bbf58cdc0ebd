"""DeepDream objectives: small pure functions from a layer's activations to the scalar the ascent raises.

Every function takes ``acts``, one layer's activations (1×H×W×C float32, or H×W×C), and returns
a float32 scalar; the ascent step adds them up with the per-layer weights (lucid's habit: small
objectives combined by weighted sums):

* :func:`mean`: the TensorFlow tutorial's ``reduce_mean`` of the activations;
* :func:`l2`: the mean of the squared activations (the walkthrough's "sum of squares",
  divided by the count so that layers of different sizes stay comparable);
* :func:`norm`: the L2 norm, √(Σ a²);
* :func:`guided`: the original DeepDream notebook's guide: at each position, the dot product with
  the guide's best-matching feature vector (its gradient there is that vector);
* :func:`select_channels` narrows activations to chosen channels before any of them, and
  :func:`channel_strengths` / :func:`extreme_channels` pick the strongest or weakest channels of an
  image. :func:`total_variation` is the smoothness penalty (``tf.image.total_variation``).

The ascent normalises the gradient before its step, so an objective's overall scale does not
change the picture, only the balance between layers (and the numbers reported as "loss").
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

#: Added under the square root of :func:`norm` so that its gradient stays finite at zero.
NORM_EPS = 1e-12


def mean(acts: tf.Tensor) -> tf.Tensor:
    """Mean activation (the tutorial's objective)."""
    return tf.reduce_mean(acts)


def l2(acts: tf.Tensor) -> tf.Tensor:
    """Mean of the squared activations."""
    return tf.reduce_mean(tf.square(acts))


def norm(acts: tf.Tensor) -> tf.Tensor:
    """L2 norm of the activations, √(Σ a²)."""
    return tf.sqrt(tf.reduce_sum(tf.square(acts)) + NORM_EPS)


#: Objective name (``DreamConfig.objective``) → function.
OBJECTIVES = {"mean": mean, "l2": l2, "norm": norm}


def select_channels(acts: tf.Tensor, channels: tf.Tensor) -> tf.Tensor:
    """The activations of ``channels`` (int32 indices) only, along the last axis."""
    return tf.gather(acts, channels, axis=-1)


def guided(acts: tf.Tensor, guide: tf.Tensor) -> tf.Tensor:
    """Mean over positions of the largest dot product with any guide feature vector.

    Args:
        acts: activations whose last axis has C channels.
        guide: Q×C feature vectors of the guide image at the same layer (and the same channels).
    """
    x = tf.reshape(acts, [-1, tf.shape(acts)[-1]])
    return tf.reduce_mean(tf.reduce_max(tf.matmul(x, guide, transpose_b=True), axis=1))


def total_variation(img: tf.Tensor) -> tf.Tensor:
    """Sum of absolute differences between neighbouring pixels (``tf.image.total_variation``)."""
    return tf.image.total_variation(tf.convert_to_tensor(img, tf.float32))


def channel_strengths(acts) -> np.ndarray:
    """Mean activation of each channel (C floats)."""
    a = np.asarray(acts, np.float32)
    return a.reshape(-1, a.shape[-1]).mean(axis=0)


def extreme_channels(acts, count: int, strongest: bool = True) -> tuple[int, ...]:
    """The ``count`` channels with the largest (``strongest``) or smallest mean activation, strongest
    (resp. weakest) first; ties go to the lower index."""
    strengths = channel_strengths(acts)
    order = np.argsort(-strengths if strongest else strengths, kind="stable")
    return tuple(int(c) for c in order[:count])
