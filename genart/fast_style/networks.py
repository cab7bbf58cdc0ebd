"""The arbitrary-style network of Ghiasi et al. 2017 as Keras layers: the TF-Hub model's architecture.

"Exploring the structure of a real-time, arbitrary neural artistic stylization network"
(Magenta's ``arbitrary_image_stylization``: ``build_model``, ``nza_model``, ``image_stylization.model``):

* **Style prediction** (style image [1, S, S, 3] in [0, 1] → a 100-number style vector):
  InceptionV3 up to Mixed_6e (Keras' ``mixed7``, 768 channels, 14×14 for S = 256) → spatial mean →
  a 1×1 convolution to 100 numbers (here a Dense layer: the same map on a 1×1 feature).
* **Style transfer** (content [1, H, W, 3] in [0, 1] and the style vector → picture [1, H, W, 3]):
  every convolution mirror-padded ("REFLECT") then unpadded, without bias;
  contract: conv 9×9 32 /1, conv 3×3 64 /2, conv 3×3 128 /2, each batch-normalised (β only) + ReLU;
  five residual blocks x + CIN(conv 3×3 128(ReLU(CIN(conv 3×3 128(x)))));
  expand: nearest ×2 → conv 3×3 64, nearest ×2 → conv 3×3 32, conv 9×9 3, each with CIN, ReLU
  (the last: sigmoid).
  CIN (conditional instance normalisation) normalises each channel over the picture and scales
  and shifts it by γ, β that two 1×1 convolutions (Dense here) compute from the style vector:
  13 CIN layers, 2 × (10·128 + 64 + 32 + 3) = 2758 numbers per style.

Differences from the hub export, none of which changes the cost per pass: Keras' InceptionV3 uses
ReLU where Magenta's slim scope uses ReLU6; the picture is cropped to the content's size (the two
strided convolutions round up, so the expand path yields 4·⌈H/4⌉ rows; the hub model's documented
output is the content's shape). Random weights: :func:`genart.models.seed_weights` (Glorot uniform,
zero biases), then every γ bias is 1 so that an untrained CIN starts as plain instance
normalisation (Dumoulin et al.'s initialisation). :class:`FastStyleNetwork` is called like the hub
model, ``network(content, style)[0]``, through one ``tf.function`` whose input signature
(``[1, None, None, 3]`` twice) serves every size; :meth:`FastStyleNetwork.style_vector` and
:meth:`FastStyleNetwork.transfer` split the pass (this network only: the hub model has one signature).
"""

from __future__ import annotations

import keras

#: Numbers in the style vector (Magenta's ``style_prediction_bottleneck``).
STYLE_VECTOR_SIZE = 100
#: The InceptionV3 layer the style prediction ends at (slim's Mixed_6e).
INCEPTION_END = "mixed7"
#: Output channels of the 13 CIN layers, in network order (Magenta's ``style_normalization_activations``).
CIN_DEPTHS = (128,) * 10 + (64, 32, 3)
#: CIN's variance epsilon (Magenta's ``conditional_style_norm``).
CIN_EPSILON = 1e-5


class ReflectPad(keras.layers.Layer):
    """Mirror padding by ``pad`` pixels on each side of height and width (Magenta's ``conv2d``)."""

    def __init__(self, pad: int, **kwargs):
        super().__init__(**kwargs)
        self.pad = int(pad)

    def call(self, x):
        p = self.pad
        return keras.ops.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")

    def get_config(self):
        return {**super().get_config(), "pad": self.pad}


class ConditionalInstanceNorm(keras.layers.Layer):
    """``[x, gamma, beta]`` → γ · (x − mean) / sqrt(var + ε) + β, moments per picture and channel."""

    def call(self, inputs):
        x, gamma, beta = inputs
        mean, var = keras.ops.moments(x, axes=[1, 2], keepdims=True)
        scale = gamma[:, None, None, :] * keras.ops.rsqrt(var + CIN_EPSILON)
        return (x - mean) * scale + beta[:, None, None, :]


class CropLike(keras.layers.Layer):
    """``[x, reference]`` → x cut to the reference's height and width (top-left aligned)."""

    def call(self, inputs):
        x, ref = inputs
        shape = keras.ops.shape(ref)
        return x[:, : shape[1], : shape[2], :]


