"""What a Ray cluster costs a single run: the same dream computed in this process and as a Ray
streaming task on a local 2-worker cluster (127.0.0.1 only), side by side.

    python benchmarks/bench_ray.py [--runs 3] [--repeat 3] [--size 320] [--steps 12]

Rows, per way of computing (the medians of ``--runs`` interleaved runs in one process):

* first computed frame: seconds from the call to the first frame past step 0 (the step-0 frame, the
  input itself, comes at once both ways and says nothing);
* frames/s: frames received over the run's wall time (DeepDream yields about every 0.75 s of compute);
* run: seconds for the whole run.

and how long Stop takes to free a remote run's CPU (closing its generator cancels the task).

Both ways run *warm* (the network built and the step traced in the process that computes): what a
visitor gets once the server has served its first run. The first run on a fresh Ray worker (Python,
TensorFlow and the network loaded there) is printed on its own. ``--repeat N`` runs the whole
script in N fresh processes and prints the median of their ratios: timings drift 0.85–1.3× between
processes on a shared 2-vCPU machine, so one process proves little.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("GENART_WEIGHTS", "random")
os.environ.setdefault("GENART_PRECISION", "float32")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from genart.dream import DreamConfig, dream  # noqa: E402

PHOTO = os.path.join(ROOT, "assets", "chelsea.jpg")


def timed(frames) -> dict:
    """First computed frame (s), frames/s and run seconds of one run's frames."""
    start, first, count = time.perf_counter(), None, 0
    for frame in frames:
        count += 1
        if first is None and frame.step > 0:
            first = time.perf_counter() - start
    wall = time.perf_counter() - start
    return {"first": first, "fps": count / wall, "run": wall}


def measure(runs: int, size: int, steps: int) -> dict:
    """One process's figures: {"local": [...], "ray": [...], "ray_cold": {...}, "uptime": ...}."""
    from genart.compute import ray_runs, streamed

    cfg = DreamConfig(layers=("mixed3", "mixed5"), octaves=2, steps_per_octave=steps, max_dim=size)
    ray_runs.start_local(num_cpus=2)
    os.environ["GENART_RAY_ADDRESS"] = ray_runs.cluster().address
    remote = streamed(dream)
    cold = timed(remote(PHOTO, cfg))  # a fresh worker: Python, TensorFlow, the network, the trace
    both = [remote(PHOTO, cfg), remote(PHOTO, cfg)]  # two tasks at once: one on each worker, both warm
    for frames in both:
        next(frames)
    for frames in both:
        timed(frames)
    timed(dream(PHOTO, cfg))  # warm this process
    figures = {"local": [], "ray": []}
    for _ in range(runs):
        figures["local"].append(timed(dream(PHOTO, cfg)))
        figures["ray"].append(timed(remote(PHOTO, cfg)))
    figures["stop"] = stop_latency(remote, cfg)
    ray_runs.stop_local()
    figures["ray_cold"] = cold
    figures["uptime"] = os.getloadavg()[0]
    return figures


def stop_latency(remote, cfg) -> float:
    """Seconds from closing a running remote run's generator (Stop) until its CPU is free again."""
    import dataclasses

    import ray

    frames = remote(PHOTO, dataclasses.replace(cfg, steps_per_octave=1000))
    for _ in range(3):
        next(frames)
    start = time.perf_counter()
    frames.close()
    while ray.available_resources().get("CPU", 0) < 2 and time.perf_counter() - start < 60:
        time.sleep(0.01)
    return time.perf_counter() - start


def medians(rows: list[dict]) -> dict:
    return {key: statistics.median(r[key] for r in rows) for key in ("first", "fps", "run")}


def table(figures: dict) -> str:
    local, ray = medians(figures["local"]), medians(figures["ray"])
    lines = [f"{'':24}{'this process':>14}{'Ray task':>12}{'Ray / local':>13}"]
    for key, label in (("first", "first computed frame s"), ("fps", "frames/s"), ("run", "run s")):
        lines.append(f"{label:24}{local[key]:14.3f}{ray[key]:12.3f}{ray[key] / local[key]:12.2f}×")
    cold = figures["ray_cold"]
    lines.append(f"first run on a fresh Ray worker: first frame {cold['first']:.1f} s, run {cold['run']:.1f} s; "
                 f"Stop frees the task's CPU in {figures['stop']:.2f} s (load {figures['uptime']:.1f})")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=1, help="fresh processes to run (median of ratios)")
    parser.add_argument("--size", type=int, default=320)
    parser.add_argument("--steps", type=int, default=12, help="steps per octave (2 octaves)")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # one child's figures
    args = parser.parse_args()
    if args.repeat <= 1:
        figures = measure(args.runs, args.size, args.steps)
        print(json.dumps(figures) if args.json else table(figures))
        return
    ratios = {"first": [], "fps": [], "run": []}
    for n in range(args.repeat):
        out = subprocess.run([sys.executable, __file__, "--json", "--runs", str(args.runs), "--size", str(args.size),
                              "--steps", str(args.steps)], capture_output=True, text=True, check=True).stdout
        figures = json.loads(out.strip().splitlines()[-1])
        print(f"process {n + 1}:\n{table(figures)}\n")
        local, ray = medians(figures["local"]), medians(figures["ray"])
        for key in ratios:
            ratios[key].append(ray[key] / local[key])
    print("median over processes, Ray / this process: " +
          ", ".join(f"{key} {statistics.median(v):.2f}×" for key, v in ratios.items()))


if __name__ == "__main__":
    main()
