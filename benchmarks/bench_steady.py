"""Steady fast-style frames against independent ones: flicker (Lai et al. 2018's warping error), whether the
steady frames follow the scene, and what steady costs per frame.

    python benchmarks/bench_steady.py                          # both clips, steady 0 0.5 0.7 0.8 0.9
    python benchmarks/bench_steady.py --frames 48 --steady 0 0.7 --model stand-in

Two clips, made here (nothing is downloaded), 256×192 px, each with its true motion, so the measure
needs no flow estimate of its own (the method's flow is never its judge):

* **synthetic**: a still scene (soft shapes and texture), camera-like noise (Gaussian, σ 4 grey levels,
  new every frame, and ±1 % exposure flicker) and one textured disc moving 3 px a frame across it.
  True flow: zero, and the disc's motion on the disc; the pixels the disc uncovers are not seen in both.
* **photo pan**: ``assets/chelsea.jpg`` (a real photograph) filmed by a virtual camera that pans
  and zooms in slowly (about 1.5 px a frame, 0.3 % a frame), with sensor noise (σ 3) and every frame
  JPEG-compressed at quality 80 (as a phone or webcam would), decoded again. A real photo moved by
  a known camera path, not footage of a real scene: no parallax, no moving objects.

For each clip and each ``--steady`` value: the one-pass pictures of every frame (the same for all
values), then :class:`genart.fast_style.Steady` over them in order. Columns:

* **warping error**: mean over frames 2… of mean |O_t − warp(O_{t−1})| over the pixels the true flow
  says are visible in both (0–255 levels); **÷ independent** is the ratio to steady 0 (target ≤ 0.5).
* **follows**: the share of frames whose steady result is closer to its own one-pass picture than that
  picture is to the previous frame's one-pass picture (brought along the true flow, over the same
  pixels): mean |O_t − P_t| < mean |P_t − warp(P_{t−1})|; **worst** the largest ratio of the two.
* **carried**: the mean share of pixels that took from the previous frame; **cuts**: scene cuts found.
* **steady ms**: the median time of the steady step per frame (two DIS flows, the trust mask, the
  blend). The cost line under each table times the pass (the network's one call on the frame, style
  prediction included, as the hub model is called) and the steady step at the default
  (``genart.fast_style.VIDEO_STEADY``) frame by frame, interleaved, so that the machine's load hits
  both alike: the steady step's median over the pass's median (target: at most +25 %).

The network: ``--model random`` (the default) is genart's random-weight network of the hub model's
architecture (``GENART_WEIGHTS=random``): it paints noise-like textures, but it is a real function
of its input whose instance normalisation is global, so it flickers as the real one does;
``--model stand-in`` is a small fixed function (a 5×5 blur's local contrast, its global mean and
spread normalised away, then a colour map), fast, for a second opinion. Neither is the pretrained
network. A scene-cut check at the end joins the two clips (a cut must reset).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["GENART_WEIGHTS"] = "random"
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

PHOTO = os.path.join(ROOT, "assets", "chelsea.jpg")
STYLE = os.path.join(ROOT, "assets", "hokusai-great-wave.jpg")
W, H = 256, 192


def load() -> str:
    return "load average " + " ".join(f"{v:.2f}" for v in os.getloadavg())


# --- the clips: frames, true backward flow (t → t−1) and what is seen in both ----------------------------

def synthetic(frames: int, seed: int = 0):
    """(frames, backward flows, seen masks): a still scene, camera noise, one moving textured disc."""
    import cv2

    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    texture = cv2.GaussianBlur(rng.uniform(0, 255, (H, W, 3)).astype(np.float32), (0, 0), 3)
    scene = np.stack([60 + 0.5 * xx, 80 + 0.6 * yy, 160 - 0.3 * xx], 2) + 0.6 * (texture - 128)
    for cx, cy, r, colour in [(60, 60, 30, (220, 200, 90)), (190, 130, 40, (40, 90, 170))]:
        scene[(xx - cx) ** 2 + (yy - cy) ** 2 < r * r] = colour
    scene[120:170, 20:110] = (200, 70, 60)
    scene[125:165, 25:105] += 0.4 * (texture[125:165, 25:105] - 128)
    disc_tex = cv2.GaussianBlur(rng.uniform(0, 255, (H, W, 3)).astype(np.float32), (0, 0), 1.5)
    radius, speed = 22.0, (3.0, 1.0)
    clip, flows, seens = [], [], []
    prev_disc = None
    for t in range(frames):
        cx, cy = 40 + speed[0] * t, 70 + speed[1] * t
        disc = (xx - cx) ** 2 + (yy - cy) ** 2 < radius ** 2
        moved = cv2.remap(disc_tex, xx - speed[0] * t, yy - speed[1] * t, cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REFLECT)  # the disc's texture travels with it
        img = np.where(disc[..., None], moved, scene)
        img = img * (1 + rng.uniform(-0.01, 0.01)) + rng.normal(0, 4, img.shape)
        clip.append(np.clip(np.round(img), 0, 255).astype(np.uint8))
        back = np.zeros((H, W, 2), np.float32)
        back[disc] = (-speed[0], -speed[1])
        seen = np.ones((H, W), bool) if prev_disc is None else ~(prev_disc & ~disc)
        flows.append(back)
        seens.append(seen)
        prev_disc = disc
    return clip, flows, seens


def photo_pan(frames: int, seed: int = 1, quality: int = 80):
    """(frames, backward flows, seen masks): a real photo under a panning, zooming camera, noise, JPEG."""
    import cv2
    from PIL import Image

    rng = np.random.default_rng(seed)
    photo = np.asarray(Image.open(PHOTO).convert("RGB")).astype(np.float32)
    ph, pw = photo.shape[:2]
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)

    def camera(t):  # output pixel (x, y) ↦ photo point s·(x, y) + (bx, by)
        s = 0.78 * (pw / W) * (1 - 0.003 * t)
        return s, 0.08 * pw + 1.5 * s * t, 0.1 * ph + 0.4 * s * t

    clip, flows, seens = [], [], []
    for t in range(frames):
        s, bx, by = camera(t)
        m = np.float32([[s, 0, bx], [0, s, by]])
        img = cv2.warpAffine(photo, m, (W, H), flags=cv2.INTER_AREA | cv2.WARP_INVERSE_MAP)
        img = np.clip(np.round(img + rng.normal(0, 3, img.shape)), 0, 255).astype(np.uint8)
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, "JPEG", quality=quality)
        clip.append(np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB")))
        if t == 0:
            flows.append(np.zeros((H, W, 2), np.float32))
            seens.append(np.ones((H, W), bool))
            continue
        s0, bx0, by0 = camera(t - 1)
        px, py = s * xx + bx, s * yy + by  # the photo point each pixel shows now …
        x0, y0 = (px - bx0) / s0, (py - by0) / s0  # … was here in the previous frame
        flows.append(np.stack([x0 - xx, y0 - yy], 2).astype(np.float32))
        seens.append((x0 >= 0) & (x0 <= W - 1) & (y0 >= 0) & (y0 <= H - 1))
    return clip, flows, seens


# --- the networks -------------------------------------------------------------------------------------

def stand_in(content: np.ndarray, style: np.ndarray) -> np.ndarray:
    """A fixed function of the frame with global normalisation (as instance normalisation does): float [0, 1]."""
    import cv2

    x = content.astype(np.float32) / 255.0
    detail = x - cv2.blur(x, (5, 5))
    z = (detail - detail.mean(axis=(0, 1))) / (detail.std(axis=(0, 1)) + 1e-3)
    tint = style.reshape(-1, 3).mean(axis=0) / 255.0
    return np.clip(0.5 + 0.18 * z + 0.3 * (x - 0.5) + 0.2 * (tint - 0.5), 0, 1)


def painter(kind: str, size: int):
    """(paint(frame) → uint8 picture, pass(frame) → the timed pass): the clip's one-pass pictures."""
    from genart.fast_style import FastStyleConfig, FastStyler, load_model
    from genart.images import load_image, to_uint8

    style = load_image(STYLE, 512)
    if kind == "stand-in":
        def paint(frame):
            return to_uint8(stand_in(frame, style))
        return paint
    styler = FastStyler(FastStyleConfig(max_dim=size), model=load_model("random"))
    styler.set_style(style)
    return styler


