"""What a DeepDream run works out before its first step: the input as a tensor, the channels it
scores (checked against the network; ``strongest`` / ``weakest`` measured on the input) and the
guide image's feature vectors. Each costs at most one forward pass, outside the compiled step.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from ..errors import InputError
from . import objectives
from .config import DreamConfig, octave_shape


def preprocess(rgb):
    """uint8 RGB → float32 in [-1, 1] (inception_v3.preprocess_input)."""
    return tf.constant(rgb, tf.float32) / 127.5 - 1.0


def activations(net, x, shape=None) -> list:
    """The network's activations (one array per layer) of image ``x``, resized to ``shape`` first."""
    if shape is not None and tuple(x.shape[:2]) != tuple(shape):
        x = tf.image.resize(x, shape)
    acts = net(x[None], training=False)
    return [acts] if not isinstance(acts, (list, tuple)) else list(acts)


def pick_channels(cfg: DreamConfig, net, x, shape) -> tuple[int, ...]:
    """The channel indices a run scores (empty: all): checked against the network's channel count;
    ``strongest`` / ``weakest`` measured on the input at the first octave's size."""
    if cfg.channel_mode == "all":
        return ()
    layer = cfg.channel_layer or cfg.layers[0]
    index = cfg.layers.index(layer)
    outputs = net.outputs if isinstance(net.outputs, (list, tuple)) else [net.outputs]
    count = int(outputs[index].shape[-1])
    if cfg.channel_mode == "chosen":
        if max(cfg.channels) >= count:
            raise InputError(f"channels: {layer} has {count} channels (0 to {count - 1}); got {max(cfg.channels)}.")
        return cfg.channels
    if cfg.channel_count > count:
        raise InputError(f"channel_count: {layer} has {count} channels; got {cfg.channel_count}.")
    acts = activations(net, x, shape)[index]
    return objectives.extreme_channels(acts, cfg.channel_count, strongest=cfg.channel_mode == "strongest")


def guide_features(cfg: DreamConfig, net, guide_rgb, channels: tuple[int, ...]):
    """Q×C feature vectors of the guide at the guide layer (only the run's channels there, if any)."""
    layer = cfg.guide_layer or cfg.layers[0]
    x = preprocess(guide_rgb)
    acts = np.asarray(activations(net, x, octave_shape(guide_rgb.shape[:2], 1.0, 0))[cfg.layers.index(layer)])
    if channels and layer == (cfg.channel_layer or cfg.layers[0]):
        acts = acts[..., list(channels)]
    return acts.reshape(-1, acts.shape[-1])
