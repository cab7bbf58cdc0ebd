"""Fast style (one pass of the arbitrary-style network) against one tutorial Adam step, side by side.

    python benchmarks/bench_fast_style.py               # 3 fresh processes, medians
    python benchmarks/bench_fast_style.py --repeat 1 --rounds 5
    python benchmarks/bench_fast_style.py --mirror-steps  # one process: a mirror frame, step by step

One measurement (one process) builds both networks with seeded random weights
(``GENART_WEIGHTS=random``: the architectures and FLOPs of the real ones) and then, ``--rounds``
times, interleaved so that the machine's load hits all rows alike, takes the warm time of:

* **fast pass 512×384**: one call of the network as the hub model is called (style prediction on the
  256×256 style included), the picture fetched and blended (:func:`genart.fast_style.step_seconds`'s
  work);
* **fast paint 512×384**: :func:`genart.fast_style.paint` end to end from a 640×480 upload
  (content resize, style crop/resize/blur, the pass, the blend, the Frame);
* **Adam step 512×384**: one step of the tutorial's optimisation (``genart.style.TUTORIAL``: Adam on
  VGG19, float32) as :func:`genart.style.step_seconds` measures it (fastest of three warm steps);
* **mirror frame 256 px**: :class:`genart.fast_style.FastStyler` on a 640×480 camera frame at
  256 px (256×192), style recomputed every frame as the hub model must;
* **mirror frame 256 px, style vector once**: the same with ``reuse_style_vector=True``, which only
  genart's own network allows (the hub SavedModel has one signature): a lower bound, not the hub cost.

Each row is the fastest over the rounds, after a warm-up; the script prints each process and the
medians over processes (the ratio column: the median of each process's own ratio, which the load
disturbs less than the seconds), with the load average before and after each (the machine may be shared).
Targets (issue 21): fast paint ≤ 1 s and ≤ one Adam step; the mirror ≥ 5 frames a second.

``--mirror-steps`` times, in one process, what lies between the camera and a painted mirror frame on
the server (issue 31), each step the fastest of ``--rounds`` × 5 after a warm-up: the camera frame
as the browser sends it (a JPEG data URL at the canvas' default quality 0.92, of a photo with sensor
noise), at 640×480 decoded as Gradio decodes it (whole) and resized as the mirror did (Lanczos), or
by :func:`genart.images.load_frame` (JPEG's DCT scaling to the size needed, then an area filter),
and at 320×240 (what the mirror now asks the camera for); the pass (style prediction included, as
the hub model does it; and with the style vector once, which only genart's own network allows), the
steady step, and the picture out (a JPEG file in Gradio's cache as ``gr.Image`` writes it, or a
base64 data URL).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["GENART_WEIGHTS"] = "random"
sys.path.insert(0, ROOT)

ROWS = ("fast pass 512×384", "fast paint 512×384", "Adam step 512×384", "mirror frame 256 px",
        "mirror frame 256 px, style vector once")


def load() -> str:
    return "load average " + " ".join(f"{v:.2f}" for v in os.getloadavg())


def pictures():
    import numpy as np

    yy, xx = np.mgrid[0:480, 0:640].astype(np.float32)
    photo = np.stack([127 + 120 * np.sin(xx / 17 + c) * np.cos(yy / 23) for c in range(3)], 2).astype(np.uint8)
    style = np.stack([(xx * 7) % 256, (yy * 5) % 256, (xx + 3 * yy) % 256], 2).astype(np.uint8)
    return photo, style


def fastest(fn, calls: int = 2) -> float:
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def one(rounds: int) -> dict:
    """Seconds per row in this process: the fastest over ``rounds`` interleaved rounds."""
    from genart import fast_style, style
    from genart.fast_style import FastStyleConfig, FastStyler

    photo, style_rgb = pictures()
    model = fast_style.load_model()
    cfg = FastStyleConfig()
    mirror = FastStyler(FastStyleConfig(max_dim=256), model=model, reuse_style_vector=False)
    mirror.set_style(style_rgb)
    mirror_once = FastStyler(FastStyleConfig(max_dim=256), model=model, reuse_style_vector=True)
    mirror_once.set_style(style_rgb)
    rows = {
        ROWS[0]: lambda: fast_style.step_seconds(cfg, (384, 512), model=model),
        ROWS[1]: lambda: fastest(lambda: list(fast_style.paint(photo, style_rgb, cfg, model=model))),
        ROWS[2]: lambda: style.step_seconds(style.TUTORIAL, (384, 512)),
        ROWS[3]: lambda: fastest(lambda: mirror(photo), 3),
        ROWS[4]: lambda: fastest(lambda: mirror_once(photo), 3),
    }
    for name in (ROWS[1], ROWS[3], ROWS[4]):  # warm-up (step_seconds warm up themselves)
        rows[name]()
    seconds = {name: [] for name in ROWS}
    for _ in range(rounds):
        for name, measure in rows.items():
            seconds[name].append(measure())
    return {"seconds": {name: min(t) for name, t in seconds.items()}, "load": load()}


def show(result: dict, label: str) -> None:
    s = result["seconds"]
    ratios = result.get("ratios") or {name: s[name] / s[ROWS[2]] for name in ROWS}
    print(f"\n{label}")
    print(f"| {'row':40s} | {'seconds':>8s} | {'÷ Adam step':>11s} | {'per second':>10s} |")
    print(f"|{'-' * 42}|{'-' * 10}|{'-' * 13}|{'-' * 12}|")
    for name in ROWS:
        print(f"| {name:40s} | {s[name]:8.3f} | {ratios[name]:11.2f} | {1 / s[name]:10.1f} |")


def mirror_steps(rounds: int) -> None:
    """Print the mirror frame's steps, each the fastest of ``rounds`` × 5 (one process)."""
    import base64
    import io
    import tempfile

    import numpy as np
    from PIL import Image

    from genart import fast_style
    from genart.fast_style import FastStyleConfig, FastStyler, Steady
    from genart.images import load_frame, resize_max_dim

    rng = np.random.default_rng(0)
    photo = np.asarray(Image.open(os.path.join(ROOT, "assets", "chelsea.jpg")).convert("RGB").resize((640, 480)))
    frames = [np.clip(photo + rng.normal(0, 3, photo.shape), 0, 255).astype(np.uint8) for _ in range(2)]

    def data_url(rgb):
        buf = io.BytesIO()
        Image.fromarray(rgb).save(buf, "JPEG", quality=92)
        return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()

    urls = [data_url(f) for f in frames]
    jpeg = base64.b64decode(urls[0].split(",", 1)[1])
    qvga = base64.b64decode(data_url(resize_max_dim(frames[0], 320)).split(",", 1)[1])
    _, style_rgb = pictures()
    model = fast_style.load_model()
    styler = FastStyler(FastStyleConfig(max_dim=256), model=model, reuse_style_vector=False)
    styler.set_style(style_rgb)
    once = FastStyler(FastStyleConfig(max_dim=256), model=model, reuse_style_vector=True)
    once.set_style(style_rgb)
    small = resize_max_dim(frames[0], 256)
    painted = styler(small)
    steady = Steady(fast_style.VIDEO_STEADY)
    steady(resize_max_dim(frames[1], 256), painted)
    cache = tempfile.mkdtemp(prefix="genart-bench-cache-")

    def gradio_decode():
        from gradio.image_utils import decode_base64_to_image_array
        return decode_base64_to_image_array(urls[0])

    def gradio_path():
        return resize_max_dim(gradio_decode(), 256)

    def frame_decode():
        return load_frame(base64.b64decode(urls[0].split(",", 1)[1]), 256)

    def qvga_decode():
        return load_frame(qvga, 256)

    def gradio_out():
        from gradio.image_utils import save_image
        return save_image(painted, cache, "jpeg")

    def url_out():
        buf = io.BytesIO()
        Image.fromarray(painted).save(buf, "JPEG", quality=90)
        return base64.b64encode(buf.getvalue())

    def steady_step():
        steady.remember(small, painted)
        return steady(resize_max_dim(frames[1], 256), painted)

    steps = [
        (f"640×480 camera frame ({len(urls[0]) // 1024} KiB data URL): decoded whole (Gradio)", gradio_decode),
        ("… then resized to 256×192 (Lanczos): the mirror's input before", gradio_path),
        ("… decoded at the size needed (DCT ½) and resized (area): load_frame", frame_decode),
        (f"320×240 camera frame ({len(qvga) // 1024} KiB JPEG), load_frame", qvga_decode),
        ("pass 256×192, style prediction included (the hub model's cost)", lambda: styler(small)),
        ("pass 256×192, style vector once (genart's own network only)", lambda: once(small)),
        (f"steady step (steady {fast_style.VIDEO_STEADY})", steady_step),
        ("picture out: JPEG file in Gradio's cache", gradio_out),
        ("picture out: base64 JPEG data URL", url_out),
    ]
    for _, fn in steps:
        fn()
    print(f"\nmirror frame, step by step (one process; fastest of {rounds * 5}; {len(jpeg) // 1024} KiB JPEG in; "
          f"{load()})")
    print(f"| {'step':70s} | {'ms':>6s} |")
    print(f"|{'-' * 72}|{'-' * 8}|")
    for name, fn in steps:
        print(f"| {name:70s} | {1000 * fastest(fn, rounds * 5):6.1f} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes, one after another (default 3)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per process (default 3)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--mirror-steps", action="store_true",
                        help="only time a mirror frame's steps, in this process")
    args = parser.parse_args()
    if args.mirror_steps:
        mirror_steps(args.rounds)
        return 0
    if args.child:
        print(json.dumps(one(args.rounds)))
        return 0
    print(f"Fast style vs one tutorial Adam step, random weights, float32, {os.cpu_count()} CPUs, "
          f"{args.repeat} processes × {args.rounds} rounds")
    results = []
    argv = [sys.executable, os.path.abspath(__file__), "--child", "--rounds", str(args.rounds)]
    for k in range(1, args.repeat + 1):
        before = load()
        done = subprocess.run(argv, capture_output=True, text=True, check=True, cwd=ROOT)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        show(results[-1], f"process {k} ({before} at the start, {results[-1]['load']} at the end)")
    median = {name: statistics.median(r["seconds"][name] for r in results) for name in ROWS}
    ratios = {name: statistics.median(r["seconds"][name] / r["seconds"][ROWS[2]] for r in results) for name in ROWS}
    show({"seconds": median, "ratios": ratios},
         f"median of {args.repeat} processes (÷ Adam step: the median of each process's ratio; {load()} now)")
    fast, adam, frame = median[ROWS[1]], median[ROWS[2]], median[ROWS[3]]
    print(f"\ntargets: fast paint {fast:.2f} s (≤ 1 s: {'yes' if fast <= 1 else 'NO'}; ≤ one Adam step "
          f"{adam:.2f} s: {'yes' if fast <= adam else 'NO'}); mirror {1 / frame:.1f} frames/s "
          f"(≥ 5: {'yes' if 1 / frame >= 5 else 'NO'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