def _conv(x, filters: int, kernel: int, stride: int, name: str):
    x = ReflectPad(kernel // 2, name=f"{name}_pad")(x)
    return keras.layers.Conv2D(filters, kernel, strides=stride, padding="valid", use_bias=False, name=name)(x)


def _cin(x, vector, name: str):
    channels = x.shape[-1]
    gamma = keras.layers.Dense(channels, name=f"{name}_gamma")(vector)
    beta = keras.layers.Dense(channels, name=f"{name}_beta")(vector)
    return ConditionalInstanceNorm(name=name)([x, gamma, beta])


def style_predictor() -> keras.Model:
    """Style image [1, S, S, 3] in [0, 1] → style vector [1, 100] (InceptionV3 to ``mixed7``, mean, 1×1 conv)."""
    base = keras.applications.InceptionV3(include_top=False, weights=None, input_shape=(None, None, 3))
    features = base.get_layer(INCEPTION_END).output
    pooled = keras.layers.GlobalAveragePooling2D(name="style_mean")(features)
    vector = keras.layers.Dense(STYLE_VECTOR_SIZE, name="style_bottleneck")(pooled)
    return keras.Model(base.input, vector, name="style_predictor")


def style_transformer() -> keras.Model:
    """``[content [1, H, W, 3] in [0, 1], style vector [1, 100]]`` → picture [1, H, W, 3] in [0, 1]."""
    layers = keras.layers
    content = keras.Input((None, None, 3), name="content")
    vector = keras.Input((STYLE_VECTOR_SIZE,), name="style_vector")
    x = content
    for i, (filters, kernel, stride) in enumerate([(32, 9, 1), (64, 3, 2), (128, 3, 2)], 1):
        x = _conv(x, filters, kernel, stride, f"contract_conv{i}")
        x = layers.BatchNormalization(scale=False, epsilon=1e-3, name=f"contract_conv{i}_bn")(x)
        x = layers.ReLU(name=f"contract_conv{i}_relu")(x)
    for i in range(1, 6):
        name = f"residual{i}"
        h = _conv(x, 128, 3, 1, f"{name}_conv1")
        h = layers.ReLU(name=f"{name}_relu")(_cin(h, vector, f"{name}_conv1_cin"))
        h = _cin(_conv(h, 128, 3, 1, f"{name}_conv2"), vector, f"{name}_conv2_cin")
        x = layers.Add(name=f"{name}_add")([x, h])
    for i, filters in enumerate([64, 32], 1):
        x = layers.UpSampling2D(2, interpolation="nearest", name=f"expand_conv{i}_up")(x)
        x = _cin(_conv(x, filters, 3, 1, f"expand_conv{i}"), vector, f"expand_conv{i}_cin")
        x = layers.ReLU(name=f"expand_conv{i}_relu")(x)
    x = _cin(_conv(x, 3, 9, 1, "expand_conv3"), vector, "expand_conv3_cin")
    x = layers.Activation("sigmoid", name="expand_conv3_sigmoid")(x)
    picture = CropLike(name="crop_to_content")([x, content])
    return keras.Model([content, vector], picture, name="style_transformer")


def cin_layers(model: keras.Model) -> list:
    """The conditional instance normalisation layers of ``model``, in network order."""
    return [layer for layer in model.layers if isinstance(layer, ConditionalInstanceNorm)]


class FastStyleNetwork:
    """The two networks behind the hub model's call: ``network(content, style)`` → ``[picture]``.

    Args:
        seed: seed of the random weights (:func:`genart.models.seed_weights`; γ biases set to 1).

    Attributes:
        predictor: the style prediction network (:func:`style_predictor`).
        transformer: the style transfer network (:func:`style_transformer`).
    """

    def __init__(self, seed: int = 0):
        import numpy as np
        import tensorflow as tf

        from ..models import seed_weights

        self.predictor = style_predictor()
        self.transformer = style_transformer()
        seed_weights(self.predictor, seed)
        seed_weights(self.transformer, seed + 1)
        for layer in self.transformer.layers:
            if layer.name.endswith("_cin_gamma"):
                layer.bias.assign(np.ones(tuple(layer.bias.shape), np.float32))
        image = tf.TensorSpec([1, None, None, 3], tf.float32)
        vector = tf.TensorSpec([1, STYLE_VECTOR_SIZE], tf.float32)
        self._call = tf.function(self._full, input_signature=(image, image))
        self._vector = tf.function(lambda s: self.predictor(s, training=False), input_signature=(image,))
        self._transfer = tf.function(lambda c, v: self.transformer([c, v], training=False),
                                     input_signature=(image, vector))

    def _full(self, content, style):
        return self.transformer([content, self.predictor(style, training=False)], training=False)

    def __call__(self, content, style):
        """The hub model's call: content [1, H, W, 3] and style [1, S, S, 3] in [0, 1] → ``[picture]``."""
        return [self._call(content, style)]

    def style_vector(self, style):
        """Style image [1, S, S, 3] in [0, 1] → its style vector [1, 100]."""
        return self._vector(style)

    def transfer(self, content, vector):
        """Content [1, H, W, 3] in [0, 1] painted with a style vector [1, 100] → picture [1, H, W, 3]."""
        return self._transfer(content, vector)
