"""Is bfloat16 as good? Quality, not pixels (issue 23): the same run in float32 and in bfloat16.

DeepDream's ascent is chaotic, so two runs that differ in rounding end in different pictures; what
must match is how well each did what it set out to do:

* DeepDream (``chelsea.jpg`` at 256 px, 3 octaves × 20 steps, the tutorial's layers): the final
  objective — the sum of the layers' mean activations of the final picture, evaluated by the float32
  network for both, so both are judged alike — within 5 % of float32's;
* style transfer (``chelsea.jpg`` in the style of Hokusai's wave, the coarse-to-fine preset at
  256 px): the final total loss, evaluated in float32 for both, within 5 %;
* the DCGAN (the default preset, same seed): the steps until the grid is no longer noise
  (``bench_gan.py``'s criterion) and until genart's digit meter says "digits", bfloat16 no later
  than float32 × 1.2.

The two DeepDream and style pictures are written side by side to ``assets/precision_*_random_weights.jpg``
(random weights: ImageNet's cannot be downloaded where this runs), for benchmarks/README.md.

    python benchmarks/bench_precision_quality.py [--part dream,style,gan] [--gan-steps 1500]
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("GENART_WEIGHTS", "random")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from genart import models, precision  # noqa: E402
from genart.paths import asset  # noqa: E402

DTYPES = ("float32", "bfloat16")


def side_by_side(images: list[np.ndarray], path: str, gap: int = 6) -> None:
    h = max(i.shape[0] for i in images)
    out = np.full((h, sum(i.shape[1] for i in images) + gap * (len(images) - 1), 3), 255, np.uint8)
    x = 0
    for image in images:
        out[:image.shape[0], x:x + image.shape[1]] = image
        x += image.shape[1] + gap
    Image.fromarray(out).save(path, quality=90)


def dream_part() -> list[str]:
    import tensorflow as tf

    from genart.dream import DreamConfig, dream
    from genart.images import load_image

    photo = load_image(asset("chelsea.jpg"), 256)
    judge = models.dream_extractor(("mixed3", "mixed5"))  # float32, for both

    def objective(image: np.ndarray) -> float:
        acts = judge(tf.constant(image[None], tf.float32) / 127.5 - 1.0, training=False)
        return float(sum(tf.reduce_mean(a) for a in acts))

    finals = {}
    for dtype in DTYPES:
        cfg = DreamConfig(octaves=3, steps_per_octave=20, max_dim=256, precision=dtype)
        finals[dtype] = [f for f in dream(photo, cfg)][-1].image
    scores = {d: objective(finals[d]) for d in DTYPES}
    diff = abs(scores["bfloat16"] - scores["float32"]) / abs(scores["float32"])
    side_by_side([finals["float32"], finals["bfloat16"]], asset("precision_dream_random_weights.jpg"))
    pixels = np.abs(finals["float32"].astype(int) - finals["bfloat16"]).mean()
    return [f"| DeepDream, chelsea 256 px, 3 × 20 steps | objective {scores['float32']:.4f} | "
            f"{scores['bfloat16']:.4f} | {100 * diff:.1f} % | {pixels:.1f} grey levels apart on average |"]


def style_part() -> list[str]:
    import tensorflow as tf

    from genart.images import load_image
    from genart.style import FAST, StyleConfig, stylize, style_size
    from genart.style.losses import compiled_for

    photo = load_image(asset("chelsea.jpg"), 256)
    painting = load_image(asset("hokusai-great-wave.jpg"), 256)
    cfg32 = StyleConfig(**{**FAST.__dict__, "max_dim": 256, "precision": "float32"})
    finals = {d: [f for f in stylize(photo, painting, StyleConfig(**{**cfg32.__dict__, "precision": d}))][-1].image
              for d in DTYPES}
    judge = compiled_for(models.vgg19_extractor(cfg32.style_layers, cfg32.content_layers), len(cfg32.style_layers))

    def as_batch(img):
        return tf.constant(img[None].astype(np.float32) / 255.0)

    hw = photo.shape[:2]
    styled = np.asarray(Image.fromarray(painting).resize(style_size(hw, painting.shape[:2], 1.0)[::-1]))
    grams, _ = judge.targets(as_batch(styled))
    _, feats = judge.targets(as_batch(photo))
    weights = tf.constant([cfg32.style_weight, cfg32.content_weight, cfg32.tv_weight], tf.float32)
    scores = {d: float(tf.reduce_sum(judge.loss_and_grad(as_batch(finals[d]), grams, feats, weights)[0]))
              for d in DTYPES}
    diff = abs(scores["bfloat16"] - scores["float32"]) / scores["float32"]
    side_by_side([finals["float32"], finals["bfloat16"]], asset("precision_style_random_weights.jpg"))
    return [f"| Style transfer, coarse-to-fine preset, 256 px | total loss {scores['float32']:.4g} | "
            f"{scores['bfloat16']:.4g} | {100 * diff:.1f} % | |"]


def gan_part(max_steps: int) -> list[str]:
    from bench_gan import NOT_NOISE, digit_score

    from genart.gan.data import load_shipped_subset
    from genart.gan import DEFAULT_PRESET, GanTrainer, preset

    digits = load_shipped_subset()
    flat = digits.images.reshape(len(digits.images), -1).astype(np.float32) / 255.0
    means = np.stack([flat[digits.labels == k].mean(0) for k in range(10)])
    found = {}
    for dtype in DTYPES:
        trainer = GanTrainer(preset(DEFAULT_PRESET, precision=dtype, preview_every=10), digits.images)
        noise_free = reached = None
        for frame in trainer.train(epochs=-(-max_steps // trainer.steps_per_epoch)):
            if frame.step % 10 == 0:
                if noise_free is None and digit_score((trainer._parts.sample()[..., 0] + 1) / 2, means) >= NOT_NOISE:
                    noise_free = frame.step
                if reached is None and frame.metrics.get("digits_reached"):
                    reached = frame.step
            if reached is not None or frame.step >= max_steps:
                break
        trainer.close()
        found[dtype] = (noise_free, reached)

    def ratio(i):
        a, b = found["float32"][i], found["bfloat16"][i]
        return f"{b / a:.2f}×" if a and b else "—"

    show = {d: tuple(str(v) if v else f"> {max_steps}" for v in found[d]) for d in DTYPES}
    return [f"| DCGAN ({DEFAULT_PRESET} preset): steps until not noise | {show['float32'][0]} | "
            f"{show['bfloat16'][0]} | {ratio(0)} | |",
            f"| DCGAN ({DEFAULT_PRESET} preset): steps until the meter says digits | {show['float32'][1]} | "
            f"{show['bfloat16'][1]} | {ratio(1)} | |"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", default="dream,style,gan")
    parser.add_argument("--gan-steps", type=int, default=1500)
    args = parser.parse_args()
    native = "native" if precision.native_bf16() else "EMULATED (no avx512_bf16/amx_bf16: slow, same arithmetic)"
    print(f"bfloat16 here: {native}; load average {os.getloadavg()[0]:.1f}")
    print("| run | float32 | bfloat16 | apart | |\n|---|---|---|---|---|")
    parts = args.part.split(",")
    rows = (dream_part() if "dream" in parts else []) + (style_part() if "style" in parts else []) + \
        (gan_part(args.gan_steps) if "gan" in parts else [])
    print("\n".join(rows), flush=True)


if __name__ == "__main__":
    main()
