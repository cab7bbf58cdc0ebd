"""How soon Stop answers while a run's step is traced for the first time (issue 24.1).

Starts ``python app.py`` on loopback in a fresh process (random weights, no warm-up, so the first
dream really traces its step), starts a DeepDream run through gradio_client, presses Stop (the
client's ``job.cancel()``, what the Stop button does) right after its first frame — the moment the
run builds and traces its step —, and times until the next visitor's run streams its first frame:
the queue slot is free again. It also reports how long that first trace took (the run it replaced
would have held the slot that long). Repeated in several fresh processes; the median is printed.

    python benchmarks/bench_stop.py --processes 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

from load import make_inputs, start_server  # noqa: E402

SHORT = dict(layers=["mixed3"], octaves=1, octave_scale=1.3, steps_per_octave=2, step_size=0.01, tile_size=0,
             max_dim=128, seed=0)


def first_output(job, limit: float = 300) -> float:
    start = time.perf_counter()
    while not job.outputs():
        if time.perf_counter() - start > limit:
            raise SystemExit("no frame within 5 minutes")
        time.sleep(0.02)
    return time.perf_counter()


def one_process(port: int, files: dict) -> tuple[float, float]:
    """(seconds from Stop to the next run's first frame, seconds the first trace took) in a fresh app."""
    from gradio_client import Client, handle_file

    proc = start_server(port, "random", 1, 0)
    try:
        url = f"http://127.0.0.1:{port}/"
        first = Client(url, verbose=False, analytics_enabled=False, download_files=False)
        job = first.submit(handle_file(files["photo"]), **SHORT, api_name="/dream")
        first_output(job)
        stopped = time.perf_counter()
        job.cancel()
        other = Client(url, verbose=False, analytics_enabled=False, download_files=False)
        nxt = other.submit(handle_file(files["photo"]), **SHORT, api_name="/dream")
        answered = first_output(nxt) - stopped
        nxt.result()  # the second run waits for the step the first one was tracing
        traced = time.perf_counter() - stopped
        return answered, traced
    finally:
        proc.terminate()
        proc.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--port", type=int, default=7899)
    args = parser.parse_args()
    files = make_inputs(tempfile.mkdtemp(prefix="genart-stop-"))
    rows = [one_process(args.port + i, files) for i in range(args.processes)]
    for i, (answered, traced) in enumerate(rows, 1):
        print(f"process {i}: Stop → next run's first frame {answered:.2f} s (its step was still tracing: "
              f"the next run finished {traced:.2f} s after Stop)")
    print(f"median of {len(rows)} fresh processes: Stop answered in {statistics.median(r[0] for r in rows):.2f} s; "
          f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