# --- measuring ----------------------------------------------------------------------------------------

def seen_error(a, b_prev, backward, seen) -> float:
    from genart.fast_style.steady import warping_error

    return warping_error(a, b_prev, backward, seen)


def measure(clip, flows, seens, pictures, steady: float) -> dict:
    from genart.fast_style import Steady

    run = Steady(steady)
    outs, times, carried, cuts = [], [], [], 0
    for frame, picture in zip(clip, pictures):
        start = time.perf_counter()
        outs.append(run(frame, picture))
        times.append(time.perf_counter() - start)
        carried.append(run.last.trusted)
        cuts += run.last.cut
    errors, ratios = [], []
    for t in range(1, len(clip)):
        errors.append(seen_error(outs[t], outs[t - 1], flows[t], seens[t]))
        own = float(np.abs(outs[t].astype(np.float32) - pictures[t]).mean(axis=2)[seens[t]].mean())
        change = seen_error(pictures[t], pictures[t - 1], flows[t], seens[t])
        ratios.append(own / max(change, 1e-6))
    return {"error": float(np.mean(errors)), "follows": float(np.mean(np.array(ratios) < 1)),
            "worst": float(np.max(ratios)), "carried": float(np.mean(carried[1:])), "cuts": cuts,
            "ms": 1000 * float(np.median(times[1:]))}


