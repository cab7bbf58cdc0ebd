"""Build ``assets/digit_frechet.npz``: the digit network behind the DCGAN's Fréchet distance.

The network is :func:`genart.gan.frechet.build_frechet_network` (three convolutions with max-pooling,
a 128-feature dense layer, 10 logits), trained as a digit classifier exactly as
``make_digit_features.py`` trains its network (``train_digit_network``: Adam 1e-3, batches of 64
shifted by up to 2 pixels, op determinism), with its own seed, for ``EPOCHS`` epochs, on 3 000 of
the 4 000 training digits of the shipped sample (``genart.gan.data.shipped_split``, then
``genart.gan.frechet.floor_split``). All weights are stored as float16; the held-out accuracy is
printed with the rounded weights, and so is the yardstick's floor: the Fréchet distance of the
other 1 000 training digits, which the network never saw, to the 1 000 held-out ones (finite sets
of real digits do not score 0), beside that of 1 000 random digits it was fitted on.

A third network: not the meter's classifier, not the projected discriminator's features, and no
preset trains against it. The weights derive from the CC BY-SA 3.0 digits; see
``assets/digit_frechet.NOTICE.md``.

Run: ``python assets/make_digit_frechet.py`` (about two minutes on 2 vCPUs).
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from make_digit_features import accuracy, file_digest, train_digit_network  # noqa: E402

from genart.gan import frechet  # noqa: E402
from genart.gan.data import load_shipped_subset, shipped_split  # noqa: E402

OUT = os.path.join(HERE, frechet.ASSET)
SEED, EPOCHS = 2, 10


def main() -> None:
    import keras

    digits = load_shipped_subset()
    train_idx, held_idx = shipped_split(len(digits))
    keras.utils.set_random_seed(SEED)  # the initial weights too
    network = frechet.build_frechet_network()
    classifier = keras.Model(network.input, network.outputs[1])
    start = time.perf_counter()
    fit_idx, floor_idx = frechet.floor_split(train_idx)
    train_digit_network(classifier, digits.images[fit_idx], digits.labels[fit_idx], EPOCHS, SEED)
    seconds = time.perf_counter() - start
    arrays = {}
    for name in frechet.LAYERS:
        kernel, bias = network.get_layer(name).get_weights()
        arrays[f"{name}_kernel"], arrays[f"{name}_bias"] = kernel.astype(np.float16), bias.astype(np.float16)
        network.get_layer(name).set_weights([arrays[f"{name}_kernel"].astype(np.float32),
                                             arrays[f"{name}_bias"].astype(np.float32)])
    held = accuracy(classifier, digits.images[held_idx], digits.labels[held_idx])
    yardstick = frechet.FrechetYardstick(network, digits.images[held_idx])
    floor = yardstick.distance(digits.images[floor_idx])
    seen = yardstick.distance(digits.images[np.random.default_rng(3).permutation(fit_idx)[:len(floor_idx)]])
    np.savez_compressed(OUT, **arrays, held_out_accuracy=np.float32(held), real_distance=np.float32(floor))
    print(f"trained in {seconds:.0f} s; held-out accuracy (float16 weights) {held:.4f}")
    print(f"Fréchet distance to the 1 000 held-out digits: the floor, {len(floor_idx)} training digits the network "
          f"never saw, {floor:.2f}; {len(floor_idx)} it was fitted on {seen:.2f}")
    print(f"wrote {OUT}: {os.path.getsize(OUT) / 1e3:.0f} KB, sha256 {file_digest(OUT)}")


if __name__ == "__main__":
    main()
