"""Load test: N visitors on one server, as on a shared 2-vCPU Space.

Starts ``python app.py`` on loopback (random weights unless --weights imagenet), then runs N
concurrent gradio_client sessions for a bounded time. Each session loops over the three tabs with
small inputs (a 160×120 picture, a couple of octaves, a few style steps, a short GAN epoch),
starting at a different tab. Prints completed runs per tab, runs refused because the queue was
full (a clean message, expected under overload), server errors (must be 0), the p50/p95 wait
before a run started and its run time, and the server's resident memory before and after.

    python benchmarks/load.py                      # 8 sessions, 2 minutes
    python benchmarks/load.py --sessions 24        # past the queue's 16 places: refusals expected
    python benchmarks/load.py --heavy-limit 2      # two heavy runs at once (GENART_HEAVY_LIMIT)
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: Small runs of each tab: (api name, arguments after the uploads).
DREAM = dict(layers=["mixed3"], octaves=2, octave_scale=1.3, steps_per_octave=5, step_size=0.01, tile_size=0,
             max_dim=160, seed=0)
STYLE = dict(steps=10, max_dim=128, scales=1)
GAN = ("mnist", "tutorial", 1e-4, 64, 1, 640)  # 10 steps of batch 64
TABS = ("dream", "style", "gan")


@dataclass
class Tally:
    completed: Counter = field(default_factory=Counter)
    refused: int = 0
    errors: list[str] = field(default_factory=list)
    cut_off: int = 0
    waits: list[float] = field(default_factory=list)
    runs: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (from /proc)."""
    total = 0
    pids = [pid]
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
        pids += [int(p) for p in out]
    except FileNotFoundError:
        pass
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def start_server(port: int, weights: str, heavy_limit: int, run_seconds: float) -> subprocess.Popen:
    env = dict(os.environ, GENART_WEIGHTS=weights, GRADIO_SERVER_PORT=str(port), GRADIO_ANALYTICS_ENABLED="False",
               GENART_HEAVY_LIMIT=str(heavy_limit), GENART_MAX_RUN_SECONDS=str(run_seconds),
               TF_CPP_MIN_LOG_LEVEL="2", GENART_WARMUP="0")
    log = open(os.path.join(tempfile.gettempdir(), "genart-load-server.log"), "w")
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 180
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}; see {log.name}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("the server did not start within 3 minutes")


def make_inputs(folder: str) -> dict[str, str]:
    yy, xx = np.mgrid[0:120, 0:160]
    photo = np.stack([127 + 120 * np.sin(xx / 9), 127 + 120 * np.cos(yy / 7), (xx + yy) % 256], 2).astype(np.uint8)
    strokes = np.stack([(xx * 7) % 256, (yy * 5) % 256, ((xx ^ yy) * 3) % 256], 2).astype(np.uint8)
    paths = {"photo": os.path.join(folder, "photo.png"), "style": os.path.join(folder, "style.png")}
    Image.fromarray(photo).save(paths["photo"])
    Image.fromarray(strokes).save(paths["style"])
    return paths


def one_run(client, tab: str, files: dict[str, str]):
    from gradio_client import handle_file

    if tab == "dream":
        return client.submit(handle_file(files["photo"]), **DREAM, api_name="/dream")
    if tab == "style":
        return client.submit(handle_file(files["photo"]), handle_file(files["style"]), **STYLE, api_name="/stylize")
    return client.submit(*GAN, api_name="/train_gan")