def cost(paint, clip) -> tuple[float, float]:
    """(pass ms, steady step ms): medians over the clip, the two timed frame by frame, interleaved."""
    from genart.fast_style import VIDEO_STEADY, Steady

    run = Steady(VIDEO_STEADY)
    passes, steps = [], []
    for frame in clip:
        start = time.perf_counter()
        picture = paint(frame)
        middle = time.perf_counter()
        run(frame, picture)
        passes.append(middle - start)
        steps.append(time.perf_counter() - middle)
    return 1000 * float(np.median(passes[1:])), 1000 * float(np.median(steps[1:]))


def table(name: str, rows: dict, costs: tuple[float, float]) -> None:
    from genart.fast_style import VIDEO_STEADY

    base = rows[0.0]["error"]
    print(f"\n{name}")
    print("| steady | warping error | ÷ independent | follows | worst | carried | cuts | steady ms |")
    print("|-------:|--------------:|--------------:|--------:|------:|--------:|-----:|----------:|")
    for s, r in rows.items():
        print(f"| {s:6.2f} | {r['error']:13.2f} | {r['error'] / base:13.2f} | {r['follows']:7.0%} | "
              f"{r['worst']:5.2f} | {r['carried']:7.0%} | {r['cuts']:4d} | {0.0 if s == 0 else r['ms']:9.1f} |")
    pass_ms, step_ms = costs
    print(f"cost, frame by frame: one pass {pass_ms:.0f} ms, steady step ({VIDEO_STEADY:g}) {step_ms:.1f} ms: "
          f"+{100 * step_ms / pass_ms:.0f} % a frame")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=48, help="frames per clip (default 48: 2 s at 24 fps)")
    parser.add_argument("--steady", type=float, nargs="+", default=[0.5, 0.7, 0.8, 0.9],
                        help="steady values besides 0 (default 0.5 0.7 0.8 0.9)")
    parser.add_argument("--model", choices=("random", "stand-in"), default="random",
                        help="the network (default: genart's random-weight network of the hub architecture)")
    args = parser.parse_args()
    import cv2

    print(f"Steady vs independent fast-style frames, {W}×{H} px, {args.frames} frames a clip, model "
          f"{args.model}, {os.cpu_count()} CPUs, OpenCV {cv2.__version__}, {load()}")
    paint = painter(args.model, W)
    values = [0.0] + sorted(set(args.steady) - {0.0})
    clips = {"synthetic: still scene, camera noise, one moving disc": synthetic(args.frames),
             "photo pan: assets/chelsea.jpg, camera pan and zoom, noise σ 3, JPEG q80": photo_pan(args.frames)}
    for name, (clip, flows, seens) in clips.items():
        pictures = [paint(frame) for frame in clip]
        rows = {s: measure(clip, flows, seens, pictures, s) for s in values}
        table(name, rows, cost(paint, clip))
    (a, _, _), (b, _, _) = clips.values()
    from genart.fast_style import Steady

    cut = Steady(max(values))
    for frame in a[:3]:
        cut(frame, paint(frame))
    cut(b[0], paint(b[0]))
    print(f"\nscene cut (synthetic → photo): {'reset' if cut.last.cut else 'NOT reset'} "
          f"(trusted {cut.last.trusted:.0%}); {load()} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