def visitor(url: str, index: int, deadline: float, files: dict[str, str], tally: Tally, tabs: list[str]) -> None:
    from gradio_client import Client
    from gradio_client.utils import Status

    client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
    k = index
    while time.time() < deadline:
        tab = tabs[k % len(tabs)]
        k += 1
        submitted = time.time()
        job = one_run(client, tab, files)
        started = None
        while not job.done() and time.time() < deadline:
            if started is None and (job.status().code in (Status.PROCESSING, Status.ITERATING) or job.outputs()):
                started = time.time()
            time.sleep(0.05)
        if not job.done():
            job.cancel()
            with tally.lock:
                tally.cut_off += 1
            return
        started = started or time.time()
        try:
            job.result()
        except Exception as exc:  # noqa: BLE001 - classify every failure
            text = str(exc)
            with tally.lock:
                if "queue is full" in text.lower():
                    tally.refused += 1
                else:
                    tally.errors.append(f"{tab}: {type(exc).__name__}: {text[:200]}")
            time.sleep(1.0)  # a refused visitor tries again a little later
            continue
        with tally.lock:
            tally.completed[tab] += 1
            tally.waits.append(started - submitted)
            tally.runs.append(time.time() - started)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return float(np.percentile(values, q))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=8, help="concurrent visitors (default 8)")
    parser.add_argument("--duration", type=float, default=120, help="seconds of load (default 120)")
    parser.add_argument("--weights", choices=["random", "imagenet"], default="random")
    parser.add_argument("--heavy-limit", type=int, default=1, help="GENART_HEAVY_LIMIT for the server (default 1)")
    parser.add_argument("--run-seconds", type=float, default=600, help="GENART_MAX_RUN_SECONDS (default 600)")
    parser.add_argument("--tabs", nargs="+", choices=TABS, default=list(TABS), help="tabs the visitors use (all)")
    args = parser.parse_args(argv)

    from gradio_client import Client

    port = free_port()
    server = start_server(port, args.weights, args.heavy_limit, args.run_seconds)
    url = f"http://127.0.0.1:{port}/"
    try:
        with tempfile.TemporaryDirectory() as folder:
            files = make_inputs(folder)
            rss_start = rss_mb(server.pid)
            warm = Client(url, verbose=False, analytics_enabled=False, download_files=False)
            t0 = time.time()
            for tab in args.tabs:
                one_run(warm, tab, files).result()
            warm_s = time.time() - t0
            rss_warm = rss_mb(server.pid)

            tally = Tally()
            deadline = time.time() + args.duration
            threads = [threading.Thread(target=visitor, args=(url, i, deadline, files, tally, args.tabs),
                                        daemon=True)
                       for i in range(args.sessions)]
            for t in threads:
                t.start()
            peak = rss_warm
            while any(t.is_alive() for t in threads):
                peak = max(peak, rss_mb(server.pid))
                time.sleep(0.5)
            time.sleep(2)
            rss_end = rss_mb(server.pid)
            # the server still answers after the load
            after = one_run(Client(url, verbose=False, analytics_enabled=False, download_files=False), "dream",
                            files).result()
            still_serving = str(after[1]).endswith("done")
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()

    done = sum(tally.completed.values())
    print(f"genart load test: {args.sessions} sessions for {args.duration:g} s, weights={args.weights}, "
          f"heavy limit {args.heavy_limit}, {os.cpu_count()} CPUs, tabs {' '.join(args.tabs)}")
    print("| measure | value |\n|---|---|")
    print(f"| runs completed (dream / style / gan) | {done} ({tally.completed['dream']} / "
          f"{tally.completed['style']} / {tally.completed['gan']}) |")
    print(f"| refused, queue full | {tally.refused} |")
    print(f"| server errors | {len(tally.errors)} |")
    print(f"| cut off at the deadline | {tally.cut_off} |")
    print(f"| wait before a run starts, p50 / p95 | {pct(tally.waits, 50):.1f} s / {pct(tally.waits, 95):.1f} s |")
    print(f"| run time, p50 / p95 | {pct(tally.runs, 50):.1f} s / {pct(tally.runs, 95):.1f} s |")
    print(f"| server RSS: idle / after one run of each tab ({warm_s:.0f} s) / peak / end | "
          f"{rss_start:.0f} / {rss_warm:.0f} / {peak:.0f} / {rss_end:.0f} MB |")
    print(f"| RSS growth under load (end − warm) | {rss_end - rss_warm:+.0f} MB (limit 1024) |")
    print(f"| server answers a run after the load | {'yes' if still_serving else 'NO'} |")
    for line in tally.errors[:10]:
        print("error:", line)
    ok = not tally.errors and still_serving and rss_end - rss_warm < 1024
    if tally.waits:
        print(f"mean wait {statistics.mean(tally.waits):.1f} s over {len(tally.waits)} runs")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
